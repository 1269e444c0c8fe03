import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { percentile } from '#core/stats/percentile.js';
import { drive, LoadDriverError, samplesToLoadResult, smokeRequests, type RequestSpec } from '#lib/load/driver.js';

interface Seen {
  method: string;
  path: string;
  body: string;
  headers: IncomingMessage['headers'];
}

let server: Server;
let baseUrl: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
      });
      const delay = req.url === '/slow' ? 150 : 0;
      setTimeout(() => {
        res.statusCode = req.url === '/fail' ? 500 : req.url === '/missing' ? 404 : 200;
        res.end('{}');
      }, delay);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  seen.length = 0;
});

const mix: RequestSpec[] = [
  { name: 'good', method: 'GET', path: '/ok' },
  { name: 'bad', method: 'POST', path: '/fail', body: '{"x":1}', headers: { 'content-type': 'application/json' } },
  { name: 'absent', method: 'GET', path: '/missing' },
];

test('stops at maxRequests and attributes each response to the request that caused it', async () => {
  const samples = await drive({ baseUrl, requests: mix, connections: 3, durationS: 20, maxRequests: 90 });
  expect(samples).toHaveLength(90);
  const byName = new Map<string, Set<number>>();
  for (const s of samples) byName.set(s.name, (byName.get(s.name) ?? new Set()).add(s.status));
  expect([...byName.keys()].sort()).toEqual(['absent', 'bad', 'good']);
  expect([...byName.get('good')!]).toEqual([200]);
  expect([...byName.get('bad')!]).toEqual([500]);
  expect([...byName.get('absent')!]).toEqual([404]);
  for (const s of samples) {
    expect(s.ok).toBe(s.status < 400);
    expect(s.latency_ms).toBeGreaterThan(0);
  }
  const posts = seen.filter((r) => r.path === '/fail');
  expect(posts.length).toBeGreaterThan(0);
  expect(posts.every((r) => r.method === 'POST' && r.body === '{"x":1}')).toBe(true);
});

test('stops when the duration elapses, before maxRequests', async () => {
  const samples = await drive({
    baseUrl,
    requests: [{ name: 'slow', method: 'GET', path: '/slow' }],
    connections: 2,
    durationS: 1,
    maxRequests: 10_000,
  });
  // 2 connections on a 150 ms endpoint for about a second: a handful of requests, far from the cap.
  expect(samples.length).toBeGreaterThan(0);
  expect(samples.length).toBeLessThan(100);
  expect(samples.every((s) => s.status === 200 && s.latency_ms >= 140)).toBe(true);
});

test('ratePerSecond caps throughput', async () => {
  const samples = await drive({
    baseUrl,
    requests: mix,
    connections: 2,
    durationS: 1.5,
    maxRequests: 10_000,
    ratePerSecond: 10,
  });
  expect(samples.length).toBeGreaterThan(0);
  // unthrottled, the same setup sends thousands of requests (first test); throttled, about 10/s.
  expect(samples.length).toBeLessThanOrEqual(40);
});

test('an abort signal ends the run early with the samples so far', async () => {
  const ac = new AbortController();
  const run = drive(
    {
      baseUrl,
      requests: [{ name: 'slow', method: 'GET', path: '/slow' }],
      connections: 1,
      durationS: 30,
      maxRequests: 10_000,
    },
    ac.signal,
  );
  setTimeout(() => ac.abort(), 400);
  const samples = await run;
  expect(samples.length).toBeGreaterThan(0);
  expect(samples.length).toBeLessThan(20);
});

test('refuses non-loopback targets and bad bounds', async () => {
  for (const url of [
    'http://example.com',
    'http://10.0.0.1:3000',
    'http://128.0.0.1',
    'ftp://127.0.0.1',
    'not a url',
  ]) {
    await expect(drive({ baseUrl: url, requests: mix, connections: 1, durationS: 1, maxRequests: 1 })).rejects.toThrow(
      LoadDriverError,
    );
  }
  await expect(drive({ baseUrl, requests: mix, connections: 1, durationS: 0, maxRequests: 1 })).rejects.toThrow(
    /durationS/,
  );
  await expect(drive({ baseUrl, requests: [], connections: 1, durationS: 1, maxRequests: 1 })).rejects.toThrow(
    /no requests/,
  );
  expect(seen).toHaveLength(0);
});

test('connection errors become failed samples without latency', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const samples = await drive({
    baseUrl: `http://127.0.0.1:${port}`,
    requests: mix,
    connections: 1,
    durationS: 1,
    maxRequests: 20,
  });
  expect(samples.length).toBeGreaterThan(0);
  expect(samples.every((s) => s.status === 0 && !s.ok && Number.isNaN(s.latency_ms))).toBe(true);
  const r = samplesToLoadResult(samples);
  expect(r.error_rate).toBe(1);
  expect(Number.isNaN(r.latency_ms.p95)).toBe(true);
});

test('samplesToLoadResult uses the k6 percentile rule and counts failures', () => {
  const lat = Array.from({ length: 200 }, (_, i) => ((i * 37) % 101) + 0.5);
  const samples = lat.map((l, i) => ({
    t_ms: i * 10,
    latency_ms: l,
    status: i % 25 === 0 ? 503 : 200,
    ok: i % 25 !== 0,
    name: 'x',
  }));
  const r = samplesToLoadResult(samples, 2);
  expect(r.source.format).toBe('builtin-driver');
  expect(r.requests).toBe(200);
  expect(r.failed_requests).toBe(8);
  expect(r.error_rate).toBeCloseTo(8 / 200, 12);
  expect(r.latency_ms.p95).toBe(percentile(lat, 0.95));
  expect(r.latency_ms.min).toBe(Math.min(...lat));
  expect(r.latency_ms.max).toBe(Math.max(...lat));
  expect(r.duration_s).toBe(2);
  const [lo, hi] = r.p95_ci_ms!;
  expect(lo).toBeLessThanOrEqual(r.latency_ms.p95);
  expect(hi).toBeGreaterThanOrEqual(r.latency_ms.p95);
  expect(hi).toBeGreaterThan(lo);
  // too few points for a 95 % interval of the p95: no interval rather than a misleading one
  expect(samplesToLoadResult(samples.slice(0, 20)).p95_ci_ms).toBeUndefined();
  expect(samplesToLoadResult(samples).duration_s).toBeCloseTo(1.99, 12);
});

test('smoke requests carry JSON bodies and valid webhook signatures for both tenants', async () => {
  const secret = 'test-secret-123';
  const specs = smokeRequests({ appSecret: secret });
  const names = new Set(specs.map((s) => s.name));
  expect(names).toEqual(new Set(['api_message', 'whatsapp_webhook']));
  const samples = await drive({ baseUrl, requests: specs, connections: 1, durationS: 10, maxRequests: specs.length });
  expect(samples).toHaveLength(specs.length);
  const webhooks = seen.filter((r) => r.path === '/webhooks/whatsapp');
  const api = seen.filter((r) => r.path === '/api/v1/messages');
  expect(webhooks.length).toBeGreaterThanOrEqual(2);
  expect(api.length).toBeGreaterThanOrEqual(2);
  const phoneIds = new Set<string>();
  for (const w of webhooks) {
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(w.body).digest('hex')}`);
    const got = Buffer.from(String(w.headers['x-hub-signature-256']));
    expect(got.length === expected.length && timingSafeEqual(got, expected)).toBe(true);
    const payload = JSON.parse(w.body) as {
      object: string;
      entry: { changes: { value: { metadata: { phone_number_id: string } } }[] }[];
    };
    expect(payload.object).toBe('whatsapp_business_account');
    phoneIds.add(payload.entry[0]!.changes[0]!.value.metadata.phone_number_id);
  }
  expect(phoneIds).toEqual(new Set(['100000000000001', '100000000000002']));
  const users = new Set(api.map((r) => (JSON.parse(r.body) as { user_id: string }).user_id.slice(0, 3)));
  expect(users).toEqual(new Set(['+34', '+14']));
  // the default secret is the service's embedded development secret
  const dflt = smokeRequests({ appSecret: undefined }).find((s) => s.name === 'whatsapp_webhook')!;
  const envSecret = process.env.WHATSAPP_APP_SECRET ?? 'dev-app-secret';
  expect(dflt.headers!['x-hub-signature-256']).toBe(
    `sha256=${createHmac('sha256', envSecret).update(dflt.body!).digest('hex')}`,
  );
});
