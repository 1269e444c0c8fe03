/**
 * Latency analysis on either source (raw per-request latencies or Prometheus histograms) through
 * one small interface, so the same decision logic runs on both.
 */
import { createRng, type Rng } from '../stats/rng.js';
import { percentileSorted } from '../stats/percentile.js';
import { normalQuantile } from '../stats/normal.js';
import { farringtonManning, fisherExactGreater } from '../stats/proportions.js';
import {
  mannWhitneyGreater,
  solveFactor,
  uCountBinned,
  uCountSorted,
  uSorted,
  type Bin,
  type UCount,
} from '../stats/mann-whitney.js';
import { histogramBins, histogramCount, histogramQuantile } from './histogram.js';
import type { Estimate, LatencyHistogram, TestResult } from './types.js';

export type LatencyData =
  | { kind: 'raw'; n: number; sorted: Float64Array }
  | { kind: 'histogram'; n: number; hist: LatencyHistogram; bins: Bin[] };

export function rawLatencies(sorted: Float64Array): LatencyData {
  return { kind: 'raw', n: sorted.length, sorted };
}

export function histogramLatencies(hist: LatencyHistogram): LatencyData {
  return { kind: 'histogram', n: histogramCount(hist), hist, bins: histogramBins(hist) };
}

/** Percentile by the source's own rule (k6's on raw samples, histogram_quantile's on buckets). */
export function quantile(d: LatencyData, q: number): number {
  return d.kind === 'raw' ? percentileSorted(d.sorted, q) : histogramQuantile(d.hist, q);
}

function uCount(c: LatencyData, b: LatencyData, factor: number): UCount {
  if (c.kind === 'raw' && b.kind === 'raw') return uCountSorted(c.sorted, b.sorted, factor);
  if (c.kind === 'histogram' && b.kind === 'histogram') return { u: uCountBinned(c.bins, b.bins, factor), tieTerm: 0 };
  throw new Error('cannot compare raw latencies with a histogram');
}

function uOnly(c: LatencyData, b: LatencyData, factor: number): number {
  if (c.kind === 'raw' && b.kind === 'raw') return uSorted(c.sorted, b.sorted, factor);
  return uCount(c, b, factor).u;
}

/** Range of factors that certainly brackets every canary/baseline ratio of interest. */
function factorBracket(c: LatencyData, b: LatencyData): [number, number] {
  if (c.kind === 'raw' && b.kind === 'raw') {
    const cmin = c.sorted[0]!;
    const bmin = b.sorted[0]!;
    const cmax = c.sorted[c.n - 1]!;
    const bmax = b.sorted[b.n - 1]!;
    if (cmin > 0 && bmin > 0) return [(cmin / bmax) * 0.5, (cmax / bmin) * 2];
  }
  return [1e-6, 1e6];
}

/**
 * How much slower the canary may be before it counts: a baseline latency x is tolerated up to
 * max(x * (1 + relative), x + ms). The absolute part keeps fast services (a few ms per request)
 * from failing on a millisecond of scheduler noise, which is far below any budget.
 */
export interface LatencyTolerance {
  relative: number;
  ms: number;
}

const tolerate = (t: LatencyTolerance) => (x: number) => Math.max(x * (1 + t.relative), x + t.ms);

/**
 * The baseline as far as the canary may go: every value moved to its tolerated limit. The map is
 * increasing, so a sorted sample stays sorted and histogram bins keep their order.
 */
export function toleratedBaseline(b: LatencyData, t: LatencyTolerance): LatencyData {
  // The shift, tail and MDE computations of one look all move the same baseline: do it once.
  const hit = moved.get(b);
  if (hit && hit.relative === t.relative && hit.ms === t.ms) return hit.data;
  const g = tolerate(t);
  const data: LatencyData =
    b.kind === 'raw'
      ? { kind: 'raw', n: b.n, sorted: b.sorted.map(g) }
      : {
          kind: 'histogram',
          n: b.n,
          hist: { le_ms: b.hist.le_ms.map(g), cumulative: b.hist.cumulative },
          bins: b.bins.map((bin) => ({ lo: g(bin.lo), hi: g(bin.hi), w: bin.w })),
        };
  moved.set(b, { ...t, data });
  return data;
}

const moved = new WeakMap<LatencyData, LatencyTolerance & { data: LatencyData }>();

/**
 * One-sided Mann-Whitney of H1: canary latencies stochastically greater than the tolerated
 * baseline (toleratedBaseline). Moving the baseline first means a slowdown within the tolerance
 * is the null hypothesis, so a harmless 3 % is not a failure however large the sample.
 */
export function latencyTest(c: LatencyData, b: LatencyData, tolerance: LatencyTolerance, alpha: number): TestResult {
  const { u, tieTerm } = uCount(c, toleratedBaseline(b, tolerance), 1);
  const r = mannWhitneyGreater(u, c.n, b.n, tieTerm, c.kind === 'raw');
  return {
    statistic: u,
    z: r.z,
    p_value: r.p_value,
    alpha,
    reject: r.p_value <= alpha,
    method: c.kind === 'raw' ? 'mann-whitney' : 'mann-whitney-binned',
  };
}

/**
 * Ratio canary/baseline as exp(Hodges-Lehmann shift of log latencies) = the median of all
 * pairwise ratios c_i / b_j, with the Moses distribution-free confidence interval. Found by
 * bisection on the U statistic, so O(n log(1/precision)) instead of O(n^2) pairs.
 */
export function medianRatio(c: LatencyData, b: LatencyData, level: number): Estimate {
  // A ratio needs positive medians (all-zero latencies, e.g. from a coarse timer, have none).
  if (c.n <= 0 || b.n <= 0 || !(quantile(c, 0.5) > 0 && quantile(b, 0.5) > 0))
    return { estimate: null, ci: [null, null], level };
  const [lo, hi] = factorBracket(c, b);
  const uOf = (f: number) => uOnly(c, b, f);
  const mean = (c.n * b.n) / 2;
  const sd = Math.sqrt((c.n * b.n * (c.n + b.n + 1)) / 12);
  const z = normalQuantile(1 - (1 - level) / 2);
  return {
    estimate: solveFactor(uOf, mean, lo, hi),
    ci: [solveFactor(uOf, mean + z * sd, lo, hi), solveFactor(uOf, mean - z * sd, lo, hi)],
    level,
  };
}

/** A function returning one bootstrap replicate of the p95 of `d` (see p95RelativeDiff). */
function p95Drawer(d: LatencyData, rng: Rng): () => number {
  if (d.kind === 'histogram') {
    const n = Math.max(d.n, 2);
    return () => histogramQuantile(d.hist, rng.beta(0.95 * (n + 1), 0.05 * (n + 1)));
  }
  const { n, sorted } = d;
  if (n < 2) return () => sorted[0]!;
  const idx = (n - 1) * 0.95;
  const k = Math.floor(idx) + 1; // 1-based rank of the lower neighbour
  const frac = idx - (k - 1);
  return () => {
    const u1 = rng.beta(k, n + 1 - k);
    const low = sorted[Math.min(n, Math.max(1, Math.ceil(n * u1))) - 1]!;
    if (frac === 0 || k >= n) return low;
    const u2 = u1 + (1 - u1) * (1 - Math.pow(1 - rng.next(), 1 / (n - k)));
    return low + frac * (sorted[Math.min(n, Math.max(1, Math.ceil(n * u2))) - 1]! - low);
  };
}

/**
 * canary p95 / baseline p95 - 1 with a percentile bootstrap CI. Each replicate's p95 is drawn
 * exactly as an ordinary bootstrap would produce it, without resampling n values: the k-th
 * smallest of n resampled indices is ceil(n * U(k)) with U(k) ~ Beta(k, n + 1 - k), and the next
 * order statistic follows from the remaining uniforms. O(resamples) after sorting.
 */
export function p95RelativeDiff(
  c: LatencyData,
  b: LatencyData,
  level: number,
  resamples: number,
  seed: number,
): Estimate {
  const pc = quantile(c, 0.95);
  const pb = quantile(b, 0.95);
  if (!(pb > 0) || !Number.isFinite(pc)) return { estimate: null, ci: [null, null], level };
  const rng = createRng(seed);
  const drawB = p95Drawer(b, rng);
  const drawC = p95Drawer(c, rng);
  const reps = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) {
    const rb = drawB();
    reps[i] = rb > 0 ? drawC() / rb - 1 : Number.NaN;
  }
  const finite = reps.filter((v) => Number.isFinite(v)).sort();
  const a = (1 - level) / 2;
  return {
    estimate: pc / pb - 1,
    ci: finite.length > 0 ? [percentileSorted(finite, a), percentileSorted(finite, 1 - a)] : [null, null],
    level,
  };
}

/**
 * Minimum detectable slowdown: the smallest relative increase r (canary = baseline * (1 + r))
 * that the tolerance-shifted test at `alpha` detects with `power` (Noether's approximation,
 * distribution-free: P((1 + r) * B > g(B')), g the tolerated limit, is read off the baseline
 * sample itself). null when even a hundred-fold slowdown would not reach that power.
 */
export function latencyMde(
  c: LatencyData,
  b: LatencyData,
  tolerance: LatencyTolerance,
  alpha: number,
  power: number,
): number | null {
  if (c.n <= 0 || b.n <= 1) return null;
  const need = (normalQuantile(1 - alpha) + normalQuantile(power)) * Math.sqrt((c.n + b.n + 1) / (12 * c.n * b.n));
  const target = (0.5 + need) * b.n * b.n;
  const limit = toleratedBaseline(b, tolerance);
  // Pairs with f * b_i > g(b_j), counted as b_i > g(b_j) / f.
  const theta = (f: number) => uOnly(b, limit, 1 / f);
  if (theta(100) < target) return null;
  return solveFactor((f) => -theta(f), -target, 1, 100, 1e-4) - 1;
}

/** A one-sided lower confidence bound of the p95 (normal approximation to the binomial order statistic). */
export function p95LowerBound(d: LatencyData, confidence: number): number {
  if (d.n <= 0) return Number.NaN;
  const q = 0.95 - normalQuantile(confidence) * Math.sqrt((0.95 * 0.05) / d.n);
  return quantile(d, Math.max(0, q));
}

export function mergeSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** How many values of `d` lie above `threshold` (fractional for histogram bins). */
function countAbove(d: LatencyData, threshold: number): number {
  if (d.kind === 'raw') {
    let lo = 0;
    let hi = d.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (d.sorted[mid]! > threshold) hi = mid;
      else lo = mid + 1;
    }
    return d.n - lo;
  }
  let above = 0;
  for (const { lo, hi, w } of d.bins) {
    if (lo >= threshold && !(lo === hi && lo === threshold)) above += w;
    else if (hi > threshold && hi > lo) above += (w * (hi - threshold)) / (hi - lo);
  }
  return above;
}

/** The q-quantile of two samples pooled. */
function pooledQuantile(c: LatencyData, b: LatencyData, q: number): number {
  if (c.kind === 'raw' && b.kind === 'raw') return percentileSorted(mergeSorted(c.sorted, b.sorted), q);
  const target = (1 - q) * (c.n + b.n);
  const above = (x: number) => countAbove(c, x) + countAbove(b, x);
  let lo = 0;
  let hi = 1;
  while (above(hi) > target && hi < 1e12) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (above(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Tail test for the p95 with the tolerance: move the baseline to its tolerated limit
 * (toleratedBaseline), take the 95th percentile of both samples pooled as a threshold, and test
 * whether the canary lies above it more often than the moved baseline (one-sided; a quantile
 * version of Mood's median test: given the pooled threshold, the canary's count above it is
 * hypergeometric when the distributions agree). Catches slow tails that a rank test of the whole
 * distribution dilutes, e.g. one request in ten turning very slow. Fisher's exact test on small
 * raw counts, the pooled z-test otherwise.
 */
export function tailTest(
  c: LatencyData,
  b: LatencyData,
  tolerance: LatencyTolerance,
  alpha: number,
  q = 0.95,
): TestResult {
  const limit = toleratedBaseline(b, tolerance);
  const threshold = pooledQuantile(c, limit, q);
  const xc = countAbove(c, threshold);
  const xb = countAbove(limit, threshold);
  if (c.kind === 'raw' && xc + xb < 20) {
    const p = fisherExactGreater(xc, c.n, xb, b.n);
    return { statistic: xc, z: Number.NaN, p_value: p, alpha, reject: p <= alpha, method: 'p95-exceedance-fisher' };
  }
  const r = farringtonManning(xc, c.n, xb, b.n, 0);
  return { statistic: xc, z: r.z, p_value: r.p_value, alpha, reject: r.p_value <= alpha, method: 'p95-exceedance' };
}
