/** Runs the compiled `npm run smoke` CLI (build/cli/smoke.js) as a user would, with a time limit. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as K6 from '#core/k6/index.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const k6Fixtures = join(repoRoot, 'tests/fixtures/k6');
const cli = join(repoRoot, 'build/cli/smoke.js');

/** The k6 readers as compiled (build/): worker threads run compiled JavaScript only, so threaded reads are tested on these. */
export async function importBuiltK6(): Promise<typeof K6> {
  const built = join(repoRoot, 'build/core/src/k6/index.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first`);
  return (await import(pathToFileURL(built).href)) as typeof K6;
}

export interface SmokeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether the time limit ran out (the process was then killed). */
  hung: boolean;
}

export function runSmoke(args: string[], cwd: string, limitMs = 15_000): Promise<SmokeRun> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let hung = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, limitMs);
  return new Promise((r) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      r({ code, signal, stdout, stderr, hung });
    }),
  );
}
