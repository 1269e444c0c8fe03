/**
 * Inputs for the dashboard tests, made the way the product makes them: a real git repository with
 * commits (some with hostile subjects) and release tags (annotated and lightweight, one on a
 * commit with no recorded run), a smoke history of those commits, and canary reports built by the
 * canary's own report builder from simulated traffic.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  buildCanaryReport,
  decideOutcome,
  DEFAULT_JUDGE_SETTINGS,
  judge,
  type CanaryReport,
} from '#core/canary/index.js';
import type { HistoryEntry, HistoryFile } from '#core/gate/history.js';
import { testPlan } from '../canary/plan-fixture.js';
import { createRng } from '#core/stats/rng.js';
import { REALISTIC, simulateIntervals, type TrackShape } from '../stats/simulate.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const dashboardCli = join(repoRoot, 'build/cli/dashboard.js');

/** Subjects a commit author controls: markup, a script end tag, quotes, an ampersand. */
export const HOSTILE_SUBJECT = 'Speed up replies <img src=x onerror="window.__pwned=1">';
export const SCRIPT_SUBJECT = `Fix </script><script>window.__pwned=2</script> & "quotes" 'too'`;
export const HOSTILE_REF = 'refs/heads/<b onmouseover="window.__pwned=3">main</b>';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  }).trim();

export interface TestRepo {
  dir: string;
  /** Full SHAs of the commits, oldest first, and their subjects. */
  commits: { sha: string; subject: string }[];
}

/**
 * `n` commits (n >= 4): the second has HOSTILE_SUBJECT, the third SCRIPT_SUBJECT. Tags: v0.9.0
 * (annotated) on the first, v1.0.0 (annotated) on the second, v1.1.0 (lightweight) on the fourth.
 */
export function makeRepo(dir: string, n = 4): TestRepo {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  const commits: TestRepo['commits'] = [];
  for (let i = 0; i < n; i++) {
    const subject = i === 1 ? HOSTILE_SUBJECT : i === 2 ? SCRIPT_SUBJECT : `Change number ${i + 1}`;
    writeFileSync(join(dir, 'file.txt'), `${i}\n`);
    git(dir, 'add', 'file.txt');
    git(dir, 'commit', '-q', '-m', subject, '-m', 'Body text that is not shown.');
    commits.push({ sha: git(dir, 'rev-parse', 'HEAD'), subject });
  }
  git(dir, 'tag', '-a', 'v0.9.0', '-m', 'old release', commits[0]!.sha);
  git(dir, 'tag', '-a', 'v1.0.0', '-m', 'release', commits[1]!.sha);
  git(dir, 'tag', 'v1.1.0', commits[3]!.sha);
  return { dir, commits };
}

/** A smoke history entry with a plausible p95 and error rate for run i. */
export function entry(sha: string, i: number, over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    sha,
    ref: 'refs/heads/main',
    time: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(),
    p95_ms: Math.round((180 + 40 * Math.sin(i / 5) + (i % 11 === 0 ? 200 : 0)) * 10) / 10,
    error_rate: i % 13 === 0 ? 0.015 : 0.002,
    requests: 2000,
    verdict: i % 11 === 0 ? 'fail' : 'pass',
    ...over,
  };
}

export function writeHistory(path: string, entries: HistoryEntry[]): HistoryFile {
  const h: HistoryFile = { version: 1, max_entries: Math.max(100, entries.length), entries };
  writeFileSync(path, `${JSON.stringify(h, null, 2)}\n`);
  return h;
}

/** A canary report from the canary's own builder, judged on simulated traffic (written as JSON). */
export function writeCanaryReport(
  path: string,
  opts: { environment: string; sha: string; canary: TrackShape; generatedAt: string; seed: number },
): CanaryReport {
  const settings = { ...DEFAULT_JUDGE_SETTINGS, intervals: 3 };
  const intervals = simulateIntervals(createRng(opts.seed), 3, 200, REALISTIC, opts.canary);
  const j = judge(intervals, settings, opts.seed);
  const report = buildCanaryReport({
    environment: opts.environment,
    sha: opts.sha,
    source: 'synthetic',
    plan: testPlan(opts.environment, opts.sha, settings),
    settings,
    seed: opts.seed,
    intervals,
    outcome: { action: decideOutcome(j.verdict, settings) },
    generatedAt: new Date(opts.generatedAt),
  });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

export const HEALTHY = REALISTIC;
export const SLOW: TrackShape = { ...REALISTIC, medianMs: 80 };

/** Runs the built CLI (`npm run build` first, as the test command does). */
export function runDashboard(args: string[], cwd = repoRoot) {
  const r = spawnSync(process.execPath, [dashboardCli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
