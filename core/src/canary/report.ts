/**
 * The canary report (schema v1, `canary-report.schema.json` beside this file): a re-checkable
 * decision record. Everything the judge needs is inside, so `rejudge` recomputes the verdict
 * from the file alone.
 */
import { validateJudgeSettings } from './defaults.js';
import { judge } from './judge.js';
import type { CanaryAction, CanaryReport, IntervalSamples, JudgeSettings, RejudgeResult } from './types.js';

export class CanaryReportError extends Error {
  override name = 'CanaryReportError';
}

export interface BuildCanaryReportInput {
  environment: string;
  sha: string;
  source: 'synthetic' | 'prometheus';
  queries?: string[];
  plan: Record<string, unknown>;
  settings: JudgeSettings;
  seed: number;
  intervals: IntervalSamples[];
  outcome: { action: CanaryAction; detail?: string };
  /** Defaults to now. */
  generatedAt?: Date;
}

/** Judges the intervals (so the recorded judgement is exactly what `rejudge` will recompute) and assembles the report. */
export function buildCanaryReport(input: BuildCanaryReportInput): CanaryReport {
  const judgement = judge(input.intervals, input.settings, input.seed);
  // A JSON round trip now: NaN/Infinity become null here rather than surprising a reader later.
  const j = JSON.parse(JSON.stringify(judgement)) as typeof judgement;
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
    verdict: j.verdict,
    reasons: j.reasons,
    baseline_p95_ms: j.baseline_p95_ms,
    canary_p95_ms: j.canary_p95_ms,
    outcome: input.outcome,
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
  for (const k of ['environment', 'sha', 'generated_at'] as const)
    if (typeof r[k] !== 'string') fail(`"${k}" must be a string`);
  return raw as CanaryReport;
}

const close = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));

/** Recomputes the judgement from the report's own settings, seed and interval data, and compares it with the recorded one. */
export function rejudge(report: CanaryReport): RejudgeResult {
  let judgement;
  try {
    judgement = judge(report.intervals, report.settings, report.seed);
  } catch (err) {
    throw new CanaryReportError(`cannot re-judge the report: ${(err as Error).message}`);
  }
  const differences: string[] = [];
  if (judgement.verdict !== report.verdict)
    differences.push(`verdict: recorded ${report.verdict}, recomputed ${judgement.verdict}`);
  if (!close(judgement.baseline_p95_ms, report.baseline_p95_ms))
    differences.push(`baseline p95: recorded ${report.baseline_p95_ms}, recomputed ${judgement.baseline_p95_ms}`);
  if (!close(judgement.canary_p95_ms, report.canary_p95_ms))
    differences.push(`canary p95: recorded ${report.canary_p95_ms}, recomputed ${judgement.canary_p95_ms}`);
  if (judgement.early_abort.aborted !== report.judgement.early_abort?.aborted)
    differences.push(
      `early abort: recorded ${report.judgement.early_abort?.aborted}, recomputed ${judgement.early_abort.aborted}`,
    );
  return { judgement, recorded_verdict: report.verdict, agrees: differences.length === 0, differences };
}
