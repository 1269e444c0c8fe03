/**
 * Multiple-testing control over several looks, as strategies behind one interface. Each decides,
 * per compared metric, whether and where the canary is worse beyond doubt, and which test stands
 * for the metric in the final record.
 *
 * - alpha-spending (default): after each interval the cumulative data are tested at the increment
 *   of an O'Brien-Fleming-type spending function (Bonferroni over the looks: valid for any
 *   correlation). Early looks get tiny levels, so only a gross failure stops a run early, and the
 *   final look keeps about two thirds of the alpha with all the data.
 * - holm: each interval is tested on its own and Holm's procedure runs over all planned
 *   intervals x comparisons (intervals not yet judged count as p = 1).
 */
import { alphaSpent, holm, spendingIncrements } from '../../stats/multiple-testing.js';
import type { IntervalJudgement, JudgeSettings, LookJudgement, MultipleTesting, TestResult } from '../types.js';
import { COMPARISONS, type Comparison } from './comparisons.js';
import type { ComparedMetric, Failures } from './context.js';
import type { TrackPair } from './tracks.js';

export interface StrategyInput {
  s: JudgeSettings;
  /** Each interval's own data. */
  pairs: readonly TrackPair[];
  /** Intervals 1..k pooled, for each look k. */
  cumulative: readonly TrackPair[];
  /** Each interval's own tests at the Bonferroni level (Holm's decision is written into them). */
  perInterval: IntervalJudgement[];
  /** Whether the budget was broken beyond doubt at each look. */
  budgetBrokenAt: readonly boolean[];
}

export interface StrategyResult {
  looks: LookJudgement[];
  failures: Failures;
  /** Level of the test that decides with all the data (for the MDE). */
  finalAlpha: number;
  /** The data the deciding test runs on (for the MDE). */
  mdePair: TrackPair;
  /** The test that stands for `cmp` in the final record (its `reject` set from `failures`). */
  finalTest(cmp: Comparison): TestResult | null;
}

export interface TestingStrategy {
  name: MultipleTesting;
  run(input: StrategyInput): StrategyResult;
}

/** The comparisons sharing alpha equally. */
export const COMPARED_METRICS = COMPARISONS.length;

const EMPTY_PAIR: TrackPair = { b: { total: 0, errors: 0, latency: null }, c: { total: 0, errors: 0, latency: null } };

function firstRejections(records: ReadonlyArray<IntervalJudgement | LookJudgement>): Failures {
  const out = { latency: null, latency_p95: null, error_rate: null } as Failures;
  for (const cmp of COMPARISONS) {
    const k = records.findIndex((r) => cmp.recorded(r)?.reject === true);
    if (k >= 0) out[cmp.metric] = { at: k, test: cmp.recorded(records[k]!)! };
  }
  return out;
}

const decided = (t: TestResult | null, failures: Failures, metric: ComparedMetric): TestResult | null =>
  t && { ...t, reject: failures[metric] !== null };

export const alphaSpending: TestingStrategy = {
  name: 'alpha-spending',
  run({ s, cumulative, budgetBrokenAt }) {
    const K = s.intervals;
    const alphaMetric = s.alpha / COMPARED_METRICS;
    const increments = spendingIncrements(K, alphaMetric);
    const looks: LookJudgement[] = cumulative.map(({ b, c }, k) => {
      const [lat, tail, err] = COMPARISONS.map((cmp) => cmp.test(c, b, s, increments[k]!));
      return {
        index: k,
        fraction: (k + 1) / K,
        latency: lat ?? null,
        latency_p95: tail ?? null,
        errors: err!,
        hard_failure: Boolean(lat?.reject || tail?.reject || err?.reject || budgetBrokenAt[k]),
      };
    });
    const failures = firstRejections(looks);
    const finalAlpha = alphaSpent(1, alphaMetric) - alphaSpent((K - 1) / K, alphaMetric);
    const all = cumulative[cumulative.length - 1] ?? EMPTY_PAIR;
    return {
      looks,
      failures,
      finalAlpha,
      mdePair: all,
      finalTest: (cmp) => decided(cmp.test(all.c, all.b, s, finalAlpha), failures, cmp.metric),
    };
  },
};

/** Under Holm the deciding tests are per interval: report the one with the smallest p-value. */
function smallestP(tests: ReadonlyArray<TestResult | null>): TestResult {
  const best = tests.filter((t): t is TestResult => t !== null).sort((x, y) => x.p_value - y.p_value)[0];
  return best
    ? { ...best, method: `${best.method} (smallest p of ${tests.length} intervals, Holm)` }
    : { statistic: Number.NaN, z: Number.NaN, p_value: 1, alpha: 0, reject: false, method: 'none' };
}

export const holmStrategy: TestingStrategy = {
  name: 'holm',
  run({ s, pairs, cumulative, perInterval }) {
    const K = s.intervals;
    // Family: every planned interval x every comparison; intervals not yet judged count as p = 1,
    // which keeps an early rejection valid whatever the later p-values turn out to be.
    const ps: number[] = [];
    for (let k = 0; k < K; k++)
      for (const cmp of COMPARISONS) ps.push((perInterval[k] && cmp.recorded(perInterval[k]!)?.p_value) ?? 1);
    const { reject } = holm(ps, s.alpha);
    perInterval.forEach((iv, k) =>
      COMPARISONS.forEach((cmp, m) => {
        const t = cmp.recorded(iv);
        if (t) t.reject = reject[COMPARED_METRICS * k + m]!;
      }),
    );
    const failures = firstRejections(perInterval);
    const finalAlpha = s.alpha / COMPARED_METRICS / K;
    const all = cumulative[cumulative.length - 1] ?? EMPTY_PAIR;
    return {
      looks: [],
      failures,
      finalAlpha,
      mdePair: pairs[pairs.length - 1] ?? all,
      finalTest: (cmp) =>
        decided(
          cmp.metric === 'error_rate' && perInterval.length === 0
            ? cmp.test(all.c, all.b, s, finalAlpha)
            : smallestP(perInterval.map((iv) => cmp.recorded(iv))),
          failures,
          cmp.metric,
        ),
    };
  },
};

export const STRATEGIES: Readonly<Record<MultipleTesting, TestingStrategy>> = {
  'alpha-spending': alphaSpending,
  holm: holmStrategy,
};
