/**
 * The canary report (schema v1, `canary-report.schema.json` beside this file): a re-checkable
 * decision record. Everything the judge needs is inside, so `rejudge` recomputes the verdict
 * from the file alone.
 */
import { validateJudgeSettings } from './defaults.js';
import { finalVerdict } from './final.js';
import { judge } from './judge.js';
import type {
  CanaryJudgement,
  CanaryReport,
  IntervalSamples,
  JudgeSettings,
  Precondition,
  PrometheusPart,
  RejudgeResult,
} from './types.js';

export class CanaryReportError extends Error {
  override name = 'CanaryReportError';
}

/** The report's recorded inputs as they are (preconditions default to none); the judgements and verdict are computed. */
export interface BuildCanaryReportInput extends Pick<
  CanaryReport,
  | 'environment'
  | 'sha'
  | 'source'
  | 'queries'
  | 'plan'
  | 'settings'
  | 'seed'
  | 'intervals'
  | 'outcome'
  | 'preconditions'
  | 'sides'
> {
  /** The Prometheus histograms when the run had a Prometheus (judged here with the same settings and seed). */
  prometheus?: Omit<PrometheusPart, 'judgement'> | null;
  /** Defaults to now. */
  generatedAt?: Date;
}

/** Judges the intervals (so the recorded judgement is exactly what `rejudge` will recompute) and assembles the report. */
export function buildCanaryReport(input: BuildCanaryReportInput): CanaryReport {
  // A JSON round trip now: NaN/Infinity become null here rather than surprising a reader later.
  const j = jsonCopy(judge(input.intervals, input.settings, input.seed));
  const preconditions = input.preconditions ?? [];
  const p = input.prometheus ?? null;
  const prometheus: PrometheusPart | null = p && {
    ...p,
    judgement: p.error === null ? jsonCopy(judge(p.intervals, input.settings, input.seed)) : null,
  };
  const final = finalVerdict({ synthetic: j, prometheus, preconditions });
  return {
    schema_version: 1,
    kind: 'canary',
    generated_at: (input.generatedAt ?? new Date()).toISOString(),
    environment: input.environment,
    sha: input.sha,
    source: input.source,
    ...(input.queries && { queries: input.queries }),
    plan: input.plan,
    settings: { ...input.settings },
    seed: input.seed,
    intervals: input.intervals,
    judgement: j,
    preconditions,
    prometheus,
    verdict: final.verdict,
    reasons: final.reasons,
    baseline_p95_ms: j.baseline_p95_ms,
    canary_p95_ms: j.canary_p95_ms,
    outcome: input.outcome,
    ...(input.sides && { sides: input.sides }),
  };
}

/**
 * Checks the parts of a parsed JSON value that `rejudge` and the renderer rely on, throwing a
 * one-line CanaryReportError (the full JSON Schema is checked in the tests with ajv).
 */
export function parseCanaryReport(raw: unknown, file = 'canary report'): CanaryReport {
  const fail = (msg: string): never => {
    throw new CanaryReportError(`${file}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('expected a JSON object');
  const r = raw as Record<string, unknown>;
  if (r.kind !== 'canary') fail(`"kind" must be "canary", got ${JSON.stringify(r.kind)}`);
  if (r.schema_version !== 1) fail(`unsupported schema_version ${JSON.stringify(r.schema_version)} (expected 1)`);
  if (typeof r.seed !== 'number' || !Number.isFinite(r.seed)) fail('"seed" must be a number');
  if (!Array.isArray(r.intervals)) fail('"intervals" must be an array');
  if (typeof r.settings !== 'object' || r.settings === null) fail('"settings" must be an object');
  try {
    validateJudgeSettings(r.settings as JudgeSettings);
  } catch (err) {
    fail((err as Error).message);
  }
  if (!['pass', 'fail', 'inconclusive'].includes(r.verdict as string))
    fail(`"verdict" must be pass, fail or inconclusive, got ${JSON.stringify(r.verdict)}`);
  if (typeof r.judgement !== 'object' || r.judgement === null) fail('"judgement" must be an object');
  if (
    r.preconditions !== undefined &&
    !(
      Array.isArray(r.preconditions) &&
      r.preconditions.every(
        (p: unknown) =>
          typeof p === 'object' &&
          p !== null &&
          typeof (p as Precondition).ok === 'boolean' &&
          typeof (p as Precondition).reason === 'string',
      )
    )
  )
    fail('"preconditions" must be an array of {step, ok, reason}');
  if (r.prometheus !== undefined && r.prometheus !== null) {
    const pr = r.prometheus as Partial<PrometheusPart>;
    if (typeof pr !== 'object' || !Array.isArray(pr.intervals)) fail('"prometheus.intervals" must be an array');
    if (pr.error !== null && typeof pr.error !== 'string') fail('"prometheus.error" must be a string or null');
  }
  for (const k of ['environment', 'sha', 'generated_at'] as const)
    if (typeof r[k] !== 'string') fail(`"${k}" must be a string`);
  return raw as CanaryReport;
}

const close = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));

const jsonCopy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

const rejudgeIntervals = (what: string, intervals: IntervalSamples[], report: CanaryReport): CanaryJudgement => {
  try {
    return judge(intervals, report.settings, report.seed);
  } catch (err) {
    throw new CanaryReportError(`cannot re-judge the report's ${what}: ${(err as Error).message}`);
  }
};

/**
 * Recomputes the synthetic and Prometheus judgements from the report's own settings, seed and
 * interval data, combines them with the recorded preconditions into the final verdict, and
 * compares everything with what was recorded.
 */
export function rejudge(report: CanaryReport): RejudgeResult {
  const judgement = rejudgeIntervals('intervals', report.intervals, report);
  const p = report.prometheus ?? null;
  const prometheus = p && p.error === null ? rejudgeIntervals('Prometheus intervals', p.intervals, report) : null;
  const final = finalVerdict({
    synthetic: judgement,
    prometheus: p && { judgement: prometheus, error: p.error },
    preconditions: report.preconditions ?? [],
  });
  const differences: string[] = [];
  if (final.verdict !== report.verdict)
    differences.push(`verdict: recorded ${report.verdict}, recomputed ${final.verdict}`);
  if (judgement.verdict !== report.judgement.verdict)
    differences.push(`synthetic verdict: recorded ${report.judgement.verdict}, recomputed ${judgement.verdict}`);
  if (!close(judgement.baseline_p95_ms, report.baseline_p95_ms))
    differences.push(`baseline p95: recorded ${report.baseline_p95_ms}, recomputed ${judgement.baseline_p95_ms}`);
  if (!close(judgement.canary_p95_ms, report.canary_p95_ms))
    differences.push(`canary p95: recorded ${report.canary_p95_ms}, recomputed ${judgement.canary_p95_ms}`);
  if (judgement.early_abort.aborted !== report.judgement.early_abort?.aborted)
    differences.push(
      `early abort: recorded ${report.judgement.early_abort?.aborted}, recomputed ${judgement.early_abort.aborted}`,
    );
  if (p && (prometheus?.verdict ?? null) !== (p.judgement?.verdict ?? null))
    differences.push(
      `Prometheus verdict: recorded ${p.judgement?.verdict ?? 'none'}, recomputed ${prometheus?.verdict ?? 'none'}`,
    );
  return {
    judgement,
    prometheus,
    verdict: final.verdict,
    reasons: final.reasons,
    recorded_verdict: report.verdict,
    agrees: differences.length === 0,
    differences,
  };
}
