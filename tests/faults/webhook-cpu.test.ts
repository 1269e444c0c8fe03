/**
 * Issue 11, row 6: a 64 KB webhook delivery signed with the (public) development secret cost 0.8-1.6 s
 * of CPU, and four at once held /health/live for 2.8 s. The service is a real process (built code, as
 * it runs in production) with an event-loop probe preloaded (fixtures/loop-delay.mjs); the deliveries
 * and a liveness probe every 10 ms come from this process.
 *
 * The 50 ms limit is asserted on the probe's CPU measure (the main thread's CPU time between two turns
 * of the loop), and perf_hooks.monitorEventLoopDelay's wall-clock figures are printed beside it: on a
 * shared machine with a load of 15 on 2 cores, an idle Node process sees 100+ ms of wall-clock loop
 * delay (the OS not running it), which says nothing about the service's own work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type ServiceHandle } from '#lib/service-process.js';
import { DEV_APP_SECRET } from '../../service/src/config.js';
import { signBody } from '../../service/src/whatsapp/signature.js';
import { logLines, until } from '../service/helpers.js';

const BLOCK_LIMIT_MS = 50;
const state = mkdtempSync(join(tmpdir(), 'faults-webhook-'));
let s: ServiceHandle;
beforeAll(async () => {
  // No WHATSAPP_APP_SECRET: the development secret, which anyone can sign with.
  s = await startService({
    env: { STATE_DIR: state, TENANTS_FILE: '', LOG_LEVEL: 'info' },
    nodeArgs: ['--import', join(import.meta.dirname, 'fixtures', 'loop-delay.mjs')],
  });
  // One ordinary delivery first: a process's first request loads body-parser's decoders and compiles
  // the classifier (20-40 ms once per process), which is start-up, not work per request.
  const warm = delivery(10, 16 * 1024);
  const res = await fetch(`${s.url}/webhooks/whatsapp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(warm, DEV_APP_SECRET) },
    body: warm,
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await s?.stop(2000);
  rmSync(state, { recursive: true, force: true });
});

/** Words no lexicon entry matches, 8-12 letters: each goes through typo matching (the costly path). */
function unknownWords(seed: number, chars: number): string {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const words: string[] = [];
  while (words.join(' ').length < chars) {
    words.push(
      Array.from({ length: 8 + Math.floor(next() * 5) }, () => String.fromCharCode(97 + next() * 26)).join(''),
    );
  }
  return words.join(' ');
}

/** A delivery of `count` text messages to hotel-harbor (improved fallback on), padded to just under `bytes`. */
function delivery(count: number, bytes: number): string {
  const build = (chars: number) =>
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550783882', phone_number_id: '100000000000002' },
                messages: Array.from({ length: count }, (_, i) => ({
                  from: `1415${String(i).padStart(7, '0')}`,
                  id: `wamid.cpu-${i}`,
                  timestamp: '1717000000',
                  type: 'text',
                  text: {
                    body: unknownWords(i + 1, chars)
                      .slice(0, chars)
                      .trim(),
                  },
                })),
              },
            },
          ],
        },
      ],
    });
  const envelope = Buffer.byteLength(build(0));
  return build(Math.floor((bytes - envelope) / count));
}

interface Load {
  statuses: number[];
  bodies: Record<string, unknown>[];
  live: { max: number; count: number };
  /** The service's event loop while the deliveries ran: longest stretch of CPU, and wall-clock delay. */
  blockMs: number;
  maxMs: number;
  p99Ms: number;
}

interface Probe {
  loop_delay: { max_ms: number; p99_ms: number };
  loop_block: { max_cpu_ms: number };
}

/** What the service's loop probe saw since the previous call (it prints it on SIGUSR2). */
async function loopProbe(): Promise<Probe> {
  const seen = logLines(s).filter((l) => l.loop_delay !== undefined).length;
  process.kill(s.pid, 'SIGUSR2');
  let found: Probe | undefined;
  await until(() => {
    const lines = logLines(s).filter((l) => l.loop_delay !== undefined);
    found = lines.length > seen ? (lines.at(-1) as unknown as Probe) : undefined;
    return found !== undefined;
  });
  return found!;
}

/** A 64 KB delivery of `count` messages, sent `parallel` times at once; what was measured is printed. */
async function fourAtOnce(count: number, parallel = 4): Promise<Load> {
  const body = delivery(count, 64 * 1024);
  expect(Buffer.byteLength(body)).toBeGreaterThan(60 * 1024);
  expect(Buffer.byteLength(body)).toBeLessThanOrEqual(64 * 1024);
  const r = await measured(body, parallel);
  console.log(
    `webhook ${count} messages x${parallel}: statuses ${r.statuses.join(',')}; longest loop block ${r.blockMs.toFixed(1)} ms CPU; monitorEventLoopDelay max ${r.maxMs.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms; /health/live max ${r.live.max.toFixed(1)} ms over ${r.live.count} probes`,
  );
  return r;
}

/** `parallel` deliveries at once, and GET /health/live every 10 ms while they run. */
async function measured(body: string, parallel: number): Promise<Load> {
  await loopProbe(); // start the measurement here
  const signature = signBody(body, DEV_APP_SECRET);
  let running = true;
  const live: number[] = [];
  const probe = (async () => {
    while (running) {
      const t = performance.now();
      await fetch(`${s.url}/health/live`).then((r) => r.arrayBuffer());
      live.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const results = await Promise.all(
    Array.from({ length: parallel }, async () => {
      const r = await fetch(`${s.url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
        body,
      });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    }),
  );
  running = false;
  await probe;
  const probed = await loopProbe();
  return {
    statuses: results.map((r) => r.status),
    bodies: results.map((r) => r.body),
    live: { max: Math.max(...live), count: live.length },
    blockMs: probed.loop_block.max_cpu_ms,
    maxMs: probed.loop_delay.max_ms,
    p99Ms: probed.loop_delay.p99_ms,
  };
}

test('the 64 KB, 137-message delivery of the report: four at once never block the event loop 50 ms', async () => {
  const r = await fourAtOnce(137);
  expect(r.blockMs).toBeLessThan(BLOCK_LIMIT_MS);
  // More messages than a delivery may carry: refused as a whole, before any of them is answered.
  expect(r.statuses).toEqual([413, 413, 413, 413]);
  expect(r.bodies[0]).toMatchObject({ error: 'too_many_messages' });
  expect(String(r.bodies[0]!.message)).toMatch(/137 messages.*at most 100/);
});

test('a 64 KB delivery at the limit (100 messages) is answered in full, four at once, without blocking the loop', async () => {
  const r = await fourAtOnce(100);
  expect(r.statuses).toEqual([200, 200, 200, 200]);
  for (const b of r.bodies) expect(b).toMatchObject({ received: 100, replied: 100, failed: 0 });
  expect(r.blockMs).toBeLessThan(BLOCK_LIMIT_MS);
  // Liveness kept answering while the deliveries ran (before: 2 probes answered in 4.6 s).
  expect(r.live.count).toBeGreaterThan(5);
});

test('a message longer than WhatsApp allows (4,096 characters) is skipped, not classified', async () => {
  const body = delivery(1, 20 * 1024);
  const r = await measured(body, 1);
  expect(r.statuses).toEqual([200]);
  expect(r.bodies[0]).toMatchObject({ received: 0, replied: 0, skipped: 1 });
});
