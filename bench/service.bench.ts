/**
 * POST /api/v1/messages throughput on loopback, in one run: the service against a bare Express
 * hello-world (goal >= 0.6 of it), and the service with against without its tenancy + metrics
 * middlewares (goal: overhead <= 10 %). Each server is a child process; autocannon drives it from
 * this process. Short runs, variants alternated, medians taken, so machine noise hits all alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { BenchLine } from './index.js';

const VARIANTS = ['bare', 'full', 'lean'] as const;
type Variant = (typeof VARIANTS)[number] | 'tenancy' | 'metrics';
const ROUNDS = Number(process.env.BENCH_SERVICE_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SERVICE_SECONDS ?? 3);
const CONNECTIONS = 10;

const MESSAGES = [
  { user_id: '+34600000001', text: '¿Cuánto cuesta una habitación doble?' },
  { user_id: '+14150000002', text: 'What time is check-in?' },
  { user_id: '+34600000003', text: 'Hola, ¿tenéis piscina?' },
  { user_id: '+14150000004', text: 'I would like to book a room for two nights' },
];

export async function startTarget(variant: Variant): Promise<{ child: ChildProcess; url: string }> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'service-target.js');
  const child = spawn(process.execPath, [script, variant], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`bench target ${variant} exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

export async function measure(url: string, seconds: number): Promise<number> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: MESSAGES.map((m) => ({
      method: 'POST',
      path: '/api/v1/messages',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(m),
    })),
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return result.requests.average;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function run(): Promise<BenchLine[]> {
  const targets = new Map<Variant, { child: ChildProcess; url: string }>();
  try {
    for (const v of VARIANTS) targets.set(v, await startTarget(v));
    for (const v of VARIANTS) await measure(targets.get(v)!.url, 1); // JIT warm-up
    const rps: Record<Variant, number[]> = { bare: [], full: [], lean: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so no variant always runs first or last in a round.
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = VARIANTS[(k + round) % VARIANTS.length]!;
        rps[v].push(await measure(targets.get(v)!.url, SECONDS));
      }
    }
    const bare = median(rps.bare);
    const full = median(rps.full);
    const lean = median(rps.lean);
    const ratio = full / bare;
    const overhead = (lean - full) / lean;
    return [
      { name: 'bare Express hello-world (median req/s)', value: bare, unit: 'req/s' },
      { name: 'service POST /api/v1/messages (median req/s)', value: full, unit: 'req/s' },
      { name: 'service without tenancy+metrics (median req/s)', value: lean, unit: 'req/s' },
      { name: 'service / bare Express throughput', value: ratio, unit: 'ratio', goal: '>= 0.6', met: ratio >= 0.6 },
      { name: 'tenancy+metrics middleware overhead', value: overhead * 100, unit: '%', goal: '<= 10', met: overhead <= 0.1 },
    ];
  } finally {
    for (const t of targets.values()) t.child.kill('SIGTERM');
  }
}
