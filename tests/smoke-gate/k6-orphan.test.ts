/**
 * Issue 11, row 2, for k6: `npm run smoke` starts k6 only through lib/k6/run.ts, whose executor
 * ties the child to the CLI (lib/tied-child.ts). Killing the CLI with SIGKILL (no handler of ours
 * runs) must end k6 and what k6 started within 2 s. A stub k6 that sleeps stands for a long run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { k6Fixtures, makeK6Stub } from '../support/k6-stub.js';
import { allEnd, collect, running, stderrMatches } from '../support/processes.js';

const repo = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'smoke-k6-orphan-'));
const leftovers: number[] = [];
afterAll(() => {
  for (const pid of leftovers) if (running(pid)) process.kill(pid, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

test('kill -9 of the smoke CLI while k6 runs: k6 and its child end within 2 s', async () => {
  const stub = makeK6Stub();
  const grandchildFile = join(work, 'grandchild.pid');
  const smoke = spawn(process.execPath, [join(repo, 'build/cli/smoke.js'), '--driver', 'k6', '--duration', '60'], {
    cwd: work,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PATH: `${stub.dir}:${process.env.PATH ?? ''}`,
      STATE_DIR: join(work, 'state'),
      TENANTS_FILE: '',
      K6_STUB_LOG: stub.log,
      K6_STUB_SLEEP_MS: '120000',
      K6_STUB_GRANDCHILD: grandchildFile,
      K6_STUB_SUMMARY: join(k6Fixtures, 'pass-summary-export.json'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = collect(smoke);
  await stderrMatches(smoke, done, /stub k6: sleeping/);
  const k6 = stub.calls()[0]!.pid;
  expect(existsSync(grandchildFile)).toBe(true);
  const grandchild = Number(readFileSync(grandchildFile, 'utf8'));
  const pids = [k6, grandchild];
  leftovers.push(...pids);
  for (const pid of pids) expect(running(pid)).toBe(true);

  smoke.kill('SIGKILL');
  await allEnd(pids, 2000);
  const orphans = pids.filter(running);
  console.log(`k6 processes left 2 s after kill -9 of npm run smoke: ${orphans.length} of ${pids.length}`);
  expect(orphans).toEqual([]);
});
