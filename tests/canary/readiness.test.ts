/**
 * Readiness polling against a real HTTP server: retries until 2xx, backs off exponentially, and
 * gives up at the timeout saying what it last saw.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitReady } from '#lib/canary/readiness.js';

let server: Server;
let url: string;
let readyAfter = Infinity;
const probes: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    probes.push(Date.now());
    res.statusCode = req.url === '/health/ready' && probes.length >= readyAfter ? 200 : 503;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  probes.length = 0;
});

const settings = { path: '/health/ready', timeout_s: 5, initial_backoff_ms: 20, max_backoff_ms: 1000 };

test('ready on the probe that answers 200', async () => {
  readyAfter = 4;
  const r = await waitReady(url, settings);
  expect(r).toMatchObject({ ready: true, attempts: 4, last: 'HTTP 200' });
  expect(probes).toHaveLength(4);
});

test('never ready: gives up at the timeout with the last answer', async () => {
  readyAfter = Infinity;
  const r = await waitReady(url, { ...settings, timeout_s: 0.5 });
  expect(r.ready).toBe(false);
  expect(r.last).toBe('HTTP 503');
  expect(r.attempts).toBe(probes.length);
  // Backing off from 20 ms by doubling fits about 6 probes into 0.5 s; polling every 20 ms would take 25.
  expect(r.attempts).toBeLessThanOrEqual(10);
});

test('nothing listening: the connection error is what it reports', async () => {
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as AddressInfo).port;
  await new Promise((r) => dead.close(r));
  const r = await waitReady(`http://127.0.0.1:${port}`, { ...settings, timeout_s: 0.3 });
  expect(r).toMatchObject({ ready: false, last: 'ECONNREFUSED' });
});
