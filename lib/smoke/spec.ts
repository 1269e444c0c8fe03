/**
 * The smoke gate's settings: the action's inputs (action.yml, checked by tests/actions/spec.test.ts)
 * and the flags of `npm run smoke`, one entry each. The CLI-only entries (load) come last.
 */
import type { ActionSpec } from '../kit/spec.js';

export const SMOKE_SPEC = {
  results: {
    kind: 'lines',
    description:
      'The k6 output to judge: one path, several (one per line) or a glob (e.g. results/*.ndjson for the outputs of parallel scripts or of each k6-operator runner), relative to the workspace. Each file may be --summary-export JSON, handleSummary data JSON, --out json NDJSON or the machine-readable summary, detected from the content. Several files give one verdict: NDJSON samples are pooled (exact p95 and error rate); with summaries the counts add up and the p95 is known as the interval between the smallest and largest file p95 (inconclusive when it straddles the limit). A glob matching nothing fails the step. Give results or script, not both.',
    usage: 'k6 output to gate instead of running load: a path or a quoted glob',
  },
  // The gate runs k6 itself (lib/k6/scripts.ts); the CLI runs its own load instead.
  script: {
    kind: 'lines',
    description:
      'Instead of results: the k6 script(s) this step runs, one path, a glob (e.g. k6/*.ts) or one of either per line, relative to the workspace. k6 must be on PATH (grafana/setup-k6-action). Each script runs as k6 run <flags> --summary-export=<dir>/summary-export.json --out json=<dir>/points.ndjson <script>, with <dir> a folder per script under k6/ beside report-path; its output is streamed to the log, and the NDJSON points of all scripts are judged as several results (one verdict). A k6 exit other than 0 or 99 (thresholds crossed, judged by the gate) fails the step without a verdict. A glob matching nothing or a malformed one fails the step with exit status 2.',
    only: 'action',
  },
  flags: {
    kind: 'string',
    description:
      'With script: extra arguments for every k6 run, placed before the outputs and the script, e.g. --vus 10 --duration 30s -e BASE_URL=http://127.0.0.1:3000 --tag team=bookings. Split like shell words without a shell (quotes and backslashes work; no variables, no globbing). --summary-export is set by the action and may not be given.',
    only: 'action',
  },
  parallel: {
    kind: 'string',
    description:
      'With script and several scripts: true runs them at once, at most one k6 per CPU (at least 2); a number N runs at most N at once; false (the default) runs them one after another.',
    only: 'action',
  },
  'fail-fast': {
    kind: 'boolean',
    description:
      'With script: true stops the other k6 runs (SIGINT, so each writes its outputs) and starts no more after the first run that exits non-zero (99 included); the step then fails without a verdict. Default false: every script runs to its end.',
    only: 'action',
  },
  budget: {
    kind: 'string',
    description:
      "Path to the budget file (p95_ms, error_rate, min_requests). Default k6/budget.json in the workspace; when that file is absent, the three limit inputs below when all are given, else the budget bundled with the action (a copy of this project's k6/budget.json), each limit overridable by its input.",
  },
  'max-p95-ms': {
    kind: 'number',
    description: 'Overrides the budget file: largest acceptable p95 of http_req_duration, in milliseconds.',
    check: (v) => v > 0,
    expected: 'a number of milliseconds > 0',
  },
  'max-error-rate': {
    kind: 'number',
    description: 'Overrides the budget file: largest acceptable share of failed requests, 0..1 (0.01 = 1 %).',
    check: (v) => v > 0 && v <= 1,
    expected: 'a ratio in (0, 1], e.g. 0.01',
  },
  'min-requests': {
    kind: 'number',
    description:
      'Overrides the budget file: fewer requests than this and the verdict is inconclusive (neither pass nor fail).',
    check: (v) => v >= 1,
    expected: 'a count >= 1',
  },
  'github-token': {
    kind: 'string',
    description:
      "Token for the PR comment, the base-branch comparison and the p95 history. Needs pull-requests: write and contents: write (for history). Empty, or a fork PR's read-only token: those steps are skipped with a warning.",
    default: '${{ github.token }}',
    only: 'action',
  },
  'fail-on-k6-thresholds': {
    kind: 'boolean',
    description: 'Whether a crossed k6 threshold in the results fails the gate (true) or is only reported (false).',
    default: 'true',
  },
  'fail-on-regression': {
    kind: 'boolean',
    description:
      'Whether a p95 regression against the base branch beyond run-to-run noise fails the gate (true) or is only a warning (false).',
    default: 'false',
  },
  'history-branch': {
    kind: 'string',
    description:
      'Data branch holding the p95 history (smoke-history/<branch>.json), created from the default branch when missing. Appended on pushes to the default branch.',
    default: 'perf-data',
  },
  'history-size': {
    kind: 'number',
    description: 'Number of runs the history keeps (oldest dropped first).',
    default: '100',
    check: (v) => Number.isInteger(v) && v >= 1 && v <= 10_000,
    expected: 'an integer in [1, 10000]',
  },
  slo: {
    kind: 'number',
    description:
      'Opt-in adaptive limit: SLO success ratio, e.g. 0.99. The error-rate limit tightens as the SLO error budget is spent.',
    check: (v) => v > 0 && v < 1,
    expected: 'a ratio in (0, 1), e.g. 0.99',
  },
  'error-budget-spent': {
    kind: 'number',
    description:
      'With slo: fraction of the error budget already spent (0 = none, 1 = all). Wins over prometheus-url and the history. Empty: measured by Prometheus when prometheus-url is set, else computed from the recorded history within slo-window-days.',
    check: (v) => v >= 0,
    expected: 'a fraction >= 0 (1 = all spent)',
  },
  'prometheus-url': {
    kind: 'string',
    description:
      'With slo: Prometheus base URL (e.g. http://prometheus:9090) to measure the error budget spent: spent = error ratio over the window / (1 - slo), clamped to [0, 1]. Unreachable, credentials refused or no data: a warning, and the history is used instead (the gate never fails because monitoring is down). Basic auth (e.g. Grafana Cloud) goes in the URL, https://user:password@host/path: sent as an Authorization header, masked in the log, and messages and the report name the URL without it. Pass it from a secret.',
  },
  'prometheus-headers': {
    kind: 'lines',
    description:
      'With prometheus-url: extra HTTP headers for every Prometheus request, one "Name: value" per line, e.g. "Authorization: Bearer <token>" behind an OAuth proxy, "X-Scope-OrgID: <tenant>" for Mimir/Cortex. Blank lines are ignored; a malformed line fails the step naming its line number, never its text. Every value of 4 characters or more is masked in the log (a tenant name too, wherever it appears). Pass tokens from secrets.',
    raw: true,
    aliases: ['prometheus-header'],
    usage: '"Name: value" header for every Prometheus request, e.g. "X-Scope-OrgID: TENANT"',
  },
  'error-budget-query': {
    kind: 'string',
    description:
      'With prometheus-url: PromQL returning one number, the error ratio over the SLO window. Empty: (sum(increase(tenant_request_errors[<slo-window-days>d])) or vector(0)) / sum(increase(tenant_request_total[<slo-window-days>d])).',
  },
  'slo-window-days': {
    kind: 'number',
    description: 'With slo: the SLO window in days, for the history computation and the default error-budget-query.',
    default: '30',
    check: (v) => v > 0,
    expected: 'a number of days > 0',
  },
  'burn-rate-action': {
    kind: 'string',
    description:
      'Opt-in SLO burn-rate limits, measured on prometheus-url (needs slo): what a fast burn (1 h and 5 min both above 14.4x the SLO rate) does. tighten: the error-rate limit becomes min(budget, (1 - slo) / burn) on an error burn and the p95 limit min(budget, budget p95 / burn) on a latency burn; fail: the gate fails. A slow burn (6 h and 30 min above 6x) only warns. Empty: off. Prometheus unreachable or no data: a warning and the budget file limits.',
  },
  'latency-slo': {
    kind: 'string',
    description:
      'With burn-rate-action: the latency SLO, the share of requests answered at or under the budget p95 (from the histogram bucket http_request_duration_seconds_bucket{le="<p95 in seconds>"}). Empty: 0.95.',
  },
  'burn-rate-selector': {
    kind: 'string',
    description:
      'With burn-rate-action: label matchers added to every burn-rate query, e.g. job="hotel", env="prod". Empty: every series of the metrics.',
  },
  'release-tag': {
    kind: 'string',
    description:
      'Release tag to announce in the report and the PR comment (for example the output of the release-tag action).',
  },
  'report-path': {
    kind: 'string',
    description: 'Where to write the JSON report, relative to the workspace.',
    default: 'reports/performance/smoke-summary.json',
    aliases: ['report'],
  },
  duration: {
    kind: 'string',
    description: "Load duration in seconds (default: the budget's smoke.duration_s).",
    only: 'cli',
  },
  driver: {
    kind: 'string',
    description: 'Load driver: auto (k6 when on PATH, else the built-in one), k6 or builtin.',
    default: 'auto',
    only: 'cli',
  },
  'base-branch': {
    kind: 'string',
    description:
      "The branch whose p95 history is the baseline, read from the local clone's <history-branch> (origin's, else local). Default: origin's default branch, else main.",
    only: 'cli',
  },
  json: {
    kind: 'boolean',
    description: 'Print the report JSON instead of the table.',
    switch: true,
    only: 'cli',
  },
} as const satisfies ActionSpec;
