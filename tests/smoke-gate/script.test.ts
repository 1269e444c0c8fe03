/**
 * The smoke gate runs k6 itself (`script` input): the committed bundle as GitHub runs it, with a stub
 * `k6` first on PATH that records how it was called and when it ran, and writes real recorded k6
 * points. What is asserted is what the action actually ran: command lines, flags, overlap in time.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makeK6Stub, k6Fixtures, type K6Stub } from '../support/k6-stub.js';
import { runAction, schemaErrors, type ActionRun } from './run-action.js';
import { alive } from '../support/ports.js';

const POINTS = join(k6Fixtures, 'pass-points.ndjson');
const SUMMARY = join(k6Fixtures, 'pass-summary-export.json');
/** Requests in the recorded run the stub writes (http_reqs points of pass-points.ndjson). */
const REQUESTS_PER_RUN = readFileSync(POINTS, 'utf8')
  .split('\n')
  .filter((l) => l.includes('"metric":"http_reqs"') && l.includes('"type":"Point"')).length;

interface Timing {
  script: string;
  pid: number;
  start: number;
  end: number;
  code: number;
  stopped: boolean;
}

interface Setup {
  ws: string;
  stub: K6Stub;
  times: string;
  env: Record<string, string>;
}

/** A workspace with k6 scripts (`name` -> stub directive) and a stub k6 first on PATH. */
function setup(scripts: Record<string, string>): Setup {
  const ws = mkdtempSync(join(tmpdir(), 'smoke-gate-script-'));
  for (const [name, directive] of Object.entries(scripts)) {
    mkdirSync(dirname(join(ws, name)), { recursive: true });
    writeFileSync(join(ws, name), `// k6-stub: ${directive}\nexport default function () {}\n`);
  }
  const stub = makeK6Stub();
  const times = join(stub.dir, 'times.jsonl');
  const env = {
    PATH: `${stub.dir}:${process.env.PATH ?? ''}`,
    K6_STUB_LOG: stub.log,
    K6_STUB_TIMES: times,
    K6_STUB_POINTS: POINTS,
    K6_STUB_SUMMARY: SUMMARY,
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  };
  return { ws, stub, times, env };
}

function timings(s: Setup): Timing[] {
  return readFileSync(s.times, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Timing);
}

/** The largest number of runs alive at one instant. */
function maxOverlap(ts: readonly Timing[]): number {
  const events = ts.flatMap((t) => [
    { at: t.start, d: 1 },
    { at: t.end, d: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.d - b.d);
  let alive = 0;
  let max = 0;
  for (const e of events) max = Math.max(max, (alive += e.d));
  return max;
}

function errorLines(r: ActionRun): string[] {
  return r.stdout.split('\n').filter((l) => l.startsWith('::error::'));
}

const run = (
  s: Setup,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  onStart?: (child: ChildProcess) => void,
): Promise<ActionRun> =>
  runAction({
    // The bundle, as GitHub runs it: k6 is found on the PATH of a real child process.
    dist: true,
    inputs: { 'github-token': '', ...inputs },
    workspace: s.ws,
    env: { ...s.env, ...env },
    ...(onStart && { onStart }),
  });

test('one script: k6 run with the flags as given, outputs where the gate reads them, output streamed', async () => {
  const s = setup({ 'k6/smoke.ts': 'exit=0' });
  const r = await run(s, {
    script: 'k6/smoke.ts',
    flags: `--vus 2 -e 'GREETING=hello world' --tag "team=book ings" -e BASE_URL=http://127.0.0.1:3000\n  --quiet`,
  });
  expect(errorLines(r)).toEqual([]);
  expect(r.code).toBe(0);
  const dir = join(s.ws, 'reports/performance/k6/k6-smoke');
  const calls = s.stub.calls();
  expect(calls).toHaveLength(1);
  expect(calls[0]!.argv).toEqual([
    'run',
    '--vus',
    '2',
    '-e',
    'GREETING=hello world',
    '--tag',
    'team=book ings',
    '-e',
    'BASE_URL=http://127.0.0.1:3000',
    '--quiet',
    `--summary-export=${join(dir, 'summary-export.json')}`,
    '--out',
    `json=${join(dir, 'points.ndjson')}`,
    join(s.ws, 'k6/smoke.ts'),
  ]);
  expect(calls[0]!.cwd).toBe(s.ws);
  // The action's inputs are not passed on to k6 (the token among them).
  expect(Object.keys(calls[0]!.env).filter((k) => k.startsWith('INPUT_'))).toEqual([]);
  // k6's lines reach the log as they come (stdout and stderr), the command line first.
  expect(r.stdout).toContain(`k6 run --vus 2 -e 'GREETING=hello world' --tag 'team=book ings' -e BASE_URL=`);
  expect(r.stdout).toContain(`stub k6: running ${join(s.ws, 'k6/smoke.ts')}`);
  expect(r.stdout).toContain('level=info msg="progress"');
  expect(r.outputs.verdict).toBe('pass');
  expect(Number(r.outputs.requests)).toBe(REQUESTS_PER_RUN);
  expect(schemaErrors('report', r.report)).toEqual([]);
  expect(readFileSync(join(dir, 'summary-export.json'), 'utf8')).toBe(readFileSync(SUMMARY, 'utf8'));
}, 60_000);

test('a glob of scripts: one after another by default, at once with parallel, bounded by a number', async () => {
  const scripts = { 'k6/a.ts': 'sleep=1500', 'k6/b.ts': 'sleep=1500', 'k6/c.ts': 'sleep=1500' };
  const serial = setup(scripts);
  const r1 = await run(serial, { script: 'k6/*.ts' });
  expect(errorLines(r1)).toEqual([]);
  expect(r1.code).toBe(0);
  expect(maxOverlap(timings(serial))).toBe(1);
  expect(serial.stub.calls().map((c) => c.argv.at(-1))).toEqual(
    ['a', 'b', 'c'].map((n) => join(serial.ws, `k6/${n}.ts`)),
  );
  // Three runs' points, one verdict over the union of their samples.
  expect(Number(r1.outputs.requests)).toBe(3 * REQUESTS_PER_RUN);
  const report = r1.report as { parts: { file: string }[]; combination: string };
  expect(report.parts.map((p) => p.file)).toEqual(
    ['a', 'b', 'c'].map((n) => join(serial.ws, `reports/performance/k6/k6-${n}/points.ndjson`)),
  );
  expect(report.combination).toMatch(/^3 NDJSON files/);

  const all = setup(scripts);
  const r2 = await run(all, { script: 'k6/*.ts', parallel: 'true' });
  expect(r2.code).toBe(0);
  expect(maxOverlap(timings(all))).toBeGreaterThanOrEqual(2);
  expect(r2.stdout).toMatch(/^\[k6\/b\.ts\] stub k6: running/m);
  expect(Number(r2.outputs.requests)).toBe(3 * REQUESTS_PER_RUN);

  const two = setup(scripts);
  const r3 = await run(two, { script: 'k6/*.ts', parallel: '2' });
  expect(r3.code).toBe(0);
  expect(r3.stdout).toContain('Running 3 k6 scripts, up to 2 at once');
  expect(maxOverlap(timings(two))).toBe(2);
}, 120_000);

test('fail-fast stops the running scripts and starts no more; without it every script runs', async () => {
  const scripts = { 'k6/a.ts': 'sleep=4000', 'k6/b.ts': 'exit=107 sleep=300', 'k6/c.ts': 'sleep=300' };
  const fast = setup(scripts);
  const t0 = Date.now();
  const r = await run(fast, { script: 'k6/*.ts', parallel: '2', 'fail-fast': 'true' });
  expect(r.code).toBe(1);
  expect(errorLines(r)).toEqual([
    '::error::fail-fast: k6 run of k6/b.ts exited with 107; stopped k6/a.ts; did not start k6/c.ts',
  ]);
  const ts = timings(fast);
  expect(ts.map((t) => [t.script.slice(fast.ws.length + 1), t.code, t.stopped]).sort()).toEqual([
    ['k6/a.ts', 105, true],
    ['k6/b.ts', 107, false],
  ]);
  expect(Date.now() - t0).toBeLessThan(4000);
  expect(r.report).toBeUndefined();

  const all = setup(scripts);
  const r2 = await run(all, { script: 'k6/*.ts', parallel: '2' });
  expect(r2.code).toBe(1);
  expect(errorLines(r2)).toEqual(['::error::k6 run of k6/b.ts exited with 107']);
  expect(all.stub.calls()).toHaveLength(3);
  expect(timings(all).every((t) => !t.stopped)).toBe(true);
}, 120_000);

test('a cancelled job (SIGTERM to the action) stops every k6 run gracefully and fails the step', async () => {
  const s = setup({ 'k6/a.ts': 'sleep=20000', 'k6/b.ts': 'sleep=20000' });
  const t0 = Date.now();
  const r = await run(s, { script: 'k6/*.ts', parallel: 'true' }, {}, (child) => {
    const poll = setInterval(() => {
      if (s.stub.calls().length === 2) {
        clearInterval(poll);
        child.kill('SIGTERM');
      }
    }, 50);
    child.on('exit', () => clearInterval(poll));
  });
  expect(r.code).toBe(1);
  expect(errorLines(r)).toEqual(['::error::k6 runs stopped by a signal: stopped k6/a.ts, k6/b.ts']);
  expect(timings(s).map((t) => [t.code, t.stopped])).toEqual([
    [105, true],
    [105, true],
  ]);
  expect(Date.now() - t0).toBeLessThan(15_000);
  for (const c of s.stub.calls()) expect({ pid: c.pid, alive: alive(c.pid) }).toEqual({ pid: c.pid, alive: false });
}, 60_000);

test('bad script inputs: one line, exit status 2, k6 never started', async () => {
  const s = setup({ 'k6/a.ts': 'exit=0' });
  const cases: [Record<string, string>, string, Record<string, string>?][] = [
    [{ script: 'k6/{a,b.ts' }, 'script glob "k6/{a,b.ts" is not a valid pattern: unclosed {'],
    [{ script: 'k6/[a.ts]]' }, 'script glob "k6/[a.ts]]" is not a valid pattern: unmatched ]'],
    [{ script: 'scripts/*.ts' }, `script glob "scripts/*.ts" matches no file (relative to ${s.ws})`],
    [{ script: 'k6/missing.ts' }, `script k6/missing.ts does not exist (relative to ${s.ws})`],
    [{ script: 'k6/a.ts', results: 'x.json' }, 'inputs script and results exclude each other'],
    [{ results: 'x.json', parallel: 'true' }, 'input parallel needs the script input'],
    [{ script: 'k6/a.ts', flags: `-e 'A=b` }, `input flags has an unclosed ' (at character 4)`],
    [{ script: 'k6/a.ts', flags: '--summary-export=x.json' }, 'input flags: --summary-export is set by the action'],
    [
      { script: 'k6/a.ts', parallel: 'lots' },
      'input parallel must be true, false or a number of k6 runs at once (>= 1), got "lots"',
    ],
    [
      { script: 'k6/a.ts' },
      'k6 is not on PATH: install it before this step, e.g. with grafana/setup-k6-action',
      { PATH: dirname(process.execPath) },
    ],
  ];
  for (const [inputs, line, env] of cases) {
    const r = await run(s, inputs, env);
    expect({ inputs, code: r.code }).toEqual({ inputs, code: 2 });
    const errors = errorLines(r);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`::error::${line}`);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\bat .+:\d+:\d+/);
  }
  expect(s.stub.calls()).toEqual([]);
}, 120_000);
