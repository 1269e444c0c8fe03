/**
 * Ancestry of a pull request's merge base, newest first, so the gate can compare against the
 * nearest commit of the base branch that has a recorded result (not merely the latest one).
 */
import type { GitHubClient } from './client.js';

/** The merge base of `base` and `head` followed by its ancestors (up to `limit` commits, merge base first). */
export async function mergeBaseAncestry(
  gh: GitHubClient,
  opts: { base: string; head: string; limit?: number },
): Promise<string[]> {
  const repo = { owner: gh.owner, repo: gh.repo };
  const { data: cmp } = await gh.octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', {
    ...repo,
    basehead: `${opts.base}...${opts.head}`,
    per_page: 1,
  });
  const mergeBase = cmp.merge_base_commit.sha;
  const { data: commits } = await gh.octokit.request('GET /repos/{owner}/{repo}/commits', {
    ...repo,
    sha: mergeBase,
    per_page: Math.min(100, opts.limit ?? 100),
  });
  const shas = commits.map((c) => c.sha);
  return shas[0] === mergeBase ? shas : [mergeBase, ...shas.filter((s) => s !== mergeBase)];
}

/** Ancestors of `sha`, nearest first, excluding `sha` itself (up to `limit`). */
export async function commitAncestors(gh: GitHubClient, sha: string, limit = 100): Promise<string[]> {
  const { data } = await gh.octokit.request('GET /repos/{owner}/{repo}/commits', {
    owner: gh.owner,
    repo: gh.repo,
    sha,
    per_page: Math.min(100, limit + 1),
  });
  return data.map((c) => c.sha).filter((s) => s !== sha);
}
