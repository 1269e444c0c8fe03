/**
 * The baseline rule on real git repositories made here: each of the default rule's three branches
 * (release tag, merge base, first parent), an explicit ref, an A/A pair said plainly, and refs that
 * do not resolve (exit 2, one line, from the CLI).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSides } from '#lib/canary/baseline.js';
import { UnresolvedRefError } from '#lib/git/index.js';
import { expectExit, runNode } from '../support/processes.js';
import { gitIn } from '../support/git.js';
import { cliBuild } from './helpers.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'canary-baseline-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function repo(name: string): { dir: string; git: (...args: string[]) => string; commit: (msg: string) => string } {
  const dir = join(root, name);
  const git = gitIn(dir);
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  let n = 0;
  const commit = (msg: string): string => {
    writeFileSync(join(dir, `f${n++}.txt`), msg);
    git('add', '-A');
    git('commit', '-q', '-m', msg);
    return git('rev-parse', 'HEAD');
  };
  return { dir, git, commit };
}

test('rule 1: the newest release tag (a tag release.json declared) before the sha, never the sha itself, never another tag', () => {
  const r = repo('tags');
  writeFileSync(join(r.dir, 'release.json'), '{ "tag": "v1.0.0" }');
  const c1 = r.commit('one');
  r.git('tag', 'v1.0.0', c1);
  writeFileSync(join(r.dir, 'release.json'), '{ "tag": "v1.1.0" }');
  const c2 = r.commit('two');
  r.git('tag', '-a', 'v1.1.0', '-m', 'release', c2); // annotated: peeled to its commit
  const c3 = r.commit('three');
  r.git('tag', 'not-a-release', c3); // not declared by release.json: ignored
  const c4 = r.commit('four');
  r.git('tag', 'v1.1.0-later-name-but-undeclared', c4);
  const c5 = r.commit('five');
  const s = resolveSides({ cwd: r.dir, sha: c5.slice(0, 8), baselineUrl: null });
  expect(s.mode).toBe('builds');
  expect(s.canary.sha).toBe(c5);
  expect(s.baseline).toMatchObject({ ref: 'v1.1.0', sha: c2, rule: 'release-tag' });
  expect(s.aa).toBe(false);
  // The released commit itself: its baseline is the release before it.
  expect(resolveSides({ cwd: r.dir, sha: c2, baselineUrl: null }).baseline).toMatchObject({ ref: 'v1.0.0', sha: c1 });
});

test('rule 2: without a release tag, the merge base with the default branch', () => {
  const r = repo('mergebase');
  const m1 = r.commit('main one');
  r.git('checkout', '-q', '-b', 'feature');
  const f1 = r.commit('feature one');
  const f2 = r.commit('feature two');
  r.git('checkout', '-q', 'main');
  r.commit('main two');
  const s = resolveSides({ cwd: r.dir, sha: f2, baselineUrl: null });
  expect(s.baseline).toMatchObject({ sha: m1, rule: 'merge-base' });
  expect(s.baseline.sha).not.toBe(f1); // not the first parent
  expect(s.baseline.rule_detail).toContain('main');
});

test('rule 3: a commit on the default branch (its merge base is itself): the first parent', () => {
  const r = repo('parent');
  r.commit('one');
  const c2 = r.commit('two');
  const c3 = r.commit('three');
  const s = resolveSides({ cwd: r.dir, sha: c3, baselineUrl: null });
  expect(s.baseline).toMatchObject({ sha: c2, rule: 'first-parent' });
  expect(s.summary).toContain('each built from its own commit');
});

test('an explicit baseline-ref wins; the same commit on both sides is an A/A run, said plainly', () => {
  const r = repo('explicit');
  const c1 = r.commit('one');
  r.git('tag', 'v9', c1);
  const c2 = r.commit('two');
  expect(resolveSides({ cwd: r.dir, sha: c2, baselineRef: 'v9', baselineUrl: null }).baseline).toMatchObject({
    ref: 'v9',
    sha: c1,
    rule: 'explicit',
  });
  const aa = resolveSides({ cwd: r.dir, sha: c2, baselineRef: 'main', baselineUrl: null });
  expect(aa.aa).toBe(true);
  expect(aa.summary).toMatch(/^A\/A run: .* same commit/);
});

test('refs that do not resolve are typed errors naming them', () => {
  const r = repo('unknown');
  const c1 = r.commit('one');
  expect(() => resolveSides({ cwd: r.dir, sha: 'deadbeef', baselineUrl: null })).toThrow(UnresolvedRefError);
  expect(() => resolveSides({ cwd: r.dir, sha: c1, baselineRef: 'no-such-tag', baselineUrl: null })).toThrow(
    'baseline-ref "no-such-tag" does not resolve to a commit',
  );
});

test('the CLI: an unknown sha and an unknown baseline ref each exit 2 with one line', async () => {
  const r = repo('cli');
  const c1 = r.commit('one');
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const [args, what] of [
    [['staging', 'deadbeef'], 'sha "deadbeef"'],
    [['staging', c1, '--baseline-ref', 'v0-nope'], 'baseline-ref "v0-nope"'],
  ] as const) {
    const res = await runNode(cliBuild, [...args], env, r.dir).done;
    expectExit(res, 2);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${what} does not resolve to a commit`);
  }
  expect(r.git('worktree', 'list').split('\n')).toHaveLength(1);
});
