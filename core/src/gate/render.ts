/**
 * Markdown for the job summary and the sticky PR comment, from a SmokeReport (and the history for
 * the trend chart). Every piece of text that a user controls (refs, file names, metric names,
 * threshold expressions, reasons that quote them) goes through `mdText`, so it cannot break the
 * table, inject HTML or links, or @-mention anyone.
 */
import { fmtChange, fmtMs, fmtPct, shortSha } from './format.js';
import type { GateCheck } from './evaluate.js';
import { isUsableBaseline, type HistoryEntry } from './history.js';
import type { BudgetSpentSource } from './adaptive.js';
import { fmtBurn, type BurnRateReport } from './burn-rate.js';
import type { EndpointRow, SmokeReport } from './report.js';
import type { Verdict } from './types.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '|': '&#124;',
  '@': '&#64;',
  '`': '&#96;',
  '\\': '&#92;',
  '*': '&#42;',
  _: '&#95;',
  '[': '&#91;',
  ']': '&#93;',
  '~': '&#126;',
  '#': '&#35;',
  '!': '&#33;',
  '\n': ' ',
  '\r': ' ',
};

/** Escapes user-controlled text for inline markdown (also safe inside table cells). */
export function mdText(s: string): string {
  return s.replace(/[&<>"|@`\\*_[\]~#!\r\n]/g, (c) => ESCAPES[c]!);
}

/** User-controlled text shown as code; <code> with entities, since backticks in s would end a `span`. */
export function mdCode(s: string): string {
  return `<code>${mdText(s)}</code>`;
}

const SPENT_SOURCE: Record<BudgetSpentSource, string> = {
  input: 'as given by the error-budget-spent input',
  prometheus: 'measured by Prometheus',
  history: 'from the recorded runs in the window',
};

const HEADLINE: Record<Verdict, string> = {
  pass: '✅ Performance smoke gate: **PASS**',
  fail: '❌ Performance smoke gate: **FAIL**',
  inconclusive: '⚠️ Performance smoke gate: **INCONCLUSIVE**',
};

function fmtValue(v: number | null, unit: GateCheck['unit']): string {
  if (v === null) return 'n/a';
  if (unit === 'ms') return fmtMs(v);
  if (unit === 'ratio') return fmtPct(v);
  return String(v);
}

function statusIcon(c: GateCheck): string {
  if (c.ok === null) return '➖';
  if (c.ok) return '✅';
  return c.gating ? '❌' : '⚠️';
}

function measuredCell(c: GateCheck, r: SmokeReport): string {
  if (c.measured === null && c.range) return `between ${fmtMs(c.range[0])} and ${fmtMs(c.range[1])}`;
  if (c.id === 'p95' && r.measured.percentile_error_bound !== null && c.measured !== null)
    return `${fmtMs(c.measured)} (± ${fmtPct(r.measured.percentile_error_bound)}, from a histogram of ${r.measured.requests} requests)`;
  if (c.id === 'p95' && r.measured.p95_ci_ms) {
    const [lo, hi] = r.measured.p95_ci_ms;
    return `${fmtMs(c.measured)} (95 % CI ${fmtMs(lo)} – ${fmtMs(hi)})`;
  }
  if (c.id === 'error_rate' && c.measured !== null)
    return `${fmtPct(c.measured)} (${r.measured.failed_requests} of ${r.measured.requests})`;
  if (c.id === 'regression' && c.measured !== null) return fmtChange(c.measured);
  return fmtValue(c.measured, c.unit);
}

function limitCell(c: GateCheck): string {
  if (c.limit === null) return '';
  if (c.id === 'regression') return `within ±${fmtPct(c.limit)} noise`;
  const rel = c.comparator === '<=' ? '≤' : '≥';
  return `${rel} ${fmtValue(c.limit, c.unit)}${c.gating ? '' : ' (info)'}`;
}

export interface RenderOptions {
  /** History points shown in the trend chart (default 20). */
  trendPoints?: number;
  /** Endpoint rows shown (default 15); the report has them all. */
  endpointRows?: number;
}

/** One row per combined file, and how they were combined. */
function renderParts(r: SmokeReport): string[] {
  if (r.parts.length < 2) return [];
  const out = [`<details open><summary>${r.parts.length} result files combined</summary>`, ''];
  out.push('| File | Format | Requests | Failed | p95 |', '| --- | --- | ---: | ---: | ---: |');
  for (const p of r.parts)
    out.push(`| ${mdCode(p.file)} | ${mdText(p.format)} | ${p.requests} | ${p.failed_requests} | ${fmtMs(p.p95_ms)} |`);
  out.push('');
  if (r.combination) out.push(mdText(r.combination), '');
  out.push('</details>', '');
  return out;
}

function endpointStatus(e: EndpointRow): string {
  const p95 = e.p95_ms ?? e.p95_range_ms?.[0] ?? null;
  const over = (p95 !== null && p95 > e.limits.p95_ms) || (e.error_rate !== null && e.error_rate > e.limits.error_rate);
  if (!over) return p95 === null ? '➖' : '✅';
  return e.limits.own ? '❌' : '⚠️';
}

/** The per-endpoint table: most over its limits first; shown when the output names two endpoints or more, or the budget names one. */
function renderEndpoints(r: SmokeReport, max: number): string[] {
  const rows = r.endpoints;
  if (rows.length < 2 && !rows.some((e) => e.limits.own)) return [];
  const out = [
    '**Per endpoint** (most over its limits first; ❌ over its own budget limit, ⚠️ over the run’s limit, not gating)',
    '',
  ];
  out.push('| Endpoint | Requests | Error rate | p95 | Limits | |', '| --- | ---: | ---: | ---: | ---: | :---: |');
  for (const e of rows.slice(0, max)) {
    const p95 =
      e.p95_ms !== null
        ? fmtMs(e.p95_ms)
        : e.p95_range_ms
          ? `${fmtMs(e.p95_range_ms[0])} – ${fmtMs(e.p95_range_ms[1])}`
          : 'n/a';
    const errors = e.error_rate !== null ? `${fmtPct(e.error_rate)} (${e.failed_requests} of ${e.requests})` : 'n/a';
    const limits = `≤ ${fmtMs(e.limits.p95_ms)}, ≤ ${fmtPct(e.limits.error_rate)}${e.limits.own ? ' (own)' : ''}`;
    out.push(`| ${mdCode(e.name)} | ${e.requests ?? 'n/a'} | ${errors} | ${p95} | ${limits} | ${endpointStatus(e)} |`);
  }
  if (rows.length > max) out.push('', `${rows.length - max} more endpoints in the report (endpoints).`);
  out.push('');
  return out;
}

/**
 * The Mermaid xychart-beta block: p95 per recorded run (oldest left; inconclusive runs left out, as
 * their p95 rests on too few requests) plus the budget line. Empty when fewer than 2 points.
 */
export function renderTrendChart(report: SmokeReport, history: readonly HistoryEntry[], points = 20): string {
  const past = history.filter((e) => isUsableBaseline(e) && e.sha.toLowerCase() !== report.commit.toLowerCase());
  const series: { label: string; p95: number }[] = past
    .slice(-Math.max(1, points - (report.measured.p95_ms !== null ? 1 : 0)))
    .map((e) => ({
      label: shortSha(e.sha).replace(/[^0-9a-zA-Z]/g, ''),
      p95: e.p95_ms as number,
    }));
  if (report.measured.p95_ms !== null) series.push({ label: 'this run', p95: report.measured.p95_ms });
  if (series.length < 2) return '';
  // Categories must be unique for the chart; a 7-character prefix can repeat.
  const seen = new Map<string, number>();
  for (const s of series) {
    const k = (seen.get(s.label) ?? 0) + 1;
    seen.set(s.label, k);
    if (k > 1) s.label = `${s.label}-${k}`;
  }
  const budget = report.budget.p95_ms;
  const top = Math.max(budget, ...series.map((s) => s.p95)) * 1.1;
  // Round the axis up to two significant digits so it reads cleanly (495 -> 500, 541 -> 550).
  const step = 10 ** (Math.floor(Math.log10(top)) - 1);
  const yMax = Math.ceil(top / step - 1e-9) * step;
  const round = (v: number): string => String(Number(v.toFixed(2)));
  return [
    '```mermaid',
    'xychart-beta',
    `  title "p95 latency (ms), last ${series.length} runs, flat line = budget ${round(budget)} ms"`,
    `  x-axis [${series.map((s) => `"${s.label}"`).join(', ')}]`,
    `  y-axis "p95 (ms)" 0 --> ${round(yMax)}`,
    `  line [${series.map((s) => round(s.p95)).join(', ')}]`,
    `  line [${series.map(() => round(budget)).join(', ')}]`,
    '```',
  ].join('\n');
}

/** One short table: a row per SLO and window pair, each window's ratio and burn, and the rule; the queries folded below. */
export function renderBurnRates(b: BurnRateReport): string[] {
  const out = [`**SLO burn rates** (on a fast burn: ${b.action})`, ''];
  if (b.unavailable !== undefined)
    return [...out, `⚠️ Not measured: ${mdText(b.unavailable)}; the budget file limits apply.`, ''];
  const slo = (p: BurnRateReport['pairs'][number]): string =>
    p.slo === 'error'
      ? `errors (SLO ${fmtPct(p.target)})`
      : `latency ≤ ${fmtMs(b.slos.latency_threshold_ms)} (SLO ${fmtPct(p.target)})`;
  const cell = (w: BurnRateReport['pairs'][number]['long']): string =>
    `${w.window}: ${w.ratio === null ? 'no data' : `${fmtPct(w.ratio)} → ${fmtBurn(w.burn_rate)}`}`;
  out.push('| SLO | Burn | Long window | Short window | Above | Rule |', '| --- | --- | ---: | ---: | ---: | --- |');
  for (const p of b.pairs)
    out.push(
      `| ${slo(p)} | ${p.severity} | ${cell(p.long)} | ${cell(p.short)} | ${fmtBurn(p.factor)} | ${p.firing ? '🔥 ' : ''}${mdText(p.why)} |`,
    );
  out.push('', '<details><summary>Burn-rate queries</summary>', '');
  const seen = new Set<string>();
  for (const p of b.pairs)
    for (const w of [p.long, p.short]) {
      const key = `${p.slo} ${w.window}`;
      if (seen.has(key) || !w.query) continue;
      seen.add(key);
      out.push(`- ${p.slo} ${w.window}: ${mdCode(w.query)}`);
    }
  out.push('', '</details>', '');
  return out;
}

export function renderSmokeMarkdown(
  report: SmokeReport,
  history: readonly HistoryEntry[] = [],
  opts: RenderOptions = {},
): string {
  const out: string[] = [];
  out.push(`### ${HEADLINE[report.verdict]}`, '');
  const facts = [
    `commit ${mdCode(shortSha(report.commit))}`,
    `ref ${mdCode(report.ref)}`,
    `${report.measured.requests} requests`,
    ...(report.parts.length > 1 ? [`${report.parts.length} files`] : []),
    `source ${mdText(report.source.format)}${report.source.k6_version ? ` (k6 ${mdText(report.source.k6_version)})` : ''}`,
    mdText(report.time),
  ];
  if (report.run.url && /^https?:\/\//.test(report.run.url))
    facts.push(`[run](${encodeURI(report.run.url).replace(/[()]/g, encodeURIComponent)})`);
  out.push(facts.join(' · '), '');

  out.push('| | Measured | Limit | |', '| --- | ---: | ---: | :---: |');
  for (const c of report.gate_checks) {
    out.push(`| ${mdText(c.label)} | ${measuredCell(c, report)} | ${limitCell(c)} | ${statusIcon(c)} |`);
  }
  out.push('');

  out.push(...renderParts(report), ...renderEndpoints(report, opts.endpointRows ?? 15));

  if (report.budget.adaptive) {
    const a = report.budget.adaptive;
    out.push(
      `Error-rate limit adapted to the error budget: SLO ${fmtPct(a.slo)}${a.window_days !== undefined ? ` over ${a.window_days} days` : ''}, ` +
        `${fmtPct(a.budget_spent)} spent${a.source ? ` (${SPENT_SOURCE[a.source]})` : ''}, limit ${fmtPct(a.limit)} (budget file ${fmtPct(a.base_limit)})${a.exhausted ? ' — budget exhausted, only error-free runs pass' : ''}.`,
      '',
    );
    if (a.query !== undefined)
      out.push(`Error ratio ${fmtPct(a.observed_error_ratio)} over the window from Prometheus: ${mdCode(a.query)}`, '');
    if (a.fallback_reason !== undefined) out.push(`⚠️ ${mdText(a.fallback_reason)}`, '');
  }

  if (report.budget.burn_rates) out.push(...renderBurnRates(report.budget.burn_rates));

  if (report.reasons.length > 0) {
    out.push(report.verdict === 'inconclusive' ? '**Why inconclusive**' : '**Why it failed**', '');
    for (const r of report.reasons) out.push(`- ${mdText(r)}`);
    out.push('');
  }
  if (report.warnings.length > 0) {
    out.push('**Warnings**', '');
    for (const w of report.warnings) out.push(`- ${mdText(w)}`);
    out.push('');
  }

  if (report.thresholds.results.length > 0) {
    out.push(
      `<details${report.thresholds.results.some((t) => !t.ok) ? ' open' : ''}><summary>k6 thresholds${report.thresholds.ignored ? ' (not gating)' : ''}</summary>`,
      '',
    );
    out.push('| Metric | Threshold | Result |', '| --- | --- | :---: |');
    for (const t of report.thresholds.results)
      out.push(`| ${mdCode(t.metric)} | ${mdCode(t.expression)} | ${t.ok ? '✅ held' : '❌ crossed'} |`);
    out.push('', '</details>', '');
  }

  const b = report.baseline;
  if (b) {
    const verdictText = {
      regression: `**slower beyond run-to-run noise** (±${fmtPct(b.noise.band)})`,
      improvement: `faster beyond run-to-run noise (±${fmtPct(b.noise.band)})`,
      'within-noise': `within run-to-run noise (±${fmtPct(b.noise.band)})`,
    }[b.status];
    out.push(
      `**Base branch**: p95 ${fmtMs(b.p95_ms)} vs ${fmtMs(b.base_p95_ms)} at ${mdCode(shortSha(b.sha))} (${fmtChange(b.p95_change)}), ${verdictText}.` +
        ` Noise band from ${b.noise.source === 'history' ? `${b.noise.pairs} consecutive recorded runs` : 'the floor'}${b.ci_used ? '; p95 confidence intervals compared' : ''}.`,
      '',
    );
  } else if (report.run.event === 'pull_request') {
    out.push('**Base branch**: no recorded run among the merge base’s ancestors yet, nothing to compare.', '');
  }

  const chart = renderTrendChart(report, history, opts.trendPoints ?? 20);
  if (chart) out.push('**p95 trend** (default branch)', '', chart, '');

  if (report.next_release_tag) out.push(`Next release tag: ${mdCode(report.next_release_tag)}`, '');
  return out.join('\n');
}
