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

/** Names of environment variables whose values are secrets (a token exported for the deploy command). */
const SECRET_NAME = /TOKEN|SECRET|PASSW(OR)?D|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH/i;
/** `--token=v`, `--token v`, `--password v`, `--api-key=v` ... (also `-p v` is left alone: too ambiguous). */
const SECRET_FLAG =
  /(--?[A-Za-z0-9_-]*(?:token|secret|passw(?:or)?d|api-?key|access-?key|private-?key|credentials?|auth)[A-Za-z0-9_-]*)(=|\s+)("[^"]*"|'[^']*'|\S+)/gi;
/** `GITHUB_TOKEN=v cmd`: an inline assignment of a secret-named variable. */
const SECRET_ASSIGNMENT = /(^|\s)([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/g;
/** `Authorization: Bearer v`, `Basic v`, `token v`. */
const AUTH_HEADER = /(authorization:\s*(?:bearer|basic|token)\s+)("[^"]*"|'[^']*'|[^\s"']+)/gi;
/** `scheme://user:password@host`. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi;

const registered = new Set<string>();

/** A value that must never be shown (an action's token, a Prometheus header value): masked wherever it appears. */
export function registerSecret(value: string): void {
  if (value.length >= 4) registered.add(value);
}

/** The secrets to mask: registered values and the values of secret-named environment variables. */
function knownSecrets(env: NodeJS.ProcessEnv): string[] {
  const fromEnv = Object.entries(env)
    .filter(([k, v]) => SECRET_NAME.test(k) && typeof v === 'string' && v.length >= 4)
    .map(([, v]) => v!);
  // Longest first, so a secret that contains another is masked whole.
  return [...new Set([...registered, ...fromEnv])].sort((a, b) => b.length - a.length);
}

/**
 * A command line as it may be shown (plan, log, report): secret-looking flags, inline secret
 * assignments, auth headers, URL credentials and every known secret value replaced by `***`.
 * The command that runs is never changed.
 */
export function maskCommandLine(command: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = command;
  for (const s of knownSecrets(env)) out = out.split(s).join('***');
  return out
    .replace(SECRET_FLAG, (_m, flag: string, sep: string) => `${flag}${sep}***`)
    .replace(SECRET_ASSIGNMENT, (m, pre: string, name: string) => (SECRET_NAME.test(name) ? `${pre}${name}=***` : m))
    .replace(AUTH_HEADER, (_m, pre: string) => `${pre}***`)
    .replace(URL_CREDENTIALS, '$1***@');
}

/** The plan as it may be printed or stored: its user commands masked (maskCommandLine). */
export function maskPlanCommands<P extends { deployer: { kind: string } }>(plan: P): P {
  const d = plan.deployer as { kind: string; commands?: Record<string, string | null> };
  if (!d.commands) return plan;
  const commands = Object.fromEntries(
    Object.entries(d.commands).map(([k, v]) => [k, v === null ? null : maskCommandLine(v)]),
  );
  return { ...plan, deployer: { ...d, commands } };
}
