/**
 * The three comparisons of canary against baseline, one per metric, behind one interface: a
 * one-sided test ("canary worse than baseline beyond the tolerance", at a level the strategy
 * chooses) and a classifier turning the whole judgement into that metric's verdict in plain words.
 * Sample sufficiency and the absolute budget are classifiers of their own (sufficiency.ts, budget.ts).
 */
import { farringtonManning, fisherExactGreater } from '../../stats/proportions.js';
import { latencyTest, tailTest, type LatencyTolerance } from '../latency.js';
import type { IntervalJudgement, JudgeSettings, LookJudgement, MetricVerdict, TestResult } from '../types.js';
import { when, type Classifier, type ComparedMetric, type JudgeContext } from './context.js';
import { p95Of, type Track } from './tracks.js';
import { ms, pct, pp, pval, ratio, signedPct } from './words.js';

export interface Comparison extends Classifier {
  metric: ComparedMetric;
  /** One-sided test at level `alpha`; null when a track has no data to compare. */
  test(c: Track, b: Track, s: JudgeSettings, alpha: number): TestResult | null;
  /** This comparison's test in an interval's or a look's record. */
  recorded(x: IntervalJudgement | LookJudgement): TestResult | null;
}

const latencyTolerance = (s: JudgeSettings): LatencyTolerance => ({
  relative: s.latencyTolerance,
  ms: s.latencyToleranceMs,
});

function toleranceWords(s: JudgeSettings): string {
  return s.latencyToleranceMs > 0
    ? `tolerance (+${(s.latencyTolerance * 100).toFixed(0)}% or +${s.latencyToleranceMs} ms, whichever is larger)`
    : `${(s.latencyTolerance * 100).toFixed(0)}% tolerance`;
}

const NO_LATENCY = 'no latency data on one or both tracks';

export const latencyShift: Comparison = {
  metric: 'latency',
  test: (c, b, s, alpha) =>
    c.latency && b.latency ? latencyTest(c.latency, b.latency, latencyTolerance(s), alpha) : null,
  recorded: (x) => x.latency,
  classify(ctx: JudgeContext): MetricVerdict {
    const { latency, s } = ctx;
    if (!latency) return { metric: 'latency', status: 'inconclusive', reason: `latency: ${NO_LATENCY}` };
    const mr = latency.median_ratio;
    const est = `canary/baseline latency ratio ${ratio(mr.estimate)} (${(mr.level * 100).toFixed(0)}% CI ${ratio(mr.ci[0])}-${ratio(mr.ci[1])})`;
    const p95 = latency.p95_relative_diff;
    const p95Text = p95.estimate === null ? '' : `, p95 ${signedPct(p95.estimate)}`;
    const f = ctx.failures.latency;
    if (f)
      return {
        metric: 'latency',
        status: 'fail',
        reason: `latency: canary is slower than baseline beyond the ${toleranceWords(s)}${when(f.at, s.intervals)}: ${est}${p95Text}; Mann-Whitney p = ${pval(f.test.p_value)} <= ${pval(f.test.alpha)}`,
      };
    const p = `Mann-Whitney p = ${pval(latency.test.p_value)}`;
    if (!ctx.sufficiency.sufficient)
      return {
        metric: 'latency',
        status: 'inconclusive',
        reason: `latency: not enough data to judge a slowdown yet: ${est}${p95Text}; ${p}`,
      };
    const mde =
      latency.mde_relative === null
        ? 'the sample is too small to detect any slowdown reliably'
        : `smallest detectable slowdown +${pct(latency.mde_relative)}`;
    return {
      metric: 'latency',
      status: 'pass',
      reason: `latency: no slowdown beyond the ${toleranceWords(s)}: ${est}${p95Text}; ${p}; ${mde}`,
    };
  },
};

export const latencyTail: Comparison = {
  metric: 'latency_p95',
  test: (c, b, s, alpha) =>
    c.latency && b.latency ? tailTest(c.latency, b.latency, latencyTolerance(s), alpha) : null,
  recorded: (x) => x.latency_p95,
  classify(ctx: JudgeContext): MetricVerdict {
    const { latency, s, cum } = ctx;
    const metric = 'latency_p95';
    if (!latency) return { metric, status: 'inconclusive', reason: `latency p95: ${NO_LATENCY}` };
    const p95 = latency.p95_relative_diff;
    const [c95, b95] = [p95Of(cum.c), p95Of(cum.b)];
    const est = `canary p95 ${ms(c95)} vs baseline ${ms(b95)}, ${signedPct(p95.estimate)} (${(p95.level * 100).toFixed(0)}% CI ${p95.ci[0] === null ? 'n/a' : pct(p95.ci[0])} to ${p95.ci[1] === null ? 'n/a' : pct(p95.ci[1])})`;
    const f = ctx.failures.latency_p95;
    if (f)
      return {
        metric,
        status: 'fail',
        reason: `latency p95: the canary's slow tail is heavier than the baseline's beyond the ${toleranceWords(s)}${when(f.at, s.intervals)}: ${est}; ${f.test.statistic.toFixed(0)} canary requests above the pooled p95 threshold, p = ${pval(f.test.p_value)} <= ${pval(f.test.alpha)}`,
      };
    const p = `p = ${pval(latency.p95_test.p_value)}`;
    // Never "no heavier slow tail" beside a large p95 rise: say what the evidence does and does not show.
    if (!ctx.sufficiency.sufficient)
      return {
        metric,
        status: 'inconclusive',
        reason: `latency p95: not enough data to judge the tail yet: ${est}; ${p}`,
      };
    const limit = Math.max(b95 * (1 + s.latencyTolerance), b95 + s.latencyToleranceMs);
    if (c95 > limit)
      return {
        metric,
        status: 'pass',
        reason: `latency p95: above the tolerated ${ms(limit)} in this sample but not significantly, too few slow requests to call the tail heavier: ${est}; ${p}`,
      };
    if (c95 > b95 * (1 + s.latencyTolerance))
      return {
        metric,
        status: 'pass',
        reason: `latency p95: within the absolute tolerance of +${s.latencyToleranceMs} ms, which lets a fast service's p95 rise by design: ${est}; ${p}`,
      };
    return {
      metric,
      status: 'pass',
      reason: `latency p95: no heavier slow tail beyond the ${toleranceWords(s)}: ${est}; ${p}`,
    };
  },
};

function errorTest(c: Track, b: Track, tolerance: number, alpha: number): TestResult {
  // Fisher's exact test only applies to equality; with a margin the score test is used at any size.
  const small = Math.min(c.errors + b.errors, c.total + b.total - c.errors - b.errors) < 10;
  if (tolerance === 0 && small && c.total > 0 && b.total > 0) {
    const p = fisherExactGreater(Math.round(c.errors), Math.round(c.total), Math.round(b.errors), Math.round(b.total));
    return { statistic: c.errors, z: Number.NaN, p_value: p, alpha, reject: p <= alpha, method: 'fisher-exact' };
  }
  const r = farringtonManning(c.errors, c.total, b.errors, b.total, tolerance);
  return { statistic: r.difference, z: r.z, p_value: r.p_value, alpha, reject: r.p_value <= alpha, method: r.method };
}

export const errorRate: Comparison = {
  metric: 'error_rate',
  test: (c, b, s, alpha) => errorTest(c, b, s.errorRateTolerance, alpha),
  recorded: (x) => x.errors,
  classify(ctx: JudgeContext): MetricVerdict {
    const { s, errors } = ctx;
    const { b, c } = ctx.cum;
    const metric = 'error_rate';
    if (b.total === 0 || c.total === 0)
      return { metric, status: 'inconclusive', reason: 'error rate: no requests on one or both tracks' };
    const d = errors.difference;
    const rates = `canary ${pct(c.errors / c.total)} (${c.errors}/${c.total}) vs baseline ${pct(b.errors / b.total)} (${b.errors}/${b.total})`;
    const diff =
      d.estimate === null
        ? ''
        : `, difference ${pp(d.estimate)} (${(d.level * 100).toFixed(0)}% CI ${pp(d.ci[0] ?? 0)} to ${pp(d.ci[1] ?? 0)})`;
    const tolE = `${pp(s.errorRateTolerance).slice(1)} tolerance`;
    const f = ctx.failures.error_rate;
    if (f)
      return {
        metric,
        status: 'fail',
        reason: `error rate: canary fails more often than baseline beyond the ${tolE}${when(f.at, s.intervals)}: ${rates}${diff}; p = ${pval(f.test.p_value)} <= ${pval(f.test.alpha)}`,
      };
    const mde =
      errors.mde_absolute === null
        ? ''
        : `; smallest detectable increase ${pp(errors.mde_absolute + s.errorRateTolerance)}`;
    return {
      metric,
      status: 'pass',
      reason: `error rate: no increase beyond the ${tolE}: ${rates}${diff}; p = ${pval(errors.test.p_value)}${mde}`,
    };
  },
};

/** In the order the per-interval p-values enter Holm's family, and the metrics are reported. */
export const COMPARISONS: readonly Comparison[] = [latencyShift, latencyTail, errorRate];
