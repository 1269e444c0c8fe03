import {
  DEFAULT_JUDGE_SETTINGS,
  JudgeInputError,
  JudgeSettingsError,
  budgetLatencyToleranceMs,
  decideOutcome,
  histogramFromBuckets,
  histogramQuantile,
  judge,
  judgeInterval,
  resolveJudgeSettings,
  shouldAbortEarly,
  type IntervalSamples,
  type JudgeSettings,
  type LatencyHistogram,
  type TrackSamples,
} from '#core/canary/index.js';
import {
  histogramLatencies,
  medianRatio,
  p95RelativeDiff,
  rawLatencies,
  tailTest,
  toleratedBaseline,
} from '#core/canary/latency.js';
import { HistogramError } from '#core/canary/histogram.js';
import { percentile } from '#core/stats/percentile.js';
import { createRng } from '#core/stats/rng.js';
import { REALISTIC, simulateIntervals, simulateTrack } from '../stats/simulate.js';

const S: JudgeSettings = { ...DEFAULT_JUDGE_SETTINGS };
const metric = (j: ReturnType<typeof judge>, name: string) => j.metrics.find((m) => m.metric === name)!;

describe('judge verdicts', () => {
  it('passes a healthy canary and says why in words with numbers', () => {
    const data = simulateIntervals(createRng(1), 5, 300, REALISTIC, REALISTIC);
    const j = judge(data, S, 1);
    expect(j.verdict).toBe('pass');
    expect(j.metrics.map((m) => m.metric)).toEqual([
      'latency',
      'latency_p95',
      'error_rate',
      'latency_budget',
      'error_budget',
      'samples',
    ]);
    expect(j.metrics.every((m) => m.status === 'pass')).toBe(true);
    expect(metric(j, 'latency').reason).toMatch(
      /no slowdown beyond the tolerance \(\+10% or \+4\.5 ms, whichever is larger\): canary\/baseline latency ratio \d\.\d{3} \(95% CI/,
    );
    expect(metric(j, 'latency').reason).toMatch(/smallest detectable slowdown \+\d+\.\d\d%/);
    expect(metric(j, 'samples').reason).toBe('samples: 1500 baseline and 1500 canary requests over 5 intervals');
    expect(j.latency!.mde_relative!).toBeGreaterThan(S.latencyTolerance);
    expect(j.latency!.mde_relative!).toBeLessThan(0.25);
    expect(j.baseline_p95_ms).toBe(
      percentile(
        data.flatMap((iv) => iv.baseline.latencies_ms!),
        0.95,
      ),
    );
    expect(shouldAbortEarly(j)).toBe(false);
  });

  it('fails a canary that errors more often, and the error budget too', () => {
    const j = judge(simulateIntervals(createRng(2), 5, 300, REALISTIC, { ...REALISTIC, errorRate: 0.04 }), S, 1);
    expect(j.verdict).toBe('fail');
    expect(metric(j, 'error_rate').status).toBe('fail');
    expect(metric(j, 'error_rate').reason).toMatch(
      /canary fails more often than baseline beyond the 0.50 pp tolerance/,
    );
    expect(metric(j, 'error_budget').status).toBe('fail');
    expect(metric(j, 'latency').status).toBe('pass');
  });

  it('fails a heavier slow tail that the rank test of the whole distribution misses', () => {
    // one canary request in ten takes 200 ms longer: medians barely move, the p95 more than doubles
    const rng = createRng(31);
    const track = (slowShare: number): TrackSamples => {
      const t = simulateTrack(rng, 300, { ...REALISTIC, errorRate: 0 });
      t.latencies_ms = t.latencies_ms!.map((x) => x + (rng.next() < slowShare ? 200 : 0));
      return t;
    };
    const data: IntervalSamples[] = Array.from({ length: 5 }, (_, index) => ({
      index,
      baseline: track(0),
      canary: track(0.1),
    }));
    const j = judge(data, S, 1);
    expect(j.verdict).toBe('fail');
    expect(metric(j, 'latency').status).toBe('pass');
    expect(metric(j, 'latency_p95').status).toBe('fail');
    expect(metric(j, 'latency_p95').reason).toMatch(
      /slow tail is heavier than the baseline's beyond the tolerance \(\+10% or \+4\.5 ms, whichever is larger\)/,
    );
    expect(j.latency!.p95_relative_diff.ci[0]!).toBeGreaterThan(0.5);
  });

  it('fails on a budget breach even when canary and baseline are alike', () => {
    const j = judge(simulateIntervals(createRng(3), 5, 300, REALISTIC, REALISTIC), { ...S, maxP95Ms: 70 }, 1);
    expect(j.verdict).toBe('fail');
    expect(metric(j, 'latency').status).toBe('pass');
    expect(metric(j, 'latency_budget').status).toBe('fail');
    expect(metric(j, 'latency_budget').reason).toMatch(/above the 70.0 ms budget/);
  });

  it('lets a harmless slowdown within the tolerance pass, even on a large sample', () => {
    const j = judge(simulateIntervals(createRng(4), 5, 2000, REALISTIC, { ...REALISTIC, medianMs: 41.2 }), S, 1);
    expect(j.verdict).toBe('pass');
    expect(j.latency!.median_ratio.ci[0]!).toBeGreaterThan(1);
  });

  it('a fast service: a slowdown within the absolute tolerance passes, a larger one fails, and the floor can be switched off', () => {
    // Median 3 ms: 10 % is 0.3 ms, below what a fresh process or a busy host moves latencies by.
    const fast = { ...REALISTIC, medianMs: 3 };
    const plus2ms = simulateIntervals(createRng(21), 5, 300, fast, { ...fast, shiftMs: 2 });
    const within = judge(plus2ms, S, 1);
    expect(within.verdict).toBe('pass');
    expect(within.latency!.median_ratio.ci[0]!).toBeGreaterThan(1.3); // a real, clearly measured slowdown
    const strict = judge(plus2ms, { ...S, latencyToleranceMs: 0 }, 1);
    expect(metric(strict, 'latency').status).toBe('fail');
    expect(metric(strict, 'latency').reason).toMatch(/beyond the 10% tolerance at interval 1 of 5:/);

    const plus9ms = judge(simulateIntervals(createRng(22), 5, 300, fast, { ...fast, shiftMs: 9 }), S, 1);
    expect(metric(plus9ms, 'latency').status).toBe('fail');
    expect(metric(plus9ms, 'latency_p95').status).toBe('fail');
  });

  it('too few samples: inconclusive, never a silent pass', () => {
    const j = judge(simulateIntervals(createRng(5), 5, 20, REALISTIC, REALISTIC), S, 1);
    expect(j.verdict).toBe('inconclusive');
    expect(metric(j, 'samples').reason).toMatch(
      /interval 1 has 20 baseline and 20 canary requests, fewer than the minimum 50/,
    );
    expect(metric(j, 'samples').reason).toMatch(
      /100 baseline and 100 canary requests in total, fewer than the minimum 200/,
    );
  });

  it('all-zero latencies (a coarse timer) give no ratio instead of a nonsense one', () => {
    const zeros: TrackSamples = { total: 300, errors: 0, latencies_ms: new Array<number>(300).fill(0) };
    const j = judge([{ index: 0, baseline: zeros, canary: zeros }], { ...S, intervals: 1 }, 1);
    expect(j.latency!.median_ratio.estimate).toBeNull();
    expect(j.verdict).toBe('pass');
  });

  it('no data at all: inconclusive', () => {
    const none = judge([], S, 1);
    expect(none.verdict).toBe('inconclusive');
    expect(metric(none, 'samples').reason).toMatch(/no interval was judged/);
    const empty: TrackSamples = { total: 0, errors: 0, latencies_ms: [] };
    const zero = judge([{ index: 0, baseline: empty, canary: empty }], { ...S, intervals: 1 }, 1);
    expect(zero.verdict).toBe('inconclusive');
    expect(metric(zero, 'latency').status).toBe('inconclusive');
    expect(metric(zero, 'error_rate').status).toBe('inconclusive');
  });

  it('fewer intervals than planned and no failure: inconclusive', () => {
    const j = judge(simulateIntervals(createRng(6), 3, 300, REALISTIC, REALISTIC), S, 1);
    expect(j.verdict).toBe('inconclusive');
    expect(metric(j, 'samples').reason).toMatch(/only 3 of 5 planned intervals were judged/);
  });

  it('aborts early on a hard failure in the first interval, not on a moderate slowdown', () => {
    const rng = createRng(7);
    const slow = simulateIntervals(rng, 1, 300, REALISTIC, { ...REALISTIC, medianMs: 120 });
    const j = judge(slow, S, 1);
    expect(j.verdict).toBe('fail');
    expect(shouldAbortEarly(j)).toBe(true);
    expect(j.early_abort).toMatchObject({ aborted: true, at_interval: 0 });
    expect(j.early_abort.reason).toMatch(/at interval 1 of 5/);

    const erroring = judge(simulateIntervals(rng, 1, 300, REALISTIC, { ...REALISTIC, errorRate: 0.5 }), S, 1);
    expect(shouldAbortEarly(erroring)).toBe(true);

    const moderate = simulateIntervals(rng, 5, 300, REALISTIC, { ...REALISTIC, medianMs: 50 });
    expect(shouldAbortEarly(judge(moderate.slice(0, 1), S, 1))).toBe(false);
    const final = judge(moderate, S, 1);
    expect(final.verdict).toBe('fail');
    // O'Brien-Fleming spends almost nothing at the first look: a +25 % shift is caught later.
    expect(final.early_abort.at_interval ?? Infinity).toBeGreaterThan(0);
  });

  it('is deterministic for a seed; the seed only moves the bootstrap CI', () => {
    const data = simulateIntervals(createRng(8), 5, 300, REALISTIC, REALISTIC);
    expect(JSON.stringify(judge(data, S, 5))).toBe(JSON.stringify(judge(data, S, 5)));
    const a = judge(data, S, 5);
    const b = judge(data, S, 6);
    expect(a.verdict).toBe(b.verdict);
    expect(a.latency!.p95_relative_diff.ci).not.toEqual(b.latency!.p95_relative_diff.ci);
    expect(a.latency!.p95_relative_diff.estimate).toBe(b.latency!.p95_relative_diff.estimate);
  });

  it('Holm mode: per-interval tests, fails a clear slowdown and passes A/A', () => {
    const holm: JudgeSettings = { ...S, multipleTesting: 'holm' };
    expect(judge(simulateIntervals(createRng(9), 5, 300, REALISTIC, REALISTIC), holm, 1).verdict).toBe('pass');
    const slow = judge(simulateIntervals(createRng(10), 5, 300, REALISTIC, { ...REALISTIC, medianMs: 60 }), holm, 1);
    expect(slow.verdict).toBe('fail');
    expect(slow.looks).toEqual([]);
    expect(slow.intervals.some((iv) => iv.latency!.reject)).toBe(true);
  });

  it('judgeInterval gives one interval its own summary and tests', () => {
    const [iv] = simulateIntervals(createRng(11), 1, 300, REALISTIC, { ...REALISTIC, medianMs: 80 });
    const r = judgeInterval(iv!, S);
    expect(r.canary.p50_ms!).toBeGreaterThan(r.baseline.p50_ms! * 1.5);
    expect(r.latency!.p_value).toBeLessThan(1e-6);
    expect(r.latency!.alpha).toBeCloseTo(S.alpha / (3 * S.intervals), 15);
  });
});

describe('tolerated baseline', () => {
  it('moves each latency to max(x * (1 + relative), x + ms), keeping order, on raw samples and histogram bins', () => {
    const raw = toleratedBaseline(rawLatencies(Float64Array.from([1, 10, 100])), { relative: 0.1, ms: 5 });
    const near = (got: number[], want: number[]) => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 9));
    near(raw.kind === 'raw' ? [...raw.sorted] : [], [6, 15, 110]);
    const h = histogramLatencies({ le_ms: [10, 100], cumulative: [4, 9, 10] });
    const moved = toleratedBaseline(h, { relative: 0.1, ms: 5 });
    const bins = moved.kind === 'histogram' ? moved.bins : [];
    near(
      bins.flatMap((b) => [b.lo, b.hi, b.w]),
      [5, 15, 4, 15, 110, 5, 110, 110, 1],
    );
    near(moved.kind === 'histogram' ? moved.hist.le_ms : [], [15, 110]);
  });
});

describe('p95 tail test', () => {
  it('keeps its level on identical tracks (tolerance 0): about 5 % of p-values below 0.05', () => {
    const rng = createRng(41);
    let below = 0;
    const runs = 1500;
    for (let r = 0; r < runs; r++) {
      const b = rawLatencies(Float64Array.from(simulateTrack(rng, 300, REALISTIC).latencies_ms!).sort());
      const c = rawLatencies(Float64Array.from(simulateTrack(rng, 300, REALISTIC).latencies_ms!).sort());
      if (tailTest(c, b, { relative: 0, ms: 0 }, 0.05).p_value <= 0.05) below++;
    }
    expect(below / runs).toBeGreaterThan(0.03);
    expect(below / runs).toBeLessThan(0.07);
  });

  it('on histograms counts fractional exceedances inside the threshold bucket', () => {
    // both tracks: 100 in (0,10], 100 in (10,20]; pooled p95 (baseline unscaled) lies at 19 ms
    const h = histogramLatencies({ le_ms: [10, 20], cumulative: [100, 200, 200] });
    const t = tailTest(h, h, { relative: 0, ms: 0 }, 0.05);
    expect(t.statistic).toBeCloseTo(10, 6);
    expect(t.p_value).toBeCloseTo(0.5, 6);
  });
});

describe('estimates', () => {
  it('the median-ratio and p95 bootstrap CIs cover the truth about as often as they claim', () => {
    const rng = createRng(12);
    let coverRatio = 0;
    let coverP95 = 0;
    const runs = 300;
    for (let r = 0; r < runs; r++) {
      const b = rawLatencies(Float64Array.from(simulateTrack(rng, 400, REALISTIC).latencies_ms!).sort());
      const c = rawLatencies(
        Float64Array.from(simulateTrack(rng, 400, { ...REALISTIC, medianMs: 48 }).latencies_ms!).sort(),
      );
      const mr = medianRatio(c, b, 0.95);
      if (mr.ci[0]! <= 1.2 && 1.2 <= mr.ci[1]!) coverRatio++;
      const p = p95RelativeDiff(c, b, 0.95, 1000, r);
      if (p.ci[0]! <= 0.2 && 0.2 <= p.ci[1]!) coverP95++;
    }
    expect(coverRatio / runs).toBeGreaterThan(0.91);
    expect(coverRatio / runs).toBeLessThan(0.99);
    expect(coverP95 / runs).toBeGreaterThan(0.88);
    expect(coverP95 / runs).toBeLessThan(0.99);
  });
});

// Buckets like a service histogram (ms): the PromQL-diff path judges these.
const LE_MS = [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 100, 125, 150, 200, 250, 300, 450, 1000];

function toHistogram(latencies: number[]): LatencyHistogram {
  const cumulative = LE_MS.map((le) => latencies.filter((x) => x <= le).length);
  cumulative.push(latencies.length);
  return { le_ms: [...LE_MS], cumulative };
}

function binned(intervals: IntervalSamples[]): IntervalSamples[] {
  const t = (s: TrackSamples): TrackSamples => ({
    total: s.total,
    errors: s.errors,
    histogram: toHistogram(s.latencies_ms!),
  });
  return intervals.map((iv) => ({ index: iv.index, baseline: t(iv.baseline), canary: t(iv.canary) }));
}

describe('judging Prometheus histograms (PromQL diff)', () => {
  it('reaches the same verdicts as on raw samples, with p95 by histogram_quantile', () => {
    const healthy = simulateIntervals(createRng(13), 5, 300, REALISTIC, REALISTIC);
    const slow = simulateIntervals(createRng(14), 5, 300, REALISTIC, { ...REALISTIC, medianMs: 55 });
    const erroring = simulateIntervals(createRng(15), 5, 300, REALISTIC, { ...REALISTIC, errorRate: 0.05 });
    for (const [data, verdict] of [
      [healthy, 'pass'],
      [slow, 'fail'],
      [erroring, 'fail'],
    ] as const) {
      const raw = judge(data, S, 1);
      const hist = judge(binned(data), S, 1);
      expect(raw.verdict).toBe(verdict);
      expect(hist.verdict).toBe(verdict);
      expect(hist.data_kind).toBe('histogram');
      expect(hist.latency!.test.method).toBe('mann-whitney-binned');
      // Interpolating inside buckets costs precision, not much: the two p95s agree within a bucket's width.
      expect(Math.abs(hist.canary_p95_ms! - raw.canary_p95_ms!)).toBeLessThan(25);
      expect(Math.abs(hist.latency!.median_ratio.estimate! - raw.latency!.median_ratio.estimate!)).toBeLessThan(0.05);
    }
  });

  it('histogram_quantile rule, by hand', () => {
    // 100 observations: 50 in (0,10], 40 in (10,20], 10 in (20,+Inf)
    const h = histogramFromBuckets(
      [
        { le: '+Inf', count: 100 },
        { le: '0.01', count: 50 },
        { le: '0.02', count: 90 },
      ],
      1000,
    );
    expect(h).toEqual({ le_ms: [10, 20], cumulative: [50, 90, 100] });
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(10, 12);
    expect(histogramQuantile(h, 0.7)).toBeCloseTo(15, 12); // rank 70: 20 of 40 into (10, 20]
    expect(histogramQuantile(h, 0.95)).toBe(20); // +Inf bucket -> last finite bound
    expect(histogramQuantile({ le_ms: [10], cumulative: [0, 0] }, 0.95)).toBeNaN();
  });

  it('rejects malformed buckets in one line', () => {
    expect(() => histogramFromBuckets([{ le: '0.1', count: 3 }])).toThrow(
      new HistogramError('histogram has no +Inf bucket'),
    );
    expect(() => histogramFromBuckets([{ le: 'abc', count: 3 }])).toThrow(/le="abc" is not a number/);
    // counters read at slightly different instants are made monotone rather than rejected
    expect(
      histogramFromBuckets(
        [
          { le: 1, count: 5 },
          { le: 2, count: 4 },
          { le: '+Inf', count: 6 },
        ],
        1,
      ).cumulative,
    ).toEqual([5, 5, 6]);
  });
});

describe('input and settings validation', () => {
  const ok = simulateIntervals(createRng(16), 2, 60, REALISTIC, REALISTIC);
  it.each([
    [[{ ...ok[0]!, index: 1 }], /interval 0: index is 1, expected 0/],
    [
      [{ ...ok[0]!, canary: { total: 5, errors: 6, latencies_ms: [1] } }],
      /interval 0 canary: errors must be a number in \[0, total\]/,
    ],
    [[{ ...ok[0]!, canary: { total: 1, errors: 0, latencies_ms: [-1] } }], /latencies_ms holds -1/],
    [
      [{ ...ok[0]!, canary: { total: 1, errors: 0, histogram: { le_ms: [1], cumulative: [1, 1] } } }],
      /latency data is histogram, other tracks\/intervals have raw/,
    ],
    [
      [{ ...ok[0]!, canary: { total: 1, errors: 0, histogram: { le_ms: [2, 1], cumulative: [1, 1, 1] } } }],
      /strictly ascending/,
    ],
  ])('bad intervals throw a one-line JudgeInputError (%#)', (intervals, message) => {
    expect(() => judge(intervals as IntervalSamples[], S)).toThrow(JudgeInputError);
    expect(() => judge(intervals as IntervalSamples[], S)).toThrow(message);
  });

  it('histograms with different bucket bounds in different intervals are an input error', () => {
    const h = (le: number[]): TrackSamples => ({
      total: 10,
      errors: 0,
      histogram: { le_ms: le, cumulative: [...le.map(() => 5), 10] },
    });
    const data: IntervalSamples[] = [
      { index: 0, baseline: h([1, 2]), canary: h([1, 2]) },
      { index: 1, baseline: h([1, 3]), canary: h([1, 3]) },
    ];
    expect(() => judge(data, S)).toThrow(
      new JudgeInputError('histograms of different intervals or tracks have different bucket bounds'),
    );
  });

  it('more intervals than planned is an input error', () => {
    expect(() => judge(ok, { ...S, intervals: 1 })).toThrow(/2 intervals given but settings.intervals plans 1/);
  });

  it('resolves defaults, then the budget, then overrides; rejects bad values by name', () => {
    const budget = {
      version: 1 as const,
      p95_ms: 300,
      error_rate: 0.02,
      min_requests: 500,
      smoke: { vus: 1, duration_s: 1, max_requests: 1 },
    };
    const s = resolveJudgeSettings({ alpha: 0.05, intervals: undefined }, budget);
    expect(s).toMatchObject({
      alpha: 0.05,
      maxP95Ms: 300,
      maxErrorRate: 0.02,
      minTotalSamples: 500,
      intervals: 5,
      latencyToleranceMs: 3, // 1 % of the budget's p95
    });
    expect(resolveJudgeSettings({ latencyToleranceMs: 0 }, budget).latencyToleranceMs).toBe(0);
    expect(DEFAULT_JUDGE_SETTINGS.latencyToleranceMs).toBe(budgetLatencyToleranceMs(DEFAULT_JUDGE_SETTINGS.maxP95Ms));
    expect(() => resolveJudgeSettings({ latencyToleranceMs: -1 })).toThrow(
      new Error('judge setting "latencyToleranceMs" must be a number in [0, 60000], got -1'),
    );
    expect(() => resolveJudgeSettings({ alpha: 2 })).toThrow(JudgeSettingsError);
    expect(() => resolveJudgeSettings({ alpha: 2 })).toThrow(
      new Error('judge setting "alpha" must be a number in (0, 1), got 2'),
    );
    expect(() => resolveJudgeSettings({ multipleTesting: 'bonferroni' as never })).toThrow(/multipleTesting/);
    expect(() => resolveJudgeSettings({ intervals: 0 })).toThrow(/"intervals" must be an integer/);
  });

  it('maps verdicts to outcomes', () => {
    expect(decideOutcome('pass', S)).toBe('promote');
    expect(decideOutcome('fail', S)).toBe('rollback');
    expect(decideOutcome('inconclusive', S)).toBe('rollback');
    expect(decideOutcome('inconclusive', { inconclusiveIsFailure: false })).toBe('none');
  });
});
