/**
 * The canary judges two commits, each from its own build: a repository CLONED from this project
 * (never the working tree), commit A; B adds a real 30 ms delay to the message handler in code; C
 * only changes a comment. B against A rolls back, C against A promotes, both reports name both
 * full shas, and the second run reuses A's build from the cache. No worktree or temporary build
 * folder survives a success, a failed build, SIGINT or SIGTERM.
 */
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CanaryReport } from '#core/canary/index.js';
import { expectExit, runNode, type Finished } from '../support/processes.js';
import { gitIn } from '../support/git.js';
import { cliBuild, repoRoot } from './helpers.js';

jest.setTimeout(15 * 60_000);

let dir: string;
let A: string;
let B: string;
let C: string;

// dir is set in beforeAll: look it up at each call.
const git = (...args: string[]): string => gitIn(dir)(...args);

const HANDLER = 'service/src/routes/messages.ts';

/** Edits one file from A on a new branch and commits it. */
function commitFromA(branch: string, edit: (text: string) => string, message: string): string {
  git('checkout', '-q', '-b', branch, A);
  const file = join(dir, HANDLER);
  const before = readFileSync(file, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  writeFileSync(file, after);
  git('commit', '-q', '-am', message);
  return git('rev-parse', 'HEAD');
}

beforeAll(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'canary-builds-')), 'repo');
  execFileSync('git', ['clone', '-q', repoRoot, dir]);
  // The clone's checkout shares this project's lockfile, so its node_modules is ours (as a user's would be installed).
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  A = git('rev-parse', 'HEAD');
  B = commitFromA(
    'slow',
    (t) =>
      t.replace(
        'const answer = (req: Request, res: Response, next: NextFunction): void => {',
        'const answer = (req: Request, res: Response, next: NextFunction): void =>\n' +
          '    void setTimeout(() => answerNow(req, res, next), 30);\n' +
          '  const answerNow = (req: Request, res: Response, next: NextFunction): void => {',
      ),
    'messages: 30 ms slower',
  );
  C = commitFromA('comment', (t) => t.replace('/** The JSON API', '/** The JSON API (comment only)'), 'comment only');
  git('checkout', '-q', 'comment');
});

afterAll(() => {
  if (dir) rmSync(join(dir, '..'), { recursive: true, force: true });
});

const env = { PATH: process.env.PATH, HOME: process.env.HOME };
// Short but judgeable: 3 intervals of 2 s at 60 requests/s per side, after 300 warm-up requests.
const SHORT = [
  '--intervals',
  '3',
  '--interval-seconds',
  '2',
  '--rate',
  '60',
  '--warmup-requests',
  '300',
  '--driver',
  'builtin',
];

const cacheDir = (): string => join(dir, '.cache', 'canary-builds');
function expectNothingLeft(): void {
  expect(git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
  const left = existsSync(cacheDir()) ? readdirSync(cacheDir()).filter((n) => n.startsWith('.tmp-')) : [];
  expect(left).toEqual([]);
}

const reportOf = (r: Finished): CanaryReport => {
  const path = /^report-path=(.+)$/m.exec(r.stdout)?.[1];
  expect(path).toBeDefined();
  return JSON.parse(readFileSync(path!, 'utf8')) as CanaryReport;
};

test('B (30 ms slower in code) against A rolls back; the report names both full shas and what each process reported', async () => {
  const r = await runNode(cliBuild, ['staging', B, '--baseline-ref', A, ...SHORT], env, dir).done;
  expectExit(r, 1);
  const report = reportOf(r);
  expect(report.verdict).toBe('fail');
  expect(report.outcome.action).toBe('rollback');
  expect(report.sides).toMatchObject({
    mode: 'builds',
    aa: false,
    baseline_rule: 'explicit',
    baseline: { sha: A, expected_commit: A, matches: true, reported: { commit: A, track: 'stable' } },
    canary: { sha: B, expected_commit: B, matches: true, reported: { commit: B, track: 'canary' } },
  });
  expect(report.preconditions?.find((p) => p.step === 'identity')?.ok).toBe(true);
  expectNothingLeft();
  expect(existsSync(join(cacheDir(), A, '.canary-build.json'))).toBe(true);
  expect(existsSync(join(cacheDir(), B, '.canary-build.json'))).toBe(true);
});

test('C (a comment only) against A promotes, with A from the cache', async () => {
  const r = await runNode(cliBuild, ['staging', C, '--baseline-ref', A, ...SHORT], env, dir).done;
  expectExit(r, 0);
  expect(r.stdout).toContain(`build ${A.slice(0, 12)}: from the cache`);
  const report = reportOf(r);
  expect(report.verdict).toBe('pass');
  expect(report.outcome.action).toBe('promote');
  expect(report.sides?.baseline.sha).toBe(A);
  expect(report.sides?.canary.sha).toBe(C);
  expectNothingLeft();
});

test('a commit whose build fails: the deploy precondition fails, nothing is left behind', async () => {
  const broken = commitFromA('broken', (t) => `${t}\nconst broken: number = 'not a number';\n`, 'does not compile');
  const r = await runNode(cliBuild, ['staging', broken, '--baseline-ref', A, ...SHORT], env, dir).done;
  expectExit(r, 1);
  const report = reportOf(r);
  expect(report.preconditions?.[0]).toMatchObject({ step: 'deploy', ok: false });
  expect(report.preconditions?.[0]?.reason).toContain('npm run build');
  expectNothingLeft();
  expect(existsSync(join(cacheDir(), broken))).toBe(false);
});

test.each([
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const)('%s during a build: exit %i, no worktree or temporary folder left', async (sig, code) => {
  const fresh = commitFromA(`signal-${sig}`, (t) => t.replace('/** The JSON API', `/** The JSON API (${sig})`), sig);
  const { child, done } = runNode(cliBuild, ['staging', fresh, '--baseline-ref', A, ...SHORT], env, dir);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`no build started:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`build ${fresh.slice(0, 12)}: git worktree at`)) {
        clearTimeout(t);
        // Let git create the worktree and npm start.
        setTimeout(resolve, 1500);
      }
    });
  });
  child.kill(sig);
  const r = await done;
  expectExit(r, code);
  expectNothingLeft();
  expect(existsSync(join(cacheDir(), fresh))).toBe(false);
});
