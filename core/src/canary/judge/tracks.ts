/**
 * The judge's view of one track's data (requests, errors, latencies as raw samples or a
 * histogram), how it is checked, pooled over intervals and summarised.
 */
import { addHistograms, validateHistogram } from '../histogram.js';
import { histogramLatencies, mergeSorted, quantile, rawLatencies, type LatencyData } from '../latency.js';
import type { IntervalSamples, JudgeSettings, TrackSamples, TrackSummary } from '../types.js';

export class JudgeInputError extends Error {
  override name = 'JudgeInputError';
}

export interface Track {
  total: number;
  errors: number;
  latency: LatencyData | null;
}

/** Both tracks' data over the same requests (one interval, or pooled over several). */
export interface TrackPair {
  b: Track;
  c: Track;
}

export type DataKind = 'raw' | 'histogram' | 'none';

export const EMPTY_TRACK: Track = Object.freeze({ total: 0, errors: 0, latency: null });

export const nullable = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function validateTrack(t: TrackSamples, where: string): void {
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

/** Checks the intervals (0-based, in order, no more than planned, one kind of latency data) and returns that kind. */
export function validateIntervals(intervals: readonly IntervalSamples[], settings: JudgeSettings): DataKind {
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

export function toTrack(t: TrackSamples): Track {
  let latency: LatencyData | null = null;
  if (t.latencies_ms !== undefined && t.latencies_ms.length > 0)
    latency = rawLatencies(Float64Array.from(t.latencies_ms).sort());
  else if (t.histogram !== undefined && (t.histogram.cumulative[t.histogram.cumulative.length - 1] ?? 0) > 0)
    latency = histogramLatencies(t.histogram);
  return { total: t.total, errors: t.errors, latency };
}

export function pool(a: Track, b: Track): Track {
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

/** The data after each look: intervals 1..k pooled, for k = 1..n. */
export function cumulativePairs(pairs: readonly TrackPair[]): TrackPair[] {
  const out: TrackPair[] = [];
  let cum: TrackPair = { b: EMPTY_TRACK, c: EMPTY_TRACK };
  for (const p of pairs) {
    cum = { b: pool(cum.b, p.b), c: pool(cum.c, p.c) };
    out.push(cum);
  }
  return out;
}

export const p95Of = (t: Track): number => (t.latency ? quantile(t.latency, 0.95) : Number.NaN);

export function summary(t: Track): TrackSummary {
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
