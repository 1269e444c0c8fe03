/**
 * SmokeReport v1: the versioned JSON written to `reports/performance/smoke-summary.json`, the
 * source of the job summary and PR comment. JSON Schema: `smoke-report.schema.json` (beside this
 * file). Numbers that cannot be measured are `null` (JSON has no NaN).
 */
import type { Budget } from '../budget.js';
import type { K6Format, LoadResult, ThresholdResult } from '../load-result.js';
import type { AdaptiveLimit } from './adaptive.js';
import type { BurnRateReport } from './burn-rate.js';
import type { BaselineComparison } from './compare.js';
import type { GateCheck, GateResult } from './evaluate.js';
import type { HistoryEntry } from './history.js';
import type { Verdict } from './types.js';

export const SMOKE_REPORT_SCHEMA_VERSION = 1;

export interface RunInfo {
  /** GitHub run id, or `local` for `npm run smoke`. */
  id?: string;
  attempt?: number;
  url?: string;
  workflow?: string;
  job?: string;
  /** Event that triggered the run: `pull_request`, `push`, `local`, ... */
  event?: string;
  pr_number?: number;
  repository?: string;
}

export interface SmokeReport {
  schema_version: typeof SMOKE_REPORT_SCHEMA_VERSION;
  kind: 'smoke';
  commit: string;
  ref: string;
  /** ISO-8601 time the report was built. */
  time: string;
  run: RunInfo;
  source: { format: K6Format; file?: string; k6_version?: string };
  budget: {
    p95_ms: number;
    error_rate: number;
    min_requests: number;
    /** The error-rate limit actually applied (differs from error_rate when adaptive or burning). */
    error_rate_limit: number;
    /** The p95 limit actually applied (differs from p95_ms on a fast latency burn). */
    p95_ms_limit: number;
    min_check_rate: number | null;
    adaptive: AdaptiveLimit | null;
    burn_rates: BurnRateReport | null;
  };
  measured: {
    requests: number;
    failed_requests: number;
    error_rate: number | null;
    p95_ms: number | null;
    p95_ci_ms: [number, number] | null;
    p90_ms: number | null;
    med_ms: number | null;
    avg_ms: number | null;
    max_ms: number | null;
    duration_s: number | null;
  };
  checks: { passes: number; fails: number; rate: number } | null;
  thresholds: { results: ThresholdResult[]; ignored: boolean };
  gate_checks: GateCheck[];
  baseline: BaselineComparison | null;
  verdict: Verdict;
  passed: boolean;
  reasons: string[];
  warnings: string[];
  next_release_tag: string | null;
}

export interface BuildSmokeReportInput {
  result: LoadResult;
  gate: GateResult;
  budget: Pick<Budget, 'p95_ms' | 'error_rate' | 'min_requests'>;
  commit: string;
  ref: string;
  run?: RunInfo;
  /** Defaults to now. */
  time?: Date;
  nextReleaseTag?: string | undefined;
}

const n = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

export function buildSmokeReport(input: BuildSmokeReportInput): SmokeReport {
  const { result, gate, budget } = input;
  const l = result.latency_ms;
  return {
    schema_version: SMOKE_REPORT_SCHEMA_VERSION,
    kind: 'smoke',
    commit: input.commit,
    ref: input.ref,
    time: (input.time ?? new Date()).toISOString(),
    run: input.run ?? {},
    source: { ...result.source },
    budget: {
      p95_ms: budget.p95_ms,
      error_rate: budget.error_rate,
      min_requests: budget.min_requests,
      error_rate_limit: gate.limits.error_rate,
      p95_ms_limit: gate.limits.p95_ms,
      min_check_rate: gate.limits.min_check_rate ?? null,
      adaptive: gate.adaptive ?? null,
      burn_rates: gate.burn_rates ?? null,
    },
    measured: {
      requests: result.requests,
      failed_requests: result.failed_requests,
      error_rate: n(result.error_rate),
      p95_ms: n(l.p95),
      p95_ci_ms: result.p95_ci_ms ? [result.p95_ci_ms[0], result.p95_ci_ms[1]] : null,
      p90_ms: n(l.p90),
      med_ms: n(l.med),
      avg_ms: n(l.avg),
      max_ms: n(l.max),
      duration_s: n(result.duration_s),
    },
    checks: result.checks ? { ...result.checks } : null,
    thresholds: { results: result.thresholds.map((t) => ({ ...t })), ignored: gate.k6_thresholds.ignored },
    gate_checks: gate.checks.map((c) => ({ ...c })),
    baseline: gate.baseline ?? null,
    verdict: gate.verdict,
    passed: gate.passed,
    reasons: [...gate.reasons],
    warnings: [...gate.warnings],
    next_release_tag: input.nextReleaseTag ?? null,
  };
}

/** The history entry a report contributes when it runs on the default branch. */
export function historyEntryFromReport(report: SmokeReport): HistoryEntry {
  const e: HistoryEntry = {
    sha: report.commit.toLowerCase(),
    ref: report.ref,
    time: report.time,
    p95_ms: report.measured.p95_ms,
    error_rate: report.measured.error_rate,
    requests: report.measured.requests,
    verdict: report.verdict,
  };
  if (report.measured.p95_ci_ms) e.p95_ci_ms = report.measured.p95_ci_ms;
  return e;
}
