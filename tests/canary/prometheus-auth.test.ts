/**
 * Prometheus behind authentication, with real parts: a real Prometheus that wants basic auth
 * (`--web.config.file`, basic_auth_users), and a small reverse proxy in front of it that wants a
 * bearer token and a tenant header (as an OAuth proxy or Mimir/Cortex do). The shared client
 * (lib/prometheus.ts) gets in with the credentials, says clearly when it is refused, and never puts
 * a password or a header value in a message. Last, a whole canary run (the CLI as built) through
 * both: its queries are authenticated, and neither its log nor its report holds a secret.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CanaryReport } from '#core/canary/index.js';
import { InputError } from '#lib/inputs.js';
import {
  parseHeaderLines,
  PrometheusAuthError,
  PrometheusClient,
  PrometheusError,
  prometheusSecrets,
  redactUrl,
} from '#lib/prometheus.js';
import { freePort } from '../support/ports.js';
import { runNode } from '../support/processes.js';
import {
  startAuthProxy,
  startScrapedService,
  TEST_BASIC_AUTH,
  type AuthProxy,
  type ScrapedService,
} from '../support/prometheus.js';
import { canaryStarted, cliBuild, reportPathIn } from './helpers.js';

const { username: USER, password: PASSWORD } = TEST_BASIC_AUTH;
const TOKEN = 'tok-5b9e1c7d2f';
const TENANT = 'tenant-9c4e';

let scraped: ScrapedService;
let promUrl: string;
/** Wants a bearer token (or, passed on, basic auth) and the tenant, in front of the basic-auth Prometheus. */
let proxy: AuthProxy;
let proxyUrl: string;

beforeAll(async () => {
  scraped = await startScrapedService({
    env: { SERVICE_TRACK: 'stable', FAULT_LATENCY_MS: '20-30' },
    warmUp: { durationS: 3, maxRequests: 90, ratePerSecond: 30 },
    basicAuth: TEST_BASIC_AUTH,
  });
  promUrl = scraped.prom.url;
  proxy = await startAuthProxy(scraped.prom, { token: TOKEN, tenant: TENANT, passBasic: true });
  proxyUrl = proxy.url;
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await scraped?.stop();
});

const withCredentials = (url: string, user: string = USER, password: string = PASSWORD): string =>
  url.replace('http://', `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`);

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<PrometheusError> {
  const r = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(r).toBeInstanceOf(PrometheusError);
  return r as PrometheusError;
}

describe('header lines', () => {
  test('"Name: value" lines become headers; blank lines are skipped; a value may hold colons', () => {
    expect(
      parseHeaderLines('input prometheus-headers', [
        '',
        'Authorization: Bearer abc:def',
        '   ',
        'X-Scope-OrgID:tenant-1  ',
      ]),
    ).toEqual({ Authorization: 'Bearer abc:def', 'X-Scope-OrgID': 'tenant-1' });
    expect(parseHeaderLines('input prometheus-headers', [])).toEqual({});
  });

  test.each([
    ['no colon', 'Bearer sekrit-value', 'input prometheus-headers line 2 is not a "Name: value" header (no colon)'],
    [
      'a name with a space',
      'Bad Name: sekrit-value',
      'input prometheus-headers line 2: the header name before the colon is not a valid HTTP header name',
    ],
    [
      'no name',
      ': sekrit-value',
      'input prometheus-headers line 2: the header name before the colon is not a valid HTTP header name',
    ],
    ['an empty value', 'X-Token:   ', 'input prometheus-headers line 2: header X-Token has an empty value'],
    [
      'a control character',
      'X-Token: sekrit\u0000value',
      'input prometheus-headers line 2: the value of header X-Token contains control characters',
    ],
    [
      'a name given twice',
      'x-scope-orgid: sekrit-value',
      'input prometheus-headers line 2: header x-scope-orgid is given twice',
    ],
  ])('a malformed line (%s) is one line naming its number, never its value', (_what, line, message) => {
    const lines = ['X-Scope-OrgID: a', line];
    let err: unknown;
    try {
      parseHeaderLines('input prometheus-headers', lines);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(message);
    expect((err as Error).message).not.toContain('sekrit');
  });

  test('redactUrl drops the userinfo and nothing else', () => {
    expect(redactUrl('https://u:p%40ss@prom.example.com/prometheus')).toBe('https://prom.example.com/prometheus');
    expect(redactUrl('http://user:pw@127.0.0.1:9090')).toBe('http://127.0.0.1:9090');
    expect(redactUrl('http://user:pw@127.0.0.1:9090/')).toBe('http://127.0.0.1:9090/');
    expect(redactUrl('https://token@host/x?y=1')).toBe('https://host/x?y=1');
    expect(redactUrl('http://127.0.0.1:9090')).toBe('http://127.0.0.1:9090');
    // Not a URL (a bad port): the userinfo still goes.
    expect(redactUrl('http://u:pw@host:99999')).toBe('http://host:99999');
  });

  test('the secrets to mask: the password (as written and decoded) and each header value and credential', () => {
    expect(
      prometheusSecrets('https://u:p%40ss@host/', [
        'Authorization: Bearer t0k3n',
        '',
        'X-Scope-OrgID: acme',
        'garbage',
        'Bearer loose-tok',
      ]),
    ).toEqual(expect.arrayContaining(['p%40ss', 'p@ss', 'Bearer t0k3n', 't0k3n', 'acme', 'garbage', 'loose-tok']));
    expect(prometheusSecrets('http://host:9090', [''])).toEqual([]);
    // Too short to be a credential, and masking it would garble the log.
    expect(prometheusSecrets('http://u:pw@host:9090', ['X-Scope-OrgID: eu'])).toEqual([
      Buffer.from('u:pw').toString('base64'),
    ]);
  });
});

describe('a real Prometheus with basic auth', () => {
  test('credentials in the URL get in, sent as Authorization: Basic, and the client names the URL without them', async () => {
    const client = new PrometheusClient(withCredentials(promUrl));
    expect(client.baseUrl).toBe(promUrl);
    expect(await client.query('vector(1)')).toEqual([{ metric: {}, value: 1 }]);
    await client.ping();
    // The served traffic Prometheus scraped, read back through the same client.
    const [up] = await client.query('up{track="stable"}');
    expect(up?.value).toBe(1);
    const series = await client.queryRange('up{track="stable"}', Date.now() / 1000 - 5, Date.now() / 1000, 1);
    expect(series).toHaveLength(1);
  });

  test('without credentials: one clear line naming the server, not "not the API\'s JSON"', async () => {
    const err = await failure(new PrometheusClient(promUrl).query('vector(1)'));
    expect(err).toBeInstanceOf(PrometheusAuthError);
    expect(err.kind).toBe('auth');
    expect(err.message).toBe(
      `Prometheus at ${promUrl} requires authentication (HTTP 401) and no credentials were sent: put user:password in the URL or send an Authorization header`,
    );
  });

  test('a wrong password is refused in one line that holds neither password', async () => {
    const err = await failure(new PrometheusClient(withCredentials(promUrl, USER, 'wrong-pw-31')).ping());
    expect(err.message).toBe(`Prometheus at ${promUrl} refused the credentials (HTTP 401)`);
    expect(err.message).not.toContain('wrong-pw-31');
  });

  test('no failure message holds the password: bad query, wrong path, unreachable, timeout', async () => {
    const messages: string[] = [];
    const bad = await failure(new PrometheusClient(withCredentials(promUrl)).query('sum('));
    expect(bad.message).toMatch(new RegExp(`^Prometheus at ${promUrl} rejected the query \\(HTTP 400, bad_data: `));
    messages.push(bad.message);
    // A path Prometheus does not serve (its UI answers HTML): not the API's JSON.
    const path = await failure(new PrometheusClient(withCredentials(`${promUrl}/nothing/here`)).query('vector(1)'));
    expect(path.kind).toBe('http');
    messages.push(path.message);
    const dead = await freePort();
    const gone = await failure(new PrometheusClient(withCredentials(`http://127.0.0.1:${dead}/prom`)).ping());
    expect(gone.message).toBe(`Prometheus at http://127.0.0.1:${dead}/prom is unreachable (ECONNREFUSED)`);
    messages.push(gone.message);
    // A server that accepts the connection and never answers.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as AddressInfo).port;
      const slow = await failure(new PrometheusClient(withCredentials(`http://127.0.0.1:${port}`), 200).ping());
      expect(slow.message).toBe(`Prometheus at http://127.0.0.1:${port} did not answer within 200 ms`);
      messages.push(slow.message);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
    for (const m of messages) {
      expect(m).not.toContain(PASSWORD);
      expect(m).not.toContain(`${USER}:`);
      expect(m.split('\n')).toHaveLength(1);
    }
  });
});

describe('a proxy that wants a bearer token and a tenant header', () => {
  const headers = { Authorization: `Bearer ${TOKEN}`, 'X-Scope-OrgID': TENANT };

  test('the client with both headers gets through to Prometheus', async () => {
    proxy.passed.length = 0;
    const client = new PrometheusClient(proxyUrl, { headers });
    expect(await client.query('vector(1)')).toEqual([{ metric: {}, value: 1 }]);
    expect(proxy.passed).toHaveLength(1);
    expect(proxy.passed[0]).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'x-scope-orgid': TENANT });
  });

  test('without headers, with another token or without the tenant: a clear refusal, no value in it', async () => {
    const none = await failure(new PrometheusClient(proxyUrl).ping());
    expect(none.message).toBe(
      `Prometheus at ${proxyUrl} requires authentication (HTTP 401) and no credentials were sent: put user:password in the URL or send an Authorization header`,
    );
    const wrong = await failure(
      new PrometheusClient(proxyUrl, { headers: { ...headers, Authorization: 'Bearer other-tok-88' } }).ping(),
    );
    expect(wrong.message).toBe(`Prometheus at ${proxyUrl} refused the credentials (HTTP 403)`);
    const noTenant = await failure(
      new PrometheusClient(proxyUrl, { headers: { Authorization: headers.Authorization } }).ping(),
    );
    expect(noTenant.message).toBe(`Prometheus at ${proxyUrl} refused the credentials (HTTP 401)`);
    // A value fetch itself refuses (not from parseHeaderLines): its error would quote it; ours does not.
    const unsendable = await failure(
      new PrometheusClient(proxyUrl, { headers: { Authorization: `Bearer ${TOKEN}\u2603` } }).ping(),
    );
    expect(unsendable.message).toBe(
      `Prometheus at ${proxyUrl} is unreachable (the request could not be built: check the URL and headers)`,
    );
    for (const m of [none.message, wrong.message, noTenant.message, unsendable.message]) {
      expect(m).not.toContain(TOKEN);
      expect(m).not.toContain('other-tok-88');
      expect(m).not.toContain(TENANT);
    }
  });
});

test('a canary run (CLI) queries Prometheus with basic auth from the URL and a tenant header, and leaks neither', async () => {
  const work = mkdtempSync(join(tmpdir(), 'canary-auth-'));
  try {
    const sha = 'a0b1c2d3';
    proxy.passed.length = 0;
    // Basic auth in the URL, through the proxy (which wants the tenant) to Prometheus (which wants the user).
    const { child, done } = runNode(
      cliBuild,
      [
        'staging',
        sha,
        '--baseline-url',
        scraped.service.url,
        '--prometheus-url',
        withCredentials(proxyUrl),
        '--prometheus-header',
        `X-Scope-OrgID: ${TENANT}`,
        '--prometheus-scrape-interval-seconds',
        '1',
        '--intervals',
        '3',
        '--interval-seconds',
        '2',
        '--rate',
        '60',
        '--connections',
        '4',
        '--warmup-requests',
        '200',
        '--readiness-timeout-seconds',
        '10',
        '--canary-env',
        'FAULT_LATENCY_MS=20-30',
      ],
      { PATH: process.env.PATH, HOME: process.env.HOME },
      work,
    );
    let buf = '';
    let targeted = false;
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const started = canaryStarted(buf);
      if (started && !targeted) {
        targeted = true;
        scraped.prom.setTargets([
          { port: scraped.service.port, track: 'stable' },
          { port: started.port, track: 'canary' },
        ]);
      }
    });
    const r = await done;
    scraped.prom.setTargets([{ port: scraped.service.port, track: 'stable' }]);
    expect(r.stderr).not.toMatch(/error:/);
    expect([0, 1]).toContain(r.code);
    expect(r.stdout).toContain('baseline p95 from Prometheus before the deploy');
    expect(r.stdout).toContain('Prometheus scrapes the canary');
    const reportPath = reportPathIn(work, sha);
    expect(existsSync(reportPath)).toBe(true);
    const text = readFileSync(reportPath, 'utf8');
    const report = JSON.parse(text) as CanaryReport & {
      plan: { prometheus: { url: string; basic_auth_from_url: boolean; header_names: string[] } };
    };
    // Every query went through with the credentials: the Prometheus judgement has the canary's data.
    expect(report.prometheus?.error).toBeNull();
    expect(report.prometheus?.intervals).toHaveLength(3);
    expect(report.prometheus?.intervals.some((i) => i.canary.total > 0)).toBe(true);
    // The proxy let the run's queries through with the basic auth made from the URL.
    expect(proxy.passed.filter((h) => h.authorization === scraped.prom.headers.Authorization).length).toBeGreaterThan(
      5,
    );
    expect(report.plan.prometheus).toMatchObject({
      url: proxyUrl,
      basic_auth_from_url: true,
      header_names: ['X-Scope-OrgID'],
    });
    for (const out of [r.stdout, r.stderr, text]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain(TENANT);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 90_000);
