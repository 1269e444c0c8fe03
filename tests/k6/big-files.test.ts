/**
 * Big NDJSON files (issue 13 item 3): the file split into chunks that worker threads take in turn
 * gives exactly what one thread gives, errors keep their absolute line numbers, the threads share
 * one exact-sample budget, and past it the percentiles come from a histogram within the stated
 * bound (HISTOGRAM_ERROR_BOUND, 0.39 %). The committed action starts its workers from its dist/.
 * Worker threads run compiled JavaScript, so these tests use the build (npm run build first).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as K6 from '#core/k6/index.js';
import { percentile } from '#core/stats/percentile.js';
import { importBuiltK6, k6Fixtures } from '../faults/k6-support.js';
import { runAction } from '../smoke-gate/run-action.js';

let k6: typeof K6;
const dir = mkdtempSync(join(tmpdir(), 'k6-big-'));
beforeAll(async () => {
  k6 = await importBuiltK6();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Three threads taking 64 KB chunks in turn: many chunks per thread, so boundaries fall everywhere. */
const SPLIT = { threads: 3, minBytes: 0, chunkBytes: 64 << 10 };

/** A real run's points repeated `times` (every request's time shifted), every 37th request failed. */
function bigRun(times: number): string {
  const lines = readFileSync(join(k6Fixtures, 'pass-points.ndjson'), 'utf8').split('\n').filter(Boolean);
  const out: string[] = [];
  let n = 0;
  for (let k = 0; k < times; k++)
    for (const l of lines) {
      if (l.startsWith('{"type":"Metric"') && k > 0) continue;
      if (l.startsWith('{"metric":"http_req_failed","type":"Point"') && n++ % 37 === 0)
        out.push(l.replace('"value":0,', '"value":1,'));
      else
        out.push(
          l.replace(
            /"value":([0-9.]+)/,
            (_m, v: string) =>
              `"value":${l.startsWith('{"metric":"http_req_duration"') ? Number(v) * (1 + k / 10) : v}`,
          ),
        );
    }
  const file = join(dir, `big-${times}.ndjson`);
  writeFileSync(file, out.join('\n') + '\n');
  return file;
}

test('split across 3 threads: exactly what one thread reads', async () => {
  const file = bigRun(6);
  const one = await k6.readK6Result(file, { threads: 1 });
  const three = await k6.readK6Result(file, SPLIT);
  expect(three.latency_ms.p95).toBe(one.latency_ms.p95);
  expect(three.error_rate).toBe(one.error_rate);
  expect(three.requests).toBe(672 * 6);
  expect(three.failed_requests).toBe(one.failed_requests);
  expect(three.p95_ci_ms).toEqual(one.p95_ci_ms);
  expect(three.checks).toEqual(one.checks);
  expect(three.duration_s).toBe(one.duration_s);
  expect(three.endpoints).toEqual(one.endpoints);
  expect(three.percentile_error_bound).toBeUndefined();
});

test('an error in a later thread names its line counted from the start of the file', async () => {
  const file = bigRun(3);
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines.length - 40;
  lines[at] = lines[at]!.slice(0, 30);
  writeFileSync(file, lines.join('\n'));
  const err = (await k6.readK6Result(file, SPLIT).catch((e: unknown) => e)) as K6.K6FormatError;
  expect(err.name).toBe('K6FormatError');
  expect(err.line).toBe(at + 1);
  expect(err.message).toBe(`${file}:${at + 1}: malformed NDJSON line (expected one k6 --out json object per line)`);
});

test('past the exact-sample limit: percentiles from the histogram, within the stated bound, recorded', async () => {
  const file = bigRun(8);
  const values = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"metric":"http_req_duration","type":"Point"'))
    .map((l) => (JSON.parse(l) as { data: { value: number } }).data.value);
  for (const threads of [1, 2]) {
    const r = await k6.readK6Result(file, { ...SPLIT, threads, maxExactSamples: 1000 });
    expect(r.percentile_error_bound).toBe(k6.HISTOGRAM_ERROR_BOUND);
    expect(k6.HISTOGRAM_ERROR_BOUND).toBeLessThanOrEqual(0.005);
    for (const [p, got] of [
      [0.95, r.latency_ms.p95],
      [0.9, r.latency_ms.p90!],
      [0.5, r.latency_ms.med!],
    ] as const) {
      const exact = percentile(values, p);
      expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(k6.HISTOGRAM_ERROR_BOUND);
      expect(got).not.toBe(exact); // really from the histogram
    }
    // Count, error rate, min and max stay exact.
    expect(r.requests).toBe(values.length);
    expect(r.latency_ms.max).toBe(Math.max(...values));
    expect(r.latency_ms.min).toBe(Math.min(...values));
  }
  const exact = await k6.readK6Result(file, { threads: 1 });
  expect(exact.percentile_error_bound).toBeUndefined();
  expect(exact.latency_ms.p95).toBe(percentile(values, 0.95));
});

test('exact samples: a budget per file, shared by its threads, that keeps 10 M samples exact in < 128 MB', () => {
  // 8 bytes a sample, whatever the number of threads (a runner with 4 CPUs must not hold 4 budgets).
  expect(k6.MAX_EXACT_SAMPLES).toBeGreaterThanOrEqual(10_000_000);
  expect(k6.MAX_EXACT_SAMPLES * 8).toBeLessThan(128 << 20);
});

test('every thread replies, and the first and last time come from the file order', async () => {
  const file = bigRun(4);
  const { partials } = await k6.readNdjsonParallel(file, readFileSync(file).length, SPLIT);
  expect(partials).toHaveLength(3);
  const times = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"metric":"http_reqs","type":"Point"'))
    .map((l) => (JSON.parse(l) as { data: { time: string } }).data.time);
  expect(partials[0]!.firstTime).toBe(times[0]);
  expect(partials[2]!.lastTime).toBe(times[times.length - 1]);
});

test('one exact-sample budget for the file: a thread may keep more than its share', async () => {
  // Every duration sample in the first part of the file, then only other metrics: a fixed share per
  // thread (budget / threads) would overflow in the thread that reads the first part.
  const file = bigRun(3);
  const samples = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"metric":"http_req_duration","type":"Point"')).length;
  const filler = readFileSync(join(k6Fixtures, 'pass-points.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"metric":"data_sent","type":"Point"'));
  for (let i = 0; i < 40; i++) appendFileSync(file, filler.join('\n') + '\n');
  const r = await k6.readK6Result(file, { ...SPLIT, maxExactSamples: samples });
  expect(r.percentile_error_bound).toBeUndefined();
  expect(r.latency_ms.p95).toBe((await k6.readK6Result(file, { threads: 1 })).latency_ms.p95);
  // One sample fewer than the file holds: past the budget, whichever thread meets it.
  const over = await k6.readK6Result(file, { ...SPLIT, maxExactSamples: samples - 1 });
  expect(over.percentile_error_bound).toBe(k6.HISTOGRAM_ERROR_BOUND);
});

test('the committed action reads a file past the parallel threshold with its bundled worker, exactly', async () => {
  const file = bigRun(
    Math.ceil((k6.PARALLEL_MIN_BYTES * 1.05) / statSync(join(k6Fixtures, 'pass-points.ndjson')).size),
  );
  expect(statSync(file).size).toBeGreaterThan(k6.PARALLEL_MIN_BYTES);
  const one = await k6.readK6Result(file, { threads: 1 });
  const run = await runAction({ inputs: { results: file, 'min-requests': '1' }, dist: true });
  expect(run.stderr).toBe('');
  const measured = (run.report as { measured: { requests: number; p95_ms: number; error_rate: number } }).measured;
  expect(measured.requests).toBe(one.requests);
  expect(measured.p95_ms).toBe(one.latency_ms.p95);
  expect(measured.error_rate).toBe(one.error_rate);
  rmSync(file);
});
