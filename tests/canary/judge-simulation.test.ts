/**
 * The judge's operating characteristics by simulation, at the default settings and the default
 * sample size (DEFAULT_CANARY_SAMPLE): realistic log-normal latencies around 40 ms, 0.2 % errors.
 */
import {
  DEFAULT_CANARY_SAMPLE,
  DEFAULT_JUDGE_SETTINGS,
  judge,
  type JudgeSettings,
} from '../../core/src/canary/index.js';
import { createRng } from '../../core/src/stats/rng.js';
import { REALISTIC, simulateIntervals, type TrackShape } from '../stats/simulate.js';

const RUNS = 1000;

function failRate(seed: number, canary: TrackShape, settings: JudgeSettings = { ...DEFAULT_JUDGE_SETTINGS }) {
  const rng = createRng(seed);
  const counts = { pass: 0, fail: 0, inconclusive: 0 };
  for (let r = 0; r < RUNS; r++) {
    const intervals = simulateIntervals(
      rng,
      DEFAULT_CANARY_SAMPLE.intervals,
      DEFAULT_CANARY_SAMPLE.requestsPerIntervalPerTrack,
      REALISTIC,
      canary,
    );
    counts[judge(intervals, settings, r).verdict]++;
  }
  return { ...counts, rate: counts.fail / RUNS };
}

describe('judge simulation (1,000 runs each, fixed seeds)', () => {
  it('A/A: identical tracks fail at most 1 % of the time and otherwise pass', () => {
    const r = failRate(20261126, REALISTIC);
    expect(r.rate).toBeLessThanOrEqual(0.01);
    expect(r.inconclusive).toBe(0);
  });

  it('a +25 % latency shift fails at least 95 % of the time', () => {
    const r = failRate(4242, { ...REALISTIC, medianMs: REALISTIC.medianMs * 1.25 });
    expect(r.rate).toBeGreaterThanOrEqual(0.95);
  });

  it('the sequential tests are not dead: with zero tolerances and alpha 0.1, A/A fails near but below 10 %', () => {
    // Without the tolerance shift the tests sit exactly on their null hypothesis, so this measures
    // the real false-fail rate of the alpha split (Bonferroni over looks makes it somewhat conservative).
    const strict: JudgeSettings = { ...DEFAULT_JUDGE_SETTINGS, alpha: 0.1, latencyTolerance: 0, errorRateTolerance: 0 };
    const r = failRate(777, REALISTIC, strict);
    expect(r.rate).toBeLessThanOrEqual(0.1);
    expect(r.rate).toBeGreaterThan(0.04);
  });
});
