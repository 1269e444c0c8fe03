/** lib/github against the OpenAPI-checked fake GitHub: every request must be a valid GitHub REST call. */
import type { HistoryEntry } from '#core/gate/history.js';
import {
  appendHistoryRemote,
  commentMarker,
  createGitHubClient,
  degradeOnForbidden,
  GitHubError,
  historyFile,
  mergeBaseAncestry,
  readHistory,
  upsertStickyComment,
  type GitHubClient,
} from '#lib/github/index.js';
import { commentOnPullRequests } from '#lib/canary/github.js';
import { startFakeGitHub, type FakeGitHub } from '../support/github-api-server.js';

let fake: FakeGitHub;
let gh: GitHubClient;
const warnings: string[] = [];
const log = { warning: (m: string) => warnings.push(m) };

beforeEach(async () => {
  fake = await startFakeGitHub({ owner: 'acme', repo: 'hotel', readOnlyTokens: ['ro-token'] });
  gh = createGitHubClient({ token: 'rw-token', repository: 'acme/hotel', baseUrl: fake.url, retryBaseMs: 5, log });
  warnings.length = 0;
});
afterEach(async () => {
  expect(fake.violations).toEqual([]);
  await fake.close();
});

const ops = (id: string) => fake.requests.filter((r) => r.operationId === id);

test('sticky comment: created once, then updated in place, one per kind', async () => {
  const first = await upsertStickyComment(gh, { issueNumber: 7, kind: 'smoke-gate', body: 'run 1' });
  expect(first.action).toBe('created');
  const second = await upsertStickyComment(gh, { issueNumber: 7, kind: 'smoke-gate', body: 'run 2' });
  expect(second).toMatchObject({ action: 'updated', id: first.id });
  const third = await upsertStickyComment(gh, { issueNumber: 7, kind: 'smoke-gate', body: 'run 2' });
  expect(third.action).toBe('unchanged');
  await upsertStickyComment(gh, { issueNumber: 7, kind: 'canary', body: 'other kind' });
  const onPr = fake.state.commentsOn(7);
  expect(onPr).toHaveLength(2);
  expect(onPr.find((c) => c.id === first.id)!.body).toBe(`${commentMarker('smoke-gate')}\nrun 2`);
  expect(ops('issues/create-comment')).toHaveLength(2);
  expect(ops('issues/update-comment')).toHaveLength(1);
  expect(() => commentMarker('bad kind -->')).toThrow(/kind/);
});

test('sticky comment is found on a later page of comments', async () => {
  for (let i = 0; i < 130; i++) fake.state.addComment(9, `chatter ${i}`, 'someone');
  fake.state.addComment(9, `${commentMarker('smoke-gate')}\nold`);
  const r = await upsertStickyComment(gh, { issueNumber: 9, kind: 'smoke-gate', body: 'new' });
  expect(r.action).toBe('updated');
  expect(fake.state.commentsOn(9)).toHaveLength(131);
  expect(ops('issues/list-comments').length).toBeGreaterThanOrEqual(2);
});

test('retries 5xx and 429 (honouring retry-after), then gives up with a GitHubError', async () => {
  fake.failNext('GET', /\/issues\/3\/comments$/, 500, 2);
  fake.failNext('POST', /\/issues\/3\/comments$/, 429, 1, { 'retry-after': '0' });
  const r = await upsertStickyComment(gh, { issueNumber: 3, kind: 'k', body: 'b' });
  expect(r.action).toBe('created');
  expect(
    fake.requests.filter((q) => q.path.endsWith('/issues/3/comments')).map((q) => `${q.method} ${q.status}`),
  ).toEqual(['GET 500', 'GET 500', 'GET 200', 'POST 429', 'GET 200', 'POST 201']);
  expect(fake.state.commentsOn(3)).toHaveLength(1);

  fake.failNext('GET', /\/issues\/4\/comments$/, 502, 10);
  const err = await upsertStickyComment(gh, { issueNumber: 4, kind: 'k', body: 'b' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GitHubError);
  expect((err as GitHubError).status).toBe(502);
  expect((err as GitHubError).message).toMatch(/answered 502/);
  expect(fake.requests.filter((q) => q.path.endsWith('/issues/4/comments'))).toHaveLength(4); // 1 + 3 retries
});

test('a create that GitHub carried out but answered 5xx is found again, never duplicated', async () => {
  fake.state.addComment(11, 'LGTM', 'reviewer');
  fake.failAfterNext('POST', /\/issues\/11\/comments$/, 502, 1);
  const r = await upsertStickyComment(gh, { issueNumber: 11, kind: 'smoke-gate', body: 'run 1' });
  const mine = fake.state.commentsOn(11).filter((c) => c.body.startsWith(commentMarker('smoke-gate')));
  expect(mine).toHaveLength(1);
  expect(r).toMatchObject({ action: 'created', id: mine[0]!.id });
  expect(
    fake.requests.filter((q) => q.path.endsWith('/issues/11/comments')).map((q) => `${q.method} ${q.status}`),
  ).toEqual(['GET 200', 'POST 502', 'GET 200']);

  // The same after a lost answer when the rerun has a new body: the found comment is brought up to date.
  fake.failAfterNext('POST', /\/issues\/12\/comments$/, 500, 1);
  fake.failAfterNext('PATCH', /\/issues\/comments\/\d+$/, 503, 1);
  await upsertStickyComment(gh, { issueNumber: 12, kind: 'smoke-gate', body: 'a' });
  const updated = await upsertStickyComment(gh, { issueNumber: 12, kind: 'smoke-gate', body: 'b' });
  expect(updated.action).toBe('updated');
  expect(fake.state.commentsOn(12).map((c) => c.body)).toEqual([`${commentMarker('smoke-gate')}\nb`]);
});

test('a create that keeps failing stops after the retries; a client error is not retried', async () => {
  fake.failNext('POST', /\/issues\/15\/comments$/, 500, 10);
  const err = await upsertStickyComment(gh, { issueNumber: 15, kind: 'k', body: 'b' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GitHubError);
  expect((err as GitHubError).status).toBe(500);
  expect(fake.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/issues/15/comments'))).toHaveLength(4);
  expect(fake.state.commentsOn(15)).toHaveLength(0);

  fake.failNext('POST', /\/issues\/16\/comments$/, 422, 1);
  const bad = await upsertStickyComment(gh, { issueNumber: 16, kind: 'k', body: 'b' }).catch((e: unknown) => e);
  expect((bad as GitHubError).status).toBe(422);
  expect(fake.requests.filter((q) => q.path.endsWith('/issues/16/comments')).map((q) => q.method)).toEqual([
    'GET',
    'POST',
  ]);
});

test('403 from a read-only token degrades to a warning; other errors propagate', async () => {
  const ro = createGitHubClient({ token: 'ro-token', repository: 'acme/hotel', baseUrl: fake.url, retryBaseMs: 5 });
  const r = await degradeOnForbidden('PR comment', log, () =>
    upsertStickyComment(ro, { issueNumber: 5, kind: 'k', body: 'b' }),
  );
  expect(r).toBeUndefined();
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/PR comment skipped: GitHub answered 403/);
  expect(fake.state.commentsOn(5)).toHaveLength(0);
  // 403 is not retried (it is a permission answer, not a transient one)
  expect(ops('issues/create-comment')).toHaveLength(1);
  await expect(degradeOnForbidden('x', log, () => Promise.reject(new GitHubError(500, 'boom')))).rejects.toThrow(
    'boom',
  );
});

const entry = (sha: string, p95: number): HistoryEntry => ({
  sha,
  ref: 'refs/heads/main',
  time: new Date(Date.parse('2026-01-02T00:00:00Z') + p95 * 1000).toISOString(),
  p95_ms: p95,
  error_rate: 0,
  requests: 500,
  verdict: 'pass',
});

test('history: data branch created from the default branch, appended, bounded, conflict retried', async () => {
  const file = historyFile('perf-data', 'refs/heads/main');
  expect(file).toEqual({ branch: 'perf-data', path: 'smoke-history/main.json' });
  expect((await readHistory(gh, file)).entries).toEqual([]);
  const shas = fake.state.commitOn('main', 5);
  await appendHistoryRemote(gh, file, entry(shas[0]!, 100), 3);
  expect(ops('git/create-ref')).toHaveLength(1);
  expect(ops('git/create-ref')[0]!.body).toEqual({ ref: 'refs/heads/perf-data', sha: shas[4] });
  for (const [i, sha] of shas.slice(1).entries()) {
    if (i === 1) fake.failNext('PUT', /\/contents\/smoke-history\/main\.json$/, 409, 1);
    await appendHistoryRemote(gh, file, entry(sha, 101 + i), 3);
  }
  const stored = JSON.parse(fake.state.getFile('perf-data', 'smoke-history/main.json')!.content.toString('utf8')) as {
    entries: HistoryEntry[];
    max_entries: number;
  };
  expect(stored.max_entries).toBe(3);
  expect(stored.entries.map((e) => e.sha)).toEqual(shas.slice(2));
  expect((await readHistory(gh, file)).entries.map((e) => e.p95_ms)).toEqual([102, 103, 104]);
  expect(ops('git/create-ref')).toHaveLength(1);
  expect(() => historyFile('perf-data', '../etc')).toThrow(/cannot store/);
});

test('merge-base ancestry: merge base first, then its ancestors', async () => {
  const [m1, m2] = fake.state.commitOn('main', 2, 'main');
  fake.state.setBranch('feature', m2!);
  fake.state.commitOn('feature', 2, 'feat');
  fake.state.commitOn('main', 2, 'later'); // main moved on after the branch point
  const anc = await mergeBaseAncestry(gh, { base: 'main', head: 'feature' });
  expect(anc[0]).toBe(m2);
  expect(anc[1]).toBe(m1);
  expect(anc).toContain(fake.state.history(m1!).at(-1)!.sha);
  expect(anc).not.toContain(fake.state.refs.get('heads/main'));
});

test('canary comment: on the open and the merged pull request of the sha (canaries run after the merge), not on an abandoned one', async () => {
  const sha = fake.state.commitOn('feature', 1, 'faster replies')[0]!;
  const merge = fake.state.addCommit({ parents: [fake.state.commitOn('main', 1)[0]!, sha], message: 'Merge #21' });
  fake.state.addPull({ number: 21, head_sha: sha, merged: true, merge_commit_sha: merge });
  fake.state.addPull({ number: 22, head_sha: sha }); // still open (a follow-up on the same commit)
  fake.state.addPull({ number: 23, head_sha: sha, state: 'closed' }); // closed without merging
  expect(await commentOnPullRequests(gh, sha, 'canary pass', log, 'staging')).toEqual([21, 22]);
  expect(await commentOnPullRequests(gh, merge, 'canary pass on main', log, 'staging')).toEqual([21]);
  expect(fake.state.commentsOn(21).map((c) => c.body)).toEqual([
    `${commentMarker('canary-staging')}\ncanary pass on main`,
  ]);
  expect(fake.state.commentsOn(22)).toHaveLength(1);
  expect(fake.state.commentsOn(23)).toEqual([]);
  expect(warnings).toEqual([]);
});
