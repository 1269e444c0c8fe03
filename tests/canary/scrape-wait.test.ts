/**
 * The wait before interval 1 against a real Prometheus (scraping every second) and a real service
 * labelled track=canary: it returns only once the canary's served-request series has two samples,
 * so an interval that starts then and lasts two scrape intervals is judged on canary data. The old
 * condition (`up == 1`) held after the first scrape and left interval 1 empty under load.
 */
import { drive, smokeRequests } from '#lib/load/driver.js';
import { prometheusQueries, type PrometheusPlan } from '#core/canary/plan.js';
import { PrometheusClient } from '#lib/canary/prometheus.js';
import { canaryScrapedQuery, waitForCanaryScrape } from '#lib/canary/run.js';
import { startService, type ServiceHandle } from '#lib/service-process.js';
import { startPrometheus, type Prometheus } from '../support/prometheus.js';

const INTERVAL_S = 2;
let canary: ServiceHandle;
let prom: Prometheus;
let plan: PrometheusPlan;

beforeAll(async () => {
  canary = await startService({ env: { SERVICE_TRACK: 'canary' } });
  prom = await startPrometheus();
  plan = {
    url: prom.url,
    basic_auth_from_url: false,
    header_names: [],
    track_label: 'track',
    selector: '',
    baseline_lookback_s: 300,
    scrape_interval_s: 1,
    queries: prometheusQueries('track', '', INTERVAL_S, INTERVAL_S * 3, 300),
  };
}, 30_000);

afterAll(async () => {
  await Promise.allSettled([canary?.stop(3000), prom?.stop()]);
});

const hooks = () => {
  const lines: string[] = [];
  return { lines, log: (l: string) => lines.push(l), warn: (l: string) => lines.push(`warn: ${l}`) };
};
const drive1 = (durationS: number) =>
  drive({
    baseUrl: canary.url,
    requests: smokeRequests(),
    connections: 2,
    durationS,
    maxRequests: 400,
    ratePerSecond: 40,
  });

test('returns once the canary series has two scrapes; the next interval then holds canary data', async () => {
  const client = new PrometheusClient(prom.url);
  // Served traffic first (as the warm-up does), then the canary becomes a target.
  await drive1(0.5);
  prom.setTargets([{ port: canary.port, track: 'canary' }]);
  const h = hooks();
  const r = await waitForCanaryScrape(client, plan, new AbortController().signal, h);
  expect(r.seen).toBe(true);
  expect(h.lines).toEqual([`Prometheus scrapes the canary (waited ${r.waited_ms} ms)`]);
  const [scraped] = await client.query(canaryScrapedQuery(plan));
  expect(scraped!.value).toBeGreaterThanOrEqual(2);

  // Interval 1 right after the wait, judged as the run judges it: per-interval increase at its end.
  const start = Date.now();
  const samples = await drive1(INTERVAL_S);
  const endS = Date.now() / 1000;
  await new Promise((res) => setTimeout(res, (plan.scrape_interval_s + 1) * 1000));
  const buckets = await client.query(plan.queries.interval_buckets.canary, endS);
  const inf = buckets.find((b) => b.metric.le === '+Inf');
  expect(samples.length).toBeGreaterThan(0);
  expect(Date.now() - start).toBeGreaterThan(INTERVAL_S * 1000);
  expect(inf?.value ?? 0).toBeGreaterThan(0);
}, 40_000);

test('a series that is never scraped is not taken for one: the wait ends at its bound (here, the abort) and says why', async () => {
  const client = new PrometheusClient(prom.url);
  const absent = { ...plan, selector: 'route="/never-served"' };
  const h = hooks();
  const r = await waitForCanaryScrape(client, absent, AbortSignal.timeout(1500), h);
  expect(r.seen).toBe(false);
  expect(r.waited_ms).toBeGreaterThanOrEqual(1400);
  expect(h.lines).toEqual([
    `warn: Prometheus did not scrape the canary twice within 30 s (${canaryScrapedQuery(absent)} >= 2); its judgement will lack data`,
  ]);
}, 20_000);
