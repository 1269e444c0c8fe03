/**
 * Adaptive error-rate limit with the error budget measured by a real Prometheus: a service process
 * answering part of its requests with injected 500s, scraped every second, then the bundled action
 * run as GitHub runs it with `slo` + `prometheus-url`. Also the precedence of the sources and the
 * fallback to the recorded history when Prometheus is down (the gate must not fail because of it).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  adaptiveErrorRateLimit,
  budgetSpentFromErrorRatio,
  budgetSpentFromHistory,
  defaultErrorBudgetQuery,
  type AdaptiveLimit,
} from '#core/gate/adaptive.js';
import { fmtPct } from '#core/gate/format.js';
import type { HistoryEntry } from '#core/gate/history.js';
import {
  PrometheusApiError,
  PrometheusClient,
  PrometheusHttpError,
  PrometheusResultError,
  PrometheusTimeoutError,
} from '#lib/prometheus.js';
import type { ServiceHandle } from '#lib/service-process.js';
import { startFakeGitHub } from '../support/github-api-server.js';
import { freePort } from '../support/ports.js';
import {
  startAuthProxy,
  startScrapedService,
  waitForSeries,
  type Prometheus,
  type ScrapedService,
} from '../support/prometheus.js';
import { fixtures, runAction, schemaErrors, type ActionRun } from './run-action.js';

const SLO = 0.8; // allowed error ratio 20 %: room for the injected 10 % to spend about half of it
const BASE_LIMIT = 0.2;
/**
 * The window is the life of this test's service (a few seconds): its counters' latest values.
 * Unlike increase() over so few scrapes, whose extrapolation differs between the two counters,
 * this ratio is exactly the service's own, so the test can assert the number, not a tolerance.
 */
const QUERY = 'sum(tenant_request_errors) / sum(tenant_request_total)';

let scraped: ScrapedService;
let service: ServiceHandle;
let prom: Prometheus;
let work: string | undefined;
let results: string;
/** The service's own counters once the traffic stopped: the error ratio Prometheus should see. */
let truth: { errors: number; total: number };

function counterSum(metricsText: string, name: string): number {
  let sum = 0;
  for (const m of metricsText.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

beforeAll(async () => {
  scraped = await startScrapedService({
    env: { FAULT_ERROR_RATE: '0.1' },
    warmUp: { durationS: 3, maxRequests: 300, ratePerSecond: 100 },
  });
  ({ service, prom } = scraped);
  const text = await (await fetch(`${service.url}/metrics`)).text();
  truth = { errors: counterSum(text, 'tenant_request_errors'), total: counterSum(text, 'tenant_request_total') };
  // Prometheus holds the final counters once a scrape after the traffic is stored.
  await waitForSeries(prom.url, `sum(tenant_request_total) == ${truth.total}`);

  // The k6 run being gated: 18 % of its 672 requests failed, inside the budget file's 20 % but
  // above what is left of the error budget once the service's ~10 % errors are counted.
  const doc = JSON.parse(readFileSync(join(fixtures, 'pass-summary-export.json'), 'utf8')) as {
    metrics: Record<string, Record<string, number>>;
  };
  const failed = 121;
  doc.metrics.http_req_failed = {
    ...doc.metrics.http_req_failed,
    passes: failed,
    fails: 672 - failed,
    value: failed / 672,
  };
  work = mkdtempSync(join(tmpdir(), 'smoke-gate-budget-'));
  results = join(work, 'k6.json');
  writeFileSync(results, JSON.stringify(doc));
}, 40_000);

afterAll(async () => {
  await scraped?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const baseInputs = (extra: Record<string, string>) => ({
  results,
  'github-token': '',
  'max-error-rate': String(BASE_LIMIT),
  'fail-on-k6-thresholds': 'false',
  slo: String(SLO),
  ...extra,
});

/** The bundled action, with the commit GitHub would give it. */
const run = (opts: Parameters<typeof runAction>[0]): Promise<ActionRun> =>
  runAction({ ...opts, env: { GITHUB_SHA: 'a'.repeat(40), ...opts.env } });

function adaptiveOf(r: ActionRun): AdaptiveLimit {
  expect(schemaErrors('report', r.report)).toEqual([]);
  return (r.report!.budget as { adaptive: AdaptiveLimit }).adaptive;
}

test('the error budget spent is measured by Prometheus and tightens the limit', async () => {
  const r = await run({ inputs: baseInputs({ 'prometheus-url': prom.url, 'error-budget-query': QUERY }) });
  expect(r.stderr).toBe('');
  const a = adaptiveOf(r);
  expect(a).toMatchObject({ source: 'prometheus', query: QUERY, slo: SLO, base_limit: BASE_LIMIT });
  expect(a.fallback_reason).toBeUndefined();
  expect(truth.errors).toBeGreaterThan(0);
  expect(a.observed_error_ratio).toBe(truth.errors / truth.total);
  // The recorded numbers follow the documented rule exactly.
  const spent = budgetSpentFromErrorRatio(a.observed_error_ratio!, SLO);
  expect(a).toEqual(
    adaptiveErrorRateLimit(BASE_LIMIT, {
      slo: SLO,
      budgetSpent: spent,
      windowDays: 30,
      source: 'prometheus',
      query: QUERY,
      observedErrorRatio: a.observed_error_ratio!,
    }),
  );
  expect(a.limit).toBeLessThan(BASE_LIMIT);
  expect((r.report!.budget as { error_rate_limit: number }).error_rate_limit).toBe(a.limit);
  // 18 % failed: within the budget file's 20 %, above the tightened limit.
  expect(r.code).toBe(1);
  expect(r.outputs.verdict).toBe('fail');
  expect(r.report!.reasons).toEqual([
    `error rate ${fmtPct(121 / 672)} (121 of 672 requests failed) is above the limit of ${fmtPct(a.limit)} ` +
      `(tightened from ${fmtPct(BASE_LIMIT)}: ${fmtPct(a.budget_spent)} of the error budget spent)`,
  ]);
  expect(r.stdout).toContain('::error::Performance smoke gate failed: error rate');
  expect(r.summary).toContain('measured by Prometheus');
  expect(r.summary).toContain('<code>sum(tenant&#95;request&#95;errors) / sum(tenant&#95;request&#95;total)</code>');
});

test('without error-budget-query the query covers slo-window-days; error-budget-spent wins over Prometheus', async () => {
  const windowDays = 0.001; // 86 s: the whole life of this test's service
  const byWindow = await run({
    inputs: baseInputs({ 'prometheus-url': prom.url, 'slo-window-days': String(windowDays) }),
  });
  const a = adaptiveOf(byWindow);
  expect(a.source).toBe('prometheus');
  expect(a.query).toBe(defaultErrorBudgetQuery(windowDays));
  expect(a.query).toContain('[86s]');
  expect(a.window_days).toBe(windowDays);
  expect(a.observed_error_ratio).toBeGreaterThan(0);
  expect(a.budget_spent).toBe(budgetSpentFromErrorRatio(a.observed_error_ratio!, SLO));

  const explicit = await run({
    inputs: baseInputs({ 'prometheus-url': prom.url, 'error-budget-spent': '0' }),
  });
  const e = adaptiveOf(explicit);
  expect(e).toMatchObject({ source: 'input', budget_spent: 0, remaining: 1 });
  expect(e.limit).toBeCloseTo(BASE_LIMIT, 12); // (1 - 0.8) in binary floating point
  expect(e.query).toBeUndefined();
  expect(explicit.code).toBe(0);
  expect(explicit.stdout).toContain('error-budget-spent is set: Prometheus is not queried');
});

test('Prometheus unreachable: a warning, the recorded runs are used instead, the gate still judges', async () => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const deadReason = `Prometheus at ${dead} is unreachable (ECONNREFUSED)`;

  // No history to fall back on: the budget file limit applies, clearly reported.
  const alone = await run({ inputs: baseInputs({ 'prometheus-url': dead }) });
  expect(alone.code).toBe(0);
  expect(alone.outputs.verdict).toBe('pass');
  expect((alone.report!.budget as { adaptive: unknown }).adaptive).toBeNull();
  const warning = `${deadReason}; no recorded runs in the window either: the budget file error-rate limit applies`;
  expect(alone.report!.warnings).toContain(warning);
  expect(alone.stdout).toContain(`::warning::${warning}`);
  expect(alone.stdout).not.toMatch(/\n\s+at /);

  // With recorded runs on the data branch: spent comes from them, and the report says why.
  const gh = await startFakeGitHub({ owner: 'acme', repo: 'hotel' });
  try {
    const now = Date.now();
    const entries: HistoryEntry[] = [1, 2].map((daysAgo, i) => ({
      sha: String(i + 1).repeat(40),
      ref: 'refs/heads/main',
      time: new Date(now - daysAgo * 86_400_000).toISOString(),
      p95_ms: 5,
      error_rate: 0.05 * (i + 1),
      requests: 500,
      verdict: 'pass',
    }));
    gh.state.setBranch('perf-data', gh.state.refs.get('heads/main')!);
    gh.state.setFile('perf-data', 'smoke-history/main.json', JSON.stringify({ version: 1, max_entries: 100, entries }));
    const [head] = gh.state.commitOn('feature-9', 1);
    gh.state.addPull({ number: 9, head_sha: head!, head_ref: 'feature-9' });
    const r = await run({
      inputs: baseInputs({ 'prometheus-url': dead, 'github-token': 'rw-token' }),
      env: { GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: 'acme/hotel' },
      event: {
        name: 'pull_request',
        payload: {
          pull_request: {
            number: 9,
            head: { sha: head!, ref: 'feature-9' },
            base: { ref: 'main', sha: gh.state.refs.get('heads/main') },
          },
          repository: { full_name: 'acme/hotel', default_branch: 'main' },
        },
      },
    });
    expect(r.stderr).toBe('');
    const a = adaptiveOf(r);
    const fromHistory = budgetSpentFromHistory(entries, { slo: SLO, windowDays: 30, now: new Date() })!;
    const reason = `${deadReason}; error budget spent taken from the 2 recorded runs in the window instead`;
    expect(a).toEqual(
      adaptiveErrorRateLimit(BASE_LIMIT, {
        slo: SLO,
        budgetSpent: fromHistory.spent,
        windowDays: 30,
        source: 'history',
        fallbackReason: reason,
      }),
    );
    expect(a.limit).toBeLessThan(BASE_LIMIT);
    expect(r.report!.warnings).toContain(reason);
    expect(r.stdout).toContain(`::warning::${reason}`);
    expect(r.summary).toContain('from the recorded runs in the window');
    expect(r.summary).toContain('is unreachable (ECONNREFUSED)');
    expect(gh.violations).toEqual([]);
  } finally {
    await gh.close();
  }
});

test('Prometheus inputs without slo, or a query without a URL, are one-line input errors', async () => {
  const noSlo = await run({ inputs: { results, 'github-token': '', 'prometheus-url': prom.url } });
  expect(noSlo.code).toBe(1);
  expect(noSlo.stdout).toContain('::error::input prometheus-url needs the slo input (e.g. slo: 0.99)');
  const noUrl = await run({ inputs: baseInputs({ 'error-budget-query': QUERY }) });
  expect(noUrl.code).toBe(1);
  expect(noUrl.stdout).toContain('::error::input error-budget-query needs the prometheus-url input');
  const badUrl = await run({ inputs: baseInputs({ 'prometheus-url': 'ftp://x' }) });
  expect(badUrl.stdout).toContain('::error::input prometheus-url must be an http(s) URL, got "ftp://x"');
  for (const r of [noSlo, noUrl, badUrl]) expect(r.report).toBeUndefined();
});

/** Lines of a step's log other than the masks GitHub is told about (there a secret must appear). */
const unmasked = (r: ActionRun): string =>
  r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

// Runs the bundled dist: passes once `npm run bundle` has taken in the prometheus-headers input.
test('Prometheus behind a proxy wanting a token and a tenant: prometheus-headers gets through, every secret masked', async () => {
  const token = 'tok-0f3b9d1e77';
  const tenant = 'tenant-6a2c';
  const proxy = await startAuthProxy(prom, { token, tenant });
  try {
    const ok = await run({
      inputs: baseInputs({
        'prometheus-url': proxy.url,
        'error-budget-query': QUERY,
        'prometheus-headers': `Authorization: Bearer ${token}\n\nX-Scope-OrgID: ${tenant}\n`,
      }),
    });
    expect(ok.stderr).toBe('');
    const a = adaptiveOf(ok);
    expect(a).toMatchObject({ source: 'prometheus', query: QUERY });
    expect(a.observed_error_ratio).toBe(truth.errors / truth.total);
    expect(proxy.passed).toHaveLength(1);
    expect(ok.stdout).toContain(`::add-mask::${token}`);
    expect(ok.stdout).toContain(`::add-mask::${tenant}`);
    for (const text of [unmasked(ok), ok.summary, JSON.stringify(ok.report)]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(tenant);
    }

    // No headers: a clear warning, and the gate goes on without the measured budget.
    const none = await run({ inputs: baseInputs({ 'prometheus-url': proxy.url, 'error-budget-query': QUERY }) });
    expect(none.code).toBe(0);
    const warning =
      `Prometheus at ${proxy.url} requires authentication (HTTP 401) and no credentials were sent: put user:password in the URL or send an Authorization header` +
      '; no recorded runs in the window either: the budget file error-rate limit applies';
    expect(none.report!.warnings).toContain(warning);
    expect(none.stdout).toContain(`::warning::${warning}`);

    // Basic auth in the URL, which this proxy refuses: the messages name the URL without the password.
    const basic = await run({
      inputs: baseInputs({
        'prometheus-url': proxy.url.replace('http://', 'http://grafana:pw-9e8d7c@'),
        'error-budget-query': QUERY,
        'prometheus-headers': `X-Scope-OrgID: ${tenant}`,
      }),
    });
    expect(basic.code).toBe(0);
    expect(basic.report!.warnings).toContain(
      `Prometheus at ${proxy.url} refused the credentials (HTTP 403); no recorded runs in the window either: the budget file error-rate limit applies`,
    );
    expect(basic.stdout).toContain('::add-mask::pw-9e8d7c');
    for (const text of [unmasked(basic), basic.summary, JSON.stringify(basic.report)])
      expect(text).not.toContain('pw-9e8d7c');

    // A malformed line fails the step naming the line, never its text.
    const bad = await run({
      inputs: baseInputs({
        'prometheus-url': proxy.url,
        'prometheus-headers': `X-Scope-OrgID: ${tenant}\nBearer ${token}`,
      }),
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([
      '::error::input prometheus-headers line 2 is not a "Name: value" header (no colon)',
    ]);
    expect(unmasked(bad)).not.toContain(token);
    expect(bad.report).toBeUndefined();
  } finally {
    await proxy.close();
  }
});

describe('the shared Prometheus client (lib/prometheus.ts): typed errors, one line each', () => {
  let misbehaving: Server;
  let misbehavingUrl: string;
  beforeAll(async () => {
    // Stands for a proxy in front of Prometheus: /bad answers 502 with an HTML page, /stall never answers.
    misbehaving = createServer((req, res) => {
      if (req.url?.startsWith('/bad/')) res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>');
    });
    await new Promise<void>((r) => misbehaving.listen(0, '127.0.0.1', r));
    misbehavingUrl = `http://127.0.0.1:${(misbehaving.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    misbehaving.closeAllConnections();
    await new Promise((r) => misbehaving.close(r));
  });

  test('instant and range queries read the real server', async () => {
    const client = new PrometheusClient(prom.url);
    expect(await client.query('sum(tenant_request_total)')).toEqual([{ metric: {}, value: truth.total }]);
    // Rounded up: the range must end no earlier than the instant query above, or its last point can miss the
    // scrape that query saw (seen in CI: 200 where the total was 300).
    const now = Math.ceil(Date.now() / 1000);
    const [series] = await client.queryRange('sum(tenant_request_total)', now - 5, now, 1);
    expect(series!.values.length).toBeGreaterThan(1);
    expect(series!.values.at(-1)![1]).toBe(truth.total);
  });

  test('Prometheus status error, wrong result type, HTTP error, timeout, caller abort', async () => {
    const client = new PrometheusClient(prom.url);
    const api = await client.query('sum(').catch((e: unknown) => e);
    expect(api).toBeInstanceOf(PrometheusApiError);
    expect(api).toMatchObject({ kind: 'api', status: 400, errorType: 'bad_data' });
    expect((api as Error).message).toMatch(
      new RegExp(`^Prometheus at ${prom.url} rejected the query \\(HTTP 400, bad_data: [^\\n]+\\)$`),
    );

    const matrix = await client.query('tenant_request_total[1m]').catch((e: unknown) => e);
    expect(matrix).toBeInstanceOf(PrometheusResultError);
    expect((matrix as Error).message).toBe(
      'Prometheus query did not return a vector (got matrix): tenant_request_total[1m]',
    );

    const http = await new PrometheusClient(`${misbehavingUrl}/bad`).query('1').catch((e: unknown) => e);
    expect(http).toBeInstanceOf(PrometheusHttpError);
    expect((http as Error).message).toBe(
      `Prometheus at ${misbehavingUrl}/bad answered HTTP 502 with a body that is not the API's JSON`,
    );

    const slow = await new PrometheusClient(`${misbehavingUrl}/stall`, 300).query('1').catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(PrometheusTimeoutError);
    expect((slow as Error).message).toBe(`Prometheus at ${misbehavingUrl}/stall did not answer within 300 ms`);

    const controller = new AbortController();
    const pending = new PrometheusClient(`${misbehavingUrl}/stall`).query('1', undefined, controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({
      kind: 'aborted',
      message: `query to Prometheus at ${misbehavingUrl}/stall aborted`,
    });
  });
});
