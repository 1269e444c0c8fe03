/**
 * Adaptive error-rate limit driven by an SLO's error budget (opt-in).
 *
 * An SLO of 99 % over 30 days allows 1 % of requests to fail in that window: that 1 % is the
 * error budget. The more of it is already spent, the less a new change may add, so the smoke
 * gate's error-rate limit shrinks in proportion to the budget that remains:
 *
 *   allowed   = 1 - slo                              (the whole budget as a rate)
 *   remaining = clamp(1 - spent, 0, 1)               (fraction of the budget still unspent)
 *   limit     = min(budget.error_rate, remaining * allowed)
 *
 * Worked example: budget file `error_rate` 0.01, SLO 0.99 (allowed 0.01).
 *   - spent 0.25 -> remaining 0.75 -> limit min(0.01, 0.0075) = 0.0075 (0.75 %)
 *   - spent 0.90 -> remaining 0.10 -> limit 0.001: a 672-request smoke may fail at most 0 requests
 *     (1 failure is 0.149 % > 0.1 %), a 4000-request smoke at most 4
 *   - spent 1.00 or more -> exhausted -> limit 0: only a run with zero failed requests passes
 * With a looser SLO (0.95, allowed 0.05) and little spent, the budget file's 1 % stays the limit:
 * the adaptive rule only ever tightens, never loosens, the budget file.
 *
 * Where "spent" comes from (first that is known wins): the `error-budget-spent` input, then
 * Prometheus (the error ratio observed over the SLO window, see `budgetSpentFromErrorRatio`),
 * then the gate's own recorded runs (`budgetSpentFromHistory`).
 */
import { errorRatioQuery } from './burn-rate.js';
import type { HistoryEntry } from './history.js';

/** Where the spent fraction came from: an explicit input, a Prometheus query, or the p95 history. */
export type BudgetSpentSource = 'input' | 'prometheus' | 'history';

export interface ErrorBudgetInput {
  /** Target success ratio, e.g. 0.99. */
  slo: number;
  /** Fraction (0..1, more means over-spent) of the window's error budget already used. */
  budgetSpent: number;
  /** SLO window, informational (shown in reports). */
  windowDays?: number;
  /** Provenance, recorded in the report as is. */
  source?: BudgetSpentSource;
  /** The PromQL that measured the error ratio (source `prometheus`). */
  query?: string;
  /** The error ratio that query returned, before it was turned into a spent fraction. */
  observedErrorRatio?: number;
  /** Why a preferred source was not used (e.g. Prometheus unreachable, so the history was). */
  fallbackReason?: string;
}

export interface AdaptiveLimit {
  slo: number;
  window_days?: number;
  budget_spent: number;
  remaining: number;
  /** The budget file's error-rate limit before adaptation. */
  base_limit: number;
  /** The limit the gate applies. */
  limit: number;
  exhausted: boolean;
  source?: BudgetSpentSource;
  query?: string;
  observed_error_ratio?: number;
  fallback_reason?: string;
}

export class AdaptiveBudgetError extends Error {
  override name = 'AdaptiveBudgetError';
}

export function adaptiveErrorRateLimit(baseLimit: number, input: ErrorBudgetInput): AdaptiveLimit {
  const { slo, budgetSpent } = input;
  if (!(slo > 0 && slo < 1)) throw new AdaptiveBudgetError(`SLO must be a ratio in (0, 1), e.g. 0.99; got ${slo}`);
  if (!(Number.isFinite(budgetSpent) && budgetSpent >= 0)) {
    throw new AdaptiveBudgetError(`error budget spent must be a fraction >= 0 (1 = all spent); got ${budgetSpent}`);
  }
  if (!(baseLimit >= 0 && baseLimit <= 1))
    throw new AdaptiveBudgetError(`base error-rate limit must be in [0, 1]; got ${baseLimit}`);
  const remaining = Math.min(1, Math.max(0, 1 - budgetSpent));
  const limit = Math.min(baseLimit, remaining * (1 - slo));
  const out: AdaptiveLimit = {
    slo,
    budget_spent: budgetSpent,
    remaining,
    base_limit: baseLimit,
    limit,
    exhausted: remaining === 0,
  };
  if (input.windowDays !== undefined) out.window_days = input.windowDays;
  if (input.source !== undefined) out.source = input.source;
  if (input.query !== undefined) out.query = input.query;
  if (input.observedErrorRatio !== undefined) out.observed_error_ratio = input.observedErrorRatio;
  if (input.fallbackReason !== undefined) out.fallback_reason = input.fallbackReason;
  return out;
}

/**
 * Error budget spent from the error ratio a monitoring system observed over the whole SLO window:
 *
 *   spent = clamp(observed / (1 - slo), 0, 1)
 *
 * Worked example: SLO 0.99 (allowed 1 %), Prometheus reports 0.004 of requests failed over 30
 * days -> spent 0.4 -> remaining 0.6 -> with a budget file `error_rate` 0.01 the gate allows
 * min(0.01, 0.6 * 0.01) = 0.6 %. An observed 2 % is clamped to spent 1 (exhausted, limit 0).
 * Clamped because past "all spent" the rule already allows nothing, and an instant ratio is
 * never below 0 except through float noise.
 */
export function budgetSpentFromErrorRatio(observedErrorRatio: number, slo: number): number {
  if (!(slo > 0 && slo < 1)) throw new AdaptiveBudgetError(`SLO must be a ratio in (0, 1); got ${slo}`);
  if (!Number.isFinite(observedErrorRatio))
    throw new AdaptiveBudgetError(`observed error ratio must be a finite number; got ${observedErrorRatio}`);
  return Math.min(1, Math.max(0, observedErrorRatio / (1 - slo)));
}

/**
 * The ratio in an instant query's answer: exactly one sample in [0, 1]. Anything else is a
 * problem described in one line (the caller falls back to another source instead of guessing).
 * `what` names the ratio in that line.
 */
export function ratioFromSamples(
  samples: ReadonlyArray<{ value: number }>,
  what: string,
): { ratio: number } | { problem: string } {
  if (samples.length === 0) return { problem: 'returned no data (no requests in the window?)' };
  if (samples.length > 1)
    return { problem: `returned ${samples.length} series; it must aggregate to one number, e.g. sum(...) / sum(...)` };
  const v = samples[0]!.value;
  if (Number.isNaN(v)) return { problem: 'returned NaN (no requests in the window?)' };
  if (!(v >= 0 && v <= 1)) return { problem: `returned ${v}, which is not ${what} in [0, 1]` };
  return { ratio: v };
}

/** The error ratio of the error-budget query's answer (see `ratioFromSamples`). */
export function errorRatioFromSamples(
  samples: ReadonlyArray<{ value: number }>,
): { ratio: number } | { problem: string } {
  return ratioFromSamples(samples, 'an error ratio');
}

/** A PromQL range duration for a window in days: whole days as `30d`, anything else in seconds. */
export function promDuration(windowDays: number): string {
  if (!(windowDays > 0)) throw new AdaptiveBudgetError(`SLO window must be > 0 days; got ${windowDays}`);
  return Number.isInteger(windowDays) ? `${windowDays}d` : `${Math.max(1, Math.round(windowDays * 86_400))}s`;
}

/** The service's error ratio over the SLO window (all tenants), the burn rates' query over 30 days. */
export function defaultErrorBudgetQuery(windowDays: number): string {
  return errorRatioQuery(promDuration(windowDays));
}

/**
 * Error budget spent according to the recorded runs inside the SLO window: the request-weighted
 * error rate of those runs divided by the allowed rate (1 - slo). Undefined when no run in the
 * window measured any request (the caller then has no evidence and should not adapt).
 */
export function budgetSpentFromHistory(
  history: readonly HistoryEntry[],
  opts: { slo: number; windowDays: number; now: Date },
): { spent: number; runs: number; requests: number } | undefined {
  if (!(opts.slo > 0 && opts.slo < 1)) throw new AdaptiveBudgetError(`SLO must be a ratio in (0, 1); got ${opts.slo}`);
  const since = opts.now.getTime() - opts.windowDays * 86_400_000;
  let requests = 0;
  let failed = 0;
  let runs = 0;
  for (const e of history) {
    const t = Date.parse(e.time);
    if (!(t >= since && t <= opts.now.getTime()) || e.requests <= 0 || e.error_rate === null) continue;
    requests += e.requests;
    failed += e.error_rate * e.requests;
    runs++;
  }
  if (requests === 0) return undefined;
  return { spent: failed / requests / (1 - opts.slo), runs, requests };
}
