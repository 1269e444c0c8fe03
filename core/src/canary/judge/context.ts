/**
 * What every metric's classifier sees: the settings, the pooled data, the per-interval and
 * per-look tests, which comparison rejected where (decided by the multiple-testing strategy), the
 * estimates, whether there was enough data, and the budget breaches. Like Kayenta's judge: one
 * classifier per metric turns this into that metric's verdict, and a scorer combines them.
 */
import type {
  BudgetBreach,
  ErrorAnalysis,
  IntervalJudgement,
  JudgeSettings,
  LatencyAnalysis,
  LookJudgement,
  MetricName,
  MetricVerdict,
  TestResult,
  Verdict,
} from '../types.js';
import type { Sufficiency } from './sufficiency.js';
import type { TrackPair } from './tracks.js';

/** The metrics compared between the tracks by a one-sided test, sharing alpha equally. */
export type ComparedMetric = 'latency' | 'latency_p95' | 'error_rate';

/** Where a comparison first rejected, and the test that did. */
export interface Failure {
  at: number;
  test: TestResult;
}

export type Failures = Record<ComparedMetric, Failure | null>;

export interface JudgeContext {
  s: JudgeSettings;
  /** All judged intervals pooled. */
  cum: TrackPair;
  perInterval: IntervalJudgement[];
  looks: LookJudgement[];
  failures: Failures;
  latency: LatencyAnalysis | null;
  errors: ErrorAnalysis;
  sufficiency: Sufficiency;
  breaches: BudgetBreach[];
}

export interface Classifier {
  metric: MetricName;
  classify(ctx: JudgeContext): MetricVerdict;
}

/** The scorer: any metric fails -> fail; else any inconclusive -> inconclusive; else pass. */
export function score(metrics: readonly MetricVerdict[]): Verdict {
  return metrics.some((m) => m.status === 'fail')
    ? 'fail'
    : metrics.some((m) => m.status === 'inconclusive')
      ? 'inconclusive'
      : 'pass';
}

/** " at interval k of K" for a rejection before the last planned look. */
export function when(at: number | null, K: number): string {
  return at === null ? '' : at < K - 1 ? ` at interval ${at + 1} of ${K}` : '';
}
