/**
 * Canary judge: public types. The judge is pure (no I/O): the shell (lib/canary, actions/canary,
 * cli/canary) collects per-interval data from the baseline and canary tracks, calls `judge`, and
 * writes the `CanaryReport` built by `buildCanaryReport`. `rejudge(report)` recomputes the
 * verdict from the report alone.
 */
import type { CanaryPlan } from './plan.js';
import type { ReportSides } from './sides.js';

/** How the overall false-fail rate is controlled over several intervals (see README "how the judge decides"). */
export type MultipleTesting = 'alpha-spending' | 'holm';

export interface JudgeSettings {
  /** Overall false-fail rate over all metrics and intervals (one-sided tests). Default 0.01. */
  alpha: number;
  /** Power used for the minimum detectable effect (MDE) reported. Default 0.8. */
  power: number;
  /** Confidence level of the reported estimates (median ratio, p95 difference, error difference). Default 0.95. */
  ciLevel: number;
  /** Allowed relative slowdown of the canary, e.g. 0.1 = canary may be up to 10 % slower. Default 0.1. */
  latencyTolerance: number;
  /**
   * Allowed absolute slowdown in ms: a baseline latency x is tolerated up to
   * max(x * (1 + latencyTolerance), x + latencyToleranceMs). Default 1 % of the p95 budget (4.5):
   * a few milliseconds of warm-up or scheduling noise on a fast service is not a regression
   * against a budget of hundreds.
   */
  latencyToleranceMs: number;
  /** Allowed absolute error-rate increase, e.g. 0.005 = 0.5 percentage points. Default 0.005. */
  errorRateTolerance: number;
  /** Planned number of analysis intervals (fixes the alpha split in advance). Default 5. */
  intervals: number;
  /** Fewer requests than this on either track in any planned interval -> inconclusive. Default 50. */
  minSamplesPerInterval: number;
  /** Fewer requests than this in total on either track -> inconclusive (budget.json min_requests). Default 200. */
  minTotalSamples: number;
  /** Absolute budget: canary p95 must be <= this (budget.json p95_ms). Default 450. */
  maxP95Ms: number;
  /** Absolute budget: canary error rate must be <= this, 0..1 (budget.json error_rate). Default 0.01. */
  maxErrorRate: number;
  /** Default 'alpha-spending' (cumulative data, O'Brien-Fleming-type spending, Bonferroni over looks). */
  multipleTesting: MultipleTesting;
  /** Bootstrap resamples for the p95 relative-difference CI. Default 2000. */
  bootstrapResamples: number;
  /** Outcome mapping only (not used by the judge): roll back on inconclusive. Default true. */
  inconclusiveIsFailure: boolean;
}

/**
 * A latency histogram as Prometheus keeps it, in milliseconds.
 * `le_ms`: finite bucket upper bounds, strictly ascending. `cumulative`: cumulative counts,
 * length `le_ms.length + 1`, the last entry being the `+Inf` bucket (= number of observations).
 * Counts may be non-integer (PromQL `increase()` extrapolates). Build one from Prometheus
 * `le` labels with `histogramFromBuckets`.
 */
export interface LatencyHistogram {
  le_ms: number[];
  cumulative: number[];
}

/**
 * One track's data in one interval. Give exactly one of `latencies_ms` (raw per-request
 * latencies, all requests including failed ones) or `histogram`. All intervals and both
 * tracks of one judgement must use the same kind.
 */
export interface TrackSamples {
  /** Requests sent/observed. */
  total: number;
  /** Failed requests (status >= 400 or no response), <= total. */
  errors: number;
  latencies_ms?: number[];
  histogram?: LatencyHistogram;
}

export interface IntervalSamples {
  /** 0-based interval number, ascending without gaps. */
  index: number;
  /** Optional wall-clock bounds of the interval (ISO 8601), for the report. */
  start?: string;
  end?: string;
  baseline: TrackSamples;
  canary: TrackSamples;
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';
export type MetricName = 'latency' | 'latency_p95' | 'error_rate' | 'latency_budget' | 'error_budget' | 'samples';

export interface TrackSummary {
  n: number;
  errors: number;
  error_rate: number;
  /** Latency percentiles in ms (k6 rule on raw samples; histogram_quantile rule on histograms); NaN -> null when no data. */
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

/** One-sided test result. */
export interface TestResult {
  statistic: number;
  z: number;
  p_value: number;
  /** The nominal level this p-value was compared with (after the multiple-testing split). */
  alpha: number;
  reject: boolean;
  method: string;
}

export interface Estimate {
  estimate: number | null;
  ci: [number | null, number | null];
  level: number;
}

export interface LatencyAnalysis {
  /** Mann-Whitney U of canary vs baseline*(1+tolerance): H1 canary slower beyond the tolerance. */
  test: TestResult;
  /** Canary/baseline shift ratio: exp(Hodges-Lehmann shift of log latencies) with its Moses CI. */
  median_ratio: Estimate;
  /** canary p95 / baseline p95 - 1, with a seeded bootstrap CI. */
  p95_relative_diff: Estimate;
  /** Tail test: canary above the pooled p95 of canary and baseline*(1+tolerance) more often than the baseline. */
  p95_test: TestResult;
  /** Smallest relative slowdown (e.g. 0.14 = +14 %) detectable with `power` at `test.alpha`. */
  mde_relative: number | null;
}

export interface ErrorAnalysis {
  /** Farrington-Manning score test of canary - baseline > tolerance (Fisher's exact when tolerance is 0 and counts are small). */
  test: TestResult;
  /** canary rate - baseline rate, Newcombe (Wilson-score) CI. */
  difference: Estimate;
  /** Smallest absolute error-rate increase detectable with `power` at `test.alpha`. */
  mde_absolute: number | null;
}

/** Statistics of one interval on its own data. */
export interface IntervalJudgement {
  index: number;
  baseline: TrackSummary;
  canary: TrackSummary;
  /**
   * This interval's own tests at the Bonferroni level alpha / (3 * intervals). They decide in Holm
   * mode (`reject` then is Holm's decision); under alpha-spending they are informational only.
   */
  latency: TestResult | null;
  latency_p95: TestResult | null;
  errors: TestResult;
  /** Fewer than minSamplesPerInterval on a track. */
  insufficient: boolean;
}

/** Cumulative analysis after interval `index` (alpha-spending mode). */
export interface LookJudgement {
  index: number;
  /** Information fraction (index+1)/intervals. */
  fraction: number;
  latency: TestResult | null;
  latency_p95: TestResult | null;
  errors: TestResult;
  /** A hard failure at this look (boundary crossed or budget clearly broken). */
  hard_failure: boolean;
}

/** The absolute budget broken beyond doubt: a one-sided lower confidence bound above the limit. */
export interface BudgetBreach {
  metric: 'latency_budget' | 'error_budget';
  /** 0-based look (interval) at which the canary's cumulative data first broke it. */
  at_interval: number;
  /** The canary's p95 in ms, or its error rate 0..1. */
  observed: number;
  limit: number;
  lower_bound: number;
}

export interface MetricVerdict {
  metric: MetricName;
  status: Verdict;
  /** Plain words with numbers. */
  reason: string;
}

export interface CanaryJudgement {
  verdict: Verdict;
  /** One line per metric, plain words with numbers (same order as `metrics`). */
  reasons: string[];
  metrics: MetricVerdict[];
  baseline: TrackSummary;
  canary: TrackSummary;
  baseline_p95_ms: number | null;
  canary_p95_ms: number | null;
  latency: LatencyAnalysis | null;
  errors: ErrorAnalysis;
  intervals: IntervalJudgement[];
  looks: LookJudgement[];
  early_abort: { aborted: boolean; at_interval: number | null; reason: string | null };
  /** Every budget broken beyond doubt, the first look of each (absent in reports written before it was recorded). */
  budget_breaches?: BudgetBreach[];
  judged_intervals: number;
  planned_intervals: number;
  seed: number;
  settings: JudgeSettings;
  data_kind: 'raw' | 'histogram' | 'none';
}

export type CanaryAction = 'promote' | 'rollback' | 'none';

/** A run step the decision depends on besides the data: any `ok: false` makes the final verdict fail. */
export interface Precondition {
  step: 'deploy' | 'readiness' | 'identity' | 'promote';
  ok: boolean;
  /** Plain words, e.g. "the canary never became ready: 9 probes of /health/ready over 2.0 s ...". */
  reason: string;
}

/** The same judgement on both tracks' Prometheus histograms, re-judged with the report's settings and seed. */
export interface PrometheusPart {
  /** PromQL used for the per-interval histograms and error counts. */
  queries: string[];
  intervals: IntervalSamples[];
  /** null when Prometheus failed mid-run: the part then counts as inconclusive. */
  judgement: CanaryJudgement | null;
  error: string | null;
  /** p95 of each track over the whole analysis window (histogram_quantile), for the record. */
  baseline_p95_ms: number | null;
  canary_p95_ms: number | null;
}

/** Version 1 of the re-checkable decision record `reports/performance/canary-<environment>-<sha>.json`. */
export interface CanaryReport {
  schema_version: 1;
  kind: 'canary';
  generated_at: string;
  environment: string;
  sha: string;
  /** 'synthetic': latencies measured by the traffic driver; 'prometheus': histograms queried from Prometheus. */
  source: 'synthetic' | 'prometheus';
  /** PromQL queries used (source 'prometheus'), for the record. */
  queries?: string[];
  /** The resolved plan (written by the shell; the judge itself reads only `settings`). */
  plan: CanaryPlan;
  settings: JudgeSettings;
  seed: number;
  intervals: IntervalSamples[];
  /** The judgement of the synthetic traffic (`intervals`). */
  judgement: CanaryJudgement;
  /** Deploy, readiness and promote steps (absent in reports written before they were recorded = none). */
  preconditions?: Precondition[];
  /** null (or absent) when the run had no Prometheus. */
  prometheus?: PrometheusPart | null;
  /** The FINAL decision: `judgement` combined with `prometheus` and `preconditions` (see final.ts). */
  verdict: Verdict;
  reasons: string[];
  baseline_p95_ms: number | null;
  canary_p95_ms: number | null;
  /** What was done about the verdict; `detail` e.g. "rolled back: canary process stopped". */
  outcome: { action: CanaryAction; detail?: string };
  /** Which code each side was and what each process reported (absent in older reports). */
  sides?: ReportSides;
}

export interface RejudgeResult {
  /** The recomputed synthetic judgement. */
  judgement: CanaryJudgement;
  /** The recomputed Prometheus judgement (null without Prometheus data). */
  prometheus: CanaryJudgement | null;
  /** The recomputed final verdict and reasons. */
  verdict: Verdict;
  reasons: string[];
  recorded_verdict: Verdict;
  agrees: boolean;
  /** Human-readable differences (verdict, p95s) when `agrees` is false. */
  differences: string[];
}
