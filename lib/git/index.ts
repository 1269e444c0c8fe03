/**
 * Small questions to `git` for the canary's builds (execFile, never a shell): resolve a ref to a
 * full commit, merge base, first parent, tags, the default branch, worktrees, a dirty tree. Every
 * failure is a GitError; a ref that does not resolve is an UnresolvedRefError naming it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export class GitError extends Error {
  override name = 'GitError';
  constructor(
    message: string,
    /** The first line of what git said (or that it is missing), for callers that phrase their own message. */
    readonly reason = message,
  ) {
    super(message);
  }
}

/** A ref (sha, tag, branch) that names no commit in the repository. */
export class UnresolvedRefError extends GitError {
  override name = 'UnresolvedRefError';
  constructor(
    readonly what: string,
    readonly ref: string,
    readonly repo: string,
  ) {
    super(`${what} ${JSON.stringify(ref)} does not resolve to a commit in ${repo}`);
  }
}

/** Not inside a git work tree (or git is not installed). */
export class NotARepositoryError extends GitError {
  override name = 'NotARepositoryError';
}

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { stderr?: string | Buffer };
  if (e.code === 'ENOENT') return 'git is not on PATH';
  return (String(e.stderr ?? '') || e.message).trim().split('\n')[0] ?? 'git failed';
}

const MAX_BUFFER = 256 * 1024 * 1024;

/** Runs `git -C repo ...args` (with `input` on its stdin) and returns stdout without the trailing newline. */
export function git(repo: string, args: string[], input?: string): string {
  try {
    return execFileSync('git', ['-C', repo, ...args], {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: MAX_BUFFER,
    }).replace(/\n$/, '');
  } catch (err) {
    const reason = why(err);
    throw new GitError(`git ${args[0]} in ${repo}: ${reason}`, reason);
  }
}

/** `git` for a question whose failure is an answer (no such ref, no merge base): stdout, or null. */
function gitOrNull(repo: string, args: string[]): string | null {
  try {
    return execFileSync('git', ['-C', repo, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: MAX_BUFFER,
    });
  } catch {
    return null;
  }
}

/** The async form, for the slow commands (worktree add on a big tree). */
export function gitAsync(repo: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['-C', repo, ...args], { encoding: 'utf8', maxBuffer: MAX_BUFFER }, (err, stdout, stderr) => {
      if (err) reject(new GitError(`git ${args[0]} in ${repo}: ${why({ ...err, stderr })}`));
      else resolve(stdout.replace(/\n$/, ''));
    });
  });
}

/** Whether `git` answers `true` (exit 0) or `false` (exit 1); anything else throws. */
function gitTest(repo: string, args: string[]): boolean {
  try {
    execFileSync('git', ['-C', repo, ...args], { stdio: 'ignore' });
    return true;
  } catch (err) {
    if ((err as { status?: number }).status === 1) return false;
    throw new GitError(`git ${args[0]} in ${repo}: ${why(err)}`);
  }
}

/** Whether `dir` or a folder above it holds `.git`: asked of the file system, without starting git. */
function insideGit(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return true;
    if (dirname(d) === d) return false;
  }
}

/**
 * The top folder of the work tree holding `dir`; NotARepositoryError when there is none (decided
 * without starting a process when no `.git` is above it: a dry run outside git starts nothing).
 */
export function repoRoot(dir: string): string {
  if (!insideGit(dir)) throw new NotARepositoryError(`${dir} is not inside a git work tree`);
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--show-toplevel'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (err) {
    throw new NotARepositoryError(`${dir} is not inside a git work tree (${why(err)})`);
  }
}

/** Full lower-case sha of the commit `ref` names (short shas, tags, branches); `what` names it in the error. */
export function resolveCommit(repo: string, ref: string, what = 'ref'): string {
  // `--end-of-options` keeps a ref starting with "-" from being read as an option.
  const sha =
    ref.trim() === ''
      ? null
      : gitOrNull(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  if (sha === null) throw new UnresolvedRefError(what, ref, repo);
  return sha.trim().toLowerCase();
}

/** The merge base of two commits, or null when they share no history. */
export function mergeBase(repo: string, a: string, b: string): string | null {
  return gitOrNull(repo, ['merge-base', a, b])?.trim() ?? null;
}

/** The first parent of a commit, or null for a root commit. */
export function firstParent(repo: string, sha: string): string | null {
  try {
    return resolveCommit(repo, `${sha}^1`);
  } catch (err) {
    if (err instanceof UnresolvedRefError) return null;
    throw err;
  }
}

export function isAncestor(repo: string, ancestor: string, of: string): boolean {
  return gitTest(repo, ['merge-base', '--is-ancestor', ancestor, of]);
}

/** Tags on commits reachable from `sha` (itself included): name and the commit each points at. */
export function tagsMergedInto(repo: string, sha: string): Array<{ tag: string; sha: string }> {
  const out = git(repo, ['tag', '--merged', sha, '--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [tag, object, peeled] = line.split('\0') as [string, string, string];
      return { tag, sha: (peeled || object).toLowerCase() };
    });
}

/** Number of commits reachable from `sha`: the larger, the newer along one line of history. */
export function commitDepth(repo: string, sha: string): number {
  return Number(git(repo, ['rev-list', '--count', sha]));
}

/** Commits reachable from `sha` that changed `path`, newest first (at most `max`). */
export function commitsTouching(repo: string, sha: string, path: string, max = 500): string[] {
  return git(repo, ['log', `--max-count=${max}`, '--format=%H', sha, '--', path])
    .split('\n')
    .filter(Boolean);
}

/** A file's text at a commit, or undefined when the commit has no such file. */
export function fileAt(repo: string, sha: string, path: string): string | undefined {
  return gitOrNull(repo, ['show', `${sha}:${path}`]) ?? undefined;
}

/**
 * The default branch: the remote's HEAD (`origin/HEAD`) when known, else a local `main` or
 * `master`; null when none of them exists.
 */
export function defaultBranch(repo: string): string | null {
  const remoteHead = gitOrNull(repo, ['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD'])?.trim();
  if (remoteHead) return remoteHead.replace(/^refs\/remotes\//, '');
  // No remote HEAD: the usual names.
  const names = ['main', 'master', 'origin/main', 'origin/master'];
  return (
    names.find((name) => gitOrNull(repo, ['rev-parse', '--verify', '--quiet', `${name}^{commit}`]) !== null) ?? null
  );
}

/** Uncommitted changes to tracked files (untracked files are not part of any build). */
export function isDirty(repo: string): boolean {
  return git(repo, ['status', '--porcelain', '--untracked-files=no']).trim() !== '';
}

/** A detached worktree of `sha` at `dir` (which must not exist). */
export async function addWorktree(repo: string, dir: string, sha: string): Promise<void> {
  await gitAsync(repo, ['worktree', 'add', '--detach', '--quiet', dir, sha]);
}

/** Removes a worktree (and its folder) whatever state it is in, then forgets stale entries. */
export async function removeWorktree(repo: string, dir: string): Promise<void> {
  try {
    await gitAsync(repo, ['worktree', 'remove', '--force', '--force', dir]);
  } finally {
    await gitAsync(repo, ['worktree', 'prune']).catch(() => undefined);
  }
}

/** Forgets worktrees whose folders are gone. */
export function pruneWorktrees(repo: string): void {
  git(repo, ['worktree', 'prune']);
}

/** The folders of the repository's worktrees (the main one first). */
export function listWorktrees(repo: string): string[] {
  return git(repo, ['worktree', 'list', '--porcelain'])
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));
}
