/**
 * A stub `k6` program for tests (k6 cannot be installed here): a small node script that records how
 * it was called (argv, cwd, chosen environment variables) to a JSON lines log, prints a few lines on
 * stdout and stderr, writes REAL recorded k6 output (tests/fixtures/k6) to the files its flags name
 * (`--summary-export=FILE`, `--out json=FILE`), and exits with K6_STUB_EXIT (default 0).
 *
 * Knobs (environment): K6_STUB_SUMMARY and K6_STUB_POINTS (fixture files to copy), K6_STUB_EXIT,
 * K6_STUB_SLEEP_MS (sleep before exiting, with a grandchild `sleep` started first so that a test can
 * see that a stop ends the whole process group), K6_STUB_LOG (the call log).
 *
 * Per script (for runs of several scripts at once): a line `// k6-stub: exit=N sleep=MS` in the script
 * file overrides the exit status and sleeps MS before exiting (no grandchild), and K6_STUB_TIMES names
 * a JSON lines file where each run appends {script, pid, start, end, code, stopped} when it ends; then
 * SIGINT ends the stub as it ends k6 (exit 105, outputs already written) with stopped: true.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const k6Fixtures = resolve(import.meta.dirname, '../fixtures/k6');

const STUB = `#!${process.execPath}
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const args = process.argv.slice(2);
const env = process.env;
const call = { argv: args, cwd: process.cwd(), pid: process.pid, env: {} };
for (const k of Object.keys(env)) if (/^(BASE_URL|BASELINE_URL|CANARY_URL|RATE|DURATION_S|VUS|K6_|INPUT_)/.test(k)) call.env[k] = env[k];
if (env.K6_STUB_LOG) fs.appendFileSync(env.K6_STUB_LOG, JSON.stringify(call) + '\\n');
process.stdout.write('stub k6: running ' + args[args.length - 1] + '\\n');
process.stderr.write('time="now" level=info msg="progress" source=console\\r\\n');
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a.startsWith('--summary-export=') && env.K6_STUB_SUMMARY) fs.copyFileSync(env.K6_STUB_SUMMARY, a.slice(17));
  if (a === '--out' && args[i + 1].startsWith('json=') && env.K6_STUB_POINTS) fs.copyFileSync(env.K6_STUB_POINTS, args[i + 1].slice(5));
}
const start = Date.now();
const directive = {};
try {
  const m = /[/][/] k6-stub:(.*)/.exec(fs.readFileSync(args[args.length - 1], 'utf8'));
  if (m) for (const kv of m[1].trim().split(/ +/)) { const [k, v] = kv.split('='); directive[k] = Number(v); }
} catch {}
const record = (code, stopped) => {
  if (env.K6_STUB_TIMES) fs.appendFileSync(env.K6_STUB_TIMES, JSON.stringify({ script: args[args.length - 1], pid: process.pid, start, end: Date.now(), code, stopped }) + '\\n');
};
const finish = () => {
  const code = directive.exit ?? Number(env.K6_STUB_EXIT || 0);
  record(code, false);
  process.stdout.write('stub k6: done');
  process.exit(code);
};
if (env.K6_STUB_TIMES) process.on('SIGINT', () => { record(105, true); process.exit(105); });
if (directive.sleep !== undefined) setTimeout(finish, directive.sleep);
else if (env.K6_STUB_SLEEP_MS) {
  const g = spawn('sleep', ['600'], { stdio: 'ignore' });
  if (env.K6_STUB_GRANDCHILD) fs.writeFileSync(env.K6_STUB_GRANDCHILD, String(g.pid));
  process.stdout.write('stub k6: sleeping\\n');
  setTimeout(finish, Number(env.K6_STUB_SLEEP_MS));
} else finish();
`;

export interface K6Stub {
  /** Directory holding the `k6` program (put it first on PATH). */
  dir: string;
  path: string;
  log: string;
  /** The calls recorded so far. */
  calls(): { argv: string[]; cwd: string; pid: number; env: Record<string, string> }[];
}

export function makeK6Stub(): K6Stub {
  const dir = mkdtempSync(join(tmpdir(), 'k6-stub-'));
  const path = join(dir, 'k6');
  writeFileSync(path, STUB);
  chmodSync(path, 0o755);
  const log = join(dir, 'calls.jsonl');
  return {
    dir,
    path,
    log,
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as ReturnType<K6Stub['calls']>[number])
        : [],
  };
}
