/**
 * Child processes tied to this one: they end when this process ends, however it ends, including
 * SIGKILL, when no handler of ours runs. For any program, cooperative or not (a service build of an
 * older commit, k6, Prometheus), since nothing is asked of the child.
 *
 * How: the child runs in a process group of its own (`detached`), and beside it a tiny watchdog (a
 * Node process) holds an IPC channel to this process. The kernel closes that channel when this process
 * dies; the watchdog then sends SIGTERM to the child's group and, after a grace period, SIGKILL, so
 * grandchildren go too. The watchdog leaves by itself once the group is gone. While this process lives,
 * its exit and its SIGINT/SIGTERM also end every tied child at once.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface TiedOptions extends Omit<SpawnOptions, 'detached'> {
  /** Between SIGTERM and SIGKILL to the child's group once this process is gone (default 500 ms). */
  graceMs?: number;
}

/**
 * The watchdog, run with `node -e` (no file to find: this module is also bundled by ncc and run from
 * TypeScript sources by the tests). argv: the child's pid (= its process group), the grace in ms.
 */
const WATCHDOG = `
const [pgid, graceMs] = process.argv.slice(1).map(Number);
const signal = (s) => { try { process.kill(-pgid, s); return true; } catch { return false; } };
// Terminal and group signals are for the parent to act on; the watchdog acts on the channel only.
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
process.on('disconnect', () => {
  if (!signal('SIGTERM')) process.exit(0);
  const until = Date.now() + graceMs;
  const poll = setInterval(() => {
    if (!signal(0)) process.exit(0);
    if (Date.now() >= until) { signal('SIGKILL'); process.exit(0); }
  }, 50);
});
// Nothing left to guard once the group is gone (the parent stopped it the ordinary way).
setInterval(() => { if (!signal(0)) process.exit(0); }, 500).unref();
`;

const tied = new Set<ChildProcess>();
let hooksInstalled = false;

/** Kills every still-running tied child when this process exits or is interrupted. */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const c of tied) c.kill('SIGKILL');
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const handler = () => {
      for (const c of tied) c.kill('SIGKILL');
      // Only re-raise when nobody else handles the signal; otherwise the default (exit) was already replaced on purpose.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, handler);
  }
}

/** `spawn(command, args, options)` for a child that must not outlive this process. */
export function spawnTied(command: string, args: readonly string[], options: TiedOptions = {}): ChildProcess {
  const { graceMs = 500, ...spawnOptions } = options;
  installExitHooks();
  const child = spawn(command, args, { ...spawnOptions, detached: true });
  if (child.pid === undefined) return child; // spawn failed: 'error' follows, nothing to guard
  tied.add(child);
  const watchdog = spawn(process.execPath, ['-e', WATCHDOG, String(child.pid), String(graceMs)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: {},
  });
  // The watchdog must not keep this process alive, nor the channel hold its event loop open.
  watchdog.unref();
  watchdog.channel?.unref();
  watchdog.on('error', () => undefined);
  child.once('exit', () => tied.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves the exit code (null when ended by a signal). */
export async function stopChild(child: ChildProcess, timeoutMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(killer);
  return code;
}

/** True while a process with this pid exists (signal 0 sends nothing; EPERM: it exists but is not ours). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
