/**
 * POST /api/v1/messages throughput on loopback, in one run: the service against a bare Express
 * hello-world (goal >= 0.6 of it), and the service with against without its tenancy + metrics
 * middlewares (goal: overhead <= 10 %). Each server is a child process; autocannon drives it from
 * this process. Short runs, variants alternated, medians taken, so machine noise hits all alike.
 */
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { spawnTied } from '#lib/tied-child.js';
import type { BenchLine } from './index.js';

const VARIANTS = ['bare', 'full', 'lean'] as const;
/** `tenancy` and `metrics` (one middleware each) exist in service-target for investigating the overhead by hand. */
type Variant = (typeof VARIANTS)[number] | 'tenancy' | 'metrics';
const ROUNDS = Number(process.env.BENCH_SERVICE_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_SERVICE_SECONDS ?? 2);
const CONNECTIONS = 10;
const WARMUP_REQUESTS = Number(process.env.BENCH_SERVICE_WARMUP_REQUESTS ?? 5000);

const MESSAGES = [
  { user_id: '+34600000001', text: '¿Cuánto cuesta una habitación doble?' },
  { user_id: '+14150000002', text: 'What time is check-in?' },
  { user_id: '+34600000003', text: 'Hola, ¿tenéis piscina?' },
  { user_id: '+14150000004', text: 'I would like to book a room for two nights' },
];

interface Target {
  child: ChildProcess;
  url: string;
}

export async function startTarget(variant: Variant): Promise<Target> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'service-target.js');
  const child = spawnTied(process.execPath, [script, variant], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`bench target ${variant} exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

function serverCpuMicros(t: Target): Promise<number> {
  return new Promise((resolve) => {
    t.child.once('message', (m) => resolve((m as NodeJS.CpuUsage).user + (m as NodeJS.CpuUsage).system));
    t.child.send('cpu');
  });
}

/** A run's length: seconds, or a request count (for warm-ups, which must not depend on the machine's speed). */
type Length = { seconds: number } | { requests: number };

/** Requests per second (autocannon average) and server CPU microseconds per request. */
export async function measure(t: Target, length: Length): Promise<{ rps: number; cpuPerRequest: number }> {
  const cpu0 = await serverCpuMicros(t);
  const result = await autocannon({
    url: t.url,
    connections: CONNECTIONS,
    ...('seconds' in length ? { duration: length.seconds } : { amount: length.requests }),
    requests: MESSAGES.map((m) => ({
      method: 'POST',
      path: '/api/v1/messages',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(m),
    })),
  });
  const cpu1 = await serverCpuMicros(t);
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${t.url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return { rps: result.requests.average, cpuPerRequest: (cpu1 - cpu0) / result.requests.total };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function run(): Promise<BenchLine[]> {
  const targets = new Map<Variant, Target>();
  try {
    for (const v of VARIANTS) targets.set(v, await startTarget(v));
    // JIT warm-up by request count: a fresh process needs thousands of requests to reach its speed
    // (lib/canary/plan.ts), and a warm-up by time gives a slow, busy machine fewer of them.
    for (const v of VARIANTS) await measure(targets.get(v)!, { requests: WARMUP_REQUESTS });
    const rps: Record<string, number[]> = { bare: [], full: [], lean: [] };
    const cpu: Record<string, number[]> = { bare: [], full: [], lean: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so no variant always runs first or last in a round.
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = VARIANTS[(k + round) % VARIANTS.length]!;
        const m = await measure(targets.get(v)!, { seconds: SECONDS });
        rps[v]!.push(m.rps);
        cpu[v]!.push(m.cpuPerRequest);
      }
    }
    const [bare, full, lean] = [median(rps.bare!), median(rps.full!), median(rps.lean!)];
    // Ratios are taken within each round (variants measured seconds apart share the machine's state)
    // and then their median: on a shared machine, load comes and goes between rounds.
    const perRound = (f: (r: number) => number) => median(Array.from({ length: ROUNDS }, (_, r) => f(r)));
    const ratio = perRound((r) => rps.full![r]! / rps.bare![r]!);
    const overhead = perRound((r) => (rps.lean![r]! - rps.full![r]!) / rps.lean![r]!);
    const cpuRatio = perRound((r) => cpu.bare![r]! / cpu.full![r]!);
    const cpuOverhead = perRound((r) => (cpu.full![r]! - cpu.lean![r]!) / cpu.lean![r]!);
    return [
      { name: 'bare Express hello-world (median req/s)', value: bare, unit: 'req/s' },
      { name: 'service POST /api/v1/messages (median req/s)', value: full, unit: 'req/s' },
      { name: 'service without tenancy+metrics (median req/s)', value: lean, unit: 'req/s' },
      { name: 'service / bare Express throughput', value: ratio, unit: 'ratio', goal: '>= 0.6' },
      {
        name: 'tenancy+metrics middleware overhead (throughput)',
        value: overhead * 100,
        unit: '%',
        goal: '<= 10',
      },
      // Server CPU per request: the same comparison, much less disturbed by other load on a shared machine.
      {
        name: 'server CPU per request: bare / service',
        value: cpuRatio,
        unit: 'ratio',
        goal: '>= 0.6',
      },
      {
        name: 'server CPU per request: middleware overhead',
        value: cpuOverhead * 100,
        unit: '%',
        goal: '<= 10',
      },
    ];
  } finally {
    for (const t of targets.values()) t.child.kill('SIGTERM');
  }
}
