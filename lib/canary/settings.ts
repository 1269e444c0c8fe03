/**
 * The canary's settings, one entry each: the action's inputs (action.yml, checked by
 * tests/actions/spec.test.ts) and the flags of `npm run canary` (`baseline-url` is `input
 * baseline-url` and `--baseline-url`), read by one rule (lib/kit/spec.ts) so the two shells cannot
 * drift apart. No defaults are applied here: an empty setting falls back to the config file.
 */
import { parseKeyValues } from '../inputs.js';
import type { ActionSpec, ConfigOf } from '../kit/spec.js';
import { parseHeaderLines } from '../prometheus.js';
import type { PlanInputs } from './plan.js';

export const CANARY_SPEC = {
  environment: {
    kind: 'string',
    description: 'Environment name, a key of canary.config.json (embedded defaults - staging, production).',
    required: true,
    only: 'action',
  },
  sha: {
    kind: 'string',
    description: 'Commit to deploy as the canary (7-40 hex digits). Default - GITHUB_SHA.',
    only: 'action',
  },
  'dry-run': {
    kind: 'boolean',
    description:
      'true prints the resolved plan (readable and JSON) and exits 0 without starting, deploying or writing anything.',
    default: 'false',
    switch: true,
  },
  deployer: {
    kind: 'string',
    description:
      'local (the service build as processes on this runner) or command (your deploy/promote/rollback/cleanup commands). Default from the environment config (local).',
  },
  'baseline-url': {
    kind: 'string',
    description:
      'URL of the running baseline. local deployer - empty starts a second local process with SERVICE_TRACK=stable; command deployer - required.',
  },
  'baseline-ref': {
    kind: 'string',
    description:
      'Commit the baseline is built from (tag, branch or sha; local deployer without baseline-url). Default - the newest release tag before the sha, else its merge base with the default branch, else its first parent (docs/canary-baseline.md). Needs the history - checkout with fetch-depth 0.',
  },
  'canary-ref': {
    kind: 'string',
    description:
      '"worktree" judges the uncommitted working tree instead of the commit sha (the report says so). Default - the commit sha.',
  },
  'prometheus-url': {
    kind: 'string',
    description:
      'Prometheus base URL. When set, the baseline p95 is captured from it before the deploy and the histograms of both tracks are judged too. Its scrape config must label the targets track=stable / track=canary. Basic auth (e.g. Grafana Cloud) goes in the URL, https://user:password@host/path - sent as an Authorization header, masked in the log, never in the plan or the report (they show the URL without it). Pass it from a secret.',
  },
  'prometheus-headers': {
    kind: 'lines',
    description:
      'Extra HTTP headers for every Prometheus request, one "Name: value" per line, e.g. "Authorization: Bearer <token>" behind an OAuth proxy, "X-Scope-OrgID: <tenant>" for Mimir/Cortex. Blank lines are ignored; a malformed line fails the step naming its line number, never its text. Every value of 4 characters or more is masked in the log (a tenant name too, wherever it appears) and only the header names reach the plan and the report. Pass tokens from secrets.',
    raw: true,
    aliases: ['prometheus-header'],
  },
  'prometheus-scrape-interval-seconds': {
    kind: 'number',
    description:
      "Prometheus's scrape interval for the service; the run waits one more before its last queries. Default 15.",
  },
  'deploy-command': {
    kind: 'string',
    description:
      'command deployer - shell command that deploys the canary (env CANARY_SHA, CANARY_ENVIRONMENT, CANARY_PORT, CANARY_TRACK, CANARY_URL_FILE, BASELINE_URL). It reports the canary URL by writing it to $CANARY_URL_FILE or printing a CANARY_URL=<url> line; default http://127.0.0.1:$CANARY_PORT.',
  },
  'promote-command': {
    kind: 'string',
    description: 'command deployer - shell command run when the verdict is pass (same env plus CANARY_URL).',
  },
  'rollback-command': {
    kind: 'string',
    description:
      'command deployer - shell command run when the verdict is fail (or inconclusive, see rollback-on-inconclusive).',
  },
  'cleanup-command': {
    kind: 'string',
    description: 'command deployer - shell command always run at the end, also when the job is cancelled (post step).',
  },
  intervals: {
    kind: 'number',
    description:
      'Number of analysis intervals (a hard failure in one stops early). Default from the environment config (embedded - staging 5, production 6).',
  },
  'interval-seconds': {
    kind: 'number',
    description: 'Length of one analysis interval in seconds. Default from the environment config (10).',
  },
  connections: {
    kind: 'number',
    description: 'Concurrent connections per target. Default 4.',
  },
  rate: {
    kind: 'number',
    description: 'Requests per second sent to EACH target (the same mix and rate to both). Default 30.',
  },
  'readiness-timeout-seconds': {
    kind: 'number',
    description:
      "How long to poll the canary's /health/ready (exponential backoff) before giving up and rolling back. Default from the environment config (embedded - staging 60, production 120).",
  },
  'rollback-on-inconclusive': {
    kind: 'boolean',
    description:
      'Roll back when the verdict is inconclusive (too few samples, no data). Default from the environment config (rollback_on_inconclusive), else true.',
  },
  'warmup-requests': {
    kind: 'number',
    description:
      'Unjudged requests sent to each target (as fast as they answer, at most 10 s) before interval 1, so a freshly started canary is not compared cold with a warm baseline. Default from the environment config (warmup_requests), else 1000.',
  },
  'latency-tolerance': {
    kind: 'number',
    description:
      'Allowed relative slowdown of the canary, e.g. 0.1 = 10 %. Default from the environment config (latency_tolerance), else 0.1.',
  },
  'latency-tolerance-ms': {
    kind: 'number',
    description:
      "Allowed absolute slowdown in milliseconds; the larger of this and latency-tolerance applies to each latency. Default from the environment config (latency_tolerance_ms), else 1 % of the budget's p95 (4.5 ms for 450 ms).",
  },
  'error-rate-tolerance': {
    kind: 'number',
    description:
      'Allowed error-rate rise of the canary over the baseline, e.g. 0.005 = 0.5 percentage points. Default from the environment config (error_rate_tolerance), else 0.005.',
  },
  'canary-port': {
    kind: 'number',
    description:
      'Port of the canary. local deployer - the canary process listens on 127.0.0.1 at this port (for a static scrape config); command deployer - handed to the deploy command as CANARY_PORT. Default - a free port (local - picked by the OS).',
  },
  'canary-env': {
    kind: 'lines',
    description:
      'Extra KEY=VALUE lines (one per line) of environment for the local canary process only, e.g. feature flags.',
    usage: 'KEY=VALUE for the canary only',
  },
  driver: {
    kind: 'string',
    description: 'auto (k6 when on PATH, else the built-in driver), builtin or k6.',
    default: 'auto',
  },
  config: {
    kind: 'string',
    description:
      'Path of the canary config file. Default canary.config.json in the workspace when it exists, else embedded defaults.',
  },
  budget: {
    kind: 'string',
    description: 'Path of the budget file (p95_ms, error_rate, min_requests). Default k6/budget.json.',
  },
  'github-token': {
    kind: 'string',
    description: 'Token to comment on the pull request of the sha (needs pull-requests write). Empty - no comment.',
    default: '${{ github.token }}',
    only: 'action',
  },
} as const satisfies ActionSpec;

export type CanaryConfig = ConfigOf<typeof CANARY_SPEC>;

/**
 * The plan inputs the settings give. Each is the setting's camelCase name, except the two files
 * the plan calls paths (`config` -> `configPath`, `budget` -> `budgetPath`). `label(name)` is how an
 * error names a setting (`input canary-env`, `--canary-env`).
 */
export function planSettings(
  c: CanaryConfig,
  label: (name: string) => string,
): Omit<PlanInputs, 'environment' | 'sha' | 'cwd' | 'dryRun'> {
  // The run's identity and the token are not settings of the plan: the shells pass them on.
  const {
    environment: _e,
    sha: _s,
    dryRun: _d,
    githubToken: _t,
    config,
    budget,
    prometheusHeaders,
    canaryEnv,
    driver,
    ...same
  } = c;
  const headerLabel = label('prometheus-headers');
  const given = Object.fromEntries(Object.entries(same).filter(([, v]) => v !== undefined && v !== ''));
  return {
    ...given,
    ...(config && { configPath: config }),
    ...(budget && { budgetPath: budget }),
    ...(driver && { driver: driver as PlanInputs['driver'] }),
    prometheusHeaders: parseHeaderLines(
      headerLabel,
      prometheusHeaders,
      headerLabel.startsWith('--') ? 'value' : 'line',
    ),
    canaryEnv: parseKeyValues(label('canary-env'), canaryEnv),
  };
}
