/**
 * k6 cannot run on this machine, so k6/smoke.ts is evaluated as the ES module it is, with the k6
 * modules replaced by small recorders: the options must come from k6/budget.json, every request
 * of k6/scenario.json must be sent with a valid webhook signature, and handleSummary must write
 * the data where SUMMARY_PATH says.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { smokeRequests } from '#lib/load/driver.js';
import { k6Dir, loadK6Script } from '../support/k6-sandbox.js';

const fixtures = resolve(import.meta.dirname, '../fixtures/k6');
const loadScript = (env: Record<string, string>, files?: Record<string, string>) =>
  loadK6Script('smoke.ts', env, files);

interface Options {
  scenarios: { smoke: { executor: string; vus: number; iterations: number; maxDuration: string } };
  thresholds: Record<string, string[]>;
}

test('options and thresholds come from k6/budget.json', async () => {
  const budget = JSON.parse(readFileSync(join(k6Dir, 'budget.json'), 'utf8')) as {
    p95_ms: number;
    error_rate: number;
    smoke: { vus: number; duration_s: number; max_requests: number };
  };
  const { ns } = await loadScript({});
  const o = ns.options as Options;
  expect(o.thresholds.http_req_duration).toEqual([`p(95)<=${budget.p95_ms}`]);
  expect(o.thresholds.http_req_failed).toEqual([`rate<=${budget.error_rate}`]);
  expect(o.scenarios.smoke).toEqual({
    executor: 'shared-iterations',
    vus: budget.smoke.vus,
    iterations: budget.smoke.max_requests,
    maxDuration: `${budget.smoke.duration_s}s`,
  });

  // a different budget file changes the thresholds: nothing is hard-coded in the script
  const other = { ...budget, p95_ms: 123, error_rate: 0.05, smoke: { vus: 3, duration_s: 7, max_requests: 99 } };
  const o2 = (await loadScript({ VUS: '2' }, { './budget.json': JSON.stringify(other) })).ns.options as Options;
  expect(o2.thresholds.http_req_duration).toEqual(['p(95)<=123']);
  expect(o2.thresholds.http_req_failed).toEqual(['rate<=0.05']);
  expect(o2.scenarios.smoke).toMatchObject({ vus: 2, iterations: 99, maxDuration: '7s' });
});

test('each iteration sends the next scenario request, signed like the built-in driver', async () => {
  const secret = 'k6-test-secret';
  const { ns, sent, checks, exec } = await loadScript({
    BASE_URL: 'http://127.0.0.1:4567/',
    WHATSAPP_APP_SECRET: secret,
  });
  const run = ns.default as () => void;
  const driverSpecs = smokeRequests({ appSecret: secret });
  for (let i = 0; i < driverSpecs.length * 2; i++) {
    exec.scenario.iterationInTest = i;
    run();
  }
  expect(sent).toHaveLength(driverSpecs.length * 2);
  sent.forEach((s, i) => {
    const spec = driverSpecs[i % driverSpecs.length]!;
    expect(s.method).toBe(spec.method);
    expect(s.url).toBe(`http://127.0.0.1:4567${spec.path}`);
    expect(s.body).toBe(spec.body);
    expect(s.params.tags.name).toBe(spec.name);
    const sig = s.params.headers['X-Hub-Signature-256'];
    expect(sig).toBe(spec.headers?.['x-hub-signature-256']);
    if (spec.name === 'whatsapp_webhook')
      expect(sig).toBe(`sha256=${createHmac('sha256', secret).update(s.body!).digest('hex')}`);
  });
  // Stable request names, one per endpoint (whatever the URL or body): what per-endpoint results group by.
  expect([...new Set(sent.map((s) => s.params.tags.name))].sort()).toEqual(['api_message', 'whatsapp_webhook']);
  expect(checks).toContain('message has a reply');
  expect(checks).toContain('webhook accepted 200');
});

test('handleSummary writes the summary data to SUMMARY_PATH', async () => {
  const data = JSON.parse(readFileSync(join(fixtures, 'pass-handle-summary.json'), 'utf8')) as {
    metrics: { http_req_duration: { values: Record<string, number> } };
  };
  const { ns } = await loadScript({ SUMMARY_PATH: 'out/summary.json' });
  const out = (ns.handleSummary as (d: unknown) => Record<string, string>)(data);
  expect(JSON.parse(out['out/summary.json']!)).toEqual(data);
  expect(out.stdout).toContain(data.metrics.http_req_duration.values['p(95)']!.toFixed(1));
  const dflt = (await loadScript({})).ns.handleSummary as (d: unknown) => Record<string, string>;
  expect(Object.keys(dflt(data))).toContain('reports/performance/k6-summary.json');
});
