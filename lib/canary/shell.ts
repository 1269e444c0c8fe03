/**
 * Runs a user's shell command (deploy, promote, rollback, cleanup) in its own process group, so a
 * timeout, an abort or our own SIGTERM can end the command together with everything it started.
 */
import { spawn } from 'node:child_process';
import { commandEnv } from '../child-env.js';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Process groups still running; the signal handlers of the orchestration kill them on SIGTERM/SIGINT. */
const liveGroups = new Set<number>();

export function killLiveCommands(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      /* already gone */
    }
  }
}

const MAX_CAPTURE = 1 << 20;

export function runCommand(
  command: string,
  opts: {
    env: Record<string, string>;
    timeoutMs: number;
    cwd?: string;
    signal?: AbortSignal;
    onLine?: (line: string) => void;
  },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd: opts.cwd,
      env: commandEnv(opts.env),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const pgid = child.pid;
    if (pgid !== undefined) liveGroups.add(pgid);
    const killGroup = (sig: NodeJS.Signals): void => {
      if (pgid === undefined) return;
      try {
        process.kill(-pgid, sig);
      } catch {
        /* already gone */
      }
    };
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_CAPTURE) stdout += d;
      if (opts.onLine) {
        pending += d;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) opts.onLine(l);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_CAPTURE) stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 2000).unref();
    }, opts.timeoutMs);
    const onAbort = (): void => killGroup('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      if (pgid !== undefined) liveGroups.delete(pgid);
      reject(err);
    });
    // A deploy script may leave a background process holding our stdout: 'close' would then wait for
    // it forever, so the shell's own exit settles the result shortly after.
    let settled = false;
    const finish = (code: number | null, sig: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (pgid !== undefined) liveGroups.delete(pgid);
      if (opts.onLine && pending) opts.onLine(pending);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ code, signal: sig, stdout, stderr, timedOut });
    };
    child.on('close', finish);
    child.on('exit', (code, sig) => setTimeout(() => finish(code, sig), 200));
  });
}

/** Last non-empty line of a command's stderr, for a one-line error message. */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
