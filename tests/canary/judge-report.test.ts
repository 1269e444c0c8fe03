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
  type CanaryReport,
  type IntervalSamples,
  type JudgeSettings,
  type TrackSamples,
} from '../../core/src/canary/index.js';
import { createRng } from '../../core/src/stats/rng.js';
import { REALISTIC, simulateIntervals, type TrackShape } from '../stats/simulate.js';

const schemaPath = fileURLToPath(new URL('../../core/src/canary/canary-report.schema.json', import.meta.url));
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);

const S: JudgeSettings = { ...DEFAULT_JUDGE_SETTINGS };

/** A report as it lands on disk and is read back: through JSON. */
function roundTrip(intervals: IntervalSamples[], settings = S, seed = 99): CanaryReport {
  const j = judge(intervals, settings, seed);
  const report = buildCanaryReport({
    environment: 'staging',
    sha: 'abc1234',
    source: 'synthetic',
    plan: { deployer: 'local', note: 'opaque to the judge' },
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

describe('canary report v1', () => {
  it.each(cases)('%s: valid against the JSON Schema, and re-judging agrees', (_name, make, verdict) => {
    const report = roundTrip(make());
    expect(validate(report)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
    expect(report.verdict).toBe(verdict);
    const again = rejudge(parseCanaryReport(report));
    expect(again.differences).toEqual([]);
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
