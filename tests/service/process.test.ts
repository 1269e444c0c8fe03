/**
 * The service as other parts of the project run it: a real child process started by lib/service-process
 * (needs `npm run build`), talked to over real HTTP.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { serviceEnv, startService, type ServiceHandle } from '#lib/service-process.js';
import { logLines } from './helpers.js';

const started: ServiceHandle[] = [];
// Fresh tenant data from the embedded seed, whatever admin changes a developer made in <repo>/.data.
const stateDir = mkdtempSync(join(tmpdir(), 'hotel-process-state-'));
async function start(env: Record<string, string> = {}, waitReady = true): Promise<ServiceHandle> {
  const h = await startService({
    env: { LOG_LEVEL: 'info', TENANTS_FILE: '', STATE_DIR: stateDir, ...env },
    waitReady,
  });
  started.push(h);
  return h;
}
afterAll(async () => {
  await Promise.all(started.map((h) => h.stop(2000)));
  rmSync(stateDir, { recursive: true, force: true });
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/api/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

test('starts on an OS-picked port, answers health, messages and metrics, and stops cleanly on SIGTERM', async () => {
  const h = await start({ SERVICE_TRACK: 'canary', SERVICE_VERSION: '9.9.9', GIT_COMMIT: 'abc123' });
  expect(h.port).toBeGreaterThan(0);
  expect(h.url).toBe(`http://127.0.0.1:${h.port}`);
  expect((await fetch(`${h.url}/health/live`)).status).toBe(200);
  expect((await fetch(`${h.url}/health/ready`)).status).toBe(200);

  const res = await post(h.url, { user_id: '+34600000001', text: '¿Cuánto cuesta una habitación doble?' });
  expect(res.status).toBe(200);
  const j = (await res.json()) as Record<string, unknown>;
  expect(j).toMatchObject({ tenant_id: 'hotel-sol', intent: 'prices', fallback: false });
  expect(j.reply).toContain('Hotel Sol y Mar');
  expect(typeof j.request_id).toBe('string');

  const metrics = await (await fetch(`${h.url}/metrics`)).text();
  expect(metrics).toContain('service_build_info{version="9.9.9",commit="abc123",track="canary"} 1');
  expect(metrics).toMatch(
    /http_request_duration_seconds_bucket\{le="0.45",method="POST",route="\/api\/v1\/messages",status_code="200"\} 1/,
  );
  expect(metrics).toContain('tenant_request_total{tenant_id="hotel-sol"} 1');
  expect(metrics).toContain('feature_flag_enabled{flag="improved_nlp_fallback"} 0');
  expect(metrics).toContain('feature_flag_enabled{flag="improved_nlp_fallback",tenant_id="hotel-harbor"} 1');
  expect(metrics).toContain('nlp_fallback_low_confidence_ratio 0');
  expect(metrics).toContain('tenant_request_errors');

  expect(await h.stop()).toBe(0);
  await expect(fetch(`${h.url}/health/live`)).rejects.toThrow();
});

test('fault injection comes only from the environment and is announced with a warning', async () => {
  const h = await start({ FAULT_ERROR_RATE: '1', FAULT_LATENCY_MS: '5-10' });
  const warn = logLines(h).find((l) => l.event === 'fault_injection');
  expect(warn).toMatchObject({ level: 'warn', error_rate: 1, latency_ms: { min: 5, max: 10 } });
  const res = await post(h.url, { user_id: '+14150000001', text: 'hello' });
  expect(res.status).toBe(500);
  expect(await res.json()).toMatchObject({ error: 'injected_fault' });
  // Health stays healthy so the canary sees an erroring, not a dead, process.
  expect((await fetch(`${h.url}/health/ready`)).status).toBe(200);
  const metrics = await (await fetch(`${h.url}/metrics`)).text();
  expect(metrics).toContain('tenant_request_errors{tenant_id="hotel-harbor"} 1');

  const quiet = await start();
  expect(logLines(quiet).some((l) => l.event === 'fault_injection')).toBe(false);
});

test('FAULT_NEVER_READY keeps readiness at 503 while liveness is 200', async () => {
  const h = await start({ FAULT_NEVER_READY: '1' }, false);
  // The store loads right after "listening"; give readiness a fair chance to turn 200 if the fault were ignored.
  let last = 0;
  for (let i = 0; i < 10; i++) {
    const r = await fetch(`${h.url}/health/ready`);
    last = r.status;
    const body = (await r.json()) as { reason?: string };
    if (body.reason === 'fault_never_ready') break;
    await new Promise((res) => setTimeout(res, 50));
  }
  expect(last).toBe(503);
  expect((await fetch(`${h.url}/health/live`)).status).toBe(200);
});

test('a bad setting stops the start with one readable line, no stack trace', async () => {
  const err = (await startService({ env: { SERVICE_TRACK: 'blue' }, readyTimeoutMs: 5000 }).catch(
    (e: Error) => e,
  )) as Error;
  expect(err.message).toMatch(/exited \(code 2\).*SERVICE_TRACK must be "stable" or "canary", got "blue"/);
  expect(err.message).not.toMatch(/\n\s+at /);
  for (const [env, line] of [
    [{ FEATURE_TELEPORT: 'on' }, /exited \(code 2\).*FEATURE_TELEPORT names no known flag/],
    [{ WHATSAPP_TOKEN: 'graph-tok-zz9' }, /exited \(code 2\).*WHATSAPP_TOKEN is set but WHATSAPP_APP_SECRET is not/],
  ] as const) {
    const e = (await startService({ env: { STATE_DIR: stateDir, ...env }, readyTimeoutMs: 5000 }).catch(
      (x: Error) => x,
    )) as Error;
    expect(e.message).toMatch(line);
    expect(e.message).not.toMatch(/\n\s+at /);
    expect(e.message).not.toContain('graph-tok-zz9');
    // Refused before any state is touched: no runtime copy made, no store opened.
    expect(e.message).not.toContain('tenant store');
  }
});

test('SIGTERM: readiness turns 503, the in-flight request finishes, the process exits 0', async () => {
  const h = await start({ FAULT_LATENCY_MS: '1500', SHUTDOWN_TIMEOUT_MS: '8000' });
  const slow = post(h.url, { user_id: '+14150000002', text: 'What time is check-in?' });
  // Let the request get inside the service (it then sleeps 1.5 s there) before signalling.
  await new Promise((r) => setTimeout(r, 300));
  process.kill(h.pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  const ready = await fetch(`${h.url}/health/ready`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ reason: 'draining' });
  const res = await slow;
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ tenant_id: 'hotel-harbor', intent: 'checkin_checkout' });
  expect(await h.exited).toBe(0);
  expect(logLines(h).some((l) => l.event === 'drained')).toBe(true);
});

test('SIGTERM with a request longer than SHUTDOWN_TIMEOUT_MS: the process still exits in bounded time (code 1)', async () => {
  const h = await start({ FAULT_LATENCY_MS: '20000', SHUTDOWN_TIMEOUT_MS: '500' });
  const stuck = post(h.url, { user_id: '+14150000002', text: 'hello' }).then(
    (r) => r.status,
    () => 'aborted',
  );
  await new Promise((r) => setTimeout(r, 200));
  process.kill(h.pid, 'SIGTERM');
  expect(await h.exited).toBe(1);
  expect(await stuck).toBe('aborted');
  expect(logLines(h).some((l) => l.event === 'shutdown_timeout')).toBe(true);
});

test('a service that never gets ready is killed when the start times out', async () => {
  const err = (await startService({ env: { FAULT_NEVER_READY: '1' }, readyTimeoutMs: 1500 }).catch(
    (e: Error) => e,
  )) as Error & {
    pid?: number;
  };
  expect(err.message).toMatch(/not ready within 1500 ms/);
  expect(err.pid).toBeGreaterThan(0);
  expect(() => process.kill(err.pid!, 0)).toThrow();
});

test('PORT given by the caller fixes the port; an inherited PORT does not leak in (default stays OS-picked)', async () => {
  const port = await freePort();
  const saved = process.env.PORT;
  process.env.PORT = String(port);
  try {
    const picked = await start();
    expect(picked.port).not.toBe(port);
    await picked.stop(2000);
  } finally {
    if (saved === undefined) delete process.env.PORT;
    else process.env.PORT = saved;
  }
  const fixed = await start({ PORT: String(port) });
  expect(fixed.port).toBe(port);
  expect(fixed.url).toBe(`http://127.0.0.1:${port}`);
  expect((await fetch(`${fixed.url}/health/ready`)).status).toBe(200);
});

describe("the action's inputs and runner tokens never reach a service", () => {
  const secrets = {
    'INPUT_GITHUB-TOKEN': 'ghs_parent_secret',
    INPUT_DEPLOY_COMMAND: 'deploy.sh',
    ACTIONS_RUNTIME_TOKEN: 'runtime_secret',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc_secret',
  };
  const saved = new Map<string, string | undefined>();
  beforeAll(() => {
    for (const [k, v] of Object.entries({ ...secrets, PORT: '4321', HOTEL_PERF_PASS_ME: 'kept' })) {
      saved.set(k, process.env[k]);
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test('serviceEnv drops them, keeps the rest, and fixes HOST and PORT', () => {
    const env = serviceEnv({ SERVICE_TRACK: 'canary' });
    for (const k of Object.keys(secrets)) expect(env).not.toHaveProperty([k]);
    expect(env).not.toHaveProperty(['NODE_OPTIONS']);
    expect(env).toMatchObject({ HOTEL_PERF_PASS_ME: 'kept', HOST: '127.0.0.1', PORT: '0', SERVICE_TRACK: 'canary' });
    expect(serviceEnv({ PORT: '8123' }).PORT).toBe('8123');
  });

  (process.platform === 'linux' ? test : test.skip)(
    'the spawned process does not have them (/proc/<pid>/environ)',
    async () => {
      const h = await start();
      const environ = readFileSync(`/proc/${h.pid}/environ`, 'utf8').split('\0');
      const names = environ.map((kv) => kv.slice(0, kv.indexOf('=')));
      expect(names).toContain('HOTEL_PERF_PASS_ME');
      for (const k of Object.keys(secrets)) expect(names).not.toContain(k);
      expect(environ.join('\n')).not.toMatch(/ghs_parent_secret|runtime_secret|oidc_secret/);
    },
  );
});
