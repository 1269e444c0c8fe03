/**
 * What the dashboard reads from a git repository: the release tags (release-tag creates each one
 * on the exact commit that passed the smoke gate; `release.json` only names the NEXT tag, so it
 * cannot say which commit carries an existing one) and the subject line of each recorded commit.
 */
import type { ReleaseTag } from '#core/dashboard/data.js';
import { GitError, git as runGit } from '../git/index.js';

export class GitReadError extends Error {
  override name = 'GitReadError';
}

function git(repo: string, args: string[], input?: string): string {
  try {
    return runGit(repo, args, input);
  } catch (err) {
    if (err instanceof GitError) throw new GitReadError(`cannot read git repository ${repo}: ${err.reason}`);
    throw err;
  }
}

/** Every tag that points (directly or through an annotated tag object) at a commit. */
export function readReleaseTags(repo: string): ReleaseTag[] {
  const out = git(repo, [
    'for-each-ref',
    'refs/tags',
    '--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)',
  ]);
  const tags: ReleaseTag[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [tag, type, sha, peeledType, peeled] = line.split('\0') as [string, string, string, string, string];
    if (type === 'commit') tags.push({ tag, sha });
    else if (type === 'tag' && peeledType === 'commit') tags.push({ tag, sha: peeled });
  }
  return tags;
}

/**
 * Subject lines of the given commits, by full lowercase SHA. Commits the repository does not have
 * (a shallow clone, history of another repository) are left out rather than failing the page.
 */
export function readCommitSubjects(repo: string, shas: readonly string[]): Map<string, string> {
  const subjects = new Map<string, string>();
  const wanted = [...new Set(shas.map((s) => s.toLowerCase()))];
  if (wanted.length === 0) return subjects;
  const found = git(repo, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], `${wanted.join('\n')}\n`)
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([, type]) => type === 'commit')
    .map(([sha]) => sha!);
  if (found.length === 0) return subjects;
  const log = git(repo, ['log', '--no-walk=unsorted', '--stdin', '--format=%H%x00%s'], `${found.join('\n')}\n`);
  for (const line of log.split('\n')) {
    const cut = line.indexOf('\0');
    if (cut > 0) subjects.set(line.slice(0, cut).toLowerCase(), line.slice(cut + 1));
  }
  return subjects;
}
