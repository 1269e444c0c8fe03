/**
 * Prometheus dies after the deploy: the canary (local deployer on a fixed `canary-port`, scraped by
 * a static Prometheus config) runs its synthetic traffic, the test stops the real Prometheus
 * during the first interval, and the run must end inconclusive (its Prometheus part has no data),
 * roll back, clean up and say why, with a report that re-judges to the same verdict.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CanaryReport } from '#core/canary/index.js';
import type { ServiceHandle } from '#lib/service-process.js';
import { alive, freePort, listening } from '../support/ports.js';
import { expectExit } from '../support/processes.js';
import { startScrapedService, type Prometheus, type ScrapedService } from '../support/prometheus.js';
import { canaryStarted, rejudge, reportPathIn, shortPrometheusRun, startActionStep } from './helpers.js';

const LATENCY = '20-30';
let scraped: ScrapedService;
let baseline: ServiceHandle;
let prom: Prometheus;
let work: string;
let canaryPort: number;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'canary-prom-mid-run-'));
  canaryPort = await freePort();
  // A static scrape config: possible because the canary's port is fixed in advance.
  scraped = await startScrapedService({
    env: { SERVICE_TRACK: 'stable', FAULT_LATENCY_MS: LATENCY },
    alsoScrape: [{ port: canaryPort, track: 'canary' }],
  });
  ({ service: baseline, prom } = scraped);
}, 30_000);

afterAll(async () => {
  await scraped?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('Prometheus stopped mid-run: inconclusive, rolled back, cleaned up, and the report says why', async () => {
  const workspace = join(work, 'ws');
  const sha = 'c0ffee12';
  const { child, done } = startActionStep(workspace, {
    ...shortPrometheusRun,
    sha,
    'baseline-url': baseline.url,
    'canary-port': String(canaryPort),
    'canary-env': `FAULT_LATENCY_MS=${LATENCY}`,
    'prometheus-url': prom.url,
  });
  let out = '';
  let stopped: Promise<void> | null = null;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    if (!stopped && /interval 1\/3:/.test(out)) stopped = prom.stop();
  });
  const r = await done;
  await stopped;
  const { outputs, summary } = r;
  expectExit(r, 1);
  expect(stopped).not.toBeNull();

  // The local canary listened on the port asked for, and is gone.
  const started = canaryStarted(r.stdout);
  expect(started?.port).toBe(canaryPort);
  expect(alive(started!.pid)).toBe(false);
  expect(await listening(canaryPort)).toBe(false);

  const unreachable = `Prometheus at ${prom.url} is unreachable (ECONNREFUSED)`;
  expect(r.stdout).toContain(
    `::warning::Prometheus failed after the deploy: ${unreachable}; its judgement counts as inconclusive`,
  );
  expect(r.stdout).toContain('rollback: canary pid');
  expect(outputs.verdict).toBe('inconclusive');

  const reportPath = reportPathIn(workspace, sha);
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as CanaryReport;
  // The synthetic traffic alone was healthy; the missing Prometheus part makes the decision inconclusive.
  expect(report.judgement.verdict).toBe('pass');
  expect(report.prometheus).toMatchObject({ judgement: null, error: unreachable });
  expect(report).toMatchObject({ verdict: 'inconclusive', outcome: { action: 'rollback' } });
  expect(report.reasons).toContain(`Prometheus histograms: inconclusive (${unreachable})`);
  expect(summary).toMatch(/^## Canary ⚠️ INCONCLUSIVE: /);
  expect(summary).toContain(`| Prometheus histograms | ⚠️ inconclusive | no judgement: ${unreachable} |`);

  const again = await rejudge(reportPath, work);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('agrees: final verdict inconclusive');
}, 30_000);
