import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import {
  CanaryReportError,
  DEFAULT_JUDGE_SETTINGS,
  buildCanaryReport,
  decideOutcome,
  judge,
  parseCanaryReport,
  rejudge,
  renderCanaryMarkdown,
  type BuildCanaryReportInput,
  type CanaryReport,
  type IntervalSamples,
  type JudgeSettings,
  type TrackSamples,
} from '#core/canary/index.js';
import { testPlan } from './plan-fixture.js';
import { createRng } from '#core/stats/rng.js';
import { REALISTIC, simulateIntervals, type TrackShape } from '../stats/simulate.js';

const schemaPath = fileURLToPath(new URL('../../core/src/canary/canary-report.schema.json', import.meta.url));
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);

const S: JudgeSettings = { ...DEFAULT_JUDGE_SETTINGS };

/** A report as it lands on disk and is read back: through JSON. */
function roundTrip(
  intervals: IntervalSamples[],
  settings = S,
  seed = 99,
  extra: Pick<BuildCanaryReportInput, 'preconditions' | 'prometheus'> = {},
): CanaryReport {
  const j = judge(intervals, settings, seed);
  const report = buildCanaryReport({
    ...extra,
    environment: 'staging',
    sha: 'abc1234',
    source: 'synthetic',
    plan: testPlan('staging', 'abc1234', settings),
    settings,
    seed,
    intervals,
    outcome: { action: decideOutcome(j.verdict, settings), detail: 'test' },
    generatedAt: new Date('2026-11-26T23:00:00Z'),
  });
  return JSON.parse(JSON.stringify(report)) as CanaryReport;
}

const LE = [10, 20, 30, 40, 50, 75, 100, 150, 250, 450];
function binned(intervals: IntervalSamples[]): IntervalSamples[] {
  const t = (s: TrackSamples): TrackSamples => ({
    total: s.total,
    errors: s.errors,
    histogram: {
      le_ms: LE,
      cumulative: [...LE.map((le) => s.latencies_ms!.filter((x) => x <= le).length), s.latencies_ms!.length],
    },
  });
  return intervals.map((iv) => ({ index: iv.index, baseline: t(iv.baseline), canary: t(iv.canary) }));
}

const sim = (seed: number, n: number, canary: TrackShape, k = 5) =>
  simulateIntervals(createRng(seed), k, n, REALISTIC, canary);

const cases: Array<[string, () => IntervalSamples[], string]> = [
  ['healthy', () => sim(1, 300, REALISTIC), 'pass'],
  ['slow', () => sim(2, 300, { ...REALISTIC, medianMs: 60 }), 'fail'],
  ['erroring', () => sim(3, 300, { ...REALISTIC, errorRate: 0.05 }), 'fail'],
  ['aborted early', () => sim(4, 300, { ...REALISTIC, medianMs: 150 }, 1), 'fail'],
  ['too few samples', () => sim(5, 10, REALISTIC), 'inconclusive'],
  ['no data', () => [], 'inconclusive'],
  ['histograms', () => binned(sim(6, 300, { ...REALISTIC, medianMs: 70 })), 'fail'],
];

/** Valid against the schema, with the verdict given, and re-judged from its own data to the same verdict and reasons. */
function expectConsistent(report: CanaryReport, verdict: string): ReturnType<typeof rejudge> {
  expect(validate(report)).toBe(true);
  expect(validate.errors ?? []).toEqual([]);
  expect(report.verdict).toBe(verdict);
  const r = rejudge(parseCanaryReport(report));
  expect(r.differences).toEqual([]);
  expect(r.verdict).toBe(verdict);
  expect(r.reasons).toEqual(report.reasons);
  return r;
}

describe('canary report v1', () => {
  it.each(cases)('%s: valid against the JSON Schema, and re-judging agrees', (_name, make, verdict) => {
    const report = roundTrip(make());
    const again = expectConsistent(report, verdict);
    expect(again.agrees).toBe(true);
    expect(again.judgement.verdict).toBe(verdict);
    expect(JSON.parse(JSON.stringify(again.judgement))).toEqual(report.judgement);
  });

  it('re-judging catches a report whose data no longer support its verdict', () => {
    const report = roundTrip(sim(7, 300, REALISTIC));
    expect(report.verdict).toBe('pass');
    const tampered = structuredClone(report);
    for (const iv of tampered.intervals) iv.canary.latencies_ms = iv.canary.latencies_ms!.map((x) => x * 2);
    const r = rejudge(tampered);
    expect(r.agrees).toBe(false);
    expect(r.differences[0]).toBe('verdict: recorded pass, recomputed fail');
    expect(r.differences[1]).toBe('synthetic verdict: recorded pass, recomputed fail');
    expect(r.differences.some((d) => d.startsWith('canary p95: recorded'))).toBe(true);
  });

  it('the schema rejects what it must', () => {
    const report = roundTrip(sim(8, 300, REALISTIC));
    const bad = (mutate: (r: Record<string, unknown>) => void) => {
      const r = structuredClone(report) as unknown as Record<string, unknown>;
      mutate(r);
      return validate(r);
    };
    expect(bad((r) => delete r.seed)).toBe(false);
    expect(bad((r) => (r.verdict = 'maybe'))).toBe(false);
    expect(
      bad((r) => ((r.intervals as IntervalSamples[])[0]!.canary.histogram = { le_ms: [1], cumulative: [1, 1] })),
    ).toBe(false);
    expect(bad((r) => ((r.settings as JudgeSettings).multipleTesting = 'none' as never))).toBe(false);
    expect(bad((r) => (r.extra = 1))).toBe(false);
  });

  it('parseCanaryReport: one-line errors for files that are not canary reports', () => {
    expect(() => parseCanaryReport([], 'r.json')).toThrow(new CanaryReportError('r.json: expected a JSON object'));
    expect(() => parseCanaryReport({ kind: 'smoke' }, 'r.json')).toThrow(
      'r.json: "kind" must be "canary", got "smoke"',
    );
    const report = roundTrip(sim(9, 60, REALISTIC, 1), { ...S, intervals: 1 });
    expect(() => parseCanaryReport({ ...report, schema_version: 2 })).toThrow(/unsupported schema_version 2/);
    expect(() => parseCanaryReport({ ...report, settings: { ...report.settings, alpha: 0 } })).toThrow(
      /judge setting "alpha"/,
    );
    expect(() => rejudge({ ...report, intervals: [{ index: 3 }] as never })).toThrow(CanaryReportError);
  });

  it('renders the per-metric table, estimates, per-interval table and Mermaid charts', () => {
    const report = roundTrip(sim(10, 300, { ...REALISTIC, medianMs: 60 }));
    const md = renderCanaryMarkdown(report);
    expect(md).toMatch(/^## Canary ❌ FAIL: `staging` @ `abc1234`/);
    expect(md).toContain('Outcome: **rolled back** (test)');
    expect(md).toContain('| metric | status | why |');
    for (const m of report.judgement.metrics) expect(md).toContain(`| ${m.metric} | `);
    expect(md).toMatch(
      /\| p95 \(ms\) \| \d+\.\d \| \d+\.\d \| \+\d+\.\d\d% \(95% CI \+\d+\.\d\d% to \+\d+\.\d\d%\); tail test p = [\d.e-]+ \|/,
    );
    expect(md.match(/```mermaid\nxychart-beta\n/g)).toHaveLength(2);
    const p95Line = `  line [${report.judgement.intervals.map((iv) => Number(iv.canary.p95_ms!.toFixed(2))).join(', ')}]`;
    expect(md).toContain(p95Line);
    expect(md).toContain('x-axis "interval" ["1", "2", "3", "4", "5"]');
    expect(renderCanaryMarkdown(roundTrip([]))).not.toContain('mermaid');
  });
});

describe('the report carries one final verdict: synthetic judgement, Prometheus judgement and preconditions', () => {
  const ready = { step: 'deploy' as const, ok: true, reason: 'canary deployed at http://127.0.0.1:1' };
  const promPart = (intervals: IntervalSamples[], error: string | null = null) => ({
    queries: ['sum by (le) (increase(http_request_duration_seconds_bucket{track="canary"}[2s]))'],
    intervals,
    error,
    baseline_p95_ms: null,
    canary_p95_ms: null,
  });
  const healthy = () => sim(11, 300, REALISTIC);
  const slowHistograms = () => binned(sim(12, 300, { ...REALISTIC, medianMs: 70 }));

  it('a healthy synthetic judgement with a failing Prometheus judgement is a fail, and rejudge recomputes both', () => {
    const report = roundTrip(healthy(), S, 99, { preconditions: [ready], prometheus: promPart(slowHistograms()) });
    expect(report.judgement.verdict).toBe('pass');
    expect(report.prometheus?.judgement?.verdict).toBe('fail');
    expectConsistent(report, 'fail');
    expect(report.reasons.at(-1)).toMatch(/^Prometheus histograms: fail \(/);

    // Tampering with the top-level decision, or with the Prometheus data behind it, is caught.
    expect(rejudge({ ...report, verdict: 'pass' }).differences).toEqual(['verdict: recorded pass, recomputed fail']);
    const faster = structuredClone(report);
    faster.prometheus!.intervals = binned(healthy());
    const r = rejudge(faster);
    expect(r.agrees).toBe(false);
    expect(r.differences).toEqual([
      'verdict: recorded fail, recomputed pass',
      'Prometheus verdict: recorded fail, recomputed pass',
    ]);
  });

  it('Prometheus failing mid-run makes a healthy run inconclusive, with the error as the reason', () => {
    const error = 'Prometheus at http://127.0.0.1:9 is unreachable (ECONNREFUSED)';
    const report = roundTrip(healthy(), S, 99, { preconditions: [ready], prometheus: promPart([], error) });
    expect(report.prometheus?.judgement).toBeNull();
    expectConsistent(report, 'inconclusive');
    expect(report.reasons).toContain(`Prometheus histograms: inconclusive (${error})`);
    expect(renderCanaryMarkdown(report)).toContain(
      `| Prometheus histograms | ⚠️ inconclusive | no judgement: ${error} |`,
    );
  });

  it('a failed precondition is a fail whatever the (empty) data say, and is the only reason', () => {
    const never = { step: 'readiness' as const, ok: false, reason: 'the canary never became ready: 5 probes' };
    const report = roundTrip([], S, 99, { preconditions: [ready, never], prometheus: null });
    expect(report.judgement.verdict).toBe('inconclusive');
    expectConsistent(report, 'fail');
    expect(report.reasons).toEqual([never.reason]);
    const md = renderCanaryMarkdown(report);
    expect(md).toMatch(/^## Canary ❌ FAIL: /);
    expect(md).toContain(`| readiness | ❌ fail | ${never.reason} |`);
    expect(md).toContain('| synthetic traffic | ⚠️ inconclusive |');

    const hidden = structuredClone(report);
    hidden.preconditions![1]!.ok = true;
    expect(rejudge(hidden).differences).toEqual(['verdict: recorded fail, recomputed inconclusive']);
  });

  it('a failed promote after a passing judgement is a fail, with the synthetic reasons kept', () => {
    const promote = { step: 'promote' as const, ok: false, reason: 'promote failed: exit 1' };
    const report = roundTrip(healthy(), S, 99, { preconditions: [ready, promote] });
    expectConsistent(report, 'fail');
    expect(report.reasons[0]).toBe(promote.reason);
    expect(report.reasons.slice(1)).toEqual(report.judgement.reasons);
  });

  it('a report without the parts (written before they were recorded) re-judges as its synthetic judgement', () => {
    const report = roundTrip(healthy()) as Partial<CanaryReport>;
    delete report.preconditions;
    delete report.prometheus;
    expect(validate(report)).toBe(true);
    expect(rejudge(parseCanaryReport(report)).agrees).toBe(true);
  });

  it('the schema rejects a malformed part', () => {
    const report = roundTrip(healthy(), S, 99, { preconditions: [ready], prometheus: promPart([], 'down') });
    const r1 = structuredClone(report) as unknown as { preconditions: Array<Record<string, unknown>> };
    r1.preconditions[0]!.step = 'pray';
    expect(validate(r1)).toBe(false);
    const r2 = structuredClone(report) as unknown as { prometheus: Record<string, unknown> };
    delete r2.prometheus.error;
    expect(validate(r2)).toBe(false);
  });
});
