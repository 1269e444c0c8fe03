/**
 * Mann-Whitney U for "is the canary slower than the baseline scaled by a factor?", on raw samples
 * (exact ranks, mid-ranks for ties) or on histogram bins (values spread uniformly within a bin,
 * the same assumption PromQL's histogram_quantile makes). Everything is O(n) on sorted input
 * (or O(bins^2)), so the estimators below can call it many times.
 */
import { normalSf } from './normal.js';

/** A histogram bin with values spread uniformly on (lo, hi]; lo === hi is a point mass. */
export interface Bin {
  lo: number;
  hi: number;
  w: number;
}

export interface UCount {
  /** #{(i, j): canary_i > f * baseline_j} + 0.5 * #{canary_i == f * baseline_j}. */
  u: number;
  /** Sum over tie groups of t^3 - t (0 for binned data, which have no exact ties). */
  tieTerm: number;
}

/** U for sorted canary vs sorted baseline multiplied by `factor`, with the tie term, in one merge pass. */
export function uCountSorted(canary: ArrayLike<number>, baseline: ArrayLike<number>, factor = 1): UCount {
  const nc = canary.length;
  const nb = baseline.length;
  let i = 0;
  let j = 0;
  let u = 0;
  let tieTerm = 0;
  while (i < nc || j < nb) {
    const c = i < nc ? canary[i]! : Infinity;
    const b = j < nb ? baseline[j]! * factor : Infinity;
    const v = c < b ? c : b;
    let tc = 0;
    while (i < nc && canary[i]! === v) {
      tc++;
      i++;
    }
    let tb = 0;
    while (j < nb && baseline[j]! * factor === v) {
      tb++;
      j++;
    }
    u += tc * (j - tb + 0.5 * tb);
    const t = tc + tb;
    if (t > 1) tieTerm += t * t * t - t;
  }
  return { u, tieTerm };
}

/** U alone (no tie term) for sorted inputs: the lean loop the estimators call dozens of times. */
export function uSorted(canary: ArrayLike<number>, baseline: ArrayLike<number>, factor = 1): number {
  const nb = baseline.length;
  let j = 0;
  let eq = 0;
  let u = 0;
  for (let i = 0; i < canary.length; i++) {
    const x = canary[i]!;
    while (j < nb && baseline[j]! * factor < x) j++;
    if (eq < j) eq = j;
    while (eq < nb && baseline[eq]! * factor === x) eq++;
    u += j + 0.5 * (eq - j);
  }
  return u;
}

/** Integral from -inf to x of the CDF of Y ~ U(c, d) (a point mass when c === d). */
function cdfIntegral(x: number, c: number, d: number): number {
  if (x <= c) return 0;
  if (d <= c) return x - c;
  if (x <= d) return ((x - c) * (x - c)) / (2 * (d - c));
  return (d - c) / 2 + (x - d);
}

/** P(X > Y) + 0.5 P(X = Y) for X ~ U(a, b), Y ~ U(c, d), each possibly a point mass. */
export function probGreater(a: number, b: number, c: number, d: number): number {
  if (a === b) {
    if (c === d) return a > c ? 1 : a === c ? 0.5 : 0;
    return Math.min(1, Math.max(0, (a - c) / (d - c)));
  }
  return (cdfIntegral(b, c, d) - cdfIntegral(a, c, d)) / (b - a);
}

/** U for binned canary vs binned baseline scaled by `factor` (expected U under uniform-within-bin). */
export function uCountBinned(canary: readonly Bin[], baseline: readonly Bin[], factor = 1): number {
  let u = 0;
  for (const x of canary) {
    if (x.w === 0) continue;
    let s = 0;
    for (const y of baseline) {
      if (y.w === 0) continue;
      s += y.w * probGreater(x.lo, x.hi, y.lo * factor, y.hi * factor);
    }
    u += x.w * s;
  }
  return u;
}

export interface MannWhitneyResult {
  u: number;
  z: number;
  /** One-sided p-value of H1: canary stochastically greater than factor * baseline. */
  p_value: number;
}

/**
 * Normal approximation of U with the tie-corrected variance and a continuity correction of 0.5
 * (a reasonable approximation from about 8 observations per group).
 */
export function mannWhitneyGreater(
  u: number,
  nc: number,
  nb: number,
  tieTerm = 0,
  continuity = true,
): MannWhitneyResult {
  const n = nc + nb;
  if (nc === 0 || nb === 0) return { u, z: Number.NaN, p_value: 1 };
  const mean = (nc * nb) / 2;
  const variance = ((nc * nb) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { u, z: 0, p_value: u > mean ? 0 : 1 };
  const num = u - mean - (continuity ? 0.5 : 0);
  const z = (continuity && Math.abs(u - mean) <= 0.5 ? 0 : num) / Math.sqrt(variance);
  return { u, z, p_value: normalSf(z) };
}

/**
 * Solves U(f) = target for the scale factor f, U being non-increasing in f, on log f between `lo`
 * and `hi` (both > 0) until the bracket is narrower than `tolerance` (relative). Illinois-modified
 * regula falsi (U is nearly smooth for large samples, so few U evaluations are needed) with a
 * bisection step every fourth iteration, which guarantees convergence on a step function.
 * Clamps to the bracket when the target lies outside.
 */
export function solveFactor(
  uOf: (f: number) => number,
  target: number,
  lo: number,
  hi: number,
  tolerance = 1e-6,
): number {
  let a = Math.log(lo);
  let b = Math.log(hi);
  let fa = uOf(lo) - target;
  let fb = uOf(hi) - target;
  if (fa <= 0) return lo;
  if (fb > 0) return hi;
  let side = 0;
  for (let iter = 0; b - a > tolerance && iter < 200; iter++) {
    let m = (fb * a - fa * b) / (fb - fa);
    if (!(m > a && m < b) || iter % 4 === 3) m = (a + b) / 2;
    const fm = uOf(Math.exp(m)) - target;
    if (fm > 0) {
      a = m;
      fa = fm;
      if (side === -1) fb /= 2;
      side = -1;
    } else {
      b = m;
      fb = fm;
      if (side === 1) fa /= 2;
      side = 1;
    }
  }
  return Math.exp((a + b) / 2);
}
