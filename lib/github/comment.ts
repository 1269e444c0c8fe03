/**
 * Sticky comments: one comment per kind per issue/PR, found again by a hidden marker and edited in
 * place, so reruns never pile up comments. Shared by smoke-gate, canary and release-tag.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GitHubError, NO_AUTO_RETRY, type GitHubClient } from './client.js';

export function commentMarker(kind: string): string {
  if (!/^[\w.-]+$/.test(kind)) throw new Error(`comment kind must be [A-Za-z0-9_.-]+, got ${JSON.stringify(kind)}`);
  return `<!-- hotel-perf:${kind} -->`;
}

export interface StickyResult {
  action: 'created' | 'updated' | 'unchanged';
  id: number;
  url: string;
}

interface IssueComment {
  id: number;
  body?: string;
  html_url: string;
}

async function findSticky(gh: GitHubClient, issueNumber: number, marker: string): Promise<IssueComment | undefined> {
  const comments = (await gh.octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    owner: gh.owner,
    repo: gh.repo,
    issue_number: issueNumber,
    per_page: 100,
  })) as IssueComment[];
  return comments.find((c) => c.body?.includes(marker));
}

async function updateSticky(gh: GitHubClient, existing: IssueComment, body: string): Promise<StickyResult> {
  if (existing.body === body) return { action: 'unchanged', id: existing.id, url: existing.html_url };
  const { data } = await gh.octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
    owner: gh.owner,
    repo: gh.repo,
    comment_id: existing.id,
    body,
  });
  return { action: 'updated', id: Number(data.id), url: data.html_url };
}

/**
 * Creates or updates the `kind` comment on issue/PR `issueNumber`; the marker is prepended to `body`.
 *
 * Creating is not idempotent: GitHub may store the comment and still answer 5xx (or the answer may
 * be lost). So the create is never repeated blindly: after a transient failure the comments are
 * listed again, and a comment carrying the marker is the one that failed call made.
 */
export async function upsertStickyComment(
  gh: GitHubClient,
  opts: { issueNumber: number; kind: string; body: string },
): Promise<StickyResult> {
  const marker = commentMarker(opts.kind);
  const body = `${marker}\n${opts.body}`;
  const existing = await findSticky(gh, opts.issueNumber, marker);
  if (existing) return updateSticky(gh, existing, body);
  for (let attempt = 0; ; attempt++) {
    try {
      const { data } = await gh.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        owner: gh.owner,
        repo: gh.repo,
        issue_number: opts.issueNumber,
        body,
        request: NO_AUTO_RETRY,
      });
      return { action: 'created', id: Number(data.id), url: data.html_url };
    } catch (err) {
      if (!(err instanceof GitHubError && err.retryable) || attempt >= gh.retry.retries) throw err;
      await sleep(gh.retry.delayMs(attempt, err));
      const made = await findSticky(gh, opts.issueNumber, marker);
      if (made) {
        const again = await updateSticky(gh, made, body);
        return { ...again, action: again.action === 'unchanged' ? 'created' : again.action };
      }
    }
  }
}
