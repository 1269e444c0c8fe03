/**
 * Starts and stops the hotel service as a child process (smoke CLI, canary local deployer, tests, bench),
 * tied to this process (lib/tied-child.ts): it ends when this process ends, even by SIGKILL.
 * Contract: docs/ARCHITECTURE.md, "Service process contract".
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { commandEnv } from './child-env.js';
import { spawnTied, stopChild } from './tied-child.js';

export interface ServiceHandle {
  url: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL after `timeoutMs` (default 10 s); resolves the exit code (null when killed by a signal). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** The child's most recent output lines (stdout and stderr, up to 500), for diagnostics and tests. */
  output(): string[];
  /** Resolves when the child exits, with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export interface StartOptions {
  /** Service environment on top of this process's; `PORT` here fixes the port (default 0: the OS picks). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  waitReady?: boolean;
  /** Repository root holding build/service/src/main.js (default: found from this file). */
  cwd?: string;
  /** The entry script (default `<cwd>/build/service/src/main.js`): a canary side's build of its own commit. */
  entry?: string;
  /** Node flags before the entry point (e.g. `--cpu-prof`, or `--import` of a probe in the tests). */
  nodeArgs?: string[];
}

export class ServiceStartError extends Error {
  override name = 'ServiceStartError';
  /** pid of the child that failed (already killed) when it was spawned. */
  pid?: number;
}

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'service'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
}

/**
 * A service's environment: ours without the action's inputs and runner tokens (lib/child-env.ts)
 * and without NODE_OPTIONS (a test runner's flags are not the service's), HOST 127.0.0.1, PORT 0
 * (the OS picks) unless `extra` asks for a port: an inherited PORT never leaks in. No pre-stop delay
 * (SHUTDOWN_DELAY_MS 0) unless `extra` sets one: no load balancer stands in front of a local process.
 */
export function serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(commandEnv({}))) if (v !== undefined && k !== 'NODE_OPTIONS') env[k] = v;
  return Object.assign(env, { HOST: '127.0.0.1', PORT: '0', SHUTDOWN_DELAY_MS: '0' }, extra);
}

export async function startService(opts: StartOptions = {}): Promise<ServiceHandle> {
  const cwd = opts.cwd ?? findRepoRoot();
  const entry = opts.entry ?? join(cwd, 'build', 'service', 'src', 'main.js');
  if (!existsSync(entry)) throw new ServiceStartError(`${entry} not found: run "npm run build" first`);
  const env = serviceEnv(opts.env);

  const child = spawnTied(process.execPath, [...(opts.nodeArgs ?? []), entry], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 500) lines.shift();
  };
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));

  const listening = new Promise<number>((res, rej) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      keep(line);
      if (!line.includes('"listening"')) return;
      try {
        const j = JSON.parse(line) as { msg?: string; port?: number };
        if (j.msg === 'listening' && typeof j.port === 'number') res(j.port);
      } catch {
        /* not a log line */
      }
    });
    createInterface({ input: child.stderr! }).on('line', keep);
    child.once('error', (err) => rej(new ServiceStartError(`cannot start the service: ${err.message}`)));
    void exited.then((code) =>
      rej(new ServiceStartError(`service exited (code ${code}) before listening: ${lines.slice(-3).join(' | ')}`)),
    );
  });

  const readyTimeoutMs = opts.readyTimeoutMs ?? 20000;
  const deadline = Date.now() + readyTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(
      () => rej(new ServiceStartError(`service not ready within ${readyTimeoutMs} ms: ${lines.slice(-3).join(' | ')}`)),
      readyTimeoutMs,
    );
  });

  const stop = (timeoutMs = 10000): Promise<number | null> => stopChild(child, timeoutMs);

  try {
    const port = await Promise.race([listening, timeout]);
    const url = `http://127.0.0.1:${port}`;
    if (opts.waitReady !== false) {
      await Promise.race([waitReady(url, deadline, exited), timeout]);
    }
    return { url, port, pid: child.pid!, stop, output: () => [...lines], exited };
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    if (err instanceof ServiceStartError && child.pid !== undefined) err.pid = child.pid;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function waitReady(url: string, deadline: number, exited: Promise<number | null>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() < deadline && !gone) {
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not accepting yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (gone) throw new ServiceStartError('service exited while waiting for readiness');
  // The caller's timeout rejects with the diagnostic message.
  await new Promise(() => undefined);
}
