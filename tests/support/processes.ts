/** Child processes run the way a user or a runner runs them, with their whole output collected. */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { spawnTied } from '#lib/tied-child.js';

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function collect(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
}

/** Resolves once the child's stderr so far matches `pattern`; rejects, with its output, when it ends first. */
export function stderrMatches(child: ChildProcess, done: Promise<Finished>, pattern: RegExp): Promise<void> {
  return new Promise<void>((res, rej) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer | string) => {
      err += d.toString();
      if (pattern.test(err)) res();
    });
    void done.then((r) => rej(new Error(`process ended early (${r.code}): ${r.stderr}`)));
  });
}

/** `node script args…` with exactly this environment (nothing inherited), ended with the test process whatever happens. */
export function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawnTied(process.execPath, [script, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, done: collect(child) };
}

/** The exit status (and signal), with the process's whole output in the failure message when it differs. */
export function expectExit(r: Finished, code: number | null, signal: NodeJS.Signals | null = null): void {
  if (r.code !== code || r.signal !== signal) {
    throw new Error(
      `exit ${r.code}/${r.signal}, expected ${code}/${signal}; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
  }
}

/**
 * The process runs: it exists and is not a zombie (a zombie has ended; it only waits for its parent,
 * or pid 1 once orphaned, to reap it, which a container's init may do late). Linux /proc.
 */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves whether every one of `pids` stopped running within `timeoutMs`. */
export async function allEnd(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(running)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
