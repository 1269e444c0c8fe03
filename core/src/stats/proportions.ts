/**
 * Tests and intervals for two proportions (error rates of canary and baseline).
 */
import { gammaln } from 'simple-statistics';
import { normalQuantile, normalSf } from './normal.js';

export interface ProportionTest {
  /** Observed difference p1 - p2. */
  difference: number;
  z: number;
  /** One-sided p-value of H1: p1 - p2 > margin. */
  p_value: number;
  method: 'farrington-manning' | 'fisher-exact' | 'no-data';
}

/**
 * Restricted maximum-likelihood estimates of (p1, p2) under p1 - p2 = margin
 * (Farrington & Manning 1990, closed-form root of the score equation's cubic).
 */
export function restrictedMle(x1: number, n1: number, x2: number, n2: number, margin: number): [number, number] {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  if (margin === 0) {
    const p = (x1 + x2) / (n1 + n2);
    return [p, p];
  }
  const theta = n2 / n1;
  const a = 1 + theta;
  const b = -(1 + theta + p1 + theta * p2 + margin * (theta + 2));
  const c = margin * margin + margin * (2 * p1 + theta + 1) + p1 + theta * p2;
  const d = -p1 * margin * (1 + margin);
  const v = (b * b * b) / (27 * a * a * a) - (b * c) / (6 * a * a) + d / (2 * a);
  const inner = (b * b) / (9 * a * a) - c / (3 * a);
  const u = Math.sign(v || 1) * Math.sqrt(Math.max(inner, 0));
  const ratio = u === 0 ? 0 : Math.max(-1, Math.min(1, v / (u * u * u)));
  const w = (Math.PI + Math.acos(ratio)) / 3;
  const r1 = Math.min(1, Math.max(margin, 2 * u * Math.cos(w) - b / (3 * a)));
  return [r1, Math.max(0, r1 - margin)];
}

/**
 * One-sided score test of H0: p1 - p2 <= margin against H1: p1 - p2 > margin, with the variance
 * taken at the restricted MLE (Farrington-Manning). With margin 0 this is the classic pooled-variance
 * two-proportion z-test. Unlike the unpooled Wald test it behaves with zero events on either side.
 */
export function farringtonManning(x1: number, n1: number, x2: number, n2: number, margin = 0): ProportionTest {
  if (n1 <= 0 || n2 <= 0) return { difference: Number.NaN, z: Number.NaN, p_value: 1, method: 'no-data' };
  const diff = x1 / n1 - x2 / n2;
  const [r1, r2] = restrictedMle(x1, n1, x2, n2, margin);
  const variance = (r1 * (1 - r1)) / n1 + (r2 * (1 - r2)) / n2;
  let z: number;
  if (variance > 0) z = (diff - margin) / Math.sqrt(variance);
  else z = diff - margin > 0 ? Infinity : diff - margin < 0 ? -Infinity : 0;
  return { difference: diff, z, p_value: normalSf(z), method: 'farrington-manning' };
}

function logChoose(n: number, k: number): number {
  return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
}

/**
 * Fisher's exact test, one-sided: P(X1 >= x1) under the hypergeometric distribution of the
 * first group's events given both margins (H1: p1 > p2). For small counts, where z-tests mislead.
 */
export function fisherExactGreater(x1: number, n1: number, x2: number, n2: number): number {
  const k = x1 + x2;
  const n = n1 + n2;
  const hi = Math.min(k, n1);
  const lo = Math.max(0, k - n2);
  const logDenom = logChoose(n, k);
  let p = 0;
  for (let x = Math.max(x1, lo); x <= hi; x++) {
    p += Math.exp(logChoose(n1, x) + logChoose(n2, k - x) - logDenom);
  }
  return Math.min(1, p);
}

/** Wilson score interval for x events in n trials, two-sided at `level`. */
export function wilsonInterval(x: number, n: number, level = 0.95): [number, number] {
  if (n <= 0) return [0, 1];
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = x / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Newcombe's hybrid score interval for p1 - p2 (method 10), built from the two Wilson intervals. */
export function newcombeDifference(x1: number, n1: number, x2: number, n2: number, level = 0.95): [number, number] {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const [l1, u1] = wilsonInterval(x1, n1, level);
  const [l2, u2] = wilsonInterval(x2, n2, level);
  const d = p1 - p2;
  return [d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)];
}

/**
 * Smallest increase d above `margin` (p1 = p2 + margin + d) that the one-sided score test at
 * `alpha` detects with probability `power`, given group sizes and the baseline rate p2.
 * Normal approximation, solved by bisection.
 */
export function proportionMde(
  p2: number,
  n1: number,
  n2: number,
  margin: number,
  alpha: number,
  power: number,
): number {
  if (n1 <= 0 || n2 <= 0) return Number.NaN;
  const za = normalQuantile(1 - alpha);
  const zb = normalQuantile(power);
  // A baseline with no observed errors still has some rate; half an event keeps the variance honest.
  const base = Math.max(p2, 0.5 / n2);
  const achieved = (d: number): number => {
    const p1 = Math.min(1, base + margin + d);
    const v1 = (p1 * (1 - p1)) / n1 + (base * (1 - base)) / n2;
    const [r1, r2] = [p1 - d / 2, base + d / 2];
    const v0 = (r1 * (1 - r1)) / n1 + (r2 * (1 - r2)) / n2;
    return (d - za * Math.sqrt(Math.max(v0, 0))) / Math.sqrt(v1) - zb;
  };
  let lo = 0;
  let hi = 1 - base - margin;
  if (hi <= 0 || achieved(hi) < 0) return Number.NaN;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (achieved(mid) >= 0) hi = mid;
    else lo = mid;
  }
  return hi;
}
