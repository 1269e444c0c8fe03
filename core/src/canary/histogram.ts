/**
 * Latency histograms as Prometheus keeps them (cumulative `le` buckets), in milliseconds.
 */
import type { Bin } from '../stats/mann-whitney.js';
import type { LatencyHistogram } from './types.js';

export class HistogramError extends Error {
  override name = 'HistogramError';
}

/**
 * Builds a `LatencyHistogram` from Prometheus bucket series, e.g. the result of
 * `sum by (le) (increase(http_request_duration_seconds_bucket{track="canary"}[5m]))`:
 * `le` as the label string ("0.05", "+Inf") or number, `count` cumulative, `toMs` the factor from
 * the metric's unit to milliseconds (1000 for seconds). Buckets may come in any order.
 */
export function histogramFromBuckets(
  buckets: ReadonlyArray<{ le: string | number; count: number }>,
  toMs = 1000,
): LatencyHistogram {
  const parsed = buckets.map((b) => {
    const le = typeof b.le === 'number' ? b.le : b.le.trim() === '+Inf' ? Infinity : Number(b.le);
    if (Number.isNaN(le)) throw new HistogramError(`histogram bucket le=${JSON.stringify(b.le)} is not a number`);
    if (!Number.isFinite(b.count) || b.count < 0)
      throw new HistogramError(`histogram bucket le=${String(b.le)} has count ${b.count}`);
    return { le, count: b.count };
  });
  parsed.sort((x, y) => x.le - y.le);
  const inf = parsed.find((b) => b.le === Infinity);
  if (!inf) throw new HistogramError('histogram has no +Inf bucket');
  const finite = parsed.filter((b) => b.le !== Infinity);
  const h: LatencyHistogram = {
    le_ms: finite.map((b) => b.le * toMs),
    // Counters of different buckets are read at slightly different instants; keep them monotone.
    cumulative: [],
  };
  let run = 0;
  for (const b of [...finite, inf]) {
    run = Math.max(run, b.count);
    h.cumulative.push(run);
  }
  validateHistogram(h);
  return h;
}

/** Throws a one-line HistogramError when the shape is wrong. */
export function validateHistogram(h: LatencyHistogram, where = 'histogram'): void {
  if (!Array.isArray(h.le_ms) || !Array.isArray(h.cumulative) || h.cumulative.length !== h.le_ms.length + 1) {
    throw new HistogramError(`${where}: needs le_ms[] and cumulative[] with one more entry (the +Inf bucket)`);
  }
  let prevLe = -Infinity;
  for (const le of h.le_ms) {
    if (!Number.isFinite(le) || le <= prevLe || le < 0)
      throw new HistogramError(`${where}: le_ms must be finite, >= 0 and strictly ascending`);
    prevLe = le;
  }
  let prev = 0;
  for (const c of h.cumulative) {
    if (!Number.isFinite(c) || c < prev)
      throw new HistogramError(`${where}: cumulative counts must be finite and non-decreasing`);
    prev = c;
  }
}

export function histogramCount(h: LatencyHistogram): number {
  return h.cumulative[h.cumulative.length - 1] ?? 0;
}

/** Sums histograms with identical bounds (several intervals pooled). */
export function addHistograms(hs: readonly LatencyHistogram[]): LatencyHistogram {
  const first = hs[0];
  if (!first) return { le_ms: [], cumulative: [0] };
  const out = { le_ms: [...first.le_ms], cumulative: first.cumulative.map(() => 0) };
  for (const h of hs) {
    if (h.le_ms.length !== out.le_ms.length || h.le_ms.some((v, i) => v !== out.le_ms[i])) {
      throw new HistogramError('histograms of different intervals or tracks have different bucket bounds');
    }
    h.cumulative.forEach((c, i) => (out.cumulative[i]! += c));
  }
  return out;
}

/**
 * Quantile by PromQL's `histogram_quantile` rule: linear interpolation inside the bucket holding
 * rank q * count, the first bucket starting at 0, and the last finite bound when the rank falls
 * into the +Inf bucket. NaN when empty.
 */
export function histogramQuantile(h: LatencyHistogram, q: number): number {
  const total = histogramCount(h);
  if (!(total > 0)) return Number.NaN;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  for (let i = 0; i < h.le_ms.length; i++) {
    const cum = h.cumulative[i]!;
    if (cum >= rank && cum > 0) {
      const before = i === 0 ? 0 : h.cumulative[i - 1]!;
      const lower = i === 0 ? 0 : h.le_ms[i - 1]!;
      const upper = h.le_ms[i]!;
      const inBucket = cum - before;
      return inBucket > 0 ? lower + ((upper - lower) * (rank - before)) / inBucket : upper;
    }
  }
  return h.le_ms[h.le_ms.length - 1] ?? Number.NaN;
}

/** Bins for the binned Mann-Whitney: uniform within each finite bucket, a point mass at the last bound for +Inf. */
export function histogramBins(h: LatencyHistogram): Bin[] {
  const bins: Bin[] = [];
  let prevCum = 0;
  let prevLe = 0;
  h.le_ms.forEach((le, i) => {
    const cum = h.cumulative[i]!;
    bins.push({ lo: prevLe, hi: le, w: cum - prevCum });
    prevCum = cum;
    prevLe = le;
  });
  const last = h.le_ms[h.le_ms.length - 1] ?? 0;
  bins.push({ lo: last, hi: last, w: histogramCount(h) - prevCum });
  return bins.filter((b) => b.w > 0);
}
