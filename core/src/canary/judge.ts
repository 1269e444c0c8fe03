/**
 * The canary judge: baseline vs canary over several intervals, per metric. How it decides, and
 * why, is told once in docs/canary-judge.md. In short (defaults in DEFAULT_JUDGE_SETTINGS):
 *
 * - Three comparisons share the overall false-fail budget `alpha` equally (judge/comparisons.ts):
 *   latency shift (Mann-Whitney against the baseline moved to its tolerated limit), latency tail
 *   (canary above the pooled p95 more often), error rate (Farrington-Manning score test).
 * - A multiple-testing strategy (judge/strategies.ts: alpha spending, or Holm) decides where each
 *   comparison rejects over the looks.
 * - The absolute budget is a fixed rule on the canary's own data (judge/budget.ts); a breach
 *   beyond doubt is a hard failure at any look.
 * - Sufficiency is judged on its own (judge/sufficiency.ts): too little data is inconclusive.
 * - One classifier per metric gives that metric's verdict; the scorer combines them. A fail
 *   before the last planned interval is an early abort.
 */
import { newcombeDifference, proportionMde } from '../stats/proportions.js';
import { validateJudgeSettings } from './defaults.js';
import { errorBudget, firstBreaches, latencyBudget } from './judge/budget.js';
import { COMPARISONS, errorRate, latencyShift, latencyTail } from './judge/comparisons.js';
import { score, type Classifier, type JudgeContext } from './judge/context.js';
import { STRATEGIES, COMPARED_METRICS, type StrategyResult } from './judge/strategies.js';
import { samples, sufficiency } from './judge/sufficiency.js';
import {
  cumulativePairs,
  EMPTY_TRACK,
  nullable,
  p95Of,
  summary,
  toTrack,
  validateIntervals,
  validateTrack,
  type TrackPair,
} from './judge/tracks.js';
import { latencyMde, medianRatio, p95RelativeDiff } from './latency.js';
import type {
  CanaryAction,
  CanaryJudgement,
  ErrorAnalysis,
  IntervalJudgement,
  IntervalSamples,
  JudgeSettings,
  LatencyAnalysis,
  Verdict,
} from './types.js';

export { JudgeInputError } from './judge/tracks.js';

/** Every metric's classifier, in the order the reasons are reported. */
const CLASSIFIERS: readonly Classifier[] = [latencyShift, latencyTail, errorRate, latencyBudget, errorBudget, samples];

/** Statistics of one interval on its own data; tests at the per-interval Bonferroni level alpha/(3K). */
export function judgeInterval(interval: IntervalSamples, settings: JudgeSettings): IntervalJudgement {
  validateJudgeSettings(settings);
  validateTrack(interval.baseline, `interval ${interval.index} baseline`);
  validateTrack(interval.canary, `interval ${interval.index} canary`);
  return intervalJudgement(interval.index, { b: toTrack(interval.baseline), c: toTrack(interval.canary) }, settings);
}

function intervalJudgement(index: number, { b, c }: TrackPair, s: JudgeSettings): IntervalJudgement {
  const a = s.alpha / (COMPARED_METRICS * s.intervals);
  return {
    index,
    baseline: summary(b),
    canary: summary(c),
    latency: latencyShift.test(c, b, s, a),
    latency_p95: latencyTail.test(c, b, s, a),
    errors: errorRate.test(c, b, s, a)!, // never null: an error rate exists on no requests too
    insufficient: Math.min(b.total, c.total) < s.minSamplesPerInterval,
  };
}

/** Estimates with intervals, the deciding tests and the smallest detectable effects. */
function analyses(
  { b, c }: TrackPair,
  strategy: StrategyResult,
  s: JudgeSettings,
  seed: number,
): { latency: LatencyAnalysis | null; errors: ErrorAnalysis } {
  const { finalAlpha, mdePair } = strategy;
  const latency: LatencyAnalysis | null =
    b.latency && c.latency
      ? {
          test: strategy.finalTest(latencyShift)!,
          p95_test: strategy.finalTest(latencyTail)!,
          median_ratio: medianRatio(c.latency, b.latency, s.ciLevel),
          p95_relative_diff: p95RelativeDiff(c.latency, b.latency, s.ciLevel, s.bootstrapResamples, seed),
          mde_relative:
            mdePair.c.latency && mdePair.b.latency
              ? latencyMde(
                  mdePair.c.latency,
                  mdePair.b.latency,
                  { relative: s.latencyTolerance, ms: s.latencyToleranceMs },
                  finalAlpha,
                  s.power,
                )
              : null,
        }
      : null;
  const both = b.total > 0 && c.total > 0;
  const diffCi = both ? newcombeDifference(c.errors, c.total, b.errors, b.total, s.ciLevel) : null;
  const errors: ErrorAnalysis = {
    test: strategy.finalTest(errorRate)!,
    difference: {
      estimate: both ? c.errors / c.total - b.errors / b.total : null,
      ci: diffCi ? [diffCi[0], diffCi[1]] : [null, null],
      level: s.ciLevel,
    },
    mde_absolute: nullable(
      proportionMde(
        mdePair.b.total > 0 ? mdePair.b.errors / mdePair.b.total : 0,
        mdePair.c.total,
        mdePair.b.total,
        s.errorRateTolerance,
        finalAlpha,
        s.power,
      ),
    ),
  };
  return { latency, errors };
}

/**
 * Judges the intervals collected so far (the first `intervals.length` of `settings.intervals`
 * planned). Verdict: `fail` on any significant degradation beyond tolerance or broken budget,
 * `inconclusive` when data are missing or too few (never a silent pass), else `pass`.
 * `seed` drives the bootstrap, so the same input and seed give the same judgement.
 */
export function judge(intervals: readonly IntervalSamples[], settings: JudgeSettings, seed = 1): CanaryJudgement {
  validateJudgeSettings(settings);
  const s = settings;
  const dataKind = validateIntervals(intervals, s);
  const pairs = intervals.map((iv) => ({ b: toTrack(iv.baseline), c: toTrack(iv.canary) }));
  const perInterval = pairs.map((p, i) => intervalJudgement(i, p, s));
  const cumulative = cumulativePairs(pairs);
  const cum = cumulative[cumulative.length - 1] ?? { b: EMPTY_TRACK, c: EMPTY_TRACK };
  const { breaches, atLook } = firstBreaches(
    cumulative.map((p) => p.c),
    s,
  );
  const strategy = STRATEGIES[s.multipleTesting].run({ s, pairs, cumulative, perInterval, budgetBrokenAt: atLook });
  const ctx: JudgeContext = {
    s,
    cum,
    perInterval,
    looks: strategy.looks,
    failures: strategy.failures,
    ...analyses(cum, strategy, s, seed),
    sufficiency: sufficiency(perInterval, cum, dataKind, s),
    breaches,
  };
  const metrics = CLASSIFIERS.map((m) => m.classify(ctx));
  // Hard failures (significant degradation, or budget broken beyond doubt) before the last planned interval stop the canary.
  const firstHard =
    [...COMPARISONS.map((cmp) => strategy.failures[cmp.metric]?.at ?? null), breaches[0]?.at_interval ?? null]
      .filter((x): x is number => x !== null)
      .sort((x, y) => x - y)[0] ?? null;
  const aborted = firstHard !== null && firstHard < s.intervals - 1;
  return {
    verdict: score(metrics),
    reasons: metrics.map((m) => m.reason),
    metrics,
    baseline: summary(cum.b),
    canary: summary(cum.c),
    baseline_p95_ms: cum.b.latency ? nullable(p95Of(cum.b)) : null,
    canary_p95_ms: nullable(p95Of(cum.c)),
    latency: ctx.latency,
    errors: ctx.errors,
    intervals: perInterval,
    looks: strategy.looks,
    early_abort: {
      aborted,
      at_interval: aborted ? firstHard : null,
      reason: aborted ? (metrics.find((m) => m.status === 'fail')?.reason ?? null) : null,
    },
    budget_breaches: breaches,
    judged_intervals: intervals.length,
    planned_intervals: s.intervals,
    seed,
    settings: { ...s },
    data_kind: dataKind,
  };
}

/** True when the judgement holds a hard failure before the last planned interval: stop the traffic and roll back now. */
export function shouldAbortEarly(j: CanaryJudgement): boolean {
  return j.early_abort.aborted;
}

/** pass -> promote; fail -> rollback; inconclusive -> rollback unless settings.inconclusiveIsFailure is false (then nothing is changed). */
export function decideOutcome(verdict: Verdict, settings: Pick<JudgeSettings, 'inconclusiveIsFailure'>): CanaryAction {
  if (verdict === 'pass') return 'promote';
  if (verdict === 'fail') return 'rollback';
  return settings.inconclusiveIsFailure ? 'rollback' : 'none';
}
