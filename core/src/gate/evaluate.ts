/**
 * The smoke gate: a LoadResult judged against the budget.
 *
 * - `inconclusive` when there is nothing to judge (no requests, no p95) or fewer requests than
 *   `min_requests`: a tiny sample neither passes (silent pass) nor fails (false alarm).
 * - otherwise `fail` with one reason per crossed limit: p95, error rate (optionally tightened by
 *   the error budget, see adaptive.ts, or by a fast SLO burn, see burn-rate.ts, which with
 *   `action: fail` is a reason itself), each crossed k6 threshold (unless `ignoreK6Thresholds`),
 *   the check pass rate (only when `minCheckRate` is set), a regression against the base branch
 *   (only when `failOnRegression`); `pass` when none is crossed.
 * Things worth seeing that do not gate (ignored k6 thresholds, failed checks, a regression) are
 * returned as warnings.
 */
import type { Budget } from '../budget.js';
import type { LoadResult, ThresholdResult } from '../load-result.js';
import { adaptiveErrorRateLimit, type AdaptiveLimit, type ErrorBudgetInput } from './adaptive.js';
import { assessBurnRates, type BurnRateInput, type BurnRateReport } from './burn-rate.js';
import { compareWithBaseline, DEFAULT_NOISE_FLOOR, type BaselineComparison } from './compare.js';
import { fmtChange, fmtMs, fmtPct, shortSha } from './format.js';
import type { HistoryEntry } from './history.js';
import type { Verdict } from './types.js';

export interface GateOptions {
  /** Do not fail on crossed k6 thresholds (they are still reported). */
  ignoreK6Thresholds?: boolean;
  /** Minimum share of passed k6 checks, 0..1. Unset: checks are reported, not gated. */
  minCheckRate?: number;
  /** Opt-in: tighten the error-rate limit as the SLO's error budget is spent. */
  errorBudget?: ErrorBudgetInput;
  /** Opt-in: tighten (or fail) on a fast SLO burn, warn on a slow one (see burn-rate.ts). */
  burnRates?: BurnRateInput;
  /** Fail (instead of warn) when the p95 regressed beyond noise against the base branch. */
  failOnRegression?: boolean;
  /** Smallest relative p95 change ever flagged as a regression (default 0.10). */
  noiseFloor?: number;
}

export interface GateInput {
  result: LoadResult;
  budget: Pick<Budget, 'p95_ms' | 'error_rate' | 'min_requests'>;
  /** The base branch's entry (nearest recorded ancestor of the merge base), if any. */
  baseline?: HistoryEntry | undefined;
  /** Recorded history of the default branch, oldest first, for the run-to-run noise band. */
  history?: readonly HistoryEntry[] | undefined;
  options?: GateOptions | undefined;
}

export type GateCheckId = 'requests' | 'p95' | 'error_rate' | 'k6_thresholds' | 'checks' | 'regression';

/** One row of "measured vs limit". `ok` null = not judged (no data). */
export interface GateCheck {
  id: GateCheckId;
  label: string;
  measured: number | null;
  limit: number | null;
  unit: 'ms' | 'ratio' | 'count';
  /** Direction of the limit: measured must be `<=` (or `>=`) the limit. */
  comparator: '<=' | '>=';
  ok: boolean | null;
  /** Whether crossing it fails the gate (non-gating rows are informational). */
  gating: boolean;
}

export interface GateResult {
  verdict: Verdict;
  passed: boolean;
  reasons: string[];
  warnings: string[];
  limits: { p95_ms: number; error_rate: number; min_requests: number; min_check_rate?: number };
  adaptive?: AdaptiveLimit;
  burn_rates?: BurnRateReport;
  checks: GateCheck[];
  k6_thresholds: { results: ThresholdResult[]; crossed: ThresholdResult[]; ignored: boolean };
  baseline?: BaselineComparison;
}

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

export function evaluateGate(input: GateInput): GateResult {
  const { result, budget } = input;
  const opts = input.options ?? {};
  const reasons: string[] = [];
  const warnings: string[] = [];

  const adaptive = opts.errorBudget ? adaptiveErrorRateLimit(budget.error_rate, opts.errorBudget) : undefined;
  const burn = opts.burnRates ? assessBurnRates(opts.burnRates, budget) : undefined;
  const adaptiveLimit = adaptive ? adaptive.limit : budget.error_rate;
  // Both rules only tighten: the smaller limit applies, and its rule is named when it is crossed.
  const burnDecidesErrors = burn?.tightened.error_rate !== undefined && burn.report.limits.error_rate < adaptiveLimit;
  const errorLimit = burnDecidesErrors ? burn!.report.limits.error_rate : adaptiveLimit;
  const p95Limit = burn ? burn.report.limits.p95_ms : budget.p95_ms;
  const limits: GateResult['limits'] = {
    p95_ms: p95Limit,
    error_rate: errorLimit,
    min_requests: budget.min_requests,
  };
  if (opts.minCheckRate !== undefined) limits.min_check_rate = opts.minCheckRate;

  const requests = Number.isFinite(result.requests) ? result.requests : 0;
  const p95 = finite(result.latency_ms.p95);
  const errorRate = finite(result.error_rate);
  const hasData = requests > 0 && p95 !== null && errorRate !== null;
  const enough = hasData && requests >= budget.min_requests;

  const checks: GateCheck[] = [];
  const row = (c: Omit<GateCheck, 'ok'>, ok: boolean): GateCheck => {
    const full = { ...c, ok: c.measured === null ? null : ok };
    checks.push(full);
    return full;
  };

  row(
    {
      id: 'requests',
      label: 'Requests',
      measured: requests,
      limit: budget.min_requests,
      unit: 'count',
      comparator: '>=',
      gating: true,
    },
    requests >= budget.min_requests,
  );
  const p95Row = row(
    {
      id: 'p95',
      label: p95Limit < budget.p95_ms ? 'p95 latency (burn-rate limit)' : 'p95 latency',
      measured: p95,
      limit: p95Limit,
      unit: 'ms',
      comparator: '<=',
      gating: true,
    },
    p95 !== null && p95 <= p95Limit,
  );
  const errRow = row(
    {
      id: 'error_rate',
      label: burnDecidesErrors
        ? 'Error rate (burn-rate limit)'
        : adaptive
          ? 'Error rate (adaptive limit)'
          : 'Error rate',
      measured: errorRate,
      limit: errorLimit,
      unit: 'ratio',
      comparator: '<=',
      gating: true,
    },
    errorRate !== null && errorRate <= errorLimit,
  );

  let checksRow: GateCheck | undefined;
  if (result.checks) {
    const rate = result.checks.rate;
    const gating = opts.minCheckRate !== undefined;
    checksRow = row(
      {
        id: 'checks',
        label: 'Check pass rate',
        measured: rate,
        limit: gating ? opts.minCheckRate! : 1,
        unit: 'ratio',
        comparator: '>=',
        gating,
      },
      rate >= (gating ? opts.minCheckRate! : 1),
    );
  }

  const crossed = result.thresholds.filter((t) => !t.ok);
  const ignored = opts.ignoreK6Thresholds === true;
  if (result.thresholds.length > 0) {
    row(
      {
        id: 'k6_thresholds',
        label: 'k6 thresholds crossed',
        measured: crossed.length,
        limit: 0,
        unit: 'count',
        comparator: '<=',
        gating: !ignored,
      },
      crossed.length === 0,
    );
  }

  let baseline: BaselineComparison | undefined;
  let regressionRow: GateCheck | undefined;
  if (input.baseline && p95 !== null) {
    const ci = result.p95_ci_ms;
    baseline = compareWithBaseline(
      { p95_ms: p95, p95_ci_ms: ci },
      input.baseline,
      input.history ?? [],
      opts.noiseFloor ?? DEFAULT_NOISE_FLOOR,
    );
    if (baseline) {
      regressionRow = row(
        {
          id: 'regression',
          label: 'p95 change vs base',
          measured: baseline.p95_change,
          limit: baseline.noise.band,
          unit: 'ratio',
          comparator: '<=',
          gating: opts.failOnRegression === true,
        },
        baseline.status !== 'regression',
      );
    }
  }

  // Reasons, one per crossed limit, in plain words with the numbers.
  const limitReasons: string[] = [];
  if (p95Row.ok === false) {
    const tightened = burn?.tightened.p95_ms
      ? ` (tightened from ${fmtMs(budget.p95_ms)} ${burn.tightened.p95_ms})`
      : '';
    limitReasons.push(`p95 latency ${fmtMs(p95)} is above the limit of ${fmtMs(p95Limit)}${tightened}`);
  }
  if (errRow.ok === false) {
    const tightened = burnDecidesErrors
      ? ` (tightened from ${fmtPct(budget.error_rate)} ${burn!.tightened.error_rate})`
      : adaptive && adaptive.limit < adaptive.base_limit
        ? ` (tightened from ${fmtPct(adaptive.base_limit)}: ${fmtPct(adaptive.budget_spent)} of the error budget spent)`
        : '';
    limitReasons.push(
      `error rate ${fmtPct(errorRate)} (${result.failed_requests} of ${requests} requests failed) is above the limit of ${fmtPct(errorLimit)}${tightened}`,
    );
  }
  if (burn) {
    limitReasons.push(...burn.failReasons);
    warnings.push(...burn.warnings);
  }
  for (const t of crossed) {
    const text = `k6 threshold crossed: ${t.metric} ${t.expression}`;
    if (ignored) warnings.push(`${text} (ignored by configuration)`);
    else limitReasons.push(text);
  }
  if (checksRow && checksRow.ok === false && result.checks) {
    const text = `check pass rate ${fmtPct(result.checks.rate)} (${result.checks.fails} of ${result.checks.passes + result.checks.fails} checks failed)`;
    if (checksRow.gating) limitReasons.push(`${text} is below the minimum of ${fmtPct(opts.minCheckRate)}`);
    else warnings.push(text);
  }
  if (regressionRow && regressionRow.ok === false && baseline) {
    const text = `p95 is ${fmtChange(baseline.p95_change)} against the base branch (${shortSha(baseline.sha)}: ${fmtMs(baseline.base_p95_ms)}), beyond the run-to-run noise of ±${fmtPct(baseline.noise.band)}`;
    if (regressionRow.gating) limitReasons.push(text);
    else warnings.push(text);
  }

  let verdict: Verdict;
  if (!hasData) {
    verdict = 'inconclusive';
    reasons.push(
      requests > 0
        ? `the results have ${requests} requests but no p95 latency or error rate to judge`
        : 'no HTTP requests were recorded, so there is nothing to judge',
    );
    // A crossed k6 threshold or error limit is still evidence worth seeing, though it cannot decide here.
    for (const r of limitReasons) warnings.push(`on incomplete data: ${r}`);
  } else if (!enough) {
    verdict = 'inconclusive';
    reasons.push(
      `only ${requests} requests were made; at least ${budget.min_requests} (min_requests) are needed to judge`,
    );
    // What the small sample suggests is still worth seeing, but it does not decide.
    for (const r of limitReasons) warnings.push(`on too few requests: ${r}`);
  } else if (limitReasons.length > 0) {
    verdict = 'fail';
    reasons.push(...limitReasons);
  } else {
    verdict = 'pass';
  }

  const out: GateResult = {
    verdict,
    passed: verdict === 'pass',
    reasons,
    warnings,
    limits,
    checks,
    k6_thresholds: { results: result.thresholds, crossed, ignored },
  };
  if (adaptive) out.adaptive = adaptive;
  if (burn) out.burn_rates = burn.report;
  if (baseline) out.baseline = baseline;
  return out;
}
