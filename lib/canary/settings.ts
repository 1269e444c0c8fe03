/**
 * The canary's single-valued settings as the action's inputs and the CLI's flags both name them
 * (`baseline-url` is `input baseline-url` and `--baseline-url`), read through one table so the two
 * shells cannot drift apart. Multi-valued ones (`canary-env`, Prometheus headers) stay with each shell.
 */
import { parseBool, parseNumber } from '../inputs.js';
import type { PlanInputs } from './plan.js';

/** Text settings; an empty value is the same as none (the plan then falls back to the config file). */
export const TEXT_SETTINGS = {
  config: 'configPath',
  deployer: 'deployer',
  'baseline-url': 'baselineUrl',
  'prometheus-url': 'prometheusUrl',
  'deploy-command': 'deployCommand',
  'promote-command': 'promoteCommand',
  'rollback-command': 'rollbackCommand',
  'cleanup-command': 'cleanupCommand',
  budget: 'budgetPath',
  driver: 'driver',
  'baseline-ref': 'baselineRef',
  'canary-ref': 'canaryRef',
} as const satisfies Record<string, keyof PlanInputs>;

export const NUMBER_SETTINGS = {
  'prometheus-scrape-interval-seconds': 'prometheusScrapeIntervalSeconds',
  intervals: 'intervals',
  'interval-seconds': 'intervalSeconds',
  connections: 'connections',
  rate: 'rate',
  'readiness-timeout-seconds': 'readinessTimeoutSeconds',
  'canary-port': 'canaryPort',
  'warmup-requests': 'warmupRequests',
  'latency-tolerance': 'latencyTolerance',
  'latency-tolerance-ms': 'latencyToleranceMs',
  'error-rate-tolerance': 'errorRateTolerance',
} as const satisfies Record<string, keyof PlanInputs>;

export const BOOLEAN_SETTINGS = {
  'rollback-on-inconclusive': 'rollbackOnInconclusive',
} as const satisfies Record<string, keyof PlanInputs>;

/** Every setting name of the tables above. */
export const SETTING_NAMES: readonly string[] = [
  ...Object.keys(TEXT_SETTINGS),
  ...Object.keys(NUMBER_SETTINGS),
  ...Object.keys(BOOLEAN_SETTINGS),
];

/**
 * The settings that are given, as plan inputs. `read(name)` is the raw value (an input, a flag),
 * `label(name)` how an error names it ("input rate", "--rate").
 */
export function readSettings(
  read: (name: string) => string | undefined,
  label: (name: string) => string,
): Partial<PlanInputs> {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(TEXT_SETTINGS)) {
    const v = read(name);
    if (v) out[key] = v;
  }
  for (const [name, key] of Object.entries(NUMBER_SETTINGS)) {
    const v = parseNumber(label(name), read(name));
    if (v !== undefined) out[key] = v;
  }
  for (const [name, key] of Object.entries(BOOLEAN_SETTINGS)) {
    const v = parseBool(label(name), read(name));
    if (v !== undefined) out[key] = v;
  }
  return out as Partial<PlanInputs>;
}
