/**
 * Cold start of the bundled smoke-gate action on a small k6 summary, as a runner starts it
 * (`node dist/index.js`, fresh process), against `node -e 0` in the same run: the difference is
 * what the bundle itself costs. Runs alternate so that machine noise hits both alike.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { repoFile } from '#lib/load/scenario.js';
import type { BenchLine } from './index.js';

const RUNS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function timed(args: string[], env: Record<string, string>): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${r.status}: ${String(r.stdout)}${String(r.stderr)}`.slice(0, 400));
  return ms;
}

export async function run(): Promise<BenchLine[]> {
  const entry = repoFile('actions/smoke-gate/dist/index.js');
  const root = resolve(dirname(entry), '../../..');
  const results = resolve(root, 'tests/fixtures/k6/pass-summary-export.json');
  const ws = mkdtempSync(join(tmpdir(), 'smoke-gate-bench-'));
  try {
    writeFileSync(join(ws, 'out'), '');
    writeFileSync(join(ws, 'summary'), '');
    const env = {
      PATH: process.env.PATH ?? '',
      GITHUB_WORKSPACE: ws,
      GITHUB_OUTPUT: join(ws, 'out'),
      GITHUB_STEP_SUMMARY: join(ws, 'summary'),
      INPUT_RESULTS: results,
      'INPUT_GITHUB-TOKEN': '',
    };
    timed([entry], env); // warm the file system cache once
    const action: number[] = [];
    const reference: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      reference.push(timed(['-e', '0'], env));
      action.push(timed([entry], env));
    }
    const a = median(action);
    const ref = median(reference);
    return [
      { name: `smoke-gate cold start, median of ${RUNS}`, value: a, unit: 'ms', goal: '< 300' },
      { name: `node -e 0, median of ${RUNS} (reference)`, value: ref, unit: 'ms' },
      { name: 'smoke-gate cold start / node -e 0', value: a / ref, unit: 'x' },
      { name: 'smoke-gate cold start minus node -e 0', value: a - ref, unit: 'ms' },
      { name: 'actions/smoke-gate/dist/index.js size', value: statSync(entry).size / 1024, unit: 'kB' },
    ];
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}
