/**
 * The one way this project runs k6 (the smoke CLI, the canary's k6 traffic, later the smoke-gate
 * action's `script` input): a script with the user's flags, an environment, the output files the
 * readers need, each line of k6's output streamed to a logger as it comes, stopped by an AbortSignal
 * or a timeout together with everything k6 started (own process group).
 *
 * The process is started by an executor: by default node's spawn in a process group; a caller can
 * pass another (the smoke-gate action one built on `@actions/exec`) with the same contract.
 */
import { commandEnv } from '../child-env.js';
import { spawnTied } from '../tied-child.js';

/** Where k6 writes what the readers read; each becomes a k6 flag. */
export interface K6Outputs {
  /** `--summary-export=FILE`: the end-of-test summary. */
  summaryExport?: string;
  /** `--out json=FILE`: every point, NDJSON. */
  ndjson?: string;
}

export interface K6Logger {
  info(line: string): void;
}

export interface ExecOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/** Starts a program and settles when it ends; must stop it on `signal` and after `timeoutMs`. */
export type K6Executor = (file: string, args: readonly string[], opts: ExecOptions) => Promise<ExecResult>;

export interface K6RunOptions {
  script: string;
  /** The user's k6 flags, passed through unchanged before the script (e.g. `--vus 10`, `--tag team=x`). */
  flags?: readonly string[];
  /** Extra environment for k6 (k6 exposes the process environment to scripts as `__ENV`). */
  env?: Record<string, string>;
  outputs?: K6Outputs;
  cwd?: string;
  /** The k6 executable (default `k6`, found on PATH). */
  k6?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  log: K6Logger;
  exec?: K6Executor;
}

export interface K6RunResult {
  /** The command line as run (program first). */
  command: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** k6 exits 99 when a threshold is crossed: the outputs are complete and the gate judges them itself. */
  thresholdsCrossed: boolean;
  /** True when the run completed its outputs: exit 0 or 99. */
  completed: boolean;
}

/** k6's exit status when a threshold was crossed (the run itself completed). */
export const K6_THRESHOLDS_CROSSED = 99;

export class K6RunError extends Error {
  override name = 'K6RunError';
}

/** The k6 command line for the options: `run`, the user's flags, our output flags, the script. */
export function k6Args(opts: Pick<K6RunOptions, 'script' | 'flags' | 'outputs'>): string[] {
  const args = ['run', ...(opts.flags ?? [])];
  if (opts.outputs?.summaryExport) args.push(`--summary-export=${opts.outputs.summaryExport}`);
  if (opts.outputs?.ndjson) args.push('--out', `json=${opts.outputs.ndjson}`);
  args.push(opts.script);
  return args;
}

export async function runK6(opts: K6RunOptions): Promise<K6RunResult> {
  const k6 = opts.k6 ?? 'k6';
  const args = k6Args(opts);
  const exec = opts.exec ?? spawnExecutor;
  let r: ExecResult;
  try {
    r = await exec(k6, args, {
      env: commandEnv(opts.env ?? {}),
      cwd: opts.cwd,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
      onLine: (line) => opts.log.info(line),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new K6RunError(
      e.code === 'ENOENT' ? `${k6} not found (install k6, or put it on PATH)` : `cannot start ${k6}: ${e.message}`,
    );
  }
  return {
    command: [k6, ...args],
    ...r,
    thresholdsCrossed: r.code === K6_THRESHOLDS_CROSSED,
    completed: !r.timedOut && (r.code === 0 || r.code === K6_THRESHOLDS_CROSSED),
  };
}

/** A command line for the log, each argument quoted the way a shell would need it (display only). */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Why a run did not complete, in one line; undefined when it did. */
export function k6Failure(r: K6RunResult): string | undefined {
  if (r.completed) return undefined;
  if (r.timedOut) return 'k6 did not finish in time and was stopped';
  return `k6 exited with ${r.code ?? r.signal}`;
}

/** Splits a stream into lines for `onLine`; the last partial line is flushed at the end. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) onLine(l.replace(/\r$/, ''));
    },
    end() {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}

/**
 * Wires an executor's stop to its run's limits: `stop` is called when `timeoutMs` passes (then `timedOut()` is
 * true) or `signal` aborts; `dispose` removes both once the run has ended.
 */
export function stopOnLimits(
  opts: Pick<ExecOptions, 'signal' | 'timeoutMs'>,
  stop: () => void,
): { timedOut(): boolean; dispose(): void } {
  let timedOut = false;
  const timer =
    opts.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, opts.timeoutMs)
      : undefined;
  if (opts.signal?.aborted) stop();
  opts.signal?.addEventListener('abort', stop, { once: true });
  return {
    timedOut: () => timedOut,
    dispose: () => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', stop);
    },
  };
}

/** spawn in a process group of its own, so a stop ends k6 and anything it started, tied to this process (lib/tied-child.ts). */
export const spawnExecutor: K6Executor = (file, args, opts) =>
  new Promise((resolve, reject) => {
    // Tied: k6 and what it starts end with this process, however it ends (SIGKILL included).
    const child = spawnTied(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const killGroup = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    // k6 ends gracefully on SIGINT (writes its summary); SIGKILL when it does not within 5 s.
    const stop = (): void => {
      killGroup('SIGINT');
      setTimeout(() => killGroup('SIGKILL'), 5000).unref();
    };
    const out = lineSplitter((l) => opts.onLine(l, 'stdout'));
    const err = lineSplitter((l) => opts.onLine(l, 'stderr'));
    child.stdout?.setEncoding('utf8').on('data', (d: string) => out.push(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => err.push(d));
    const limits = stopOnLimits(opts, stop);
    child.on('error', (e) => {
      limits.dispose();
      reject(e);
    });
    child.on('close', (code, signal) => {
      limits.dispose();
      out.end();
      err.end();
      resolve({ code, signal, timedOut: limits.timedOut() });
    });
  });
