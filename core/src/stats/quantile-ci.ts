/**
 * Distribution-free confidence interval for a quantile, from order statistics.
 *
 * The number B of samples that fall below the true p-quantile is Binomial(n, p) whatever the
 * latency distribution, so [x_(l), x_(u)] (1-based order statistics) covers the quantile with
 * probability P(l <= B <= u - 1). We pick the narrowest symmetric-tailed pair with
 * P(B < l) <= alpha/2 and P(B < u) >= 1 - alpha/2, so the coverage is at least `confidence`.
 * The binomial CDF is summed exactly (in log space) up to EXACT_MAX_N samples and uses the
 * normal approximation with continuity correction above, where the two agree to one rank.
 */

import { normalQuantile } from './normal.js';

export interface QuantileCI {
  lower: number;
  upper: number;
  /** 1-based ranks of the order statistics used as bounds. */
  lowerRank: number;
  upperRank: number;
  confidence: number;
}

const EXACT_MAX_N = 200_000;

/**
 * Ranks (1-based) of the order statistics bounding the p-quantile with the given confidence,
 * or undefined when n is too small for the interval to exist (e.g. fewer than 72 samples for
 * a 95 % interval of the p95: all samples fall below the p95 more than 2.5 % of the time).
 */
export function quantileCIRanks(
  n: number,
  p: number,
  confidence = 0.95,
): { lowerRank: number; upperRank: number } | undefined {
  if (!Number.isInteger(n) || n <= 0) return undefined;
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile p must be in (0, 1), got ${p}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const tail = (1 - confidence) / 2;
  let l: number;
  let u: number;
  if (n <= EXACT_MAX_N) {
    // cdf[k] = P(B <= k), accumulated from k = 0 with the pmf recurrence in log space.
    const logRatio = Math.log(p) - Math.log1p(-p);
    let logPmf = n * Math.log1p(-p);
    let cdf = 0;
    l = 0; // largest l with P(B <= l - 1) <= tail
    u = n + 1; // smallest u with P(B <= u - 1) >= 1 - tail
    for (let k = 0; k <= n; k++) {
      cdf += Math.exp(logPmf);
      if (cdf <= tail) l = k + 1;
      if (cdf >= 1 - tail) {
        u = k + 1;
        break;
      }
      logPmf += Math.log((n - k) / (k + 1)) + logRatio;
    }
  } else {
    const z = normalQuantile(1 - tail);
    const mean = n * p;
    const sd = Math.sqrt(n * p * (1 - p));
    l = Math.floor(mean + 0.5 - z * sd);
    u = Math.ceil(mean + 0.5 + z * sd);
  }
  if (l < 1 || u > n) return undefined;
  return { lowerRank: l, upperRank: u };
}

/** Confidence interval of the p-quantile from ascending samples; undefined when n is too small. */
export function quantileCI(sorted: ArrayLike<number>, p: number, confidence = 0.95): QuantileCI | undefined {
  const ranks = quantileCIRanks(sorted.length, p, confidence);
  if (!ranks) return undefined;
  return {
    lower: sorted[ranks.lowerRank - 1]!,
    upper: sorted[ranks.upperRank - 1]!,
    lowerRank: ranks.lowerRank,
    upperRank: ranks.upperRank,
    confidence,
  };
}
