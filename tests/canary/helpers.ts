/**
 * Helpers of the canary tests: the runner's files and environment of an action step, and the
 * canary's own paths, inputs and log lines. Generic process, port and Prometheus helpers are in
 * tests/support/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandFile } from '../support/github-runner.js';
import { collect, runNode, type Finished } from '../support/processes.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const actionDist = join(repoRoot, 'actions/canary/dist/index.js');
export const postDist = join(repoRoot, 'actions/canary/dist/post/index.js');
export const cliBuild = join(repoRoot, 'build/cli/canary.js');

/** A GitHub runner's files for one step: outputs, summary, state, event. */
export interface RunnerFiles {
  dir: string;
  output: string;
  summary: string;
  state: string;
  event: string;
  outputs(): Record<string, string>;
  cleanup(): void;
}

export function runnerFiles(event: unknown = {}): RunnerFiles {
  const dir = mkdtempSync(join(tmpdir(), 'canary-runner-'));
  const f = {
    dir,
    output: join(dir, 'output'),
    summary: join(dir, 'summary.md'),
    state: join(dir, 'state'),
    event: join(dir, 'event.json'),
  };
  for (const p of [f.output, f.summary, f.state]) writeFileSync(p, '');
  writeFileSync(f.event, JSON.stringify(event));
  return {
    ...f,
    outputs: () => parseCommandFile(readFileSync(f.output, 'utf8')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Environment of an action step: INPUT_* (names upper-cased, spaces as _), runner files, a clean PATH. */
export function actionEnv(
  inputs: Record<string, string>,
  files: RunnerFiles,
  workspace: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'hotel/perf',
    RUNNER_TEMP: files.dir,
    ...extra,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  return env;
}

/**
 * A short canary run judged on Prometheus too: 3 intervals of 2 s at 60 requests/s over 4
 * connections, a Prometheus scraping every second, 10 s for the canary to become ready.
 */
export const shortPrometheusRun: Readonly<Record<string, string>> = {
  environment: 'staging',
  'prometheus-scrape-interval-seconds': '1',
  intervals: '3',
  'interval-seconds': '2',
  rate: '60',
  connections: '4',
  'readiness-timeout-seconds': '10',
};

/** Where a run in `workspace` writes its report. */
export const reportPathIn = (workspace: string, sha: string, environment = 'staging'): string =>
  join(workspace, `reports/performance/canary-${environment}-${sha}.json`);

/** The local deployer's line naming the canary's port and pid, when `log` holds it. */
export function canaryStarted(log: string): { port: number; pid: number } | null {
  const m = /canary started locally at http:\/\/127\.0\.0\.1:(\d+) \(pid (\d+)\)/.exec(log);
  return m ? { port: Number(m[1]), pid: Number(m[2]) } : null;
}

/** `canary judge <report>`: re-derives the verdict from the report's data. */
export const rejudge = (reportPath: string, cwd: string): Promise<Finished> =>
  runNode(cliBuild, ['judge', reportPath], { PATH: process.env.PATH }, cwd).done;

/** A finished action step: its exit, log, outputs and job summary. */
export interface StepRun extends Finished {
  outputs: Record<string, string>;
  summary: string;
}

/**
 * Starts the canary action as GitHub runs it, in `workspace` (created when missing), with a fresh
 * runner's files that are read into the result and removed once the step ends.
 */
export function startActionStep(
  workspace: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): { child: ChildProcess; done: Promise<StepRun> } {
  mkdirSync(workspace, { recursive: true });
  const files = runnerFiles();
  try {
    const { child, done } = runNode(actionDist, [], actionEnv(inputs, files, workspace, extraEnv), workspace);
    const result = done
      .then((r) => ({ ...r, outputs: files.outputs(), summary: readFileSync(files.summary, 'utf8') }))
      .finally(() => files.cleanup());
    return { child, done: result };
  } catch (e) {
    files.cleanup();
    throw e;
  }
}

/**
 * `script` run under the effects tracer (tests/canary/trace-effects.mjs): every process spawn and
 * listening socket it makes is a line of `trace`, so a dry run can be shown to start nothing.
 * The trace file is written in `dir`.
 */
export function tracedRun(
  dir: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<Finished & { trace: string[] }> {
  const traceFile = join(dir, 'trace.txt');
  writeFileSync(traceFile, '');
  const child = spawn(
    process.execPath,
    ['--import', join(repoRoot, 'tests/canary/trace-effects.mjs'), script, ...args],
    {
      env: { ...env, TRACE_FILE: traceFile },
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return collect(child).then((r) => ({ ...r, trace: readFileSync(traceFile, 'utf8').split('\n').filter(Boolean) }));
}

/** The JSON plan a dry run prints after the readable one: from the first line "{" to the last line "}". */
export function planJson(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n');
  const start = lines.indexOf('{');
  const end = lines.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error(`no JSON plan in:\n${stdout}`);
  return JSON.parse(lines.slice(start, end + 1).join('\n')) as Record<string, unknown>;
}
