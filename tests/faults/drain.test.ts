/**
 * Issue 11, row 1: SIGTERM while 50 keep-alive clients post in a loop at a real service process.
 * A load balancer in front (here: a probe of /health/ready every 100 ms) stops routing new requests
 * once readiness answers 503; until then the clients keep posting on their keep-alive sockets. Not one
 * request may be lost: readiness turns 503 at once, the process keeps serving for SHUTDOWN_DELAY_MS
 * with `Connection: close`, and only then stops listening and lets in-flight requests finish.
 */
import { Agent, request } from 'node:http';
import { startService, type ServiceHandle } from '#lib/service-process.js';
import { logLines, until } from '../service/helpers.js';

const CLIENTS = 50;
const DELAY_MS = 3000;
const PROBE_MS = 100; // a load balancer's health-check interval
const UNHEALTHY_THRESHOLD = 2; // failed checks before it stops routing here

let h: ServiceHandle | undefined;
afterAll(async () => {
  await h?.stop(2000);
});

interface Outcome {
  status: number;
  connection: string | undefined;
  /** When the request was sent. */
  sentAt: number;
}

/** One POST on the shared keep-alive agent; rejects with the socket error (ECONNRESET, ECONNREFUSED, ...). */
function post(agent: Agent, port: number, i: number): Promise<Outcome> {
  const body = JSON.stringify({ user_id: `+1415000${String(i).padStart(4, '0')}`, text: 'What time is check-in?' });
  const sentAt = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/messages',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, sentAt }));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

test('SIGTERM under 50 keep-alive clients: readiness 503 at once, nothing lost, Connection: close while draining', async () => {
  h = await startService({
    env: { SHUTDOWN_DELAY_MS: String(DELAY_MS), SHUTDOWN_TIMEOUT_MS: '8000', LOG_LEVEL: 'info' },
  });
  const service = h;
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  let routing = true;
  const errors: string[] = [];
  const answered: Outcome[] = [];
  const client = async (i: number): Promise<void> => {
    while (routing) {
      try {
        answered.push(await post(agent, service.port, i));
      } catch (err) {
        errors.push((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));

  // The load balancer's health check, on its own connection each time.
  const probes: { at: number; status: number; reason?: string }[] = [];
  let notReadySeenAt = Infinity;
  const probe = async (): Promise<void> => {
    let failed = 0;
    while (routing) {
      const at = performance.now();
      try {
        const r = await fetch(`${service.url}/health/ready`, { headers: { connection: 'close' } });
        const j = (await r.json()) as { reason?: string };
        probes.push({ at, status: r.status, ...(j.reason !== undefined && { reason: j.reason }) });
        if (r.status === 503) notReadySeenAt = Math.min(notReadySeenAt, performance.now());
        failed = r.status === 503 ? failed + 1 : 0;
        if (failed >= UNHEALTHY_THRESHOLD) routing = false; // deregistered: no new requests from here on
      } catch (err) {
        probes.push({ at, status: 0, reason: (err as NodeJS.ErrnoException).cause ? 'unreachable' : 'error' });
        routing = false;
      }
      await new Promise((r) => setTimeout(r, PROBE_MS));
    }
  };

  // Let every client hold a busy keep-alive socket before the signal.
  while (answered.length < CLIENTS * 4) await new Promise((r) => setTimeout(r, 20));
  const lb = probe();
  const signalledAt = performance.now();
  process.kill(service.pid, 'SIGTERM');
  await Promise.all([lb, ...clients]);
  const code = await service.exited;
  const exitedAt = performance.now();
  agent.destroy();

  // Sent once readiness had answered 503 (so the service was draining when it read them).
  const duringDrain = answered.filter((o) => o.sentAt > notReadySeenAt);
  const firstNotReady = probes.find((p) => p.status !== 200);
  const summary = {
    sent: answered.length + errors.length,
    lost: errors.length,
    errors: [...new Set(errors)],
    served_during_drain: duringDrain.length,
    not_ready_after_ms: firstNotReady ? Math.round(firstNotReady.at - signalledAt) : null,
    exit_after_ms: Math.round(exitedAt - signalledAt),
  };
  console.log(`drain: ${JSON.stringify(summary)}`);

  expect(summary.lost).toBe(0);
  expect(answered.every((o) => o.status === 200)).toBe(true);
  // Readiness turned 503 while the process still served (within the pre-stop delay), and stayed 503.
  expect(firstNotReady).toMatchObject({ status: 503, reason: 'draining' });
  expect(firstNotReady!.at - signalledAt).toBeLessThan(DELAY_MS);
  for (const p of probes.filter((x) => x.at >= firstNotReady!.at))
    expect(p).toMatchObject({ status: 503, reason: 'draining' });
  // Requests sent during the drain were served, each telling its client to close the socket.
  expect(duringDrain.length).toBeGreaterThan(0);
  expect(duringDrain.every((o) => o.connection === 'close')).toBe(true);
  // The process waited out the pre-stop delay, then drained cleanly.
  expect(code).toBe(0);
  expect(summary.exit_after_ms).toBeGreaterThanOrEqual(DELAY_MS);
  // The last lines may still be in the pipe when the exit is seen.
  await until(() => logLines(service).some((l) => l.event === 'drained'));
  expect(logLines(service).find((l) => l.event === 'draining')).toMatchObject({ delay_ms: DELAY_MS });
});
