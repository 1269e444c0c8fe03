/**
 * The canary's whole wall time at default settings (embedded `staging`: local deployer, built-in
 * driver, 5 x 10 s) against the sum of its waits in the same run: the analysis window it is
 * configured to spend plus the time the canary took to become ready. The ratio is the overhead of
 * everything else (process starts, warm-up, judging, clean-up).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePlan } from '#lib/canary/plan.js';
import { runCanary } from '#lib/canary/run.js';
import type { BenchLine } from './index.js';

export async function run(): Promise<BenchLine[]> {
  const cwd = mkdtempSync(join(tmpdir(), 'canary-bench-'));
  try {
    const plan = resolvePlan({ environment: 'staging', sha: 'beec0ffee', cwd, driver: 'builtin' });
    const t0 = performance.now();
    const result = await runCanary(
      plan,
      { log: () => undefined, warn: () => undefined, saveState: () => undefined },
      cwd,
    );
    const wallS = (performance.now() - t0) / 1000;
    const readinessS = result.timings_ms.readiness / 1000;
    const waitsS = plan.analysis.window_s + readinessS;
    const ratio = wallS / waitsS;
    const t = result.timings_ms;
    return [
      {
        name: `canary wall time (${plan.analysis.intervals} x ${plan.analysis.interval_s} s, verdict ${result.verdict})`,
        value: wallS,
        unit: 's',
      },
      { name: 'configured waits (analysis window + readiness wait)', value: waitsS, unit: 's' },
      { name: 'overhead ratio wall / waits', value: ratio, unit: 'x', goal: '<= 1.15' },
      { name: 'deploy (start both processes)', value: t.deploy / 1000, unit: 's' },
      { name: 'traffic + judging (incl. warm-up)', value: t.traffic / 1000, unit: 's' },
      { name: 'clean-up', value: t.cleanup / 1000, unit: 's' },
    ];
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
