/**
 * Helpers of the canary tests: run the action or the CLI as child processes the way GitHub and a
 * developer run them, free ports, a real Prometheus with its own config and data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const actionDist = join(repoRoot, 'actions/canary/dist/index.js');
export const postDist = join(repoRoot, 'actions/canary/dist/post/index.js');
export const cliBuild = join(repoRoot, 'build/cli/canary.js');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

/** true when something accepts connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      res(true);
    });
    c.once('error', () => res(false));
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function collect(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
}

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

/** Parses GitHub's `name<<delimiter` command-file format (GITHUB_OUTPUT, GITHUB_STATE). */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i]!);
    if (m) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
      out[m[1]!] = value.join('\n');
    } else if (lines[i]!.includes('=')) {
      const j = lines[i]!.indexOf('=');
      out[lines[i]!.slice(0, j)] = lines[i]!.slice(j + 1);
    }
  }
  return out;
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

export function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [script, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, done: collect(child) };
}

export interface Target {
  port: number;
  track: string;
}

export interface Prometheus {
  url: string;
  port: number;
  /** Rewrites the discovered targets (file_sd); each target is labelled with its track. */
  setTargets(targets: Target[]): void;
  stop(): Promise<void>;
}

/**
 * A real Prometheus (Debian package) with its own config and data directory, scraping every second
 * the targets of a file it watches (file_sd), so a canary on a port known only at run time is found.
 */
export async function startPrometheus(...initial: Target[]): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'canary-prom-'));
  const targetsFile = join(dir, 'targets.json');
  const setTargets = (targets: Target[]): void => {
    const groups = targets.map((t) => ({ targets: [`127.0.0.1:${t.port}`], labels: { track: t.track } }));
    writeFileSync(`${targetsFile}.tmp`, JSON.stringify(groups));
    renameSync(`${targetsFile}.tmp`, targetsFile);
  };
  setTargets(initial);
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: hotel',
    '    file_sd_configs:',
    `      - files: ['${targetsFile}']`,
    '        refresh_interval: 1s',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`prometheus did not start: ${stderr.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, setTargets, stop };
}

/** Waits until an instant PromQL query returns at least one finite sample. */
export async function waitForSeries(promUrl: string, query: string, timeoutMs = 15_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as {
      data: { result: Array<{ value: [number, string] }> };
    };
    const v = Number(r.data.result[0]?.value[1]);
    if (Number.isFinite(v)) return v;
    if (Date.now() > until) throw new Error(`no data for ${query}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}
