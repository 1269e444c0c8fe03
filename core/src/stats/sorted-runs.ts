/**
 * Order statistics of the union of several ascending arrays, without merging them (a merge would
 * double the memory of millions of samples): the k-th smallest is found by repeatedly splitting the
 * largest remaining run at its middle and counting, in every run, the values below and at the pivot.
 * Used (through CombinedSamples, sample-store.ts) for exact percentiles of the samples of several
 * files, worker threads or endpoints.
 */

function lowerBound(a: Float64Array, v: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: Float64Array, v: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SortedRuns {
  readonly runs: readonly Float64Array[];
  readonly length: number;

  /** `runs` must each be sorted ascending (Float64Array.prototype.sort does it numerically). */
  constructor(runs: readonly Float64Array[]) {
    this.runs = runs.filter((r) => r.length > 0);
    this.length = this.runs.reduce((n, r) => n + r.length, 0);
  }

  /** The k-th smallest value, 0-based. */
  at(k: number): number {
    if (!(k >= 0 && k < this.length)) throw new RangeError(`rank ${k} outside 0..${this.length - 1}`);
    const runs = this.runs;
    if (runs.length === 1) return runs[0]![k]!;
    const lo = runs.map(() => 0);
    const hi = runs.map((r) => r.length);
    const below = runs.map(() => 0);
    const atOrBelow = runs.map(() => 0);
    for (;;) {
      let j = 0;
      for (let i = 1; i < runs.length; i++) if (hi[i]! - lo[i]! > hi[j]! - lo[j]!) j = i;
      const pivot = runs[j]![(lo[j]! + hi[j]!) >>> 1]!;
      let less = 0;
      let leq = 0;
      for (let i = 0; i < runs.length; i++) {
        below[i] = lowerBound(runs[i]!, pivot, lo[i]!, hi[i]!);
        atOrBelow[i] = upperBound(runs[i]!, pivot, below[i]!, hi[i]!);
        less += below[i]! - lo[i]!;
        leq += atOrBelow[i]! - lo[i]!;
      }
      if (k < less) {
        for (let i = 0; i < runs.length; i++) hi[i] = below[i]!;
      } else if (k < leq) {
        return pivot;
      } else {
        k -= leq;
        for (let i = 0; i < runs.length; i++) lo[i] = atOrBelow[i]!;
      }
    }
  }

  min(): number {
    return this.runs.reduce((m, r) => Math.min(m, r[0]!), Number.POSITIVE_INFINITY);
  }

  max(): number {
    return this.runs.reduce((m, r) => Math.max(m, r[r.length - 1]!), Number.NEGATIVE_INFINITY);
  }
}
