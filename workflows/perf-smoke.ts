/**
 * perf-smoke: k6 smoke test of the service against the budget on every pull request, and on every
 * push to main (which records the p95 history the pull requests compare against, and feeds release).
 *
 * Two jobs instead of one because permissions cannot depend on the event: the pull-request job may
 * comment but not push; the main job may write the history data branch but has no pull-request
 * write access. Both are built by one function, so the steps cannot drift apart. After a push, the
 * dashboard jobs (workflows/dashboard.ts) publish the updated history to GitHub Pages.
 */
import { checkout, setupNode, SMOKE_ARTIFACT, uploadReport, type Job, type Workflow } from './common.js';
import { dashboardJobs } from './dashboard.js';
import { K6_VERSION, PINS } from './pins.js';

export const PERF_SMOKE_NAME = 'perf-smoke';
const SERVICE_URL = 'http://127.0.0.1:3000';
const REPORT_DIR = 'reports/performance';
/** The k6 script the smoke gate runs (k6 runs TypeScript natively at the pinned K6_VERSION). */
export const K6_SMOKE_SCRIPT = 'k6/smoke.ts';

function smokeJob(event: 'pull_request' | 'push'): Job {
  return {
    name: event === 'pull_request' ? 'Smoke gate (pull request)' : 'Smoke gate (main, records history)',
    if: `github.event_name == '${event}'`,
    'runs-on': 'ubuntu-latest',
    'timeout-minutes': 20,
    permissions: event === 'pull_request' ? { contents: 'read', 'pull-requests': 'write' } : { contents: 'write' },
    steps: [
      checkout(),
      ...setupNode(),
      { name: 'Build', run: 'npm run build' },
      {
        // The tag this commit would be released as, announced in the PR comment; the same parser as
        // release-tag, so a malformed release.json fails here, before merge.
        name: 'Read the declared release tag',
        id: 'release',
        run: [
          "node --input-type=module -e '",
          'import { appendFileSync, existsSync, readFileSync } from "node:fs";',
          'import { declaredReleaseTag, RELEASE_FILE } from "./build/core/src/release/config.js";',
          'try {',
          '  const text = existsSync(RELEASE_FILE) ? readFileSync(RELEASE_FILE, "utf8") : undefined;',
          '  appendFileSync(process.env.GITHUB_OUTPUT, `tag=${declaredReleaseTag(text)}\\n`);',
          '} catch (err) {',
          '  console.log(`::error file=${RELEASE_FILE}::${err.message}`);',
          '  process.exit(1);',
          '}',
          "'",
          '',
        ].join('\n'),
      },
      {
        name: 'Start the service',
        env: { PORT: '3000', HOST: '127.0.0.1' },
        run: [
          'node build/service/src/main.js > "$RUNNER_TEMP/service.log" 2>&1 &',
          'echo $! > "$RUNNER_TEMP/service.pid"',
          'for _ in $(seq 1 60); do',
          `  if curl -fsS ${SERVICE_URL}/health/ready > /dev/null; then exit 0; fi`,
          '  sleep 1',
          'done',
          'echo "::error::the service did not become ready within 60 s"',
          'cat "$RUNNER_TEMP/service.log"',
          'exit 1',
          '',
        ].join('\n'),
      },
      { name: 'Install k6', uses: PINS.setupK6.uses, with: { 'k6-version': K6_VERSION } },
      {
        // The gate runs k6 itself (streamed to this log) and judges its NDJSON points; the summary
        // export and the points stay under reports/performance/k6/ for the artifact. A crossed k6
        // threshold (exit 99) is judged by the gate; any other k6 failure fails the step.
        name: 'Smoke gate',
        uses: './actions/smoke-gate',
        with: {
          script: K6_SMOKE_SCRIPT,
          flags: `-e BASE_URL=${SERVICE_URL}`,
          budget: 'k6/budget.json',
          'release-tag': '${{ steps.release.outputs.tag }}',
          'github-token': '${{ github.token }}',
        },
      },
      {
        name: 'Stop the service',
        if: 'always()',
        run: 'if [ -f "$RUNNER_TEMP/service.pid" ]; then kill "$(cat "$RUNNER_TEMP/service.pid")" 2> /dev/null || true; fi\n',
      },
      uploadReport(SMOKE_ARTIFACT, `${REPORT_DIR}/`),
    ],
  };
}

export const perfSmoke: Workflow = {
  name: PERF_SMOKE_NAME,
  on: { pull_request: { branches: ['main'] }, push: { branches: ['main'] } },
  permissions: {},
  // One run per pull request (a new push cancels the stale run); runs on main are never cancelled,
  // each one records history and may be released.
  concurrency: {
    group: 'perf-smoke-${{ github.event.pull_request.number || github.sha }}',
    'cancel-in-progress': "${{ github.event_name == 'pull_request' }}",
  },
  jobs: { 'smoke-pr': smokeJob('pull_request'), 'smoke-main': smokeJob('push'), ...dashboardJobs('smoke-main') },
};
