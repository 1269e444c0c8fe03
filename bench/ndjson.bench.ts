/**
 * The k6 NDJSON reader on generated k6 `--out json` files: 1,000,000 points, and a multi-GB file
 * (BIG_GB, written to a temporary folder and deleted at the end). The physical reference, measured
 * in the same run on the same bytes: reading the file with `fs.readSync` into a buffer and doing
 * nothing else (the file is in the page cache: it was just written and is read once before timing).
 * - speed: the reader in this process, and the bundled smoke-gate action end to end on the big file
 *   (`node dist/index.js`, start-up included, as a runner starts it), in MB/s and as a ratio to raw reading;
 * - memory: the peak RSS of a process that reads the file (worker threads included: they share it).
 * Both sides of a ratio are the best of RUNS runs, interleaved, so a busy moment of a shared machine
 * falls on either side alike instead of on the action alone.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readK6Result } from '#core/k6/index.js';
import { repoFile } from '#lib/load/scenario.js';
import type { BenchLine } from './index.js';

const POINTS = 1_000_000;
const BIG_GB = 2;
const RUNS = 3;

// One request of a k6 script produces these points (k6 v0.46 order). Values are written as k6 writes
// them: durations are whole nanoseconds in milliseconds, so at most 6 decimals (see the recorded runs).
const PER_REQUEST: [string, (i: number) => number][] = [
  ['http_reqs', () => 1],
  ['http_req_duration', (i) => 3 + ((i * 7919) % 1000) / 37 + (i % 97 === 0 ? 120 : 0)],
  ['http_req_blocked', (i) => ((i * 31) % 100) / 1000],
  ['http_req_connecting', () => 0],
  ['http_req_tls_handshaking', () => 0],
  ['http_req_sending', (i) => ((i * 17) % 50) / 1000],
  ['http_req_waiting', (i) => 2.5 + ((i * 7919) % 1000) / 40],
  ['http_req_receiving', (i) => ((i * 13) % 90) / 1000],
  ['http_req_failed', (i) => (i % 250 === 0 ? 1 : 0)],
  ['checks', (i) => (i % 250 === 0 ? 0 : 1)],
  ['data_sent', () => 161],
  ['data_received', () => 184],
  ['iteration_duration', (i) => 20 + ((i * 7919) % 1000) / 30],
  ['iterations', () => 1],
];
const TYPES: Record<string, string> = {
  http_reqs: 'counter',
  http_req_failed: 'rate',
  checks: 'rate',
  data_sent: 'counter',
  data_received: 'counter',
  iterations: 'counter',
};
const NAMES = ['POST /api/v1/messages', 'GET /api/v1/messages', 'POST /webhooks/whatsapp', 'GET /health/ready'];

/** One block of k6 points: BLOCK_REQUESTS requests of the mix, as k6 writes them. */
const BLOCK_REQUESTS = 5000;
function pointsBlock(): { text: Buffer; points: number } {
  const t0 = Date.parse('2026-11-24T14:44:03Z');
  let text = '';
  let points = 0;
  for (let i = 0; i < BLOCK_REQUESTS; i++) {
    const time = new Date(t0 + i * 3).toISOString().replace('Z', '123456Z');
    const name = NAMES[i % NAMES.length]!;
    const [method, path] = name.split(' ');
    const tags = `"tags":{"expected_response":"true","group":"","method":"${method}","name":"${name}","proto":"HTTP/1.1","scenario":"smoke","status":"200","url":"http://127.0.0.1:3000${path}"}`;
    for (const [metric, value] of PER_REQUEST) {
      text += `{"metric":"${metric}","type":"Point","data":{"time":"${time}","value":${Math.round(value(i) * 1e6) / 1e6},${tags}}}\n`;
      points++;
    }
  }
  return { text: Buffer.from(text), points };
}

/** Writes the metric declarations, then whole blocks of points until at least `points` points or `bytes` bytes. */
function generate(path: string, limit: { points?: number; bytes?: number }): void {
  const fd = openSync(path, 'w');
  try {
    for (const [name] of PER_REQUEST) {
      const type = TYPES[name] ?? 'trend';
      writeSync(
        fd,
        `{"type":"Metric","data":{"name":"${name}","type":"${type}","contains":"${type === 'trend' ? 'time' : 'default'}","thresholds":[],"submetrics":null},"metric":"${name}"}\n`,
      );
    }
    const block = pointsBlock();
    for (let points = 0, bytes = 0; points < (limit.points ?? Infinity) && bytes < (limit.bytes ?? Infinity);) {
      writeSync(fd, block.text);
      points += block.points;
      bytes += block.text.length;
    }
  } finally {
    closeSync(fd);
  }
}

const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

/** Reading the file with readSync into one reused buffer, doing nothing else (the physical reference): wall and CPU seconds. */
function rawRead(path: string): { s: number; cpu: number } {
  const buf = Buffer.allocUnsafe(4 << 20);
  const fd = openSync(path, 'r');
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  let n = 0;
  for (let got = 1; got > 0; n += got) got = readSync(fd, buf, 0, buf.length, null);
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  const cpu = cpuSeconds(process.cpuUsage(c));
  closeSync(fd);
  if (n !== statSync(path).size) throw new Error('raw read short');
  return { s, cpu };
}
const rawReadTime = (path: string): number => rawRead(path).s;

/** The reader in this process (warm after the first call): wall and CPU seconds (every thread's). */
async function readerRun(path: string): Promise<{ s: number; cpu: number }> {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  const r = await readK6Result(path);
  if (!(r.requests > 0)) throw new Error('reader found no requests');
  return { s: Number(process.hrtime.bigint() - t) / 1e9, cpu: cpuSeconds(process.cpuUsage(c)) };
}

/** The bundled action gating `path` as a runner starts it: wall and CPU seconds (start-up included), peak RSS (MB). */
function actionRun(path: string, dir: string): { s: number; cpu: number; peakMb: number; verdict: string } {
  const rssFile = join(dir, 'rss.json');
  const preload = join(dir, 'rss.mjs');
  writeFileSync(
    preload,
    `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => { const u = process.resourceUsage(); writeFileSync(${JSON.stringify(rssFile)}, JSON.stringify([u.maxRSS, u.userCPUTime + u.systemCPUTime])); });\n`,
  );
  for (const f of ['out', 'summary']) writeFileSync(join(dir, f), '');
  const env = {
    PATH: process.env.PATH ?? '',
    GITHUB_WORKSPACE: dir,
    GITHUB_OUTPUT: join(dir, 'out'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    INPUT_RESULTS: path,
    'INPUT_MIN-REQUESTS': '1',
  };
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', preload, repoFile('actions/smoke-gate/dist/index.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 << 20,
  });
  const s = (performance.now() - t) / 1000;
  const verdict = /^verdict<<\S+\n(\w+)$/m.exec(readFileSync(join(dir, 'out'), 'utf8'))?.[1] ?? '';
  if (!verdict)
    throw new Error(`the action gave no verdict: ${String(r.stdout).slice(-300)}${String(r.stderr).slice(-300)}`);
  const [maxRss, cpuUs] = JSON.parse(readFileSync(rssFile, 'utf8')) as [number, number];
  return { s, cpu: cpuUs / 1e6, peakMb: maxRss / 1024, verdict };
}

export async function run(): Promise<BenchLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ndjson-bench-'));
  try {
    const small = join(dir, 'points-1m.ndjson');
    generate(small, { points: POINTS });
    const smallMb = statSync(small).size / 2 ** 20;
    rawReadTime(small);
    await readerRun(small);
    let raw = Infinity;
    let reader = Infinity;
    let readerCpu = Infinity;
    for (let i = 0; i < RUNS; i++) {
      raw = Math.min(raw, rawReadTime(small));
      const r = await readerRun(small);
      reader = Math.min(reader, r.s);
      readerCpu = Math.min(readerCpu, r.cpu);
    }
    const smallAction = actionRun(small, dir);

    const big = join(dir, 'points-big.ndjson');
    generate(big, { bytes: BIG_GB * 2 ** 30 });
    const bigMb = statSync(big).size / 2 ** 20;
    rawReadTime(big);
    const raws: { s: number; cpu: number }[] = [];
    const actions: ReturnType<typeof actionRun>[] = [];
    for (let i = 0; i < RUNS; i++) {
      raws.push(rawRead(big));
      actions.push(actionRun(big, dir));
    }
    const bigRawBest = Math.min(...raws.map((r) => r.s));
    const bigRawCpu = Math.min(...raws.map((r) => r.cpu));
    const bigAction = {
      s: Math.min(...actions.map((a) => a.s)),
      cpu: Math.min(...actions.map((a) => a.cpu)),
      peakMb: Math.max(...actions.map((a) => a.peakMb)),
    };
    const gb = bigMb / 1024;
    return [
      { name: `${POINTS / 1e6}M points: file`, value: smallMb, unit: 'MB' },
      { name: '1M points: raw readSync', value: smallMb / raw, unit: 'MB/s' },
      { name: '1M points: reader (in process)', value: smallMb / reader, unit: 'MB/s' },
      { name: '1M points: reader / raw reading', value: raw / reader, unit: 'x', goal: '>= 0.1' },
      {
        name: '1M points: reader CPU per GB (all threads)',
        value: readerCpu / (smallMb / 1024),
        unit: 's',
        goal: '<= 0.8',
      },
      { name: '1M points: action peak RSS', value: smallAction.peakMb, unit: 'MB', goal: '< 256' },
      { name: `multi-GB file`, value: bigMb / 1024, unit: 'GB' },
      { name: 'multi-GB: raw readSync', value: bigMb / bigRawBest, unit: 'MB/s' },
      { name: 'multi-GB: bundled action end to end', value: bigMb / bigAction.s, unit: 'MB/s', goal: '>= 1000' },
      { name: 'multi-GB: action / raw reading', value: bigRawBest / bigAction.s, unit: 'x', goal: '>= 0.1' },
      { name: 'multi-GB: action peak RSS', value: bigAction.peakMb, unit: 'MB', goal: '< 256' },
      // CPU seconds are what the machine's other load does not change: the figures to compare between runs.
      { name: 'multi-GB: raw readSync CPU per GB', value: bigRawCpu / gb, unit: 's' },
      {
        name: 'multi-GB: action CPU per GB (all threads, start-up included)',
        value: bigAction.cpu / gb,
        unit: 's',
        goal: '<= 0.8',
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
