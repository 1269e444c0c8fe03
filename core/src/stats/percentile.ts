/**
 * Percentiles computed the way k6 computes them for trend metrics: sort the samples and
 * interpolate linearly between the two nearest ranks at index (n - 1) * p.
 * Using the same rule everywhere (NDJSON reader, built-in driver, canary) keeps a p95 from
 * one source comparable with a p95 from another.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (p <= 0) return sorted[0]!;
  if (p >= 1) return sorted[n - 1]!;
  const idx = (n - 1) * p;
  const lo = Math.floor(idx);
  const hi = Math.min(lo + 1, n - 1);
  const frac = idx - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}

/** Percentile of unsorted samples (copied and sorted numerically; the input is left as it was). */
export function percentile(samples: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(samples).sort();
  return percentileSorted(sorted, p);
}
