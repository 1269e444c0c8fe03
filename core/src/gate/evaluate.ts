/**
 * The smoke gate: a LoadResult judged against the budget.
 *
 * - `inconclusive` when there is nothing to judge (no requests, no p95) or fewer requests than
 *   `min_requests`: a tiny sample neither passes (silent pass) nor fails (false alarm); also when
 *   several summaries were combined and the interval their p95 is known to lie in straddles the limit.
 * - otherwise `fail` with one reason per crossed limit: p95, error rate (optionally tightened by
 *   the error budget, see adaptive.ts, or by a fast SLO burn, see burn-rate.ts, which with
 *   `action: fail` is a reason itself), each endpoint limit the budget names, each crossed k6
 *   threshold (unless `ignoreK6Thresholds`), the check pass rate (only when `minCheckRate` is set),
 *   a regression against the base branch (only when `failOnRegression`); `pass` when none is crossed.
 * Things worth seeing that do not gate (ignored k6 thresholds, failed checks, a regression) are
 * returned as warnings.
 *
 * Each measure is one function below that returns its row and, when crossed, its finding; the
 * verdict is decided from the findings alone.
 */
import type { Budget, EndpointBudget } from '../budget.js';
import type { EndpointResult, LoadResult, ThresholdResult } from '../load-result.js';
import { adaptiveErrorRateLimit, type AdaptiveLimit, type ErrorBudgetInput } from './adaptive.js';
import { assessBurnRates, type BurnRateAssessment, type BurnRateInput, type BurnRateReport } from './burn-rate.js';
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
  budget: Pick<Budget, 'p95_ms' | 'error_rate' | 'min_requests'> & Partial<Pick<Budget, 'endpoints'>>;
  /** The base branch's entry (nearest recorded ancestor of the merge base), if any. */
  baseline?: HistoryEntry | undefined;
  /** Recorded history of the default branch, oldest first, for the run-to-run noise band. */
  history?: readonly HistoryEntry[] | undefined;
  options?: GateOptions | undefined;
}

export type GateCheckId =
  | 'requests'
  | 'p95'
  | 'error_rate'
  | 'endpoint_p95'
  | 'endpoint_error_rate'
  | 'k6_thresholds'
  | 'checks'
  | 'regression';

/** One row of "measured vs limit". `ok` null = not judged (no data, or an interval across the limit). */
export interface GateCheck {
  id: GateCheckId;
  label: string;
  measured: number | null;
  /** Where only an interval is known (p95 of several combined summaries): measured is null. */
  range?: [number, number];
  /** The endpoint an endpoint row is about. */
  endpoint?: string;
  limit: number | null;
  unit: 'ms' | 'ratio' | 'count';
  /** Direction of the limit: measured must be `<=` (or `>=`) the limit. */
  comparator: '<=' | '>=';
  ok: boolean | null;
  /** Whether crossing it fails the gate (non-gating rows are informational). */
  gating: boolean;
}

/** A crossed limit, in plain words with the numbers; it fails the gate when `gating`, else it is a warning. */
export interface GateFinding {
  id: GateCheckId | 'burn_rate';
  text: string;
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

/** What the gate reads from a result, with unknowns as null. */
interface Measured {
  requests: number;
  p95: number | null;
  p95Range: [number, number] | null;
  errorRate: number | null;
}

function measuredOf(result: LoadResult): Measured {
  return {
    requests: Number.isFinite(result.requests) ? result.requests : 0,
    p95: finite(result.latency_ms.p95),
    p95Range: result.p95_range_ms ?? null,
    errorRate: finite(result.error_rate),
  };
}

/** A row with its finding when crossed. */
interface Judged {
  check: GateCheck;
  finding?: GateFinding | undefined;
}

function judged(check: Omit<GateCheck, 'ok'>, ok: boolean | null, finding?: () => GateFinding): Judged {
  const full: GateCheck = { ...check, ok: check.measured === null && check.range === undefined ? null : ok };
  return { check: full, finding: full.ok === false && finding ? finding() : undefined };
}

function requestsRow(m: Measured, minRequests: number): Judged {
  const check = { id: 'requests', label: 'Requests', measured: m.requests, limit: minRequests } as const;
  return judged({ ...check, unit: 'count', comparator: '>=', gating: true }, m.requests >= minRequests);
}

/** p95 against its limit: exact, or an interval that is wholly below, wholly above or across the limit. */
/** The p95 and error-rate limits applied, with the rule that tightened each below the budget file (if one did). */
interface AppliedLimits {
  p95: number;
  /** e.g. " (tightened from 450 ms by ...)", for the reason; empty when the budget file's limit applies. */
  p95Why: string;
  p95Label: string;
  errorRate: number;
  errorWhy: string;
  errorLabel: string;
}

function appliedLimits(
  budget: GateInput['budget'],
  adaptive: AdaptiveLimit | undefined,
  burn: BurnRateAssessment | undefined,
): AppliedLimits {
  const adaptiveLimit = adaptive ? adaptive.limit : budget.error_rate;
  // Both rules only tighten: the smaller limit applies, and its rule is named when it is crossed.
  const burnDecidesErrors = burn?.tightened.error_rate !== undefined && burn.report.limits.error_rate < adaptiveLimit;
  const p95 = burn ? burn.report.limits.p95_ms : budget.p95_ms;
  return {
    p95,
    p95Why: burn?.tightened.p95_ms ? ` (tightened from ${fmtMs(budget.p95_ms)} ${burn.tightened.p95_ms})` : '',
    p95Label: p95 < budget.p95_ms ? 'p95 latency (burn-rate limit)' : 'p95 latency',
    errorRate: burnDecidesErrors ? burn!.report.limits.error_rate : adaptiveLimit,
    errorWhy: burnDecidesErrors
      ? ` (tightened from ${fmtPct(budget.error_rate)} ${burn!.tightened.error_rate})`
      : adaptive && adaptive.limit < adaptive.base_limit
        ? ` (tightened from ${fmtPct(adaptive.base_limit)}: ${fmtPct(adaptive.budget_spent)} of the error budget spent)`
        : '',
    errorLabel: burnDecidesErrors
      ? 'Error rate (burn-rate limit)'
      : adaptive
        ? 'Error rate (adaptive limit)'
        : 'Error rate',
  };
}

function p95Row(m: Measured, applied: AppliedLimits): Judged {
  const limit = applied.p95;
  const base = { id: 'p95', label: applied.p95Label, limit, unit: 'ms', comparator: '<=', gating: true } as const;
  if (m.p95 === null && m.p95Range) {
    const [lo, hi] = m.p95Range;
    return judged({ ...base, measured: null, range: [lo, hi] }, hi <= limit ? true : lo > limit ? false : null, () => ({
      id: 'p95',
      gating: true,
      text: `p95 latency is above the limit of ${fmtMs(limit)}${applied.p95Why} in every file (${fmtMs(lo)} – ${fmtMs(hi)}), so also over all of them`,
    }));
  }
  return judged({ ...base, measured: m.p95 }, m.p95 !== null && m.p95 <= limit, () => ({
    id: 'p95',
    gating: true,
    text: `p95 latency ${fmtMs(m.p95)} is above the limit of ${fmtMs(limit)}${applied.p95Why}`,
  }));
}

function errorRateRow(m: Measured, result: LoadResult, applied: AppliedLimits): Judged {
  const label = applied.errorLabel;
  const limit = applied.errorRate;
  return judged(
    { id: 'error_rate', label, measured: m.errorRate, limit, unit: 'ratio', comparator: '<=', gating: true },
    m.errorRate !== null && m.errorRate <= limit,
    () => ({
      id: 'error_rate',
      gating: true,
      text: `error rate ${fmtPct(m.errorRate)} (${result.failed_requests} of ${m.requests} requests failed) is above the limit of ${fmtPct(limit)}${applied.errorWhy}`,
    }),
  );
}

/** Rows for the endpoints the budget names; an endpoint missing from the results is a warning, not a verdict. */
function endpointRows(result: LoadResult, budgets: Record<string, EndpointBudget>, warnings: string[]): Judged[] {
  const out: Judged[] = [];
  for (const [name, b] of Object.entries(budgets)) {
    const e: EndpointResult | undefined = result.endpoints?.find((x) => x.name === name);
    if (!e) {
      warnings.push(`the budget sets limits for the endpoint "${name}", but the results have no requests named so`);
      continue;
    }
    if (b.p95_ms !== undefined) {
      const limit = b.p95_ms;
      const range = e.p95_range_ms;
      const p95 = finite(e.p95_ms);
      const ok =
        p95 !== null ? p95 <= limit : range ? (range[1] <= limit ? true : range[0] > limit ? false : null) : null;
      out.push(
        judged(
          {
            id: 'endpoint_p95',
            label: `p95 latency of ${name}`,
            endpoint: name,
            measured: p95,
            ...(p95 === null && range && { range }),
            limit,
            unit: 'ms',
            comparator: '<=',
            gating: true,
          },
          ok,
          () => ({
            id: 'endpoint_p95',
            gating: true,
            text: `p95 latency of ${name} ${p95 !== null ? fmtMs(p95) : `(${fmtMs(range![0])} – ${fmtMs(range![1])} in every file)`} is above its limit of ${fmtMs(limit)}`,
          }),
        ),
      );
    }
    if (b.error_rate !== undefined) {
      const limit = b.error_rate;
      const rate = finite(e.error_rate);
      out.push(
        judged(
          {
            id: 'endpoint_error_rate',
            label: `Error rate of ${name}`,
            endpoint: name,
            measured: rate,
            limit,
            unit: 'ratio',
            comparator: '<=',
            gating: true,
          },
          rate !== null && rate <= limit,
          () => ({
            id: 'endpoint_error_rate',
            gating: true,
            text: `error rate of ${name} ${fmtPct(rate)} (${e.failed_requests} of ${e.requests} requests failed) is above its limit of ${fmtPct(limit)}`,
          }),
        ),
      );
    }
  }
  return out;
}

function checksRow(result: LoadResult, minCheckRate: number | undefined): Judged | undefined {
  const c = result.checks;
  if (!c) return undefined;
  const gating = minCheckRate !== undefined;
  const limit = gating ? minCheckRate : 1;
  return judged(
    { id: 'checks', label: 'Check pass rate', measured: c.rate, limit, unit: 'ratio', comparator: '>=', gating },
    c.rate >= limit,
    () => {
      const text = `check pass rate ${fmtPct(c.rate)} (${c.fails} of ${c.passes + c.fails} checks failed)`;
      return { id: 'checks', gating, text: gating ? `${text} is below the minimum of ${fmtPct(minCheckRate)}` : text };
    },
  );
}

function thresholdRows(result: LoadResult, ignored: boolean): { row?: Judged; findings: GateFinding[] } {
  const crossed = result.thresholds.filter((t) => !t.ok);
  const findings = crossed.map((t) => ({
    id: 'k6_thresholds' as const,
    gating: !ignored,
    text: `k6 threshold crossed: ${t.metric} ${t.expression}${t.file ? ` (in ${t.file})` : ''}${ignored ? ' (ignored by configuration)' : ''}`,
  }));
  if (result.thresholds.length === 0) return { findings };
  const row = judged(
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
  return { row, findings };
}

function regressionRow(
  m: Measured,
  result: LoadResult,
  input: GateInput,
  opts: GateOptions,
): { row?: Judged; baseline?: BaselineComparison } {
  if (!input.baseline || m.p95 === null) return {};
  const baseline = compareWithBaseline(
    { p95_ms: m.p95, p95_ci_ms: result.p95_ci_ms },
    input.baseline,
    input.history ?? [],
    opts.noiseFloor ?? DEFAULT_NOISE_FLOOR,
  );
  if (!baseline) return {};
  const gating = opts.failOnRegression === true;
  const row = judged(
    {
      id: 'regression',
      label: 'p95 change vs base',
      measured: baseline.p95_change,
      limit: baseline.noise.band,
      unit: 'ratio',
      comparator: '<=',
      gating,
    },
    baseline.status !== 'regression',
    () => ({
      id: 'regression',
      gating,
      text: `p95 is ${fmtChange(baseline.p95_change)} against the base branch (${shortSha(baseline.sha)}: ${fmtMs(baseline.base_p95_ms)}), beyond the run-to-run noise of ±${fmtPct(baseline.noise.band)}`,
    }),
  );
  return { row, baseline };
}

/** The verdict and its reasons from the findings; what cannot decide (too little data) is kept as warnings. */
function decide(
  m: Measured,
  minRequests: number,
  p95: GateCheck,
  findings: readonly GateFinding[],
  warnings: string[],
): { verdict: Verdict; reasons: string[] } {
  const gating = findings.filter((f) => f.gating).map((f) => f.text);
  for (const f of findings) if (!f.gating) warnings.push(f.text);
  const hasData = m.requests > 0 && (m.p95 !== null || m.p95Range !== null) && m.errorRate !== null;
  if (!hasData) {
    // A crossed k6 threshold or error limit is still evidence worth seeing, though it cannot decide here.
    for (const r of gating) warnings.push(`on incomplete data: ${r}`);
    return {
      verdict: 'inconclusive',
      reasons: [
        m.requests > 0
          ? `the results have ${m.requests} requests but no p95 latency or error rate to judge`
          : 'no HTTP requests were recorded, so there is nothing to judge',
      ],
    };
  }
  if (m.requests < minRequests) {
    // What the small sample suggests is still worth seeing, but it does not decide.
    for (const r of gating) warnings.push(`on too few requests: ${r}`);
    return {
      verdict: 'inconclusive',
      reasons: [`only ${m.requests} requests were made; at least ${minRequests} (min_requests) are needed to judge`],
    };
  }
  if (gating.length > 0) return { verdict: 'fail', reasons: gating };
  if (p95.ok === null && p95.range) {
    const [lo, hi] = p95.range;
    return {
      verdict: 'inconclusive',
      reasons: [
        `the p95 over all files lies between ${fmtMs(lo)} and ${fmtMs(hi)} (the smallest and largest file's p95), across the limit of ${fmtMs(p95.limit)}; summaries cannot tell where: gate the NDJSON points (k6 --out json) to judge it exactly`,
      ],
    };
  }
  return { verdict: 'pass', reasons: [] };
}

export function evaluateGate(input: GateInput): GateResult {
  const { result, budget } = input;
  const opts = input.options ?? {};
  const adaptive = opts.errorBudget ? adaptiveErrorRateLimit(budget.error_rate, opts.errorBudget) : undefined;
  const burn = opts.burnRates ? assessBurnRates(opts.burnRates, budget) : undefined;
  const applied = appliedLimits(budget, adaptive, burn);
  const limits: GateResult['limits'] = {
    p95_ms: applied.p95,
    error_rate: applied.errorRate,
    min_requests: budget.min_requests,
  };
  if (opts.minCheckRate !== undefined) limits.min_check_rate = opts.minCheckRate;

  const m = measuredOf(result);
  const warnings: string[] = [];
  const ignored = opts.ignoreK6Thresholds === true;
  const thresholds = thresholdRows(result, ignored);
  const regression = regressionRow(m, result, input, opts);
  const rows: Judged[] = [
    requestsRow(m, budget.min_requests),
    p95Row(m, applied),
    errorRateRow(m, result, applied),
    ...endpointRows(result, budget.endpoints ?? {}, warnings),
  ];
  const checks = checksRow(result, opts.minCheckRate);
  const burnFindings: GateFinding[] = burn
    ? [
        ...burn.failReasons.map((text) => ({ id: 'burn_rate' as const, gating: true, text })),
        ...burn.warnings.map((text) => ({ id: 'burn_rate' as const, gating: false, text })),
      ]
    : [];
  const findings = [
    ...rows.flatMap((r) => (r.finding ? [r.finding] : [])),
    ...burnFindings,
    ...thresholds.findings,
    ...(checks?.finding ? [checks.finding] : []),
    ...(regression.row?.finding ? [regression.row.finding] : []),
  ];
  if (checks) rows.push(checks);
  if (thresholds.row) rows.push(thresholds.row);
  if (regression.row) rows.push(regression.row);
  const { verdict, reasons } = decide(m, budget.min_requests, rows[1]!.check, findings, warnings);

  const out: GateResult = {
    verdict,
    passed: verdict === 'pass',
    reasons,
    warnings,
    limits,
    checks: rows.map((r) => r.check),
    k6_thresholds: { results: result.thresholds, crossed: result.thresholds.filter((t) => !t.ok), ignored },
  };
  if (adaptive) out.adaptive = adaptive;
  if (burn) out.burn_rates = burn.report;
  if (regression.baseline) out.baseline = regression.baseline;
  return out;
}
