/** Seeded synthetic tracks for the judge tests: log-normal latencies (web-like right skew) and Bernoulli errors. */
import type { IntervalSamples, TrackSamples } from '#core/canary/index.js';
import type { Rng } from '#core/stats/rng.js';

export interface TrackShape {
  medianMs: number;
  /** sigma of log latency; 0.5 puts p95 at about 2.3x the median. */
  sigma: number;
  errorRate: number;
  /** Added to every latency (ms): a fixed slowdown, e.g. one more network hop. */
  shiftMs?: number;
}

export const REALISTIC: TrackShape = { medianMs: 40, sigma: 0.5, errorRate: 0.002 };

export function simulateTrack(rng: Rng, n: number, shape: TrackShape): TrackSamples {
  const latencies = new Array<number>(n);
  let errors = 0;
  for (let i = 0; i < n; i++) {
    latencies[i] = shape.medianMs * Math.exp(shape.sigma * rng.normal()) + (shape.shiftMs ?? 0);
    if (rng.next() < shape.errorRate) errors++;
  }
  return { total: n, errors, latencies_ms: latencies };
}

export function simulateIntervals(
  rng: Rng,
  intervals: number,
  perInterval: number,
  baseline: TrackShape,
  canary: TrackShape | ((k: number) => TrackShape),
): IntervalSamples[] {
  const out: IntervalSamples[] = [];
  for (let k = 0; k < intervals; k++) {
    const c = typeof canary === 'function' ? canary(k) : canary;
    out.push({
      index: k,
      baseline: simulateTrack(rng, perInterval, baseline),
      canary: simulateTrack(rng, perInterval, c),
    });
  }
  return out;
}
