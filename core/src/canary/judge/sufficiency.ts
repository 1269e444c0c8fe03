/**
 * Enough data to judge? Every planned interval present and filled, enough requests in total, and
 * latency data at all. Too little is "inconclusive", never a silent pass.
 */
import type { IntervalJudgement, JudgeSettings } from '../types.js';
import type { Classifier } from './context.js';
import type { DataKind, TrackPair } from './tracks.js';

export interface Sufficiency {
  sufficient: boolean;
  /** Plain words, one per problem. */
  problems: string[];
}

export function sufficiency(
  perInterval: readonly IntervalJudgement[],
  cum: TrackPair,
  dataKind: DataKind,
  s: JudgeSettings,
): Sufficiency {
  const judged = perInterval.length;
  const K = s.intervals;
  const problems: string[] = [];
  if (judged === 0) problems.push('no interval was judged (no data)');
  else if (judged < K) problems.push(`only ${judged} of ${K} planned intervals were judged`);
  for (const iv of perInterval) {
    if (iv.insufficient)
      problems.push(
        `interval ${iv.index + 1} has ${iv.baseline.n} baseline and ${iv.canary.n} canary requests, fewer than the minimum ${s.minSamplesPerInterval}`,
      );
  }
  const { b, c } = cum;
  if (judged > 0 && Math.min(b.total, c.total) < s.minTotalSamples)
    problems.push(
      `${b.total} baseline and ${c.total} canary requests in total, fewer than the minimum ${s.minTotalSamples}`,
    );
  if (judged > 0 && dataKind === 'none') problems.push('no latency data');
  return { sufficient: problems.length === 0, problems };
}

export const samples: Classifier = {
  metric: 'samples',
  classify: ({ sufficiency: suf, cum, perInterval }) =>
    suf.sufficient
      ? {
          metric: 'samples',
          status: 'pass',
          reason: `samples: ${cum.b.total} baseline and ${cum.c.total} canary requests over ${perInterval.length} intervals`,
        }
      : { metric: 'samples', status: 'inconclusive', reason: `samples: ${suf.problems.join('; ')}` },
};
