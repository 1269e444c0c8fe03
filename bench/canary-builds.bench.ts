/**
 * Time to a ready pair of canary builds (baseline and canary, each from its own commit, in its own
 * worktree; lib/canary/builds.ts), cold (empty build cache) and warm (the same pair again), each as
 * a ratio to one `npm run build` of the checkout in the same run. On a clone of this project, with
 * the canary commit one comment away from the baseline.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gitIn } from '../tests/support/git.js';
import { fileURLToPath } from 'node:url';
import { ensureBuild } from '#lib/canary/builds.js';
import { runCommand } from '#lib/canary/shell.js';
import type { BenchLine } from './index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function run(): Promise<BenchLine[]> {
  const top = mkdtempSync(join(tmpdir(), 'canary-builds-bench-'));
  const dir = join(top, 'repo');
  const git = gitIn(dir);
  try {
    execFileSync('git', ['clone', '-q', repoRoot, dir]);
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const a = git('rev-parse', 'HEAD');
    const file = join(dir, 'service/src/routes/messages.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n// bench\n`);
    git('commit', '-q', '-am', 'bench: a comment');
    const b = git('rev-parse', 'HEAD');

    let t0 = performance.now();
    const r = await runCommand('npm run build --silent', { env: {}, timeoutMs: 15 * 60_000, cwd: dir });
    if (r.code !== 0) throw new Error(`npm run build failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    const refS = (performance.now() - t0) / 1000;

    const pair = async (): Promise<number> => {
      t0 = performance.now();
      await ensureBuild(dir, a, () => undefined);
      await ensureBuild(dir, b, () => undefined);
      return (performance.now() - t0) / 1000;
    };
    const coldS = await pair();
    const warmS = await pair();
    return [
      { name: 'one npm run build of the checkout (reference)', value: refS, unit: 's' },
      { name: 'cold: both sides built (worktrees, linked node_modules)', value: coldS, unit: 's' },
      { name: 'cold / reference', value: coldS / refS, unit: 'x', goal: '<= 2.5' },
      { name: 'warm: the same pair from the build cache', value: warmS, unit: 's' },
      { name: 'warm / reference', value: warmS / refS, unit: 'x', goal: '<= 0.05' },
    ];
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
}
