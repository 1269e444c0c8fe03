/**
 * Prometheus dies after the deploy: the canary (local deployer on a fixed `canary-port`, scraped by
 * a static Prometheus config) runs its synthetic traffic, the test stops the real Prometheus
 * during the first interval, and the run must end inconclusive (its Prometheus part has no data),
 * roll back, clean up and say why, with a report that re-judges to the same verdict.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CanaryReport } from '../../core/src/canary/index.js';
import { startService, type ServiceHandle } from '../../lib/service-process.js';
import {
  actionDist,
  actionEnv,
  alive,
  cliBuild,
  freePort,
  listening,
  runNode,
  runnerFiles,
  startPrometheus,
  type Prometheus,
} from './helpers.js';

const LATENCY = '20-30';
let baseline: ServiceHandle;
let prom: Prometheus;
let work: string;
let canaryPort: number;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'canary-prom-mid-run-'));
  baseline = await startService({ env: { SERVICE_TRACK: 'stable', FAULT_LATENCY_MS: LATENCY } });
  canaryPort = await freePort();
  // A static scrape config: possible because the canary's port is fixed in advance.
  prom = await startPrometheus({ port: baseline.port, track: 'stable' }, { port: canaryPort, track: 'canary' });
}, 30_000);

afterAll(async () => {
  await Promise.allSettled([baseline?.stop(3000), prom?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

test('Prometheus stopped mid-run: inconclusive, rolled back, cleaned up, and the report says why', async () => {
  const workspace = join(work, 'ws');
  mkdirSync(workspace);
  const files = runnerFiles();
  const sha = 'c0ffee12';
  const env = actionEnv(
    {
      environment: 'staging',
      sha,
      'baseline-url': baseline.url,
      'canary-port': String(canaryPort),
      'canary-env': `FAULT_LATENCY_MS=${LATENCY}`,
      'prometheus-url': prom.url,
      'prometheus-scrape-interval-seconds': '1',
      intervals: '3',
      'interval-seconds': '2',
      rate: '60',
      connections: '4',
      'readiness-timeout-seconds': '10',
    },
    files,
    workspace,
  );
  const { child, done } = runNode(actionDist, [], env, workspace);
  let out = '';
  let stopped: Promise<void> | null = null;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    if (!stopped && /interval 1\/3:/.test(out)) stopped = prom.stop();
  });
  const r = await done;
  await stopped;
  const outputs = files.outputs();
  const summary = readFileSync(files.summary, 'utf8');
  files.cleanup();
  if (r.code !== 1) throw new Error(`exit ${r.code}, expected 1; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  expect(stopped).not.toBeNull();

  // The local canary listened on the port asked for, and is gone.
  const started = /canary started locally at http:\/\/127\.0\.0\.1:(\d+) \(pid (\d+)\)/.exec(r.stdout);
  expect(Number(started?.[1])).toBe(canaryPort);
  expect(alive(Number(started?.[2]))).toBe(false);
  expect(await listening(canaryPort)).toBe(false);

  const unreachable = `Prometheus at ${prom.url} is unreachable (ECONNREFUSED)`;
  expect(r.stdout).toContain(
    `::warning::Prometheus failed after the deploy: ${unreachable}; its judgement counts as inconclusive`,
  );
  expect(r.stdout).toContain('rollback: canary pid');
  expect(outputs.verdict).toBe('inconclusive');

  const reportPath = join(workspace, `reports/performance/canary-staging-${sha}.json`);
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as CanaryReport;
  // The synthetic traffic alone was healthy; the missing Prometheus part makes the decision inconclusive.
  expect(report.judgement.verdict).toBe('pass');
  expect(report.prometheus).toMatchObject({ judgement: null, error: unreachable });
  expect(report).toMatchObject({ verdict: 'inconclusive', outcome: { action: 'rollback' } });
  expect(report.reasons).toContain(`Prometheus histograms: inconclusive (${unreachable})`);
  expect(summary).toMatch(/^## Canary ⚠️ INCONCLUSIVE: /);
  expect(summary).toContain(`| Prometheus histograms | ⚠️ inconclusive | no judgement: ${unreachable} |`);

  const again = await runNode(cliBuild, ['judge', reportPath], { PATH: process.env.PATH }, work).done;
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('agrees: final verdict inconclusive');
}, 30_000);
