/**
 * The canary plan's shape and its pure parts: every decision of a run resolved up front
 * (environment, deployer and its commands, budget, traffic shape, analysis intervals, judge
 * settings, the exact PromQL, the report path), so `--dry-run` can show precisely what a real run
 * would do, and the report records it (`CanaryReport.plan`). Resolving a plan from inputs, the
 * environment and files is the lib's job (lib/canary/plan.ts).
 */
import { describeSides, type SidesPlan } from './sides.js';
import { resolve } from 'node:path';
import type { JudgeSettings } from './types.js';

/** How the canary's readiness endpoint is polled (lib/canary/readiness.ts). */
export interface ReadinessSettings {
  path: string;
  timeout_s: number;
  initial_backoff_ms: number;
  max_backoff_ms: number;
}

/** The outcome of polling one target's readiness endpoint. */
export interface ReadinessResult {
  ready: boolean;
  attempts: number;
  elapsed_ms: number;
  /** Last HTTP status or connection error seen, in words. */
  last: string;
}

/** Where the baseline's p95 (for the record and the comment) came from. */
export interface BaselineCapture {
  source: 'prometheus' | 'synthetic';
  p95_ms: number | null;
  query?: string;
  /** 'before-deploy' (the baseline as it serves) or 'analysis-window' (under the synthetic traffic). */
  window: 'before-deploy' | 'analysis-window';
}

/** Wall-clock of a run's phases in ms, for logs and the bench. */
export interface CanaryTimings {
  deploy: number;
  readiness: number;
  traffic: number;
  prometheus: number;
  outcome: number;
  cleanup: number;
  total: number;
}

/** What a real run observed, recorded in the report's plan beside what was planned. */
export interface CanaryRunRecord {
  /** null when the deploy failed before any target existed. */
  targets: { baselineUrl: string; canaryUrl: string } | null;
  readiness: ReadinessResult | null;
  /** Whether Prometheus saw the canary's series before the traffic started (null without Prometheus). */
  prometheus_discovery: { seen: boolean; waited_ms: number } | null;
  baseline_capture: BaselineCapture;
  timings_ms: CanaryTimings;
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
  /** The latest report of this environment and sha (a copy of `report_run_path`). */
  report_path: string;
  /** This run's own report (absent in plans written before runs kept their own). */
  report_run_path?: string;
  /** Upper bound on the configured waits (readiness timeout + analysis window), for the bench. */
  configured_wait_s: number;
  /** Recorded by a real run in its report (absent from a dry run's plan). */
  run?: CanaryRunRecord;
}

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

/** The latest report of an environment and sha: a copy of the newest run's own report, at a name that never changes. */
export function reportPathFor(cwd: string, environment: string, sha: string): string {
  return resolve(cwd, 'reports', 'performance', `canary-${environment}-${sha}.json`);
}

/**
 * One run's own report, never overwritten by another run of the same sha: `runKey` names the run
 * (`run<id>-<attempt>` on GitHub Actions, else the start time). In a folder of its own, so a
 * `canary-*.json` glob over the reports folder (the dashboard's) sees each sha's latest once.
 */
export function runReportPathFor(cwd: string, environment: string, sha: string, runKey: string): string {
  return resolve(cwd, 'reports', 'performance', 'runs', `canary-${environment}-${sha}-${runKey}.json`);
}

/** A run key for a file name from the time the run started: 20261202T024512345Z. */
export function timeRunKey(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
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
  const d = p.deployer;
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
    `  report:    ${p.report_run_path ?? p.report_path}${p.report_run_path ? ` (latest copy: ${p.report_path})` : ''}`,
  ];
  return lines.join('\n');
}
