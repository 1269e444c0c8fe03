/**
 * The one k6 runner (lib/k6/run.ts) and its two users (the canary's k6 traffic and the NDJSON point
 * reader it shares with the gate), run against a stub `k6` that writes real recorded k6 output.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readK6Result } from '#core/k6/index.js';
import { K6RunError, k6Args, k6Failure, runK6 } from '#lib/k6/run.js';
import { k6Traffic, readK6CanaryPoints } from '#lib/canary/traffic.js';
import type { CanaryPlan } from '#core/canary/plan.js';
import { k6Fixtures, makeK6Stub } from '../support/k6-stub.js';
import { alive } from '../support/ports.js';

const stub = makeK6Stub();
const tmp = mkdtempSync(join(tmpdir(), 'k6-run-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(stub.dir, { recursive: true, force: true });
});

test('runs the script with the flags and output paths, streams every line, and the outputs read as the recording', async () => {
  const lines: string[] = [];
  const exportFile = join(tmp, 'summary.json');
  const points = join(tmp, 'points.ndjson');
  const r = await runK6({
    k6: stub.path,
    script: 'k6/smoke.js',
    flags: ['--vus', '3', '--tag', 'team=a b'],
    outputs: { summaryExport: exportFile, ndjson: points },
    env: {
      BASE_URL: 'http://127.0.0.1:1',
      K6_STUB_LOG: stub.log,
      K6_STUB_SUMMARY: join(k6Fixtures, 'pass-summary-export.json'),
      K6_STUB_POINTS: join(k6Fixtures, 'pass-points.ndjson'),
    },
    cwd: tmp,
    log: { info: (l) => lines.push(l) },
  });
  const expected = [
    'run',
    '--vus',
    '3',
    '--tag',
    'team=a b',
    `--summary-export=${exportFile}`,
    '--out',
    `json=${points}`,
    'k6/smoke.js',
  ];
  expect(r.command).toEqual([stub.path, ...expected]);
  expect(
    k6Args({
      script: 'k6/smoke.js',
      flags: ['--vus', '3', '--tag', 'team=a b'],
      outputs: { summaryExport: exportFile, ndjson: points },
    }),
  ).toEqual(expected);
  expect(r).toMatchObject({ code: 0, completed: true, thresholdsCrossed: false, timedOut: false });
  expect(k6Failure(r)).toBeUndefined();
  const call = stub.calls().at(-1)!;
  expect(call.argv).toEqual(expected);
  expect(call.cwd).toBe(tmp);
  expect(call.env.BASE_URL).toBe('http://127.0.0.1:1');
  // stdout and stderr lines as they come, CR stripped, the last line without a newline flushed.
  expect(lines).toEqual(
    expect.arrayContaining([
      'stub k6: running k6/smoke.js',
      'time="now" level=info msg="progress" source=console',
      'stub k6: done',
    ]),
  );
  expect(lines).toHaveLength(3);
  const [fromExport, fromPoints] = await Promise.all([readK6Result(exportFile), readK6Result(points)]);
  expect(fromExport.latency_ms.p95).toBeCloseTo(fromPoints.latency_ms.p95, 6);
  expect(fromPoints.requests).toBe(672);
});

test('the action inputs never reach k6 (INPUT_* is dropped from its environment)', async () => {
  process.env['INPUT_GITHUB-TOKEN'] = 'ghs_secret';
  try {
    await runK6({ k6: stub.path, script: 's.js', env: { K6_STUB_LOG: stub.log }, log: { info: () => {} } });
  } finally {
    delete process.env['INPUT_GITHUB-TOKEN'];
  }
  expect(Object.keys(stub.calls().at(-1)!.env).filter((k) => k.startsWith('INPUT_'))).toEqual([]);
});

test('exit 99 (a k6 threshold crossed) completes; another status does not, and says which', async () => {
  const crossed = await runK6({ k6: stub.path, script: 's.js', env: { K6_STUB_EXIT: '99' }, log: { info: () => {} } });
  expect(crossed).toMatchObject({ code: 99, completed: true, thresholdsCrossed: true });
  const broken = await runK6({ k6: stub.path, script: 's.js', env: { K6_STUB_EXIT: '107' }, log: { info: () => {} } });
  expect(broken.completed).toBe(false);
  expect(k6Failure(broken)).toBe('k6 exited with 107');
});

test('an abort stops k6 and what it started (its process group), promptly', async () => {
  const grandchild = join(tmp, 'grandchild.pid');
  const ac = new AbortController();
  const started = Date.now();
  const run = runK6({
    k6: stub.path,
    script: 's.js',
    env: { K6_STUB_SLEEP_MS: '60000', K6_STUB_GRANDCHILD: grandchild },
    signal: ac.signal,
    log: { info: (l) => l === 'stub k6: sleeping' && ac.abort() },
  });
  const r = await run;
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(r.completed).toBe(false);
  expect(r.signal).toBe('SIGINT');
  for (let i = 0; i < 50 && !existsSync(grandchild); i++) await new Promise((res) => setTimeout(res, 20));
  const pid = Number(readFileSync(grandchild, 'utf8'));
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((res) => setTimeout(res, 20));
  expect(alive(pid)).toBe(false);
});

test('a timeout stops k6 and is reported as such', async () => {
  const r = await runK6({
    k6: stub.path,
    script: 's.js',
    env: { K6_STUB_SLEEP_MS: '60000' },
    timeoutMs: 300,
    log: { info: () => {} },
  });
  expect(r).toMatchObject({ timedOut: true, completed: false });
  expect(k6Failure(r)).toMatch(/did not finish in time/);
});

test('k6 missing: one line saying so', async () => {
  await expect(runK6({ k6: join(tmp, 'no-k6-here'), script: 's.js', log: { info: () => {} } })).rejects.toThrow(
    new K6RunError(`${join(tmp, 'no-k6-here')} not found (install k6, or put it on PATH)`),
  );
});

/** A real recording with a `target` tag added to each request's points, alternating baseline and canary. */
function canaryRecording(): { file: string; expected: { baseline: number[]; canary: number[] } } {
  const expected = { baseline: [] as number[], canary: [] as number[] };
  let i = 0;
  const lines = readFileSync(join(k6Fixtures, 'slow-points.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const o = JSON.parse(l) as {
        type: string;
        metric: string;
        data: { value: number; tags?: Record<string, string> };
      };
      if (o.type !== 'Point' || o.metric !== 'http_req_duration') return l;
      const target = i++ % 2 === 0 ? 'baseline' : 'canary';
      expected[target].push(o.data.value);
      // k6 writes tags sorted by name: target goes between status and url.
      return l.replace('"url":', `"target":"${target}","url":`);
    });
  const file = join(tmp, 'canary-points.ndjson');
  writeFileSync(file, lines.join('\n') + '\n');
  return { file, expected };
}

test('the canary reads its k6 points with the shared point reader, split by target tag', () => {
  const { file, expected } = canaryRecording();
  const s = readK6CanaryPoints(file);
  expect(s.baseline.map((x) => x.latency_ms)).toEqual(expected.baseline);
  expect(s.canary.map((x) => x.latency_ms)).toEqual(expected.canary);
  expect(s.baseline[0]).toMatchObject({ t_ms: 0, status: 200, ok: true, name: 'slow' });
  expect(s.canary.every((x) => x.t_ms >= 0)).toBe(true);
});

test("the canary's k6 traffic runs k6/canary.ts through the runner with the plan's shape", async () => {
  const { file, expected } = canaryRecording();
  const plan = {
    traffic: {
      driver: 'k6',
      connections: 4,
      rate_per_s: 25,
      interval_s: 2,
      max_requests_per_interval: 100,
      warmup_requests: 0,
      warmup_max_s: 1,
      scenario: 'x',
    },
  } as unknown as CanaryPlan;
  const savedPath = process.env.PATH;
  process.env.PATH = `${stub.dir}:${savedPath}`;
  process.env.K6_STUB_POINTS = file;
  process.env.K6_STUB_LOG = stub.log;
  try {
    const samples = await k6Traffic(plan, 'http://127.0.0.1:1', 'http://127.0.0.1:2', tmp).runInterval();
    expect(samples.baseline.map((x) => x.latency_ms)).toEqual(expected.baseline);
    const call = stub.calls().at(-1)!;
    expect(call.argv[0]).toBe('run');
    expect(call.argv).toContain('--quiet');
    expect(call.argv.at(-1)).toMatch(/k6\/canary\.ts$/);
    expect(call.env).toMatchObject({
      BASELINE_URL: 'http://127.0.0.1:1',
      CANARY_URL: 'http://127.0.0.1:2',
      RATE: '25',
      DURATION_S: '2',
      VUS: '4',
    });
  } finally {
    process.env.PATH = savedPath;
    delete process.env.K6_STUB_POINTS;
    delete process.env.K6_STUB_LOG;
  }
});
