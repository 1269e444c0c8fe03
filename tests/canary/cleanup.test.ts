/**
 * Clean-up always: SIGTERM to the CLI mid-run, a main step killed outright (the post step cleans
 * up from the saved state), and the command deployer driving the user's own shell scripts
 * (deploy, promote, rollback, cleanup) as real processes.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type ServiceHandle } from '#lib/service-process.js';
import { parseCommandFile } from '../support/github-runner.js';
import { alive, freePort, listening } from '../support/ports.js';
import { allEnd, expectExit, runNode, type Finished } from '../support/processes.js';
import { resolvePlan } from '#lib/canary/plan.js';
import { runPostCleanup, type SavedState } from '#lib/canary/post.js';
import { PROMOTE_SETTLE_MS, runCanary } from '#lib/canary/run.js';
import { commandEnv } from '#lib/child-env.js';
import { runCommand } from '#lib/canary/shell.js';
import { actionDist, actionEnv, cliBuild, postDist, repoRoot, runnerFiles, startActionStep } from './helpers.js';

let work: string;
let baseline: ServiceHandle;
const stray: number[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'canary-cleanup-'));
  baseline = await startService({ env: { SERVICE_TRACK: 'stable' } });
});

afterAll(async () => {
  // Whatever a failing assertion left behind must not outlive the test run.
  for (const pid of stray) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await baseline?.stop(3000);
  rmSync(work, { recursive: true, force: true });
});

/** Resolves when `re` matches the child's stdout so far. */
function waitFor(child: import('node:child_process').ChildProcess, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${buf}`)), 30_000);
    child.stdout!.on('data', (d: Buffer | string) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    });
  });
}

const pidsIn = (text: string): number[] =>
  [...text.matchAll(/started locally at \S+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));

test('SIGTERM to the CLI mid-run rolls back, stops both local processes and exits 143 without a report', async () => {
  const cwd = join(work, 'sigterm');
  mkdirSync(cwd);
  const { child, done } = runNode(
    cliBuild,
    ['staging', 'abc1234', '--intervals', '10', '--interval-seconds', '3', '--rate', '20'],
    { PATH: process.env.PATH, HOME: process.env.HOME },
    cwd,
  );
  await waitFor(child, /interval 1\/10/);
  child.kill('SIGTERM');
  const r = await done;
  const pids = pidsIn(r.stdout);
  stray.push(...pids);
  expectExit(r, 143);
  expect(r.stderr).toContain('received SIGTERM: stopping the canary run, rolling back and cleaning up');
  expect(pids).toHaveLength(2); // baseline and canary, both started by the run
  for (const pid of pids) expect(alive(pid)).toBe(false);
  expect(existsSync(join(cwd, 'reports'))).toBe(false);
});

test('a main step killed outright: its processes end with it, and the post step still cleans up from the saved state', async () => {
  const workspace = join(work, 'killed');
  mkdirSync(workspace);
  const files = runnerFiles();
  try {
    const env = actionEnv(
      { environment: 'staging', sha: 'def5678', intervals: '10', 'interval-seconds': '3', rate: '20' },
      files,
      workspace,
    );
    const { child, done } = runNode(actionDist, [], env, workspace);
    await waitFor(child, /interval 1\/10/);
    child.kill('SIGKILL'); // no handler runs: the runner's hard kill
    const r = await done;
    const pids = pidsIn(r.stdout);
    stray.push(...pids);
    expect(pids).toHaveLength(2);
    // Tied to the main step (lib/tied-child.ts): no orphan waits for the post step (issue 11, row 2).
    expect(await allEnd(pids, 2000)).toBe(true);

    // The runner hands the saved state to the post step as STATE_<name>.
    const state = parseCommandFile(readFileSync(files.state, 'utf8'));
    expect(JSON.parse(state.cleanup!)).toMatchObject({
      kind: 'local',
      finished: false,
      pids: expect.arrayContaining(pids),
    });
    const post = await runNode(postDist, [], { PATH: process.env.PATH, STATE_cleanup: state.cleanup! }, workspace).done;
    expectExit(post, 0);
    expect(post.stdout).toContain('the main step did not finish; cleaning up what it left');
    for (const pid of pids) expect(alive(pid)).toBe(false);

    // After a main step that finished its own clean-up, the post step has nothing to do.
    const finished = await runNode(
      postDist,
      [],
      { PATH: process.env.PATH, STATE_cleanup: JSON.stringify({ ...JSON.parse(state.cleanup!), finished: true }) },
      workspace,
    ).done;
    expect(finished.stdout).toContain('the main step cleaned up already');
  } finally {
    files.cleanup();
  }
});

/** The user's own deploy scripts: start the service on $CANARY_PORT, log every call with its env. */
function commandScripts(dir: string, deployExit = 0, promoteBody = 'true'): Record<string, string> {
  const log = join(dir, 'calls.log');
  const script = (name: string, body: string): string => {
    const p = join(dir, `${name}.sh`);
    writeFileSync(
      p,
      `#!/bin/sh\nset -e\necho "${name} sha=$CANARY_SHA env=$CANARY_ENVIRONMENT port=$CANARY_PORT baseline=$BASELINE_URL url=$CANARY_URL" >> ${log}\n${body}\n`,
    );
    chmodSync(p, 0o755);
    return p;
  };
  return {
    log,
    deploy: script(
      'deploy',
      deployExit === 0
        ? `PORT=$CANARY_PORT SERVICE_TRACK=$CANARY_TRACK SHUTDOWN_DELAY_MS=0 nohup node ${join(repoRoot, 'build/service/src/main.js')} >${dir}/canary.out 2>&1 &\necho $! > ${dir}/canary.pid\necho "CANARY_URL=http://127.0.0.1:$CANARY_PORT"`
        : `echo "error: the cluster refused the deployment" >&2\nexit ${deployExit}`,
    ),
    promote: script('promote', promoteBody),
    rollback: script('rollback', 'true'),
    // Waits for the process to end, as `kubectl rollout status` / `kubectl wait --for=delete` would.
    cleanup: script(
      'cleanup',
      `[ -f ${dir}/canary.pid ] || exit 0\npid=$(cat ${dir}/canary.pid)\nkill $pid 2>/dev/null || true\nwhile kill -0 $pid 2>/dev/null; do sleep 0.1; done`,
    ),
  };
}

async function runCommandDeployer(
  name: string,
  deployExit: number,
): Promise<{ r: Finished; calls: string[]; outputs: Record<string, string>; dir: string; port: number }> {
  const dir = join(work, name);
  mkdirSync(dir);
  const s = commandScripts(dir, deployExit);
  const port = await freePort();
  const r = await startActionStep(dir, {
    environment: 'production',
    sha: 'feedbee1',
    deployer: 'command',
    'baseline-url': baseline.url,
    'canary-port': String(port),
    'deploy-command': s.deploy!,
    'promote-command': s.promote!,
    'rollback-command': s.rollback!,
    'cleanup-command': s.cleanup!,
    intervals: '2',
    'interval-seconds': '2',
    rate: '60',
    'readiness-timeout-seconds': '10',
  }).done;
  const calls = existsSync(s.log!) ? readFileSync(s.log!, 'utf8').trim().split('\n') : [];
  return { r, calls, outputs: r.outputs, dir, port };
}

test('command deployer: deploy, judge, promote, cleanup, each given the sha, environment, port and URLs', async () => {
  const { r, calls, outputs, dir, port } = await runCommandDeployer('command-pass', 0);
  const pid = Number(readFileSync(join(dir, 'canary.pid'), 'utf8'));
  stray.push(pid);
  expectExit(r, 0);
  expect(outputs.verdict).toBe('pass');
  const url = `http://127.0.0.1:${port}`;
  expect(calls).toEqual([
    `deploy sha=feedbee1 env=production port=${port} baseline=${baseline.url} url=`,
    `promote sha=feedbee1 env=production port=${port} baseline=${baseline.url} url=${url}`,
    `cleanup sha=feedbee1 env=production port=${port} baseline=${baseline.url} url=${url}`,
  ]);
  expect(alive(pid)).toBe(false);
  expect(await listening(port)).toBe(false);
});

test('command deployer: a failing deploy is a fail with its error line, rolled back and cleaned up', async () => {
  const { r, calls, outputs } = await runCommandDeployer('command-deploy-fails', 3);
  expectExit(r, 1);
  expect(outputs.verdict).toBe('fail');
  expect(r.stdout).toContain('deploy failed: deploy command exited with 3: error: the cluster refused the deployment');
  expect(calls.map((c) => c.split(' ')[0])).toEqual(['deploy', 'rollback', 'cleanup']);
});

test("the user's commands do not inherit the action's inputs (the github token) nor runner-only tokens", async () => {
  const saved = { ...process.env };
  // As the runner sets them for the action's own process; the step's `env:` (KUBECONFIG) must still pass.
  Object.assign(process.env, {
    INPUT_GITHUB_TOKEN: 'ghs_should_not_leak',
    'INPUT_GITHUB-TOKEN': 'ghs_should_not_leak',
    ACTIONS_RUNTIME_TOKEN: 'runtime_should_not_leak',
    KUBECONFIG: '/tmp/kubeconfig-for-deploy',
  });
  try {
    const r = await runCommand('env', { env: { CANARY_SHA: 'abc1234' }, timeoutMs: 10_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('KUBECONFIG=/tmp/kubeconfig-for-deploy');
    expect(r.stdout).toContain('CANARY_SHA=abc1234');
    expect(r.stdout).not.toMatch(/should_not_leak/);
    expect(commandEnv({})).not.toHaveProperty(['INPUT_GITHUB-TOKEN']);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  }
});

test('a clean-up command that fails in the run is left to the post step, which runs it again', async () => {
  const dir = join(work, 'cleanup-retry');
  mkdirSync(dir);
  const log = join(dir, 'calls.log');
  // Fails the first time (a transient cluster error), succeeds the second.
  const cleanup = `echo cleanup >> ${log}; [ -f ${dir}/tried ] && exit 0; touch ${dir}/tried; echo "error: cluster unreachable" >&2; exit 1`;
  const plan = resolvePlan({
    environment: 'staging',
    sha: 'feedbee1',
    cwd: dir,
    deployer: 'command',
    baselineUrl: baseline.url,
    deployCommand: `echo deploy >> ${log}; exit 3`,
    cleanupCommand: cleanup,
  });
  const states: string[] = [];
  const warnings: string[] = [];
  const hooks = {
    log: () => undefined,
    warn: (l: string) => warnings.push(l),
    saveState: (s: string) => states.push(s),
  };
  const r = await runCanary(plan, hooks, dir);
  expect(r.verdict).toBe('fail');
  expect(warnings).toContain('clean-up failed: cleanup command exited with 1: error: cluster unreachable');
  const last = JSON.parse(states[states.length - 1]!) as SavedState;
  expect(last.finished).toBe(false);
  expect(last.commands.map((c) => c.name)).toEqual(['cleanup']);
  expect(await runPostCleanup(states[states.length - 1]!)).toEqual([
    'canary post: the main step did not finish; cleaning up what it left',
    'cleanup command exited with 0',
  ]);
  expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['deploy', 'cleanup', 'cleanup']);
});

test('CLI: a report that cannot be written after the run is one line and exit 3, not the usage text', async () => {
  const cwd = join(work, 'report-unwritable');
  mkdirSync(cwd);
  writeFileSync(join(cwd, 'reports'), 'a file where the reports directory should be');
  const { done } = runNode(
    cliBuild,
    ['staging', 'abc1234', '--deployer', 'command', '--deploy-command', 'exit 3', '--baseline-url', baseline.url],
    { PATH: process.env.PATH, HOME: process.env.HOME },
    cwd,
  );
  const r = await done;
  expectExit(r, 3);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^canary: .*ENOTDIR/);
  // The decision was taken and is shown, though its record could not be written.
  expect(r.stdout).toContain('canary staging abc1234: fail -> rolled back (fail)');
  expect(r.stdout).toContain('  - deploy failed: deploy command exited with 3');
});

describe('SIGTERM while the promote command runs: the promote settles first, then no rollback races it', () => {
  /** A passing CLI run (as the command-deployer test above), a promote of a second, SIGTERM once it has started. */
  async function signalDuringPromote(
    name: string,
    promoteExit: number,
    promoteSeconds = 1,
  ): Promise<{ r: Finished; calls: string[]; dir: string }> {
    const dir = join(work, name);
    mkdirSync(dir);
    const log = join(dir, 'calls.log');
    const s = commandScripts(
      dir,
      0,
      `echo $$ > ${dir}/promote.pid\nsleep ${promoteSeconds} &\necho $! > ${dir}/sleep.pid\nwait $!\necho promote-end >> ${log}\nexit ${promoteExit}`,
    );
    const { child, done } = runNode(
      cliBuild,
      [
        'staging',
        'feedbee1',
        '--deployer',
        'command',
        '--baseline-url',
        baseline.url,
        '--canary-port',
        String(await freePort()),
        '--deploy-command',
        s.deploy!,
        '--promote-command',
        s.promote!,
        '--rollback-command',
        s.rollback!,
        '--cleanup-command',
        s.cleanup!,
        '--intervals',
        '2',
        '--interval-seconds',
        '2',
        '--rate',
        '60',
      ],
      { PATH: process.env.PATH, HOME: process.env.HOME },
      dir,
    );
    await waitFor(child, /promote: running/);
    child.kill('SIGTERM');
    const r = await done;
    const pid = Number(readFileSync(join(dir, 'canary.pid'), 'utf8'));
    stray.push(pid);
    expect(alive(pid)).toBe(false); // clean-up ran
    expect(existsSync(join(dir, 'reports'))).toBe(false);
    return {
      r,
      dir,
      calls: readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[0]!),
    };
  }

  test('a promote that succeeds is kept: not killed, not rolled back', async () => {
    const { r, calls } = await signalDuringPromote('sigterm-promote-ok', 0);
    expect(calls).toEqual(['deploy', 'promote', 'promote-end', 'cleanup']);
    expectExit(r, 143);
    expect(r.stderr).toContain(
      `warning: SIGTERM arrived during the promote: waiting up to ${PROMOTE_SETTLE_MS / 1000} s for it to finish`,
    );
    expect(r.stderr).toContain('warning: the promote finished: keeping it, no rollback');
  });

  test('a promote that fails is rolled back after it has ended', async () => {
    const { r, calls } = await signalDuringPromote('sigterm-promote-fails', 4);
    expect(calls).toEqual(['deploy', 'promote', 'promote-end', 'rollback', 'cleanup']);
    expectExit(r, 143);
    expect(r.stderr).toContain('warning: the promote failed (promote command exited with 4:');
  });

  test('a promote still running after the settle time is stopped (its process too), then rolled back', async () => {
    const { r, calls, dir } = await signalDuringPromote('sigterm-promote-hangs', 0, 60);
    expectExit(r, 143);
    expect(r.stderr).toContain(
      `warning: the promote did not finish within ${PROMOTE_SETTLE_MS / 1000} s: stopped it, rolling back`,
    );
    expect(calls).toEqual(['deploy', 'promote', 'rollback', 'cleanup']);
    // The promote's shell and its child were killed, not left to finish the promote behind the rollback.
    const pids = ['promote.pid', 'sleep.pid'].map((f) => Number(readFileSync(join(dir, f), 'utf8')));
    stray.push(...pids);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});
