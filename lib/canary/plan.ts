/**
 * Resolving the canary plan (its shape and pure parts live in core/src/canary/plan.ts) from the
 * inputs, the environment's entry in the config file, the budget file and the machine (k6 on PATH).
 *
 * Precedence: explicit inputs (action inputs / CLI flags) > the environment's entry in
 * `canary.config.json` > the embedded defaults below.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { loadBudget, type Budget } from '#core/budget.js';
import { repoFile } from '../load/scenario.js';
import { findOnPath } from '../which.js';
import { JudgeSettingsError, resolveJudgeSettings, type JudgeSettings } from '#core/canary/index.js';
import {
  CONFIG_FILE,
  EMBEDDED_ENVIRONMENTS,
  prometheusQueries,
  reportPathFor,
  runReportPathFor,
  timeRunKey,
  type CanaryPlan,
  type DeployerPlan,
  type EnvironmentConfig,
  type PrometheusPlan,
} from '#core/canary/plan.js';

import { InputError, parseHttpUrl, redactUrl } from '../inputs.js';
import { checkPrometheusTarget } from '../prometheus.js';
import type { SidesPlan } from '#core/canary/sides.js';
import { GitError } from '../git/index.js';
import { commandSides, resolveSides, WORKTREE_REF } from './baseline.js';

export class PlanError extends Error {
  override name = 'PlanError';
}

export interface PlanInputs {
  environment: string;
  sha: string;
  dryRun?: boolean;
  /** Folder the config file and the report path are resolved against (the workspace). */
  cwd: string;
  configPath?: string;
  deployer?: string;
  baselineUrl?: string;
  /** May hold `user:password@` (basic auth): the plan keeps the URL without it. */
  prometheusUrl?: string;
  /**
   * Sent with every Prometheus request (a bearer token, `X-Scope-OrgID`). Secret: the plan records
   * the names only; the values go to the run beside it (`CanarySecrets`).
   */
  prometheusHeaders?: Record<string, string>;
  prometheusScrapeIntervalSeconds?: number;
  deployCommand?: string;
  promoteCommand?: string;
  rollbackCommand?: string;
  cleanupCommand?: string;
  intervals?: number;
  intervalSeconds?: number;
  connections?: number;
  rate?: number;
  readinessTimeoutSeconds?: number;
  rollbackOnInconclusive?: boolean;
  warmupRequests?: number;
  latencyTolerance?: number;
  latencyToleranceMs?: number;
  errorRateTolerance?: number;
  budgetPath?: string;
  /** Canary port: local deployer - the canary process listens on it; command deployer - handed to the deploy command as CANARY_PORT. 0 or unset: a free one. */
  canaryPort?: number;
  /** Extra environment for the canary only (feature flags, fault injection in tests). */
  canaryEnv?: Record<string, string>;
  driver?: 'auto' | 'builtin' | 'k6';
  seed?: number;
  /** The baseline's commit (tag, branch, sha); default: the rule in lib/canary/baseline.ts. */
  baselineRef?: string;
  /** `worktree`: the canary is the uncommitted working tree, not the commit `sha`. */
  canaryRef?: string;
  /** Names this run's own report; default `run<GITHUB_RUN_ID>-<GITHUB_RUN_ATTEMPT>` on Actions, else the start time. */
  runKey?: string;
}

const RUN_KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** The run's name in its report's file name (see `runReportPathFor`). */
export function defaultRunKey(env: NodeJS.ProcessEnv = process.env, now = new Date()): string {
  const id = env.GITHUB_RUN_ID;
  return id && /^\d+$/.test(id)
    ? `run${id}-${/^\d+$/.test(env.GITHUB_RUN_ATTEMPT ?? '') ? env.GITHUB_RUN_ATTEMPT : '1'}`
    : timeRunKey(now);
}

/**
 * What the run needs beside the plan and must never print or store: the Prometheus URL as given
 * (with its credentials) and the header values. Not part of `CanaryPlan`, so serialising the plan
 * cannot leak them.
 */
export interface CanarySecrets {
  prometheus: { url: string; headers: Record<string, string> } | null;
}

/** Judge settings that are also inputs, by the input's name. */
const JUDGE_INPUTS: Record<string, string> = {
  latencyTolerance: 'latency-tolerance',
  latencyToleranceMs: 'latency-tolerance-ms',
  errorRateTolerance: 'error-rate-tolerance',
};

const SHA_RE = /^[0-9a-f]{7,40}$/i;
const ENV_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function readConfig(inputs: PlanInputs): { envs: Record<string, EnvironmentConfig>; source: string } {
  const explicit = inputs.configPath !== undefined && inputs.configPath !== '';
  const file = explicit ? resolve(inputs.cwd, inputs.configPath!) : join(inputs.cwd, CONFIG_FILE);
  if (!existsSync(file)) {
    if (explicit) throw new PlanError(`canary config file ${file} does not exist`);
    return { envs: { ...EMBEDDED_ENVIRONMENTS }, source: 'embedded defaults' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PlanError(`canary config ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const envs = (raw as { environments?: unknown }).environments;
  if (typeof envs !== 'object' || envs === null || Array.isArray(envs)) {
    throw new PlanError(`canary config ${file}: expected {"environments": {"<name>": {...}}}`);
  }
  return { envs: envs as Record<string, EnvironmentConfig>, source: file };
}

function num(name: string, v: unknown, min: number, max: number, integer = true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new PlanError(
      `${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** Turns a shared parser's InputError into the plan's own error (exit 2, one line). */
function planInput<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InputError) throw new PlanError(err.message);
    throw err;
  }
}

function url(name: string, v: string): string {
  return planInput(() => parseHttpUrl(name, v)).href.replace(/\/$/, '');
}

const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Resolves the plan; throws PlanError (exit 2) with one readable line on any bad input. */
export function resolvePlan(inputs: PlanInputs): CanaryPlan {
  return resolvePlanAndSecrets(inputs).plan;
}

/** The plan, and the secrets a real run needs beside it (see `CanarySecrets`). */
export function resolvePlanAndSecrets(inputs: PlanInputs): { plan: CanaryPlan; secrets: CanarySecrets } {
  if (!ENV_RE.test(inputs.environment)) {
    throw new PlanError(`environment name ${JSON.stringify(inputs.environment)} is not valid (letters, digits, . _ -)`);
  }
  if (!SHA_RE.test(inputs.sha)) throw new PlanError(`sha ${JSON.stringify(inputs.sha)} is not a 7-40 digit hex commit`);
  const sha = inputs.sha.toLowerCase();
  const { envs, source } = readConfig(inputs);
  const env = envs[inputs.environment];
  if (!env || typeof env !== 'object') {
    const known = Object.keys(envs).sort().join(', ') || 'none';
    throw new PlanError(`unknown environment "${inputs.environment}" (configured in ${source}: ${known})`);
  }

  const { budget, budgetPath } = resolveBudget(inputs);
  const intervals = num('intervals', inputs.intervals ?? env.intervals ?? 5, 1, 100);
  const intervalS = num('interval-seconds', inputs.intervalSeconds ?? env.interval_seconds ?? 10, 1, 3600, false);
  const connections = num('connections', inputs.connections ?? env.connections ?? 4, 1, 256);
  const rate = num('rate', inputs.rate ?? env.rate ?? 30, 1, 10_000);
  const readinessTimeout = num(
    'readiness-timeout-seconds',
    inputs.readinessTimeoutSeconds ?? env.readiness_timeout_seconds ?? 60,
    1,
    3600,
    false,
  );
  // A fresh Node process serves about half as fast as one that has answered thousands of requests
  // (measured: medians 4.2 vs 1.9 ms after 1,000 vs 3,000): warm the canary before comparing.
  const warmupRequests = num('warmup-requests', inputs.warmupRequests ?? env.warmup_requests ?? 1000, 0, 100_000);
  const canaryPort = num('canary-port', inputs.canaryPort ?? 0, 0, 65535);
  const seed = num('seed', inputs.seed ?? parseInt(sha.slice(0, 8), 16), 0, 2 ** 32);

  const baselineRaw = inputs.baselineUrl || env.baseline_url || '';
  const baselineUrl = baselineRaw ? url('baseline-url', baselineRaw) : null;
  const deployer = resolveDeployer(inputs, env, baselineUrl, canaryPort);
  const driver = resolveDriver(inputs);
  const sides = resolvePlanSides(inputs, deployer, sha, baselineUrl);
  const { prometheus, promSecrets } = resolvePrometheus(inputs, env, intervalS, intervals * intervalS);
  const rollbackOnInconclusive = inputs.rollbackOnInconclusive ?? env.rollback_on_inconclusive ?? true;
  const judge = resolveJudge(inputs, env, budget, intervals, rollbackOnInconclusive);
  const reportPath = reportPathFor(inputs.cwd, inputs.environment, sha);
  const runKey = inputs.runKey ?? defaultRunKey();
  if (!RUN_KEY_RE.test(runKey))
    throw new PlanError(`run key ${JSON.stringify(runKey)} is not valid (letters, digits, . _ -)`);
  const plan: CanaryPlan = {
    version: 1,
    environment: inputs.environment,
    sha,
    config_source: source,
    deployer,
    sides,
    budget: {
      path: budgetPath,
      p95_ms: budget.p95_ms,
      error_rate: budget.error_rate,
      min_requests: budget.min_requests,
    },
    traffic: {
      driver,
      connections,
      rate_per_s: rate,
      interval_s: intervalS,
      max_requests_per_interval: Math.ceil(rate * intervalS),
      warmup_requests: warmupRequests,
      warmup_max_s: 10,
      scenario: 'k6/scenario.json',
    },
    analysis: { intervals, interval_s: intervalS, window_s: intervals * intervalS, seed },
    readiness: { path: '/health/ready', timeout_s: readinessTimeout, initial_backoff_ms: 100, max_backoff_ms: 5000 },
    judge,
    prometheus,
    rollback_on_inconclusive: rollbackOnInconclusive,
    report_path: isAbsolute(reportPath) ? reportPath : resolve(reportPath),
    report_run_path: resolve(runReportPathFor(inputs.cwd, inputs.environment, sha, runKey)),
    configured_wait_s: readinessTimeout + intervals * intervalS,
  };
  return { plan, secrets: { prometheus: promSecrets } };
}

/** The workspace's budget first, else the one of the repository this code sits in. */
function resolveBudget(inputs: PlanInputs): { budget: Budget; budgetPath: string } {
  // Found by walking up, which also holds for the bundled action, unlike a path relative to the core's module.
  const workspaceBudget = join(inputs.cwd, 'k6', 'budget.json');
  const budgetPath = inputs.budgetPath
    ? resolve(inputs.cwd, inputs.budgetPath)
    : existsSync(workspaceBudget)
      ? workspaceBudget
      : repoFile('k6/budget.json');
  let budget: Budget;
  try {
    budget = loadBudget(budgetPath);
  } catch (err) {
    throw new PlanError((err as Error).message);
  }

  return { budget, budgetPath };
}

function resolveDeployer(
  inputs: PlanInputs,
  env: EnvironmentConfig,
  baselineUrl: string | null,
  canaryPort: number,
): DeployerPlan {
  const kind = inputs.deployer || env.deployer || 'local';
  if (kind === 'local') {
    // canary-port 0: the OS picks the port (a scrape config then finds the canary by service
    // discovery); a fixed port suits a static scrape config.
    if (inputs.canaryEnv && 'PORT' in inputs.canaryEnv)
      throw new PlanError("set the local canary's port with canary-port, not PORT in canary-env");
    return {
      kind: 'local',
      baseline_url: baselineUrl,
      canary_port: canaryPort,
      canary_env: { ...inputs.canaryEnv },
    };
  } else if (kind === 'command') {
    const deploy = inputs.deployCommand || env.deploy_command;
    if (!deploy) throw new PlanError('the command deployer needs a deploy command (input deploy-command)');
    if (!baselineUrl) throw new PlanError('the command deployer needs the baseline URL (input baseline-url)');
    return {
      kind: 'command',
      baseline_url: baselineUrl,
      canary_port: canaryPort,
      commands: {
        deploy,
        promote: inputs.promoteCommand || env.promote_command || null,
        rollback: inputs.rollbackCommand || env.rollback_command || null,
        cleanup: inputs.cleanupCommand || env.cleanup_command || null,
      },
      command_timeout_s: num('command_timeout_seconds', env.command_timeout_seconds ?? 300, 1, 3600),
    };
  } else {
    throw new PlanError(`unknown deployer "${kind}" (expected local or command)`);
  }
}

/**
 * Which code each side is (lib/canary/baseline.ts): the local deployer builds both from their
 * commits; the command deployer deploys `sha` beside the baseline URL. A ref that does not resolve
 * is a PlanError (exit 2, one line).
 */
function resolvePlanSides(
  inputs: PlanInputs,
  deployer: DeployerPlan,
  sha: string,
  baselineUrl: string | null,
): SidesPlan {
  if (inputs.canaryRef && inputs.canaryRef !== WORKTREE_REF)
    throw new PlanError(
      `canary-ref must be "${WORKTREE_REF}" (judge the uncommitted working tree), got ${JSON.stringify(inputs.canaryRef)}`,
    );
  if (deployer.kind === 'command' && (inputs.baselineRef || inputs.canaryRef))
    throw new PlanError(
      'baseline-ref and canary-ref need the local deployer (the command deployer deploys what it is told)',
    );
  let sides: SidesPlan;
  try {
    sides =
      deployer.kind === 'local'
        ? resolveSides({
            cwd: inputs.cwd,
            sha: inputs.sha,
            baselineRef: inputs.baselineRef,
            canaryRef: inputs.canaryRef,
            baselineUrl,
          })
        : commandSides(sha, baselineUrl);
  } catch (err) {
    if (err instanceof GitError) throw new PlanError(err.message);
    throw err;
  }
  if (sides.mode === 'checkout' && (inputs.baselineRef || inputs.canaryRef))
    throw new PlanError(`baseline-ref and canary-ref need a git repository; ${inputs.cwd} is not in one`);
  return sides;
}

/** k6 when asked for or found on PATH (auto), else the built-in driver, which loads loopback hosts and the hosts the user named. */
function resolveDriver(inputs: PlanInputs): 'builtin' | 'k6' {
  const driverWanted = inputs.driver ?? 'auto';
  if (!['auto', 'builtin', 'k6'].includes(driverWanted)) throw new PlanError(`unknown driver "${driverWanted}"`);
  const hasK6 = findOnPath('k6') !== undefined;
  if (driverWanted === 'k6' && !hasK6) throw new PlanError('driver k6 was asked for but k6 is not on PATH');
  const driver = driverWanted === 'builtin' || !hasK6 ? 'builtin' : 'k6';
  return driver;
}

function resolvePrometheus(
  inputs: PlanInputs,
  env: EnvironmentConfig,
  intervalS: number,
  windowS: number,
): { prometheus: PrometheusPlan | null; promSecrets: CanarySecrets['prometheus'] } {
  const promRaw = inputs.prometheusUrl || env.prometheus_url || '';
  let prometheus: PrometheusPlan | null = null;
  let promSecrets: CanarySecrets['prometheus'] = null;
  if (promRaw) {
    const headers = { ...inputs.prometheusHeaders };
    const { url: parsed, basicAuth: basic } = planInput(() =>
      checkPrometheusTarget('prometheus-url', promRaw, headers),
    );
    const fullUrl = parsed.href.replace(/\/$/, '');
    promSecrets = { url: fullUrl, headers };
    const trackLabel = env.track_label ?? 'track';
    if (!LABEL_RE.test(trackLabel))
      throw new PlanError(`track_label ${JSON.stringify(trackLabel)} is not a label name`);
    const selector = env.prometheus_selector ?? '';
    const lookback = 300;
    prometheus = {
      url: redactUrl(fullUrl),
      basic_auth_from_url: basic,
      header_names: Object.keys(headers),
      track_label: trackLabel,
      selector,
      baseline_lookback_s: lookback,
      scrape_interval_s: num(
        'prometheus-scrape-interval-seconds',
        inputs.prometheusScrapeIntervalSeconds ?? env.prometheus_scrape_interval_seconds ?? 15,
        0,
        600,
        false,
      ),
      queries: prometheusQueries(trackLabel, selector, intervalS, windowS, lookback),
    };
  } else if (Object.keys(inputs.prometheusHeaders ?? {}).length > 0) {
    throw new PlanError('prometheus headers are given but no prometheus-url');
  }

  return { prometheus, promSecrets };
}

function resolveJudge(
  inputs: PlanInputs,
  env: EnvironmentConfig,
  budget: Budget,
  intervals: number,
  rollbackOnInconclusive: boolean,
): JudgeSettings {
  try {
    return resolveJudgeSettings(
      {
        intervals,
        inconclusiveIsFailure: rollbackOnInconclusive,
        latencyTolerance: inputs.latencyTolerance ?? env.latency_tolerance,
        latencyToleranceMs: inputs.latencyToleranceMs ?? env.latency_tolerance_ms,
        errorRateTolerance: inputs.errorRateTolerance ?? env.error_rate_tolerance,
      },
      budget,
    );
  } catch (err) {
    // The settings a user can give are named as the inputs and flags spell them.
    const input = err instanceof JudgeSettingsError ? JUDGE_INPUTS[err.key] : undefined;
    if (input && err instanceof JudgeSettingsError)
      throw new PlanError(`${input} must be ${err.want}, got ${JSON.stringify(err.value)}`);
    throw new PlanError((err as Error).message);
  }
}
