/**
 * `npm run bench:instructions`: what each service middleware costs, in CPU instructions per request
 * counted by valgrind's callgrind, which (unlike seconds) repeats exactly whatever else the machine
 * is doing. Each variant of bench/service-target.ts runs under callgrind with V8's JIT off
 * (`--jitless`, so the count does not depend on when the optimiser kicks in) and answers N1, then,
 * in a second process, N2 requests; (I(N2) - I(N1)) / (N2 - N1) removes start-up and shut-down.
 * Interpreted code is slower than JIT-compiled code, so the percentages are lower than in
 * `npm run bench -- service`: read them as where the cost is, not as its size in production.
 * Takes about 4 minutes; not part of `npm run bench`.
 */
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { spawnTied } from '#lib/tied-child.js';
import { findOnPath } from '#lib/which.js';

const VARIANTS = ['lean', 'lean-als', 'tenancy', 'metrics', 'full'] as const;
const N1 = Number(process.env.BENCH_INSTRUCTIONS_N1 ?? 200);
const N2 = Number(process.env.BENCH_INSTRUCTIONS_N2 ?? 600);
const BODY = JSON.stringify({ user_id: '+34600000001', text: '¿Cuánto cuesta una habitación doble?' });

/** Total instructions of one target process that answers `requests` requests. */
async function instructions(variant: string, requests: number): Promise<number> {
  const target = join(dirname(fileURLToPath(import.meta.url)), 'service-target.js');
  const child = spawnTied(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--jitless', target, variant],
    { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (l) => resolve((JSON.parse(l) as { port: number }).port));
      void exited.then(() => reject(new Error(`${variant} exited before listening: ${stderr.slice(-300)}`)));
    });
    const r = await autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: 4,
      amount: requests,
      requests: [
        { method: 'POST', path: '/api/v1/messages', headers: { 'content-type': 'application/json' }, body: BODY },
      ],
    });
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${variant}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const m = /Collected : (\d+)/.exec(stderr);
  if (!m) throw new Error(`${variant}: no instruction count from callgrind: ${stderr.slice(-300)}`);
  return Number(m[1]);
}

async function main(): Promise<number> {
  if (!findOnPath('valgrind')) {
    console.error('bench:instructions needs valgrind on PATH (Debian package valgrind)');
    return 2;
  }
  const perRequest = new Map<string, number>();
  for (const v of VARIANTS) {
    const [a, b] = [await instructions(v, N1), await instructions(v, N2)];
    perRequest.set(v, (b - a) / (N2 - N1));
  }
  const lean = perRequest.get('lean')!;
  console.log(`instructions per POST /api/v1/messages (callgrind, --jitless, ${N2} - ${N1} requests)`);
  for (const [v, n] of perRequest) {
    const vsLean = v === 'lean' ? '' : `  ${(((n - lean) / lean) * 100).toFixed(2)} % vs lean`;
    console.log(`${v.padEnd(10)} ${(n / 1e6).toFixed(3)} M${vsLean}`);
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(`bench:instructions: ${err.message}`);
    process.exitCode = 1;
  },
);
