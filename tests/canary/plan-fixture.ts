/**
 * A real canary plan for tests that build reports by hand: resolved by the plan resolver itself
 * (embedded defaults, the repository's budget, the built-in driver), so it has the shape every
 * report's `plan` has.
 */
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CanaryPlan, JudgeSettings } from '#core/canary/index.js';
import { resolvePlan } from '#lib/canary/plan.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function testPlan(environment = 'staging', sha = 'abc1234', judge?: JudgeSettings): CanaryPlan {
  // Resolved outside any git repository: the made-up sha needs no commit (sides mode `checkout`).
  const plan = resolvePlan({
    environment,
    sha,
    cwd: tmpdir(),
    budgetPath: resolve(repoRoot, 'k6/budget.json'),
    driver: 'builtin',
  });
  return judge ? { ...plan, judge, analysis: { ...plan.analysis, intervals: judge.intervals } } : plan;
}
