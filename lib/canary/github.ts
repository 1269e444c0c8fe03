/**
 * The canary's pull request comment: find the PR(s) that contain the sha and upsert one sticky
 * comment per environment on each (open or merged: a canary often runs after the merge), so a
 * staging canary never overwrites the production one. No PR (a manual dispatch on a commit no PR
 * contains) -> nothing to do.
 */
import {
  degradeOnForbidden,
  pullRequestsOfCommit,
  upsertStickyComment,
  type GitHubClient,
  type Logger,
} from '../github/index.js';

/** The sticky comment's kind: its marker names the environment (`<!-- hotel-perf:canary-production -->`). */
export const canaryCommentKind = (environment: string): string => `canary-${environment}`;

export async function commentOnPullRequests(
  gh: GitHubClient,
  sha: string,
  body: string,
  log: Logger,
  environment: string,
): Promise<number[]> {
  const pulls = await degradeOnForbidden('looking up the pull request of the canary sha', log, async () => {
    const data = await pullRequestsOfCommit(gh, sha);
    // A closed PR that was never merged did not ship this sha: no comment there.
    return data.filter((p) => p.state === 'open' || p.merged_at).map((p) => p.number);
  });
  const commented: number[] = [];
  for (const number of pulls ?? []) {
    const r = await degradeOnForbidden(`commenting on pull request #${number}`, log, () =>
      upsertStickyComment(gh, { issueNumber: number, kind: canaryCommentKind(environment), body }),
    );
    if (r) commented.push(number);
  }
  return commented;
}
