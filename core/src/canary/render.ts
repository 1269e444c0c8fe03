/**
 * Markdown for the job summary and the pull-request comment: the final verdict with its parts, per-metric table, estimates
 * with confidence intervals, per-interval table and Mermaid latency charts.
 */
import type {
  CanaryJudgement,
  CanaryReport,
  Estimate,
  IntervalJudgement,
  JudgeSettings,
  TrackSummary,
} from './types.js';
import { renderSides } from './sides.js';

const ICON = { pass: '✅', fail: '❌', inconclusive: '⚠️' } as const;

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const num = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);
const pct = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(2)}%`;
const signedPp = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? 'n/a'
    : `${x >= 0 ? '+' : '-'}${Math.abs(x * 100).toFixed(2)} pp`;
const signedPct = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
const pv = (p: number | null | undefined) =>
  p === null || p === undefined || !Number.isFinite(p) ? 'n/a' : p < 1e-4 ? p.toExponential(1) : p.toPrecision(2);

function ci(e: Estimate, fmt: (x: number | null) => string): string {
  return `${fmt(e.estimate)} (${(e.level * 100).toFixed(0)}% CI ${fmt(e.ci[0])} to ${fmt(e.ci[1])})`;
}

function chart(
  title: string,
  intervals: IntervalJudgement[],
  key: keyof Pick<TrackSummary, 'p50_ms' | 'p95_ms' | 'p99_ms'>,
): string {
  const b = intervals.map((iv) => iv.baseline[key] ?? 0);
  const c = intervals.map((iv) => iv.canary[key] ?? 0);
  const top = Math.max(1, ...b, ...c) * 1.1;
  const list = (xs: number[]) => `[${xs.map((x) => Number(x.toFixed(2))).join(', ')}]`;
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${title}"`,
    `  x-axis "interval" [${intervals.map((iv) => `"${iv.index + 1}"`).join(', ')}]`,
    `  y-axis "ms" 0 --> ${Math.ceil(top)}`,
    `  bar ${list(b)}`,
    `  line ${list(c)}`,
    '```',
  ].join('\n');
}

/** Metric table, estimates and per-interval table with charts of one judgement. */
function judgementSection(j: CanaryJudgement, s: JudgeSettings, out: string[]): void {
  if (j.early_abort.aborted) {
    const at = (j.early_abort.at_interval ?? 0) + 1;
    out.push(`**Hard failure at interval ${at} of ${j.planned_intervals}**: the run stops there (early abort).`, '');
  }
  out.push('| metric | status | why |');
  out.push('| --- | --- | --- |');
  for (const m of j.metrics) out.push(`| ${m.metric} | ${ICON[m.status]} ${m.status} | ${cell(m.reason)} |`);
  out.push('');
  out.push('| | baseline | canary | canary vs baseline |');
  out.push('| --- | ---: | ---: | --- |');
  out.push(`| requests | ${j.baseline.n} | ${j.canary.n} | |`);
  out.push(
    `| error rate | ${pct(j.baseline.error_rate)} | ${pct(j.canary.error_rate)} | ${ci(j.errors.difference, signedPp)}; p = ${pv(j.errors.test.p_value)} |`,
  );
  out.push(
    `| p50 (ms) | ${num(j.baseline.p50_ms)} | ${num(j.canary.p50_ms)} | ${j.latency ? `ratio ${ci(j.latency.median_ratio, (x) => num(x, 3))}` : ''} |`,
  );
  out.push(
    `| p95 (ms) | ${num(j.baseline.p95_ms)} | ${num(j.canary.p95_ms)} | ${j.latency ? `${ci(j.latency.p95_relative_diff, signedPct)}; tail test p = ${pv(j.latency.p95_test.p_value)}` : ''} |`,
  );
  out.push(`| p99 (ms) | ${num(j.baseline.p99_ms)} | ${num(j.canary.p99_ms)} | |`);
  if (j.latency) {
    const mde = j.latency.mde_relative === null ? 'too few samples' : `+${pct(j.latency.mde_relative)}`;
    out.push(
      `| smallest detectable slowdown | | | ${mde} (power ${s.power}, Mann-Whitney p = ${pv(j.latency.test.p_value)}) |`,
    );
  }
  if (j.errors.mde_absolute !== null)
    out.push(
      `| smallest detectable error-rate increase | | | ${signedPp(j.errors.mde_absolute + s.errorRateTolerance)} (power ${s.power}) |`,
    );
  if (j.intervals.length > 0) {
    out.push('');
    out.push(
      '| interval | baseline p50 / p95 / p99 (ms) | canary p50 / p95 / p99 (ms) | baseline errors | canary errors |',
    );
    out.push('| ---: | --- | --- | ---: | ---: |');
    for (const iv of j.intervals) {
      const t = (x: TrackSummary) => `${num(x.p50_ms)} / ${num(x.p95_ms)} / ${num(x.p99_ms)}`;
      out.push(
        `| ${iv.index + 1}${iv.insufficient ? ' ⚠️' : ''} | ${t(iv.baseline)} | ${t(iv.canary)} | ${iv.baseline.errors}/${iv.baseline.n} | ${iv.canary.errors}/${iv.canary.n} |`,
      );
    }
    if (j.data_kind !== 'none') {
      out.push('');
      out.push('Bars: baseline; line: canary.');
      out.push('');
      out.push(chart('p95 latency per interval (ms)', j.intervals, 'p95_ms'));
      out.push('');
      out.push(chart('p50 latency per interval (ms)', j.intervals, 'p50_ms'));
    }
  }
}

/** Where the report lives, for the re-check command and the links (all optional). */
export interface RenderLinks {
  /** The report's path as a reader would type it (relative to the workspace); default: the plan's. */
  reportPath?: string;
  /** The workflow run that produced the report. */
  runUrl?: string;
  /** Where the uploaded report can be downloaded (the run's artifacts). */
  reportUrl?: string;
}

/** A part's "why": the metrics that decided it, by name (each reason is written once, in the metric table). */
function decidedBy(j: CanaryJudgement): string {
  const failing = j.metrics.filter((m) => m.status === 'fail').map((m) => m.metric);
  const unsure = j.metrics.filter((m) => m.status === 'inconclusive').map((m) => m.metric);
  if (failing.length) return `failed: ${failing.join(', ')}`;
  if (unsure.length) return `not decided: ${unsure.join(', ')}`;
  return `every metric passed (${j.metrics.length})`;
}

export function renderCanaryMarkdown(report: CanaryReport, links: RenderLinks = {}): string {
  const j = report.judgement;
  const s = report.settings;
  const prom = report.prometheus ?? null;
  const out: string[] = [];
  out.push(
    `## Canary ${ICON[report.verdict]} ${report.verdict.toUpperCase()}: \`${report.environment}\` @ \`${report.sha}\``,
  );
  out.push('');
  const action =
    report.outcome.action === 'promote'
      ? 'promoted'
      : report.outcome.action === 'rollback'
        ? 'rolled back'
        : 'no action';
  out.push(
    `Outcome: **${action}**${report.outcome.detail ? ` (${cell(report.outcome.detail)})` : ''}. Source: ${report.source}; ${j.judged_intervals} of ${j.planned_intervals} intervals judged; seed ${report.seed}.`,
  );
  out.push('');
  if (report.sides) out.push(...renderSides(report.sides));
  // One verdict, made of these parts (any fail -> fail; else any inconclusive -> inconclusive).
  out.push('| part | verdict | why |');
  out.push('| --- | --- | --- |');
  for (const p of report.preconditions ?? [])
    out.push(`| ${p.step} | ${p.ok ? `${ICON.pass} ok` : `${ICON.fail} fail`} | ${cell(p.reason)} |`);
  out.push(`| synthetic traffic | ${ICON[j.verdict]} ${j.verdict} | ${cell(decidedBy(j))} (table below) |`);
  if (prom) {
    const pv = prom.judgement?.verdict ?? 'inconclusive';
    const why = prom.judgement
      ? `${decidedBy(prom.judgement)} (table below)`
      : `no judgement: ${prom.error ?? 'no data'}`;
    out.push(`| Prometheus histograms | ${ICON[pv]} ${pv} | ${cell(why)} |`);
  }
  out.push('');
  out.push('### Synthetic traffic (both tracks, same requests)', '');
  judgementSection(j, s, out);
  if (prom) {
    out.push('', '### Prometheus histograms (both tracks, same window)', '');
    if (prom.judgement) {
      out.push(`Window p95: baseline ${num(prom.baseline_p95_ms)} ms, canary ${num(prom.canary_p95_ms)} ms.`, '');
      judgementSection(prom.judgement, s, out);
    } else out.push(`No judgement: ${cell(prom.error ?? 'no data')}`);
  }
  out.push('');
  out.push(
    `Settings: alpha ${s.alpha} (${s.multipleTesting}), latency tolerance ${pct(s.latencyTolerance)} or ${s.latencyToleranceMs} ms (the larger), error-rate tolerance ${signedPp(s.errorRateTolerance).slice(1)}, budget p95 <= ${s.maxP95Ms} ms and error rate <= ${pct(s.maxErrorRate)}, at least ${s.minSamplesPerInterval} requests per interval and ${s.minTotalSamples} in total.`,
  );
  out.push('');
  const path =
    links.reportPath ??
    report.plan?.report_run_path ??
    report.plan?.report_path ??
    `canary-${report.environment}-${report.sha}.json`;
  out.push(
    `Re-check: \`npm run canary -- judge ${path}\` checks the report's consistency and recomputes this verdict from it alone.`,
  );
  const where = [
    ...(links.runUrl ? [`[workflow run](${links.runUrl})`] : []),
    ...(links.reportUrl ? [`[uploaded report](${links.reportUrl})`] : []),
  ];
  if (where.length) out.push('', `Links: ${where.join(' · ')}`);
  return out.join('\n') + '\n';
}
