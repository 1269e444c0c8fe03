/**
 * Sticky comments: one comment per kind per issue/PR, found again by a hidden marker and edited in
 * place, so reruns never pile up comments. Shared by smoke-gate, canary and release-tag.
 */
import type { GitHubClient } from './client.js';

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

/** Creates or updates the `kind` comment on issue/PR `issueNumber`; the marker is prepended to `body`. */
export async function upsertStickyComment(
  gh: GitHubClient,
  opts: { issueNumber: number; kind: string; body: string },
): Promise<StickyResult> {
  const marker = commentMarker(opts.kind);
  const body = `${marker}\n${opts.body}`;
  const base = { owner: gh.owner, repo: gh.repo, issue_number: opts.issueNumber };
  const comments = (await gh.octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    ...base,
    per_page: 100,
  })) as IssueComment[];
  const existing = comments.find((c) => c.body?.includes(marker));
  if (existing) {
    if (existing.body === body) return { action: 'unchanged', id: existing.id, url: existing.html_url };
    const { data } = await gh.octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
      owner: gh.owner,
      repo: gh.repo,
      comment_id: existing.id,
      body,
    });
    return { action: 'updated', id: Number(data.id), url: data.html_url };
  }
  const { data } = await gh.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    ...base,
    body,
  });
  return { action: 'created', id: Number(data.id), url: data.html_url };
}
