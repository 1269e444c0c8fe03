/**
 * `npm run smoke` end to end: the compiled CLI as a child process, the real service, the built-in
 * driver (k6 is not installed here). Needs `npm run build` first (scripts/test.sh does it).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures, repoRoot, schemaErrors } from './run-action.js';

const cli = join(repoRoot, 'build/cli/smoke.js');
const dir = mkdtempSync(join(tmpdir(), 'smoke-cli-'));

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCli(
  args: string[],
  opts: { env?: Record<string, string>; onStderr?: (text: string, kill: (s: NodeJS.Signals) => void) => void } = {},
): Promise<CliRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...opts.env };
  const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    opts.onStderr?.(stderr, (s) => child.kill(s));
  });
  return new Promise((r) => child.on('close', (code, signal) => r({ code, signal, stdout, stderr })));
}

function budgetFile(name: string, patch: Record<string, unknown>): string {
  const base = JSON.parse(readFileSync(join(repoRoot, 'k6/budget.json'), 'utf8')) as Record<string, unknown>;
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify({ ...base, ...patch }));
  return p;
}

const report = (p = join(dir, 'reports/performance/smoke-summary.json')) =>
  JSON.parse(readFileSync(p, 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
});

test('runs the built-in driver against the real service and passes', async () => {
  const r = await runCli(['--duration', '2', '--driver', 'builtin']);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/built-in driver/);
  expect(r.stdout).toMatch(/^verdict: PASS/m);
  expect(r.stdout).toMatch(/^p95 latency\s+\S+ ms \(95 % CI \S+ ms - \S+ ms\)\s+<= 450 ms\s+ok$/m);
  const rep = report();
  expect(rep).toMatchObject({
    schema_version: 1,
    verdict: 'pass',
    source: { format: 'builtin-driver' },
    run: { event: 'local' },
  });
  expect(rep.measured.requests).toBeGreaterThanOrEqual(200);
  expect(rep.measured.failed_requests).toBe(0);
  expect(rep.measured.p95_ci_ms).toHaveLength(2);
  expect(schemaErrors('report', rep)).toEqual([]);
});

test('a faulty service fails the gate with exit 1', async () => {
  const r = await runCli(['--duration', '1.5', '--driver', 'builtin', '--report', 'faulty.json'], {
    env: { FAULT_ERROR_RATE: '0.3' },
  });
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^verdict: FAIL/m);
  const rep = report(join(dir, 'faulty.json'));
  expect(rep.verdict).toBe('fail');
  expect(rep.measured.error_rate).toBeGreaterThan(0.1);
  expect(rep.reasons.join()).toMatch(/error rate .* is above the limit of 1/);
});

test('--results gates an existing k6 file: pass, fail and inconclusive by budget', async () => {
  const pass = await runCli(['--results', join(fixtures, 'pass-handle-summary.json'), '--report', 'r1.json']);
  expect(pass.code).toBe(0);
  expect(report(join(dir, 'r1.json'))).toMatchObject({
    verdict: 'pass',
    source: { format: 'handle-summary' },
    measured: { requests: 672 },
  });

  const strict = await runCli([
    '--results',
    join(fixtures, 'pass-points.ndjson'),
    '--budget',
    budgetFile('strict.json', { p95_ms: 2 }),
    '--report',
    'r2.json',
  ]);
  expect(strict.code).toBe(1);
  expect(strict.stdout).toMatch(/p95 latency\s+5\.18 ms \(95 % CI [^)]+\)\s+<= 2(\.0+)? ms\s+FAIL/);

  const small = await runCli([
    '--results',
    join(fixtures, 'pass-summary-export.json'),
    '--budget',
    budgetFile('big.json', { min_requests: 100000 }),
    '--report',
    'r3.json',
    '--json',
  ]);
  expect(small.code).toBe(0);
  expect(JSON.parse(small.stdout)).toMatchObject({ verdict: 'inconclusive' });
  expect(small.stderr).toMatch(/WARNING the result is inconclusive/);
});

test('usage and setup errors exit 2 with one line and write no report', async () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--duration', 'abc'], /--duration must be seconds/],
    [['--driver', 'gatling'], /--driver must be auto, k6 or builtin/],
    [['--results', join(dir, 'missing.json')], /missing\.json/],
    [['--budget', join(dir, 'no-budget.json')], /cannot read budget file/],
  ];
  writeFileSync(join(dir, 'broken.json'), '{"metrics":');
  cases.push([['--results', join(dir, 'broken.json')], /broken\.json.*not valid JSON/]);
  for (const [args, re] of cases) {
    const r = await runCli([...args, '--report', 'never.json']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(re);
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    expect(existsSync(join(dir, 'never.json'))).toBe(false);
  }
});

test('SIGTERM during the load stops the service and exits 143 (128 + SIGTERM, as the canary CLI)', async () => {
  let url: string | undefined;
  let sent = false;
  const r = await runCli(['--duration', '60', '--report', 'interrupted.json'], {
    onStderr: (text, kill) => {
      const m = /service at (http:\/\/\S+);/.exec(text);
      if (m && !sent) {
        sent = true;
        url = m[1];
        setTimeout(() => kill('SIGTERM'), 300);
      }
    },
  });
  expect(url).toBeDefined();
  expect(r.code).toBe(143);
  expect(r.stderr).toMatch(/SIGTERM received, stopping/);
  expect(existsSync(join(dir, 'interrupted.json'))).toBe(false);
  await expect(fetch(`${url}/health/live`)).rejects.toThrow();
});

test('with k6 on PATH, runs k6/smoke.ts against the service and gates its summary export', async () => {
  // k6 cannot be installed here: a stand-in on PATH records its arguments and writes a real k6 v0.46 export (the slow run, k6 exit 99).
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const argsFile = join(dir, 'k6-args.txt');
  writeFileSync(
    join(bin, 'k6'),
    `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nfor a in "$@"; do case "$a" in --summary-export=*) cp '${join(fixtures, 'slow-summary-export.json')}' "\${a#--summary-export=}";; esac; done\nexit 99\n`,
  );
  chmodSync(join(bin, 'k6'), 0o755);
  const r = await runCli(['--duration', '3', '--report', 'k6.json'], {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
  });
  const args = readFileSync(argsFile, 'utf8').trim().split('\n');
  expect(args[0]).toBe('run');
  expect(args).toContain(join(repoRoot, 'k6/smoke.ts'));
  expect(args.some((a) => /^BASE_URL=http:\/\/127\.0\.0\.1:\d+$/.test(a))).toBe(true);
  expect(args).toContain('DURATION_S=3');
  expect(r.stderr).toMatch(/; k6,/);
  expect(r.code).toBe(1);
  expect(report(join(dir, 'k6.json'))).toMatchObject({
    verdict: 'fail',
    source: { format: 'summary-export' },
    measured: { requests: 259 },
  });
  expect(r.stdout).toMatch(/k6 threshold crossed: http_req_duration p\(95\)<25/);
});
