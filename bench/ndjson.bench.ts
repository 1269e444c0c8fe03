/**
 * NDJSON reader speed and memory on a generated k6 `--out json` file of 1,000,000 points.
 * Speed is a ratio against merely splitting the same file into lines with node:readline in this
 * run (readline_time / reader_time, higher is better); peak memory is the max RSS of a child
 * process that only imports the reader and reads the file.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { readK6Result } from '../core/src/k6/index.js';
import type { BenchLine } from './index.js';

const POINTS = 1_000_000;
const SMALL_POINTS = 250_000;

// One request of a k6 script produces these points (k6 v0.46 order).
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

async function generate(path: string, points: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  for (const [name] of PER_REQUEST) {
    const type = TYPES[name] ?? 'trend';
    await write(
      `{"type":"Metric","data":{"name":"${name}","type":"${type}","contains":"${type === 'trend' ? 'time' : 'default'}","thresholds":[],"submetrics":null},"metric":"${name}"}\n`,
    );
  }
  const tags =
    '"tags":{"expected_response":"true","group":"","method":"POST","name":"messages","proto":"HTTP/1.1","scenario":"smoke","status":"200","url":"http://127.0.0.1:3000/api/v1/messages"}';
  const t0 = Date.parse('2026-11-24T14:44:03Z');
  let written = 0;
  let chunk = '';
  for (let i = 0; written < points; i++) {
    const time = new Date(t0 + i * 3).toISOString().replace('Z', '123456Z');
    for (const [name, value] of PER_REQUEST) {
      if (written >= points) break;
      chunk += `{"metric":"${name}","type":"Point","data":{"time":"${time}","value":${value(i)},${tags}}}\n`;
      written++;
    }
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  out.end();
  await once(out, 'finish');
}

async function readlineTime(path: string): Promise<number> {
  const t = process.hrtime.bigint();
  let n = 0;
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const _line of rl) n++;
  if (n === 0) throw new Error('readline saw no lines');
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function readerTime(path: string): Promise<number> {
  const t = process.hrtime.bigint();
  const r = await readK6Result(path);
  if (!(r.requests > 0)) throw new Error('reader found no requests');
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Max RSS (MB) of a fresh node process that reads `path` (or only imports the reader when path is empty). */
async function childPeakMb(path: string): Promise<number> {
  const reader = new URL('../core/src/k6/index.js', import.meta.url).href;
  const code = `
    const { readK6Result } = await import(${JSON.stringify(reader)});
    const path = process.argv[1];
    if (path) { const r = await readK6Result(path); if (!(r.requests > 0)) process.exit(2); }
    console.log(JSON.stringify({ maxRSS: process.resourceUsage().maxRSS }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code, path], {
    timeout: 120_000,
  });
  return (JSON.parse(stdout) as { maxRSS: number }).maxRSS / 1024;
}

export async function run(): Promise<BenchLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ndjson-bench-'));
  try {
    const big = join(dir, 'points.ndjson');
    const small = join(dir, 'points-small.ndjson');
    await generate(big, POINTS);
    await generate(small, SMALL_POINTS);
    // Warm up both paths once, then alternate and keep each one's best of three.
    await readlineTime(small);
    await readerTime(small);
    let rl = Infinity;
    let rd = Infinity;
    for (let i = 0; i < 3; i++) {
      rl = Math.min(rl, await readlineTime(big));
      rd = Math.min(rd, await readerTime(big));
    }
    const importOnly = await childPeakMb('');
    const peakBig = await childPeakMb(big);
    const peakSmall = await childPeakMb(small);
    const sizeMb = statSync(big).size / 2 ** 20;
    return [
      { name: `ndjson file (${POINTS} points)`, value: sizeMb, unit: 'MB' },
      { name: 'readline split time', value: rl, unit: 's' },
      { name: 'k6 NDJSON reader time', value: rd, unit: 's' },
      {
        name: 'reader speed ratio (readline time / reader time)',
        value: rl / rd,
        unit: 'x',
        goal: '>= 0.35',
      },
      { name: 'reader throughput', value: sizeMb / rd, unit: 'MB/s' },
      {
        name: 'reader peak RSS, 1M points (child process)',
        value: peakBig,
        unit: 'MB',
        goal: '< 150',
      },
      { name: `reader peak RSS, ${SMALL_POINTS / 1000}k points`, value: peakSmall, unit: 'MB' },
      { name: 'node + reader import only, peak RSS', value: importOnly, unit: 'MB' },
      {
        name: 'peak RSS ratio 1M / 250k points (flat = ~1)',
        value: peakBig / peakSmall,
        unit: 'x',
        goal: '< 1.3',
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
