/** Child processes run the way a user or a runner runs them, with their whole output collected. */
import { spawn, type ChildProcess } from 'node:child_process';

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

/** `node script args…` with exactly this environment (nothing inherited). */
export function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [script, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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
