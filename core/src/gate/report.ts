/**
 * SmokeReport v1: the versioned JSON written to `reports/performance/smoke-summary.json`, the
 * source of the job summary and PR comment. JSON Schema: `smoke-report.schema.json` (beside this
 * file). Numbers that cannot be measured are `null` (JSON has no NaN).
 */
import type { Budget } from '../budget.js';
import type { EndpointResult, LoadResult, ResultPart, SourceFormat, ThresholdResult } from '../load-result.js';
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

/** One endpoint's row in the report: unknown numbers are null. */
export interface EndpointRow {
  name: string;
  requests: number | null;
  failed_requests: number | null;
  error_rate: number | null;
  p95_ms: number | null;
  p95_range_ms: [number, number] | null;
  /** The limits applied to it: its own from the budget's endpoints, else the run's. */
  limits: { p95_ms: number; error_rate: number; own: boolean };
}

export interface SmokeReport {
  schema_version: typeof SMOKE_REPORT_SCHEMA_VERSION;
  kind: 'smoke';
  commit: string;
  ref: string;
  /** ISO-8601 time the report was built. */
  time: string;
  run: RunInfo;
  source: { format: SourceFormat; file?: string; k6_version?: string };
  /** The files combined into this result, when there were several (empty for one). */
  parts: (Omit<ResultPart, 'p95_ms'> & { p95_ms: number | null })[];
  /** How several files were combined, in one sentence; null for one. */
  combination: string | null;
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
    /** Several summaries combined: the p95 over all requests lies in this interval (p95_ms is then null). */
    p95_range_ms: [number, number] | null;
    /** More than 10 million samples: percentiles from a histogram, within this relative error; null when exact. */
    percentile_error_bound: number | null;
    p90_ms: number | null;
    med_ms: number | null;
    avg_ms: number | null;
    max_ms: number | null;
    duration_s: number | null;
  };
  checks: { passes: number; fails: number; rate: number } | null;
  /** Per endpoint, where the output names requests; most over its limits first (see rankEndpoints). */
  endpoints: EndpointRow[];
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
  budget: Pick<Budget, 'p95_ms' | 'error_rate' | 'min_requests'> & Partial<Pick<Budget, 'endpoints'>>;
  commit: string;
  ref: string;
  run?: RunInfo;
  /** Defaults to now. */
  time?: Date;
  nextReleaseTag?: string | undefined;
}

const n = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/** How much of its limits an endpoint uses: the larger of p95 / p95 limit and error rate / error-rate limit. */
function limitShare(e: EndpointRow): number {
  const p95 = e.p95_ms ?? e.p95_range_ms?.[1] ?? 0;
  return Math.max(p95 / e.limits.p95_ms, (e.error_rate ?? 0) / e.limits.error_rate);
}

/**
 * Endpoint rows sorted by what matters most: the largest share of its limits first (an endpoint over
 * its p95 or error-rate limit is above 1), then the most requests.
 */
export function rankEndpoints(
  endpoints: readonly EndpointResult[],
  budget: BuildSmokeReportInput['budget'],
  errorRateLimit: number,
): EndpointRow[] {
  const rows = endpoints.map((e): EndpointRow => {
    const own = budget.endpoints?.[e.name];
    return {
      name: e.name,
      requests: e.requests ?? null,
      failed_requests: e.failed_requests ?? null,
      error_rate: n(e.error_rate),
      p95_ms: n(e.p95_ms),
      p95_range_ms: e.p95_range_ms ? [e.p95_range_ms[0], e.p95_range_ms[1]] : null,
      limits: {
        p95_ms: own?.p95_ms ?? budget.p95_ms,
        error_rate: own?.error_rate ?? errorRateLimit,
        own: own !== undefined,
      },
    };
  });
  return rows.sort(
    (a, b) => limitShare(b) - limitShare(a) || (b.requests ?? 0) - (a.requests ?? 0) || a.name.localeCompare(b.name),
  );
}

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
    parts: (result.parts ?? []).map((p) => ({ ...p, p95_ms: n(p.p95_ms) })),
    combination: result.combination ?? null,
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
      p95_range_ms: result.p95_range_ms ? [result.p95_range_ms[0], result.p95_range_ms[1]] : null,
      percentile_error_bound: result.percentile_error_bound ?? null,
      p90_ms: n(l.p90),
      med_ms: n(l.med),
      avg_ms: n(l.avg),
      max_ms: n(l.max),
      duration_s: n(result.duration_s),
    },
    checks: result.checks ? { ...result.checks } : null,
    endpoints: rankEndpoints(result.endpoints ?? [], budget, gate.limits.error_rate),
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
