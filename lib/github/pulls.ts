/** The pull requests of a commit (GitHub's "pull requests associated with a commit"): the one lookup. */
import type { GitHubClient } from './client.js';

export interface CommitPullRequest {
  number: number;
  state: string;
  merged_at: string | null;
  merge_commit_sha: string | null;
}

/** Open, closed and merged pull requests containing `sha` (up to 100; a commit is rarely in more). */
export async function pullRequestsOfCommit(gh: GitHubClient, sha: string): Promise<CommitPullRequest[]> {
  const { data } = await gh.octokit.request('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', {
    owner: gh.owner,
    repo: gh.repo,
    commit_sha: sha,
    per_page: 100,
  });
  return data.map((p) => ({
    number: p.number,
    state: p.state,
    merged_at: p.merged_at,
    merge_commit_sha: p.merge_commit_sha,
  }));
}
