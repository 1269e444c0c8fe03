/**
 * The canary plan: every decision of a run resolved up front (environment, deployer and its
 * commands, budget, traffic shape, analysis intervals, judge settings, the exact PromQL, the report
 * path), so `--dry-run` can show precisely what a real run would do, and the report records it.
 *
 * Precedence: explicit inputs (action inputs / CLI flags) > the environment's entry in
 * `canary.config.json` > the embedded defaults below.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { loadBudget, type Budget } from '../../core/src/budget.js';
import { repoFile } from '../load/scenario.js';
import { findOnPath } from '../which.js';
import { JudgeSettingsError, resolveJudgeSettings, type JudgeSettings } from '../../core/src/canary/index.js';
import type { ReadinessSettings } from './readiness.js';
import { InputError, parseHttpUrl, redactUrl } from '../inputs.js';
import { checkPrometheusTarget } from '../prometheus.js';
import { describeSides, type SidesPlan } from '../../core/src/canary/sides.js';
import { GitError } from '../git/index.js';
import { commandSides, resolveSides, WORKTREE_REF } from './baseline.js';
import { maskPlanCommands } from './shell.js';

export class PlanError extends Error {
  override name = 'PlanError';
}

/** One environment's settings as written in `canary.config.json` (all optional). */
export interface EnvironmentConfig {
  deployer?: 'local' | 'command';
  baseline_url?: string;
  prometheus_url?: string;
  deploy_command?: string;
  promote_command?: string;
  rollback_command?: string;
  cleanup_command?: string;
  command_timeout_seconds?: number;
  intervals?: number;
  interval_seconds?: number;
  connections?: number;
  rate?: number;
  readiness_timeout_seconds?: number;
  rollback_on_inconclusive?: boolean;
  /** Unjudged requests to each target before interval 1 (JIT and pools of a fresh canary warm up). */
  warmup_requests?: number;
  /** Allowed relative slowdown of the canary (0.1 = 10 %). */
  latency_tolerance?: number;
  /** Allowed absolute slowdown in ms (the larger of the two applies). */
  latency_tolerance_ms?: number;
  /** Allowed error-rate rise, 0..0.5 (0.005 = 0.5 percentage points). */
  error_rate_tolerance?: number;
  /** Prometheus label that tells the tracks apart (applied by the scrape config). */
  track_label?: string;
  /** Extra label matchers added to every query, e.g. `job="hotel"`. */
  prometheus_selector?: string;
  /** Prometheus's scrape interval for the service: the run waits one more before its last queries. */
  prometheus_scrape_interval_seconds?: number;
}

/**
 * Practical defaults: 5 x 10 s of analysis at 30 requests/s per target = 300 requests per track per
 * interval, the sample the judge's defaults were validated with (DEFAULT_CANARY_SAMPLE).
 */
export const EMBEDDED_ENVIRONMENTS: Readonly<Record<string, EnvironmentConfig>> = {
  staging: {
    deployer: 'local',
    intervals: 5,
    interval_seconds: 10,
    connections: 4,
    rate: 30,
    readiness_timeout_seconds: 60,
  },
  production: {
    deployer: 'local',
    intervals: 6,
    interval_seconds: 10,
    connections: 4,
    rate: 30,
    readiness_timeout_seconds: 120,
  },
};

export const CONFIG_FILE = 'canary.config.json';

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
}

export type DeployerPlan =
  | {
      kind: 'local';
      /** Baseline URL, or null: a second local process with SERVICE_TRACK=stable is started. */
      baseline_url: string | null;
      /** Port of the canary process; 0: the OS picks one. */
      canary_port: number;
      canary_env: Record<string, string>;
    }
  | {
      kind: 'command';
      baseline_url: string | null;
      canary_port: number;
      commands: { deploy: string; promote: string | null; rollback: string | null; cleanup: string | null };
      command_timeout_s: number;
    };

export interface PrometheusPlan {
  /** Without credentials: the plan is printed and stored in the report. */
  url: string;
  /** The URL held user:password, sent as `Authorization: Basic` (never shown). */
  basic_auth_from_url: boolean;
  /** Names of the extra headers sent with every query (their values are never shown). */
  header_names: string[];
  track_label: string;
  selector: string;
  /** Window before the deploy over which the baseline's p95 is captured. */
  baseline_lookback_s: number;
  scrape_interval_s: number;
  queries: {
    /** Instant, evaluated before the deploy: the baseline's p95 as it serves. */
    baseline_p95: string;
    /** Instant, evaluated at the end of the analysis window, per track. */
    window_p95: { stable: string; canary: string };
    /** Range (step = interval): per-interval increase of each cumulative bucket, per track. */
    interval_buckets: { stable: string; canary: string };
    /** Range (step = interval): per-interval failed (status >= 400) request count, per track. */
    interval_errors: { stable: string; canary: string };
  };
}

export interface CanaryPlan {
  version: 1;
  environment: string;
  sha: string;
  config_source: string;
  deployer: DeployerPlan;
  /** Which code each side is (ref, full sha, the rule that chose the baseline): docs/canary-baseline.md. */
  sides: SidesPlan;
  budget: { path: string; p95_ms: number; error_rate: number; min_requests: number };
  traffic: {
    driver: 'builtin' | 'k6';
    connections: number;
    rate_per_s: number;
    interval_s: number;
    max_requests_per_interval: number;
    /** Unjudged requests sent to each target before the first interval, as fast as it answers. */
    warmup_requests: number;
    /** Bound of the warm-up's duration. */
    warmup_max_s: number;
    /** Request names of the mix (k6/scenario.json), sent identically to both targets. */
    scenario: string;
  };
  analysis: { intervals: number; interval_s: number; window_s: number; seed: number };
  readiness: ReadinessSettings;
  /** The judge's settings (core/src/canary defaults, then the budget's limits, then the environment's and the inputs' tolerances). */
  judge: JudgeSettings;
  prometheus: PrometheusPlan | null;
  rollback_on_inconclusive: boolean;
  report_path: string;
  /** Upper bound on the configured waits (readiness timeout + analysis window), for the bench. */
  configured_wait_s: number;
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

/** Label selector of one track's served requests (probes and scrapes excluded). */
export function servedSelector(trackLabel: string, extraSelector: string, track: string, more = ''): string {
  return `{${[`${trackLabel}="${track}"`, 'route!~"/metrics|/health/.*"', extraSelector, more].filter(Boolean).join(',')}}`;
}

/**
 * Tracks are told apart by a label the scrape config attaches to each target (for Kubernetes, a
 * relabelled pod label; in tests, static_configs labels). The service's own `service_build_info{track}`
 * would be renamed `exported_track` by such a config, so queries never join on it.
 * Probes and scrapes are excluded so only the served mix is judged.
 */
export function prometheusQueries(
  trackLabel: string,
  extraSelector: string,
  intervalS: number,
  windowS: number,
  lookbackS: number,
): PrometheusPlan['queries'] {
  const sel = (track: string, more = ''): string => servedSelector(trackLabel, extraSelector, track, more);
  const p95 = (track: string, range: number, fn: 'rate' | 'increase'): string =>
    `histogram_quantile(0.95, sum by (le) (${fn}(http_request_duration_seconds_bucket${sel(track)}[${range}s])))`;
  const buckets = (track: string): string =>
    `sum by (le) (increase(http_request_duration_seconds_bucket${sel(track)}[${intervalS}s]))`;
  const errors = (track: string): string =>
    `sum(increase(http_request_duration_seconds_count${sel(track, 'status_code=~"[45].."')}[${intervalS}s]))`;
  return {
    baseline_p95: p95('stable', lookbackS, 'rate'),
    window_p95: { stable: p95('stable', windowS, 'increase'), canary: p95('canary', windowS, 'increase') },
    interval_buckets: { stable: buckets('stable'), canary: buckets('canary') },
    interval_errors: { stable: errors('stable'), canary: errors('canary') },
  };
}

export function reportPathFor(cwd: string, environment: string, sha: string): string {
  return resolve(cwd, 'reports', 'performance', `canary-${environment}-${sha}.json`);
}

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

  // The workspace's budget first, else the one of the repository this code sits in (found by walking
  // up, which also holds for the bundled action, unlike a path relative to the core's module).
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
  const kind = inputs.deployer || env.deployer || 'local';
  let deployer: DeployerPlan;
  if (kind === 'local') {
    // canary-port 0: the OS picks the port (a scrape config then finds the canary by service
    // discovery); a fixed port suits a static scrape config.
    if (inputs.canaryEnv && 'PORT' in inputs.canaryEnv)
      throw new PlanError("set the local canary's port with canary-port, not PORT in canary-env");
    deployer = {
      kind: 'local',
      baseline_url: baselineUrl,
      canary_port: canaryPort,
      canary_env: { ...inputs.canaryEnv },
    };
  } else if (kind === 'command') {
    const deploy = inputs.deployCommand || env.deploy_command;
    if (!deploy) throw new PlanError('the command deployer needs a deploy command (input deploy-command)');
    if (!baselineUrl) throw new PlanError('the command deployer needs the baseline URL (input baseline-url)');
    deployer = {
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

  if (inputs.canaryRef && inputs.canaryRef !== WORKTREE_REF)
    throw new PlanError(
      `canary-ref must be "${WORKTREE_REF}" (judge the uncommitted working tree), got ${JSON.stringify(inputs.canaryRef)}`,
    );
  if (kind === 'command' && (inputs.baselineRef || inputs.canaryRef))
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

  const driverWanted = inputs.driver ?? 'auto';
  if (!['auto', 'builtin', 'k6'].includes(driverWanted)) throw new PlanError(`unknown driver "${driverWanted}"`);
  const hasK6 = findOnPath('k6') !== undefined;
  if (driverWanted === 'k6' && !hasK6) throw new PlanError('driver k6 was asked for but k6 is not on PATH');
  const driver = driverWanted === 'builtin' || !hasK6 ? 'builtin' : 'k6';

  const windowS = intervals * intervalS;
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

  const rollbackOnInconclusive = inputs.rollbackOnInconclusive ?? env.rollback_on_inconclusive ?? true;
  let judge: JudgeSettings;
  try {
    judge = resolveJudgeSettings(
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
  const reportPath = reportPathFor(inputs.cwd, inputs.environment, sha);
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
    analysis: { intervals, interval_s: intervalS, window_s: windowS, seed },
    readiness: { path: '/health/ready', timeout_s: readinessTimeout, initial_backoff_ms: 100, max_backoff_ms: 5000 },
    judge,
    prometheus,
    rollback_on_inconclusive: rollbackOnInconclusive,
    report_path: isAbsolute(reportPath) ? reportPath : resolve(reportPath),
    configured_wait_s: readinessTimeout + windowS,
  };
  return { plan, secrets: { prometheus: promSecrets } };
}

function promAuth(p: PrometheusPlan): string {
  const parts = [
    ...(p.basic_auth_from_url ? ['basic auth from the URL'] : []),
    ...(p.header_names.length ? [`headers ${p.header_names.join(', ')}`] : []),
  ];
  return parts.length ? ` (${parts.join('; ')}, values hidden)` : '';
}

/** The plan in words, for people; `--dry-run` prints this followed by the JSON. */
export function describePlan(p: CanaryPlan): string {
  // User commands may carry tokens (--token=...): shown masked, run as written.
  const d = maskPlanCommands(p).deployer;
  const lines = [
    `Canary plan for ${p.environment} at ${p.sha} (config: ${p.config_source})`,
    d.kind === 'local'
      ? `  deploy:    local process, SERVICE_TRACK=canary on ${d.canary_port ? `port ${d.canary_port}` : 'a free port'}; baseline ${d.baseline_url ?? 'a second local process (SERVICE_TRACK=stable)'}`
      : `  deploy:    command \`${d.commands.deploy}\` (timeout ${d.command_timeout_s}s); baseline ${d.baseline_url}`,
    ...(d.kind === 'command'
      ? [
          `  promote:   ${d.commands.promote ? `\`${d.commands.promote}\`` : '(no command)'}`,
          `  rollback:  ${d.commands.rollback ? `\`${d.commands.rollback}\`` : '(no command)'}`,
          `  cleanup:   ${d.commands.cleanup ? `\`${d.commands.cleanup}\`` : '(no command)'}`,
        ]
      : []),
    `  sides:     ${describeSides(p.sides)}`,
    ...(p.sides.aa ? [`  A/A:       ${p.sides.summary}`] : []),
    ...(p.sides.dirty && !p.sides.canary.worktree
      ? [
          '  warning:   the working tree has uncommitted changes; they are NOT judged (use --canary-ref worktree to judge them)',
        ]
      : []),
    `  readiness: GET ${p.readiness.path} with backoff ${p.readiness.initial_backoff_ms}..${p.readiness.max_backoff_ms} ms, up to ${p.readiness.timeout_s}s`,
    `  budget:    p95 <= ${p.budget.p95_ms} ms, error rate <= ${p.budget.error_rate * 100} % (${p.budget.path})`,
    `  traffic:   ${p.traffic.driver} driver, same mix (${p.traffic.scenario}) to both targets at ${p.traffic.rate_per_s} req/s each, ${p.traffic.connections} connections, <= ${p.traffic.max_requests_per_interval} requests per interval after ${p.traffic.warmup_requests} unjudged warm-up requests (at most ${p.traffic.warmup_max_s} s)`,
    `  analysis:  ${p.analysis.intervals} intervals x ${p.analysis.interval_s}s (window ${p.analysis.window_s}s), seed ${p.analysis.seed}; a hard failure aborts early`,
    `  judge:     overall alpha ${p.judge.alpha} (${p.judge.multipleTesting}), latency tolerance +${p.judge.latencyTolerance * 100} % or +${p.judge.latencyToleranceMs} ms (the larger), error tolerance +${p.judge.errorRateTolerance * 100} pt, >= ${p.judge.minSamplesPerInterval} requests per interval and ${p.judge.minTotalSamples} in total per track`,
    p.prometheus
      ? `  metrics:   Prometheus ${p.prometheus.url}${promAuth(p.prometheus)}, tracks by label ${p.prometheus.track_label}; baseline p95 = ${p.prometheus.queries.baseline_p95}`
      : '  metrics:   no Prometheus: baseline p95 measured under the synthetic traffic',
    `  outcome:   pass -> promote; fail -> roll back; inconclusive -> ${p.rollback_on_inconclusive ? 'roll back' : 'leave as is'}; clean-up always`,
    `  report:    ${p.report_path}`,
  ];
  return lines.join('\n');
}
