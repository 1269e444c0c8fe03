/**
 * Base-branch comparison: the relative p95 change against the baseline, flagged as a regression
 * only when it is beyond run-to-run noise.
 *
 * The rule:
 *   1. noise band = max(floor, 2 x MARD), where MARD is the median absolute relative difference of
 *      p95 between consecutive usable runs of the recorded history (at least 3 pairs needed,
 *      otherwise only the floor, 10 % by default, applies). For independent runs, the median of
 *      |p95_i - p95_{i-1}| / p95_{i-1} is about 0.95 standard deviations of the relative run-to-run
 *      spread, so 2 x MARD is roughly a two-sigma band.
 *   2. change = (p95 - base_p95) / base_p95.
 *   3. regression  when change >  band AND, if both runs carry a p95 CI, the CIs do not overlap
 *      (current lower bound above the baseline's upper bound);
 *      improvement when change < -band AND, likewise, the current upper bound is below the base's lower bound.
 *   Otherwise the change is within noise.
 */
import type { HistoryEntry } from './history.js';
import { isUsableBaseline } from './history.js';

export const DEFAULT_NOISE_FLOOR = 0.1;
const MIN_PAIRS = 3;

export interface NoiseBand {
  band: number;
  /** `history` when the history's spread set the band, `floor` otherwise. */
  source: 'history' | 'floor';
  /** Median absolute relative difference between consecutive runs, when computable. */
  mard?: number;
  pairs: number;
}

export interface BaselineComparison {
  sha: string;
  ref: string;
  time: string;
  base_p95_ms: number;
  base_p95_ci_ms?: [number, number];
  p95_ms: number;
  /** Relative change, (p95 - base) / base; +0.2 = 20 % slower. */
  p95_change: number;
  noise: NoiseBand;
  /** Whether the CIs of both runs were available and consulted. */
  ci_used: boolean;
  status: 'regression' | 'improvement' | 'within-noise';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function noiseBand(history: readonly HistoryEntry[], floor = DEFAULT_NOISE_FLOOR): NoiseBand {
  const p95s = history.filter(isUsableBaseline).map((e) => e.p95_ms as number);
  const diffs: number[] = [];
  for (let i = 1; i < p95s.length; i++) diffs.push(Math.abs(p95s[i]! - p95s[i - 1]!) / p95s[i - 1]!);
  if (diffs.length < MIN_PAIRS) return { band: floor, source: 'floor', pairs: diffs.length };
  const mard = median(diffs);
  const fromHistory = 2 * mard;
  return fromHistory > floor
    ? { band: fromHistory, source: 'history', mard, pairs: diffs.length }
    : { band: floor, source: 'floor', mard, pairs: diffs.length };
}

export function compareWithBaseline(
  current: { p95_ms: number; p95_ci_ms?: [number, number] | undefined },
  baseline: HistoryEntry,
  history: readonly HistoryEntry[] = [],
  floor = DEFAULT_NOISE_FLOOR,
): BaselineComparison | undefined {
  if (!isUsableBaseline(baseline) || !Number.isFinite(current.p95_ms)) return undefined;
  const base = baseline.p95_ms as number;
  const change = (current.p95_ms - base) / base;
  const noise = noiseBand(history, floor);
  const ciUsed = current.p95_ci_ms !== undefined && baseline.p95_ci_ms !== undefined;
  const [lo, hi] = current.p95_ci_ms ?? [current.p95_ms, current.p95_ms];
  const [blo, bhi] = baseline.p95_ci_ms ?? [base, base];
  let status: BaselineComparison['status'] = 'within-noise';
  if (change > noise.band && (!ciUsed || lo > bhi)) status = 'regression';
  else if (change < -noise.band && (!ciUsed || hi < blo)) status = 'improvement';
  const out: BaselineComparison = {
    sha: baseline.sha,
    ref: baseline.ref,
    time: baseline.time,
    base_p95_ms: base,
    p95_ms: current.p95_ms,
    p95_change: change,
    noise,
    ci_used: ciUsed,
    status,
  };
  if (baseline.p95_ci_ms) out.base_p95_ci_ms = baseline.p95_ci_ms;
  return out;
}
