/**
 * Latency samples with bounded memory. Samples are kept exactly (8 bytes each, in chunks that are
 * sorted separately and read together through SortedRuns, so no chunk is ever copied to grow) up
 * to a limit; past it, every sample goes into a log-scale histogram instead, whose buckets are
 * 2^-7 of their value wide: a percentile read from it is within HISTOGRAM_ERROR_BOUND (0.39 %) of
 * the exact one. Count, sum, min and max stay exact either way.
 */
import { SortedRuns } from './sorted-runs.js';
import { quantileCIRanks } from './quantile-ci.js';

/** Relative error bound of a percentile read from the histogram: half a bucket, 2^-8. */
export const HISTOGRAM_ERROR_BOUND = 2 ** -8;
/** Mantissa bits kept in a bucket key (sign + 11 exponent bits + these). */
const KEY_SHIFT = 13; // of the high 32 bits: 20 - 7 mantissa bits dropped
const CHUNK = 1 << 20;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE ? 1 : 0;

/** The bucket of a non-negative double: its sign, exponent and 7 top mantissa bits (monotonic in the value). */
export function bucketOf(v: number): number {
  f64[0] = v;
  return u32[HI]! >>> KEY_SHIFT;
}

function bucketStart(key: number): number {
  u32[HI] = key << KEY_SHIFT;
  u32[1 - HI] = 0;
  return f64[0]!;
}

/** The bucket's middle: within half a bucket (2^-8 relative) of any value in it. */
function bucketMiddle(key: number): number {
  return (bucketStart(key) + bucketStart(key + 1)) / 2;
}

/**
 * How many more samples may be kept exactly. One reader has a count of its own; the threads that
 * read one file share a pool (an Int32Array slot over a SharedArrayBuffer) and take from it in
 * batches, so the file's budget holds whichever thread reads more, and no thread touches shared
 * memory per sample.
 */
export class SampleBudget {
  static readonly BATCH = 1 << 16;
  private left: number;

  constructor(
    own: number,
    private readonly pool?: Int32Array,
    private readonly slot = 0,
  ) {
    this.left = pool ? 0 : own;
  }

  /** Whether one more sample may be kept exactly. */
  take(): boolean {
    if (this.left > 0) {
      this.left--;
      return true;
    }
    if (!this.pool) return false;
    const before = Atomics.sub(this.pool, this.slot, SampleBudget.BATCH);
    this.left = Math.max(0, Math.min(before, SampleBudget.BATCH));
    if (this.left === 0) return false;
    this.left--;
    return true;
  }
}

/** What a store hands over (plain data, transferable between threads). */
export interface StoredSamples {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Sorted chunks, while exact. */
  runs?: Float64Array[];
  /** Bucket key, count pairs, once past the limit. */
  histogram?: number[];
}

/** One set of samples: exact until `toHistogram()` (its owner decides when memory says so). */
export class SampleStore {
  private chunks: Float64Array[] = [];
  private current = new Float64Array(1024);
  private n = 0;
  private histogram: Map<number, number> | undefined;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  push(v: number): void {
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.histogram) {
      const k = bucketOf(v);
      this.histogram.set(k, (this.histogram.get(k) ?? 0) + 1);
      return;
    }
    if (this.n === this.current.length) {
      if (this.current.length < CHUNK) {
        const grown = new Float64Array(this.current.length * 2);
        grown.set(this.current);
        this.current = grown;
      } else {
        this.chunks.push(this.current);
        this.current = new Float64Array(CHUNK);
        this.n = 0;
      }
    }
    this.current[this.n++] = v;
  }

  /** Past the limit: from now on (and for what was kept) only the histogram. */
  toHistogram(): void {
    if (this.histogram) return;
    const h = new Map<number, number>();
    for (const c of [...this.chunks, this.current.subarray(0, this.n)])
      for (let i = 0; i < c.length; i++) {
        const k = bucketOf(c[i]!);
        h.set(k, (h.get(k) ?? 0) + 1);
      }
    this.chunks = [];
    this.current = new Float64Array(0);
    this.n = 0;
    this.histogram = h;
  }

  stored(): StoredSamples {
    const base = { count: this.count, sum: this.sum, min: this.min, max: this.max };
    if (this.histogram) return { ...base, histogram: [...this.histogram].flat() };
    return { ...base, runs: [...this.chunks, this.current.slice(0, this.n)].map((c) => c.sort()) };
  }
}

/** Percentiles of several stored sample sets together: exact while all are exact, else from the merged histogram. */
export class CombinedSamples {
  readonly length: number;
  readonly exact: boolean;
  private readonly runs: SortedRuns | undefined;
  private readonly buckets: [number, number][] | undefined;
  private readonly parts: readonly StoredSamples[];

  constructor(parts: readonly StoredSamples[]) {
    this.parts = parts;
    this.length = parts.reduce((s, p) => s + p.count, 0);
    this.exact = parts.every((p) => p.runs);
    if (this.exact) {
      this.runs = new SortedRuns(parts.flatMap((p) => p.runs!));
      return;
    }
    const h = new Map<number, number>();
    const add = (k: number, c: number): void => void h.set(k, (h.get(k) ?? 0) + c);
    for (const p of parts) {
      if (p.histogram) for (let i = 0; i < p.histogram.length; i += 2) add(p.histogram[i]!, p.histogram[i + 1]!);
      else for (const r of p.runs!) for (let i = 0; i < r.length; i++) add(bucketOf(r[i]!), 1);
    }
    this.buckets = [...h].sort((a, b) => a[0] - b[0]);
  }

  min(): number {
    return this.parts.reduce((m, p) => Math.min(m, p.min), Number.POSITIVE_INFINITY);
  }
  max(): number {
    return this.parts.reduce((m, p) => Math.max(m, p.max), Number.NEGATIVE_INFINITY);
  }
  sum(): number {
    return this.parts.reduce((s, p) => s + p.sum, 0);
  }

  /** The k-th smallest (0-based): exact, or the middle of its bucket, within [min, max]. */
  at(k: number): number {
    if (this.runs) return this.runs.at(k);
    let seen = 0;
    for (const [key, c] of this.buckets!) {
      seen += c;
      if (k < seen) return Math.min(this.max(), Math.max(this.min(), bucketMiddle(key)));
    }
    throw new RangeError(`rank ${k} outside 0..${this.length - 1}`);
  }

  /** k6's percentile rule (linear interpolation at index (n - 1) * p). */
  percentile(p: number): number {
    const n = this.length;
    if (n === 0) return Number.NaN;
    const idx = (n - 1) * Math.min(1, Math.max(0, p));
    const lo = Math.floor(idx);
    const a = this.at(lo);
    const b = lo + 1 < n ? this.at(lo + 1) : a;
    return a + (b - a) * (idx - lo);
  }

  quantileCI(p: number, confidence = 0.95): [number, number] | undefined {
    const ranks = quantileCIRanks(this.length, p, confidence);
    return ranks ? [this.at(ranks.lowerRank - 1), this.at(ranks.upperRank - 1)] : undefined;
  }
}
