/**
 * The canary judge: baseline vs canary over several intervals, per metric.
 *
 * How it decides (defaults in DEFAULT_JUDGE_SETTINGS):
 * - alpha (0.01) is the overall false-fail budget, split equally between three one-sided
 *   comparisons: latency shift (Mann-Whitney of canary vs the baseline moved to its tolerated
 *   limit max(x * (1 + latencyTolerance), x + latencyToleranceMs)), latency tail (canary above the
 *   pooled p95 of canary and moved baseline more often than the moved baseline), and error rate (Farrington-Manning score test of canary - baseline > errorRateTolerance).
 * - 'alpha-spending' (default): after each interval the cumulative data are tested at the increment
 *   of an O'Brien-Fleming-type spending function (Bonferroni over the looks: valid for any
 *   correlation). Early looks get tiny levels, so only a gross failure stops the run early, and
 *   the final look keeps about two thirds of the alpha with all the data. 'holm': each interval
 *   is tested on its own and Holm's procedure runs over all intervals x both metrics.
 * - The absolute budget (maxP95Ms, maxErrorRate) is a fixed rule on the canary's point estimates,
 *   like the smoke gate; "beyond doubt" breaches (a one-sided lower confidence bound above the
 *   limit) are hard failures at any interval.
 * - fail if any comparison rejects or the budget is broken; inconclusive if a planned interval is
 *   missing, any interval has fewer than minSamplesPerInterval requests, or the total is below
 *   minTotalSamples; pass otherwise. A fail before the last planned interval is an early abort.
 */
import { alphaSpent, holm, spendingIncrements } from '../stats/multiple-testing.js';
import {
  farringtonManning,
  fisherExactGreater,
  newcombeDifference,
  proportionMde,
  wilsonInterval,
} from '../stats/proportions.js';
import { validateJudgeSettings } from './defaults.js';
import { addHistograms, validateHistogram } from './histogram.js';
import {
  histogramLatencies,
  latencyMde,
  latencyTest,
  medianRatio,
  p95LowerBound,
  p95RelativeDiff,
  quantile,
  rawLatencies,
  tailTest,
  mergeSorted,
  type LatencyData,
  type LatencyTolerance,
} from './latency.js';
import type {
  CanaryAction,
  CanaryJudgement,
  ErrorAnalysis,
  IntervalJudgement,
  IntervalSamples,
  JudgeSettings,
  LatencyAnalysis,
  LookJudgement,
  MetricVerdict,
  TestResult,
  TrackSamples,
  TrackSummary,
  Verdict,
} from './types.js';

export class JudgeInputError extends Error {
  override name = 'JudgeInputError';
}

/** The comparisons sharing alpha equally: latency shift, latency tail (p95), error rate. */
const COMPARED_METRICS = 3;

interface Track {
  total: number;
  errors: number;
  latency: LatencyData | null;
}

type DataKind = 'raw' | 'histogram' | 'none';

function validateTrack(t: TrackSamples, where: string): void {
  if (typeof t !== 'object' || t === null) throw new JudgeInputError(`${where}: missing`);
  if (!(Number.isFinite(t.total) && t.total >= 0))
    throw new JudgeInputError(`${where}: total must be a number >= 0, got ${JSON.stringify(t.total)}`);
  if (!(Number.isFinite(t.errors) && t.errors >= 0 && t.errors <= t.total)) {
    throw new JudgeInputError(`${where}: errors must be a number in [0, total], got ${JSON.stringify(t.errors)}`);
  }
  if (t.latencies_ms !== undefined && t.histogram !== undefined)
    throw new JudgeInputError(`${where}: give latencies_ms or histogram, not both`);
  if (t.latencies_ms !== undefined) {
    if (!Array.isArray(t.latencies_ms)) throw new JudgeInputError(`${where}: latencies_ms must be an array`);
    for (const v of t.latencies_ms) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new JudgeInputError(`${where}: latencies_ms holds ${JSON.stringify(v)}, expected numbers >= 0`);
    }
  }
  if (t.histogram !== undefined) {
    try {
      validateHistogram(t.histogram, where);
    } catch (err) {
      throw new JudgeInputError((err as Error).message);
    }
  }
}

function kindOf(t: TrackSamples): DataKind {
  return t.latencies_ms !== undefined ? 'raw' : t.histogram !== undefined ? 'histogram' : 'none';
}

function validateIntervals(intervals: readonly IntervalSamples[], settings: JudgeSettings): DataKind {
  if (!Array.isArray(intervals)) throw new JudgeInputError('intervals must be an array');
  if (intervals.length > settings.intervals) {
    throw new JudgeInputError(`${intervals.length} intervals given but settings.intervals plans ${settings.intervals}`);
  }
  let kind: DataKind | undefined;
  intervals.forEach((iv, i) => {
    if (iv.index !== i)
      throw new JudgeInputError(
        `interval ${i}: index is ${JSON.stringify(iv.index)}, expected ${i} (0-based, in order)`,
      );
    for (const track of ['baseline', 'canary'] as const) {
      validateTrack(iv[track], `interval ${i} ${track}`);
      const k = kindOf(iv[track]);
      if (kind === undefined) kind = k;
      else if (k !== kind)
        throw new JudgeInputError(`interval ${i} ${track}: latency data is ${k}, other tracks/intervals have ${kind}`);
    }
  });
  return kind ?? 'none';
}

function toTrack(t: TrackSamples): Track {
  let latency: LatencyData | null = null;
  if (t.latencies_ms !== undefined && t.latencies_ms.length > 0)
    latency = rawLatencies(Float64Array.from(t.latencies_ms).sort());
  else if (t.histogram !== undefined && (t.histogram.cumulative[t.histogram.cumulative.length - 1] ?? 0) > 0)
    latency = histogramLatencies(t.histogram);
  return { total: t.total, errors: t.errors, latency };
}

function pool(a: Track, b: Track): Track {
  let latency: LatencyData | null = a.latency ?? b.latency;
  if (a.latency && b.latency) {
    if (a.latency.kind === 'raw' && b.latency.kind === 'raw')
      latency = rawLatencies(mergeSorted(a.latency.sorted, b.latency.sorted));
    else if (a.latency.kind === 'histogram' && b.latency.kind === 'histogram') {
      try {
        latency = histogramLatencies(addHistograms([a.latency.hist, b.latency.hist]));
      } catch (err) {
        throw new JudgeInputError((err as Error).message);
      }
    }
  }
  return { total: a.total + b.total, errors: a.errors + b.errors, latency };
}

const nullable = (v: number): number | null => (Number.isFinite(v) ? v : null);

function summary(t: Track): TrackSummary {
  const q = (p: number) => (t.latency ? nullable(quantile(t.latency, p)) : null);
  return {
    n: t.total,
    errors: t.errors,
    error_rate: t.total > 0 ? t.errors / t.total : 0,
    p50_ms: q(0.5),
    p95_ms: q(0.95),
    p99_ms: q(0.99),
  };
}

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

const latencyTolerance = (s: JudgeSettings): LatencyTolerance => ({
  relative: s.latencyTolerance,
  ms: s.latencyToleranceMs,
});

function compareTail(c: Track, b: Track, s: JudgeSettings, alpha: number): TestResult | null {
  return c.latency && b.latency ? tailTest(c.latency, b.latency, latencyTolerance(s), alpha) : null;
}

function compareLatency(c: Track, b: Track, s: JudgeSettings, alpha: number): TestResult | null {
  return c.latency && b.latency ? latencyTest(c.latency, b.latency, latencyTolerance(s), alpha) : null;
}

/** Budget broken beyond doubt (one-sided lower confidence bound at 1 - alpha above the limit). */
function hardBudgetFailure(c: Track, s: JudgeSettings): string | null {
  if (c.total > 0) {
    const [lower] = wilsonInterval(c.errors, c.total, 1 - 2 * s.alpha);
    if (lower > s.maxErrorRate)
      return `canary error rate ${pct(c.errors / c.total)} is above the ${pct(s.maxErrorRate)} budget beyond doubt (lower bound ${pct(lower)})`;
  }
  if (c.latency) {
    const lb = p95LowerBound(c.latency, 1 - s.alpha);
    if (lb > s.maxP95Ms)
      return `canary p95 ${ms(quantile(c.latency, 0.95))} is above the ${ms(s.maxP95Ms)} budget beyond doubt (lower bound ${ms(lb)})`;
  }
  return null;
}

/** Under Holm the deciding tests are per interval: report the one with the smallest p-value. */
function smallestP(tests: ReadonlyArray<TestResult | null>): TestResult {
  const best = tests.filter((t): t is TestResult => t !== null).sort((x, y) => x.p_value - y.p_value)[0];
  return best
    ? { ...best, method: `${best.method} (smallest p of ${tests.length} intervals, Holm)` }
    : { statistic: Number.NaN, z: Number.NaN, p_value: 1, alpha: 0, reject: false, method: 'none' };
}

/** Statistics of one interval on its own data; tests at the per-interval Bonferroni level alpha/(3K). */
export function judgeInterval(interval: IntervalSamples, settings: JudgeSettings): IntervalJudgement {
  validateJudgeSettings(settings);
  validateTrack(interval.baseline, `interval ${interval.index} baseline`);
  validateTrack(interval.canary, `interval ${interval.index} canary`);
  return intervalJudgement(interval.index, toTrack(interval.baseline), toTrack(interval.canary), settings);
}

function intervalJudgement(index: number, b: Track, c: Track, s: JudgeSettings): IntervalJudgement {
  const a = s.alpha / (COMPARED_METRICS * s.intervals);
  return {
    index,
    baseline: summary(b),
    canary: summary(c),
    latency: compareLatency(c, b, s, a),
    latency_p95: compareTail(c, b, s, a),
    errors: errorTest(c, b, s.errorRateTolerance, a),
    insufficient: Math.min(b.total, c.total) < s.minSamplesPerInterval,
  };
}

// Plain-words number formats.
/** Percentage points, for differences between two rates. */
function pp(x: number): string {
  return `${x >= 0 ? '+' : '-'}${Math.abs(x * 100).toFixed(2)} pp`;
}
function pct(x: number): string {
  return `${(x * 100).toFixed(x !== 0 && Math.abs(x) < 0.001 ? 3 : 2)}%`;
}
function ms(x: number | null): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : `${x.toFixed(x < 10 ? 2 : 1)} ms`;
}
function pval(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toPrecision(2);
}
function ratio(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(3);
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
  const K = s.intervals;
  const alphaMetric = s.alpha / COMPARED_METRICS;
  const tracks = intervals.map((iv) => ({ b: toTrack(iv.baseline), c: toTrack(iv.canary) }));
  const perInterval = tracks.map((t, i) => intervalJudgement(i, t.b, t.c, s));

  const empty: Track = { total: 0, errors: 0, latency: null };
  const looks: LookJudgement[] = [];
  let cumB = empty;
  let cumC = empty;
  // Mutated inside callbacks; an object keeps TypeScript's narrowing honest.
  const st: {
    latencyFailAt: number | null;
    tailFailAt: number | null;
    errorFailAt: number | null;
    hardReason: string | null;
    hardAt: number | null;
  } = {
    latencyFailAt: null,
    tailFailAt: null,
    errorFailAt: null,
    hardReason: null,
    hardAt: null,
  };
  const increments = spendingIncrements(K, alphaMetric);

  tracks.forEach((t, k) => {
    cumB = pool(cumB, t.b);
    cumC = pool(cumC, t.c);
    const budget = hardBudgetFailure(cumC, s);
    if (budget && st.hardAt === null) {
      st.hardAt = k;
      st.hardReason = budget;
    }
    if (s.multipleTesting === 'alpha-spending') {
      const level = increments[k]!;
      const lat = compareLatency(cumC, cumB, s, level);
      const tail = compareTail(cumC, cumB, s, level);
      if (tail?.reject && st.tailFailAt === null) st.tailFailAt = k;
      const err = errorTest(cumC, cumB, s.errorRateTolerance, level);
      if (lat?.reject && st.latencyFailAt === null) st.latencyFailAt = k;
      if (err.reject && st.errorFailAt === null) st.errorFailAt = k;
      looks.push({
        index: k,
        fraction: (k + 1) / K,
        latency: lat,
        latency_p95: tail,
        errors: err,
        hard_failure: Boolean(lat?.reject || tail?.reject || err.reject || budget),
      });
    }
  });

  if (s.multipleTesting === 'holm') {
    // Family: every planned interval x every comparison; intervals not yet judged count as p = 1,
    // which keeps an early rejection valid whatever the later p-values turn out to be.
    const ps: number[] = [];
    for (let k = 0; k < K; k++) {
      const iv = perInterval[k];
      ps.push(iv?.latency?.p_value ?? 1, iv?.latency_p95?.p_value ?? 1, iv?.errors.p_value ?? 1);
    }
    const { reject } = holm(ps, s.alpha);
    perInterval.forEach((iv, k) => {
      const [lat, tail, err] = [reject[3 * k]!, reject[3 * k + 1]!, reject[3 * k + 2]!];
      if (iv.latency) iv.latency.reject = lat;
      if (iv.latency_p95) iv.latency_p95.reject = tail;
      iv.errors.reject = err;
      if (lat && st.latencyFailAt === null) st.latencyFailAt = k;
      if (tail && st.tailFailAt === null) st.tailFailAt = k;
      if (err && st.errorFailAt === null) st.errorFailAt = k;
    });
  }

  const judged = intervals.length;
  const b = cumB;
  const c = cumC;
  const finalAlpha =
    s.multipleTesting === 'alpha-spending'
      ? alphaSpent(1, alphaMetric) - alphaSpent((K - 1) / K, alphaMetric)
      : alphaMetric / K;
  const lastTracks = tracks[tracks.length - 1];
  // The MDE belongs to the test that decides: the final cumulative look, or one interval under Holm.
  const mdePair = s.multipleTesting === 'holm' && lastTracks ? lastTracks : { b, c };

  let latency: LatencyAnalysis | null = null;
  if (b.latency && c.latency) {
    const test =
      s.multipleTesting === 'holm'
        ? smallestP(perInterval.map((iv) => iv.latency))
        : latencyTest(c.latency, b.latency, latencyTolerance(s), finalAlpha);
    test.reject = st.latencyFailAt !== null;
    const p95Test =
      s.multipleTesting === 'holm'
        ? smallestP(perInterval.map((iv) => iv.latency_p95))
        : tailTest(c.latency, b.latency, latencyTolerance(s), finalAlpha);
    p95Test.reject = st.tailFailAt !== null;
    latency = {
      test,
      p95_test: p95Test,
      median_ratio: medianRatio(c.latency, b.latency, s.ciLevel),
      p95_relative_diff: p95RelativeDiff(c.latency, b.latency, s.ciLevel, s.bootstrapResamples, seed),
      mde_relative:
        mdePair.c.latency && mdePair.b.latency
          ? latencyMde(mdePair.c.latency, mdePair.b.latency, latencyTolerance(s), finalAlpha, s.power)
          : null,
    };
  }
  const errTest =
    s.multipleTesting === 'holm' && perInterval.length > 0
      ? smallestP(perInterval.map((iv) => iv.errors))
      : errorTest(c, b, s.errorRateTolerance, finalAlpha);
  errTest.reject = st.errorFailAt !== null;
  const diffCi =
    b.total > 0 && c.total > 0 ? newcombeDifference(c.errors, c.total, b.errors, b.total, s.ciLevel) : null;
  const errors: ErrorAnalysis = {
    test: errTest,
    difference: {
      estimate: b.total > 0 && c.total > 0 ? c.errors / c.total - b.errors / b.total : null,
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

  // Sample sufficiency: every planned interval present and filled, enough in total.
  const sampleProblems: string[] = [];
  if (judged === 0) sampleProblems.push('no interval was judged (no data)');
  else if (judged < K) sampleProblems.push(`only ${judged} of ${K} planned intervals were judged`);
  perInterval.forEach((iv) => {
    if (iv.insufficient)
      sampleProblems.push(
        `interval ${iv.index + 1} has ${iv.baseline.n} baseline and ${iv.canary.n} canary requests, fewer than the minimum ${s.minSamplesPerInterval}`,
      );
  });
  if (judged > 0 && Math.min(b.total, c.total) < s.minTotalSamples) {
    sampleProblems.push(
      `${b.total} baseline and ${c.total} canary requests in total, fewer than the minimum ${s.minTotalSamples}`,
    );
  }
  if (judged > 0 && dataKind === 'none') sampleProblems.push('no latency data');
  const sufficient = sampleProblems.length === 0;

  const metrics: MetricVerdict[] = [];
  const when = (k: number | null) => (k === null ? '' : k < K - 1 ? ` at interval ${k + 1} of ${K}` : '');
  const tol =
    s.latencyToleranceMs > 0
      ? `tolerance (+${(s.latencyTolerance * 100).toFixed(0)}% or +${s.latencyToleranceMs} ms, whichever is larger)`
      : `${(s.latencyTolerance * 100).toFixed(0)}% tolerance`;
  if (!latency) {
    metrics.push({
      metric: 'latency',
      status: 'inconclusive',
      reason: 'latency: no latency data on one or both tracks',
    });
    metrics.push({
      metric: 'latency_p95',
      status: 'inconclusive',
      reason: 'latency p95: no latency data on one or both tracks',
    });
  } else {
    const mr = latency.median_ratio;
    const est = `canary/baseline latency ratio ${ratio(mr.estimate)} (${(mr.level * 100).toFixed(0)}% CI ${ratio(mr.ci[0])}-${ratio(mr.ci[1])})`;
    const p95 = latency.p95_relative_diff;
    const p95Text = p95.estimate === null ? '' : `, p95 ${p95.estimate >= 0 ? '+' : ''}${pct(p95.estimate)}`;
    const mde =
      latency.mde_relative === null
        ? 'the sample is too small to detect any slowdown reliably'
        : `smallest detectable slowdown +${pct(latency.mde_relative)}`;
    if (st.latencyFailAt !== null) {
      const t =
        s.multipleTesting === 'holm' ? perInterval[st.latencyFailAt]!.latency! : looks[st.latencyFailAt]!.latency!;
      metrics.push({
        metric: 'latency',
        status: 'fail',
        reason: `latency: canary is slower than baseline beyond the ${tol}${when(st.latencyFailAt)}: ${est}${p95Text}; Mann-Whitney p = ${pval(t.p_value)} <= ${pval(t.alpha)}`,
      });
    } else {
      metrics.push({
        metric: 'latency',
        status: 'pass',
        reason: `latency: no slowdown beyond the ${tol}: ${est}${p95Text}; Mann-Whitney p = ${pval(latency.test.p_value)}; ${mde}`,
      });
    }
    const p95Est = `canary p95 ${ms(c.latency ? quantile(c.latency, 0.95) : null)} vs baseline ${ms(b.latency ? quantile(b.latency, 0.95) : null)}, ${p95.estimate === null ? 'n/a' : `${p95.estimate >= 0 ? '+' : ''}${pct(p95.estimate)}`} (${(p95.level * 100).toFixed(0)}% CI ${p95.ci[0] === null ? 'n/a' : pct(p95.ci[0])} to ${p95.ci[1] === null ? 'n/a' : pct(p95.ci[1])})`;
    if (st.tailFailAt !== null) {
      const t =
        s.multipleTesting === 'holm' ? perInterval[st.tailFailAt]!.latency_p95! : looks[st.tailFailAt]!.latency_p95!;
      metrics.push({
        metric: 'latency_p95',
        status: 'fail',
        reason: `latency p95: the canary's slow tail is heavier than the baseline's beyond the ${tol}${when(st.tailFailAt)}: ${p95Est}; ${t.statistic.toFixed(0)} canary requests above the pooled p95 threshold, p = ${pval(t.p_value)} <= ${pval(t.alpha)}`,
      });
    } else {
      metrics.push({
        metric: 'latency_p95',
        status: 'pass',
        reason: `latency p95: no heavier slow tail beyond the ${tol}: ${p95Est}; p = ${pval(latency.p95_test.p_value)}`,
      });
    }
  }
  {
    const d = errors.difference;
    const rates = `canary ${pct(c.total > 0 ? c.errors / c.total : 0)} (${c.errors}/${c.total}) vs baseline ${pct(b.total > 0 ? b.errors / b.total : 0)} (${b.errors}/${b.total})`;
    const diff =
      d.estimate === null
        ? ''
        : `, difference ${pp(d.estimate)} (${(d.level * 100).toFixed(0)}% CI ${pp(d.ci[0] ?? 0)} to ${pp(d.ci[1] ?? 0)})`;
    const tolE = `${pp(s.errorRateTolerance).slice(1)} tolerance`;
    if (b.total === 0 || c.total === 0)
      metrics.push({
        metric: 'error_rate',
        status: 'inconclusive',
        reason: 'error rate: no requests on one or both tracks',
      });
    else if (st.errorFailAt !== null) {
      const t = s.multipleTesting === 'holm' ? perInterval[st.errorFailAt]!.errors : looks[st.errorFailAt]!.errors;
      metrics.push({
        metric: 'error_rate',
        status: 'fail',
        reason: `error rate: canary fails more often than baseline beyond the ${tolE}${when(st.errorFailAt)}: ${rates}${diff}; p = ${pval(t.p_value)} <= ${pval(t.alpha)}`,
      });
    } else {
      const mde =
        errors.mde_absolute === null
          ? ''
          : `; smallest detectable increase ${pp(errors.mde_absolute + s.errorRateTolerance)}`;
      metrics.push({
        metric: 'error_rate',
        status: 'pass',
        reason: `error rate: no increase beyond the ${tolE}: ${rates}${diff}; p = ${pval(errTest.p_value)}${mde}`,
      });
    }
  }
  const canaryP95 = c.latency ? quantile(c.latency, 0.95) : Number.NaN;
  const hard = st.hardReason;
  {
    const hardLat = hard?.startsWith('canary p95') ? hard : null;
    if (hardLat) metrics.push({ metric: 'latency_budget', status: 'fail', reason: `latency budget: ${hardLat}` });
    else if (!c.latency)
      metrics.push({
        metric: 'latency_budget',
        status: 'inconclusive',
        reason: 'latency budget: no canary latency data',
      });
    else if (canaryP95 > s.maxP95Ms && sufficient)
      metrics.push({
        metric: 'latency_budget',
        status: 'fail',
        reason: `latency budget: canary p95 ${ms(canaryP95)} is above the ${ms(s.maxP95Ms)} budget`,
      });
    else if (canaryP95 > s.maxP95Ms)
      metrics.push({
        metric: 'latency_budget',
        status: 'inconclusive',
        reason: `latency budget: canary p95 ${ms(canaryP95)} is above the ${ms(s.maxP95Ms)} budget on too few samples to be sure`,
      });
    else
      metrics.push({
        metric: 'latency_budget',
        status: 'pass',
        reason: `latency budget: canary p95 ${ms(canaryP95)} <= ${ms(s.maxP95Ms)}`,
      });
  }
  {
    const hardErr = hard?.startsWith('canary error') ? hard : null;
    const rate = c.total > 0 ? c.errors / c.total : Number.NaN;
    if (hardErr) metrics.push({ metric: 'error_budget', status: 'fail', reason: `error budget: ${hardErr}` });
    else if (c.total === 0)
      metrics.push({ metric: 'error_budget', status: 'inconclusive', reason: 'error budget: no canary requests' });
    else if (rate > s.maxErrorRate && sufficient)
      metrics.push({
        metric: 'error_budget',
        status: 'fail',
        reason: `error budget: canary error rate ${pct(rate)} is above the ${pct(s.maxErrorRate)} budget`,
      });
    else if (rate > s.maxErrorRate)
      metrics.push({
        metric: 'error_budget',
        status: 'inconclusive',
        reason: `error budget: canary error rate ${pct(rate)} is above the ${pct(s.maxErrorRate)} budget on too few samples to be sure`,
      });
    else
      metrics.push({
        metric: 'error_budget',
        status: 'pass',
        reason: `error budget: canary error rate ${pct(rate)} <= ${pct(s.maxErrorRate)}`,
      });
  }
  metrics.push(
    sufficient
      ? {
          metric: 'samples',
          status: 'pass',
          reason: `samples: ${b.total} baseline and ${c.total} canary requests over ${judged} intervals`,
        }
      : { metric: 'samples', status: 'inconclusive', reason: `samples: ${sampleProblems.join('; ')}` },
  );

  const verdict: Verdict = metrics.some((m) => m.status === 'fail')
    ? 'fail'
    : metrics.some((m) => m.status === 'inconclusive')
      ? 'inconclusive'
      : 'pass';
  // Hard failures (significant degradation, or budget broken beyond doubt) before the last planned interval stop the canary.
  const firstHard =
    [st.latencyFailAt, st.tailFailAt, st.errorFailAt, st.hardAt]
      .filter((x): x is number => x !== null)
      .sort((x, y) => x - y)[0] ?? null;
  const aborted = firstHard !== null && firstHard < K - 1;
  const abortReason = aborted ? (metrics.find((m) => m.status === 'fail')?.reason ?? null) : null;

  return {
    verdict,
    reasons: metrics.map((m) => m.reason),
    metrics,
    baseline: summary(b),
    canary: summary(c),
    baseline_p95_ms: b.latency ? nullable(quantile(b.latency, 0.95)) : null,
    canary_p95_ms: nullable(canaryP95),
    latency,
    errors,
    intervals: perInterval,
    looks,
    early_abort: { aborted, at_interval: aborted ? firstHard : null, reason: abortReason },
    judged_intervals: judged,
    planned_intervals: K,
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
