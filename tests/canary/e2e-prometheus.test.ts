/**
 * End to end with real parts: a baseline service process, the canary action run as GitHub runs it
 * (node actions/canary/dist/index.js with INPUT_* and the runner files), the local deployer starting
 * the canary process, a real Prometheus scraping both every second (targets by file discovery,
 * labelled track=stable / track=canary), and the local GitHub API server for the PR comment.
 * Latency is injected on both tracks (20-30 ms) so the comparison is about the service, not
 * about scheduling noise of a shared machine.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CanaryReport } from '#core/canary/index.js';
import { PrometheusClient } from '#lib/canary/prometheus.js';
import type { ServiceHandle } from '#lib/service-process.js';
import { startFakeGitHub, type FakeGitHub } from '../support/github-api-server.js';
import { alive, freePort, listening } from '../support/ports.js';
import { expectExit } from '../support/processes.js';
import { startScrapedService, waitForSeries, type Prometheus, type ScrapedService } from '../support/prometheus.js';
import { canaryStarted, rejudge, reportPathIn, shortPrometheusRun, startActionStep, type StepRun } from './helpers.js';

const BASE_LATENCY = '20-30';
let scraped: ScrapedService;
let baseline: ServiceHandle;
let prom: Prometheus;
let github: FakeGitHub;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'canary-e2e-'));
  // Some served traffic before the canary, so the baseline p95 can be captured from Prometheus.
  scraped = await startScrapedService({
    env: { SERVICE_TRACK: 'stable', FAULT_LATENCY_MS: BASE_LATENCY },
    warmUp: { durationS: 4, maxRequests: 120, ratePerSecond: 30 },
  });
  ({ service: baseline, prom } = scraped);
  github = await startFakeGitHub({ owner: 'hotel', repo: 'perf' });
  await waitForSeries(
    prom.url,
    'sum(rate(http_request_duration_seconds_count{track="stable",route!~"/metrics|/health/.*"}[5m])) > 0',
  );
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([scraped?.stop(), github?.close()]);
  rmSync(work, { recursive: true, force: true });
});

interface CaseResult extends StepRun {
  canaryPid: number | null;
  canaryPort: number | null;
  workspace: string;
  report: Record<string, unknown> | null;
  reportPath: string;
}

async function runAction(name: string, sha: string, inputs: Record<string, string>): Promise<CaseResult> {
  const workspace = join(work, name);
  const { child, done } = startActionStep(
    workspace,
    {
      ...shortPrometheusRun,
      sha,
      'baseline-url': baseline.url,
      'prometheus-url': prom.url,
      'github-token': 'ghs_test_token',
      ...inputs,
    },
    { GITHUB_API_URL: github.url, HOTEL_PERF_GITHUB_RETRY_BASE_MS: '10' },
  );
  let canaryPid: number | null = null;
  let canaryPort: number | null = null;
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    const started = canaryStarted(buf);
    if (started && canaryPort === null) {
      ({ port: canaryPort, pid: canaryPid } = started);
      prom.setTargets([
        { port: baseline.port, track: 'stable' },
        { port: canaryPort, track: 'canary' },
      ]);
    }
  });
  const r = await done;
  prom.setTargets([{ port: baseline.port, track: 'stable' }]);
  const reportPath = reportPathIn(workspace, sha);
  return {
    ...r,
    canaryPid,
    canaryPort,
    workspace,
    report: existsSync(reportPath) ? (JSON.parse(readFileSync(reportPath, 'utf8')) as Record<string, unknown>) : null,
    reportPath,
  };
}

/** No canary left serving: its process is gone and its port refuses connections. */
async function expectCanaryGone(r: CaseResult): Promise<void> {
  expect(r.canaryPid).not.toBeNull();
  expect(alive(r.canaryPid!)).toBe(false);
  expect(await listening(r.canaryPort!)).toBe(false);
}

interface RunRecord {
  baseline_capture: { source: string; window: string; p95_ms: number | null };
}
const runOf = (r: CaseResult): RunRecord => (r.report!.plan as { run: RunRecord }).run;
const reportOf = (r: CaseResult): CanaryReport => r.report as unknown as CanaryReport;

test('a healthy canary is promoted, judged on synthetic traffic and on Prometheus histograms, and commented on its PR', async () => {
  const sha = github.state.addCommit({ message: 'healthy change' });
  github.state.addPull({ head_sha: sha, number: 7 });
  const r = await runAction('healthy', sha, { 'canary-env': `FAULT_LATENCY_MS=${BASE_LATENCY}` });
  expect(r.stderr).toBe('');
  expectExit(r, 0);
  expect(r.outputs.verdict).toBe('pass');
  expect(r.outputs['report-path']).toBe(r.reportPath);
  expect(r.stdout).toContain('promote: local canary accepted');
  await expectCanaryGone(r);

  const run = runOf(r);
  // The baseline's p95 was captured from Prometheus before the deploy, from the traffic served so far.
  expect(run.baseline_capture).toMatchObject({ source: 'prometheus', window: 'before-deploy' });
  expect(Number(r.outputs['baseline-p95-ms'])).toBe(Number(run.baseline_capture.p95_ms!.toFixed(1)));
  expect(Number(r.outputs['baseline-p95-ms'])).toBeGreaterThan(20);
  const report = reportOf(r);
  expect(report.prometheus?.error).toBeNull();
  expect(report.prometheus?.judgement?.verdict).toBe('pass');
  expect(report.prometheus?.intervals).toHaveLength(3);
  expect(report.prometheus?.intervals[0]?.canary.histogram?.le_ms.length).toBeGreaterThan(0);
  expect(report.preconditions?.map((p) => [p.step, p.ok])).toEqual([
    ['deploy', true],
    ['readiness', true],
    // Each side answered as the build it was meant to be (service_build_info).
    ['identity', true],
  ]);
  expect(report).toMatchObject({
    verdict: 'pass',
    judgement: { verdict: 'pass' },
    source: 'synthetic',
    outcome: { action: 'promote' },
  });

  expect(r.summary).toMatch(/^## Canary ✅ PASS: /);
  expect(r.summary).toContain('| synthetic traffic | ✅ pass |');
  expect(r.summary).toContain('| Prometheus histograms | ✅ pass |');
  expect(r.summary).toContain('### Prometheus histograms');
  const comment = github.state.comments.find((c) => c.issue_number === 7);
  expect(comment?.body).toContain('<!-- hotel-perf:canary-staging -->'); // one sticky comment per environment
  expect(comment?.body).toContain(`\`${sha}\``);
  expect(github.violations).toEqual([]);

  const again = await rejudge(r.reportPath, work);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('agrees: final verdict pass');

  // A report whose recorded decision does not follow from its data is caught.
  const tampered = JSON.parse(readFileSync(r.reportPath, 'utf8')) as CanaryReport;
  tampered.verdict = 'fail';
  const tamperedPath = join(r.workspace, 'tampered.json');
  writeFileSync(tamperedPath, JSON.stringify(tampered));
  const caught = await rejudge(tamperedPath, work);
  expect(caught.code).toBe(1);
  expect(caught.stderr).toContain('disagrees: verdict: recorded fail, recomputed pass');
});

test('a query Prometheus rejects is a one-line error naming the server', async () => {
  await expect(new PrometheusClient(prom.url).query('sum(')).rejects.toThrow(
    new RegExp(`^Prometheus at ${prom.url} rejected the query \\(HTTP 400, bad_data: `),
  );
});

test('a slow canary (within the absolute budget) is rolled back', async () => {
  const sha = github.state.addCommit({ message: 'slower change' });
  const r = await runAction('slow', sha, { 'canary-env': 'FAULT_LATENCY_MS=45-60' });
  expectExit(r, 1);
  expect(r.outputs.verdict).toBe('fail');
  expect(Number(r.outputs['canary-p95-ms'])).toBeGreaterThan(Number(r.outputs['baseline-p95-ms']));
  expect(Number(r.outputs['canary-p95-ms'])).toBeLessThan(450);
  expect(r.report).toMatchObject({ verdict: 'fail', outcome: { action: 'rollback' } });
  const latency = (r.report!.judgement as { metrics: Array<{ metric: string; status: string }> }).metrics.find(
    (m) => m.metric === 'latency',
  );
  expect(latency?.status).toBe('fail');
  expect(r.stdout).toMatch(/hard failure in interval 1/);
  expect(r.stdout).toContain('::error::canary not promoted');
  await expectCanaryGone(r);
  expect((await rejudge(r.reportPath, work)).code).toBe(0);
});

test('an erroring canary is rolled back', async () => {
  const sha = github.state.addCommit({ message: 'buggy change' });
  const r = await runAction('errors', sha, { 'canary-env': `FAULT_LATENCY_MS=${BASE_LATENCY}\nFAULT_ERROR_RATE=0.2` });
  expectExit(r, 1);
  expect(r.outputs.verdict).toBe('fail');
  const metrics = (r.report!.judgement as { metrics: Array<{ metric: string; status: string }> }).metrics;
  // 20 % errors break the absolute 1 % budget at once; the latency is as healthy as the baseline's.
  expect(metrics.find((m) => m.metric === 'error_budget')?.status).toBe('fail');
  expect(metrics.find((m) => m.metric === 'latency')?.status).not.toBe('fail');
  // The traffic stopped after one interval: Prometheus may hold too little of it to go beyond inconclusive.
  expect(['fail', 'inconclusive']).toContain(reportOf(r).prometheus?.judgement?.verdict);
  expect(r.report).toMatchObject({ verdict: 'fail', outcome: { action: 'rollback' } });
  await expectCanaryGone(r);
});

test('a canary that never becomes ready is rolled back and cleaned up, verdict fail', async () => {
  const sha = github.state.addCommit({ message: 'never ready' });
  const r = await runAction('never-ready', sha, {
    'canary-env': 'FAULT_NEVER_READY=1',
    'readiness-timeout-seconds': '2',
  });
  expectExit(r, 1);
  expect(r.outputs.verdict).toBe('fail');
  const report = reportOf(r);
  const readiness = report.preconditions?.find((p) => p.step === 'readiness');
  expect(readiness?.ok).toBe(false);
  expect(readiness?.reason).toMatch(
    /^the canary never became ready: \d+ probes of \/health\/ready over .* last answer HTTP 503$/,
  );
  expect(report).toMatchObject({
    verdict: 'fail',
    reasons: [readiness!.reason],
    outcome: { action: 'rollback' },
    intervals: [],
  });
  expect(r.summary).toMatch(/^## Canary ❌ FAIL: /);
  expect(r.summary).toContain(`| readiness | ❌ fail | ${readiness!.reason} |`);
  await expectCanaryGone(r);
  const again = await rejudge(r.reportPath, work);
  expect(again.stdout).toContain('agrees: final verdict fail');
});

test('an unreachable Prometheus is a clear error before anything is deployed', async () => {
  const sha = github.state.addCommit({ message: 'no metrics' });
  const dead = await freePort();
  const r = await runAction('no-prometheus', sha, { 'prometheus-url': `http://127.0.0.1:${dead}` });
  expectExit(r, 1);
  expect(r.stdout).toContain(
    `::error::Prometheus at http://127.0.0.1:${dead} is unreachable (ECONNREFUSED); nothing was deployed`,
  );
  expect(r.stdout).not.toContain('canary started');
  expect(r.stdout).not.toMatch(/\n\s+at /);
  expect(r.outputs.verdict).toBe('inconclusive');
  expect(r.report).toBeNull();
});
