import type { Budget } from '../budget.js';
import type { JudgeSettings } from './types.js';

/**
 * Defaults of the judge. With the default traffic (`DEFAULT_CANARY_SAMPLE`: 5 intervals of 300
 * requests per track, log-normal latencies, sigma 0.5) the simulation tests show <= 1 % false fails
 * on identical tracks and >= 95 % fails on a +25 % latency slowdown at a 40 ms median. That power
 * holds from a median of about 30 ms up (measured: +25 % caught 96 % at 30 ms, 69 % at 20 ms, 6 %
 * at 10 ms), because of the absolute tolerance (4.5 ms): below 45 ms it is the larger part. For a
 * service answering in a few ms that is by design: at a 5 ms median, a x1.5 slowdown moves the
 * median by 2.5 ms, inside the tolerance, and the latency comparison passes it; only its tail can
 * still be caught (26 % of runs), and x2 is caught always. Fewer requests lower the power (see the
 * reported MDE). Details: docs/canary-judge.md#power-where-the-figures-hold.
 */
export const DEFAULT_JUDGE_SETTINGS: Readonly<JudgeSettings> = Object.freeze({
  alpha: 0.01,
  power: 0.8,
  ciLevel: 0.95,
  latencyTolerance: 0.1,
  latencyToleranceMs: 4.5, // budgetLatencyToleranceMs(maxP95Ms)
  errorRateTolerance: 0.005,
  intervals: 5,
  minSamplesPerInterval: 50,
  minTotalSamples: 200,
  maxP95Ms: 450,
  maxErrorRate: 0.01,
  multipleTesting: 'alpha-spending',
  bootstrapResamples: 2000,
  inconclusiveIsFailure: true,
});

/** The traffic the defaults were validated with: requests per track per interval, and interval count. */
export const DEFAULT_CANARY_SAMPLE = Object.freeze({ intervals: 5, requestsPerIntervalPerTrack: 300 });

/**
 * The absolute latency tolerance that goes with a p95 budget: 1 % of it (4.5 ms for 450 ms). A
 * slowdown that small is noise against the budget, yet it is what a fresh process or a busy host
 * moves a fast service's latencies by (the simulation tests show what it costs in power).
 */
export function budgetLatencyToleranceMs(p95BudgetMs: number): number {
  return Math.round(p95BudgetMs * 10) / 1000;
}

export class JudgeSettingsError extends Error {
  override name = 'JudgeSettingsError';
  /** The setting, what it must be and what it was: enough for a shell to name it its own way. */
  constructor(
    readonly key: string,
    readonly want: string,
    readonly value: unknown,
  ) {
    super(`judge setting "${key}" must be ${want}, got ${JSON.stringify(value)}`);
  }
}

/**
 * Defaults, then the budget's absolute limits (p95_ms, error_rate, min_requests) and the absolute
 * latency tolerance derived from it, then explicit overrides; validated, throwing a one-line
 * `JudgeSettingsError` naming the bad key.
 */
export function resolveJudgeSettings(overrides: Partial<JudgeSettings> = {}, budget?: Budget): JudgeSettings {
  const s: JudgeSettings = {
    ...DEFAULT_JUDGE_SETTINGS,
    ...(budget && {
      maxP95Ms: budget.p95_ms,
      maxErrorRate: budget.error_rate,
      minTotalSamples: budget.min_requests,
      latencyToleranceMs: budgetLatencyToleranceMs(budget.p95_ms),
    }),
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (s as unknown as Record<string, unknown>)[k] = v;
  }
  validateJudgeSettings(s);
  return s;
}

function check(ok: boolean, key: string, v: unknown, want: string): void {
  if (!ok) throw new JudgeSettingsError(key, want, v);
}

export function validateJudgeSettings(s: JudgeSettings): void {
  const open01 = (k: keyof JudgeSettings) => {
    const v = s[k];
    check(typeof v === 'number' && v > 0 && v < 1, k, v, 'a number in (0, 1)');
  };
  open01('alpha');
  open01('power');
  open01('ciLevel');
  const nonNeg = (k: keyof JudgeSettings, max = Infinity) => {
    const v = s[k];
    check(typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= max, k, v, `a number in [0, ${max}]`);
  };
  nonNeg('latencyTolerance', 10);
  nonNeg('latencyToleranceMs', 60_000);
  nonNeg('errorRateTolerance', 0.5);
  nonNeg('minSamplesPerInterval');
  nonNeg('minTotalSamples');
  const pos = (k: keyof JudgeSettings) => {
    const v = s[k];
    check(typeof v === 'number' && Number.isFinite(v) && v > 0, k, v, 'a positive number');
  };
  pos('maxP95Ms');
  pos('maxErrorRate');
  check(
    Number.isInteger(s.intervals) && s.intervals >= 1 && s.intervals <= 100,
    'intervals',
    s.intervals,
    'an integer in [1, 100]',
  );
  check(
    Number.isInteger(s.bootstrapResamples) && s.bootstrapResamples >= 100 && s.bootstrapResamples <= 100000,
    'bootstrapResamples',
    s.bootstrapResamples,
    'an integer in [100, 100000]',
  );
  check(
    s.multipleTesting === 'alpha-spending' || s.multipleTesting === 'holm',
    'multipleTesting',
    s.multipleTesting,
    '"alpha-spending" or "holm"',
  );
  check(typeof s.inconclusiveIsFailure === 'boolean', 'inconclusiveIsFailure', s.inconclusiveIsFailure, 'a boolean');
}
