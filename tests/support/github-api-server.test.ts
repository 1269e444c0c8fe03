import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { Octokit } from 'octokit';
import { forAjv, startFakeGitHub, type FakeGitHub } from './github-api-server.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('fake GitHub REST server', () => {
  let gh: FakeGitHub;
  let octokit: Octokit;
  beforeEach(async () => {
    gh = await startFakeGitHub({ owner: 'acme', repo: 'hotel', readOnlyTokens: ['ro-token'] });
    octokit = new Octokit({
      auth: 'rw-token',
      baseUrl: gh.url,
      retry: { enabled: false },
      throttle: { enabled: false },
    });
  });
  afterEach(() => gh.close());

  const repo = { owner: 'acme', repo: 'hotel' };
  const raw = (method: string, p: string, body?: unknown, token = 'rw-token') =>
    fetch(`${gh.url}${p}`, {
      method,
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });

  it('accepts valid octokit requests and answers from state', async () => {
    const { data } = await octokit.rest.repos.get(repo);
    expect(data.default_branch).toBe('main');
    expect(data.full_name).toBe('acme/hotel');
    expect(gh.requests[0]).toMatchObject({ method: 'GET', status: 200, operationId: 'repos/get', token: 'rw-token' });
    expect(gh.violations).toEqual([]);
  });

  it('rejects an invalid request body with 400 and records a violation', async () => {
    const res = await raw('POST', '/repos/acme/hotel/git/tags', {
      tag: 'v1',
      message: 'm',
      object: 'abc',
      type: 'tree-ish',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string };
    expect(body.message).toMatch(/body\/type must be equal to one of the allowed values/);
    expect(gh.violations).toHaveLength(1);
    expect(gh.violations[0]!.errors.join()).toMatch(/type/);
  });

  it('rejects unknown paths, wrong methods, unknown query parameters and bad param types', async () => {
    expect((await raw('GET', '/repos/acme/hotel/no-such-thing')).status).toBe(400);
    expect((await raw('PUT', '/repos/acme/hotel/issues/comments/1', { body: 'x' })).status).toBe(400);
    expect((await raw('GET', '/repos/acme/hotel/issues/1/comments?perpage=5')).status).toBe(400);
    expect((await raw('GET', '/repos/acme/hotel/issues/one/comments')).status).toBe(400);
    expect(gh.violations.map((v) => v.errors.join())).toEqual([
      expect.stringMatching(/no operation/),
      expect.stringMatching(/no PUT operation/),
      expect.stringMatching(/perpage/),
      expect.stringMatching(/issue_number must be integer/),
    ]);
  });

  it('paginates issue comments with Link headers and supports create/update/delete', async () => {
    for (let i = 0; i < 7; i++) gh.state.addComment(5, `c${i}`);
    const first = await octokit.rest.issues.listComments({ ...repo, issue_number: 5, per_page: 3 });
    expect(first.data.map((c) => c.body)).toEqual(['c0', 'c1', 'c2']);
    expect(first.headers.link).toMatch(/page=2>; rel="next"/);
    const all = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: 5, per_page: 3 });
    expect(all).toHaveLength(7);

    const created = await octokit.rest.issues.createComment({ ...repo, issue_number: 5, body: 'hello' });
    expect(created.status).toBe(201);
    expect(created.data.html_url).toContain(`#issuecomment-${created.data.id}`);
    await octokit.rest.issues.updateComment({ ...repo, comment_id: created.data.id, body: 'edited' });
    expect(gh.state.comments.find((c) => c.id === created.data.id)?.body).toBe('edited');
    await octokit.rest.issues.deleteComment({ ...repo, comment_id: created.data.id });
    expect(gh.state.commentsOn(5)).toHaveLength(7);
    expect(gh.violations).toEqual([]);
  });

  it('refuses writes without a token (401) and with a read-only token (403)', async () => {
    const anon = await fetch(`${gh.url}/repos/acme/hotel/issues/1/comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'x' }),
    });
    expect(anon.status).toBe(401);
    const ro = await raw('POST', '/repos/acme/hotel/issues/1/comments', { body: 'x' }, 'ro-token');
    expect(ro.status).toBe(403);
    expect(((await ro.json()) as { message: string }).message).toBe('Resource not accessible by integration');
    expect(gh.state.comments).toHaveLength(0);
    expect(gh.violations).toEqual([]);
  });

  it('injects failures with failNext, then serves normally', async () => {
    gh.failNext('GET', /^\/repos\/acme\/hotel$/, 503, 2, { 'retry-after': '0' });
    expect((await raw('GET', '/repos/acme/hotel')).status).toBe(503);
    const second = await raw('GET', '/repos/acme/hotel');
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('0');
    expect((await raw('GET', '/repos/acme/hotel')).status).toBe(200);
  });

  it('with failAfterNext, carries the request out and only then answers the failure', async () => {
    gh.failAfterNext('POST', /\/issues\/3\/comments$/, 502, 1);
    const lost = await raw('POST', '/repos/acme/hotel/issues/3/comments', { body: 'hello' });
    expect(lost.status).toBe(502);
    expect(gh.state.commentsOn(3).map((c) => c.body)).toEqual(['hello']);
    expect((await raw('POST', '/repos/acme/hotel/issues/3/comments', { body: 'again' })).status).toBe(201);
    // A request the handler refuses is not turned into the injected failure, and does not use it up.
    gh.failAfterNext('GET', /\/contents\//, 500, 1);
    expect((await raw('GET', '/repos/acme/hotel/contents/missing.json')).status).toBe(404);
    gh.state.setFile('main', 'present.json', '{}');
    expect((await raw('GET', '/repos/acme/hotel/contents/present.json')).status).toBe(500);
    expect(gh.violations).toEqual([]);
  });

  it('walks the commit graph for list commits, compare and pulls for a commit', async () => {
    const s = gh.state;
    const [m1] = s.commitOn('main', 1);
    const feature = s.commitOn('feature', 2); // branched from main's head
    const [m2] = s.commitOn('main', 1);
    s.addPull({ number: 12, head_sha: feature[1]!, head_ref: 'feature' });

    const cmp = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: 'main...feature' });
    expect(cmp.data.merge_base_commit.sha).toBe(m1);
    expect(cmp.data).toMatchObject({ status: 'diverged', ahead_by: 2, behind_by: 1 });

    const commits = await octokit.rest.repos.listCommits({ ...repo, sha: 'main', per_page: 2 });
    expect(commits.data.map((c) => c.sha)).toEqual([m2, m1]);
    expect(commits.data[0]!.parents[0]!.sha).toBe(m1);

    const pulls = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: feature[1]! });
    expect(pulls.data.map((p) => p.number)).toEqual([12]);
    const pr = await octokit.rest.pulls.get({ ...repo, pull_number: 12 });
    expect(pr.data.head.sha).toBe(feature[1]);
    expect(gh.violations).toEqual([]);
  });

  it('creates annotated tags, refs and releases, and refuses duplicates', async () => {
    const sha = gh.state.refs.get('heads/main')!;
    const tag = await octokit.rest.git.createTag({ ...repo, tag: 'v1', message: 'v1', object: sha, type: 'commit' });
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1', sha: tag.data.sha });
    const ref = await octokit.rest.git.getRef({ ...repo, ref: 'tags/v1' });
    expect(ref.data.object).toMatchObject({ type: 'tag', sha: tag.data.sha });
    expect((await octokit.rest.git.getTag({ ...repo, tag_sha: tag.data.sha })).data.object.sha).toBe(sha);
    await expect(octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1', sha })).rejects.toMatchObject({
      status: 422,
    });
    await expect(octokit.rest.git.getRef({ ...repo, ref: 'tags/none' })).rejects.toMatchObject({ status: 404 });

    const rel = await octokit.rest.repos.createRelease({ ...repo, tag_name: 'v1', name: 'v1', body: 'notes' });
    expect(rel.data.html_url).toMatch(/releases\/tag\/v1$/);
    expect((await octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'v1' })).data.id).toBe(rel.data.id);
    await octokit.rest.repos.updateRelease({ ...repo, release_id: rel.data.id, body: 'new notes' });
    expect(gh.state.releases[0]!.body).toBe('new notes');
    await expect(octokit.rest.repos.createRelease({ ...repo, tag_name: 'v1' })).rejects.toMatchObject({
      status: 422,
      response: {
        data: {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
          documentation_url: expect.stringContaining('#create-a-release'),
        },
      },
    });
    expect(gh.state.releases).toHaveLength(1);
    expect(gh.violations).toEqual([]);
  });

  it('stores contents per branch with sha checks (409 on a stale sha)', async () => {
    const main = gh.state.refs.get('heads/main')!;
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/perf-data', sha: main });
    const content = Buffer.from('{"p95":[1]}').toString('base64');
    const put = await octokit.rest.repos.createOrUpdateFileContents({
      ...repo,
      path: 'history/p95.json',
      message: 'add',
      content,
      branch: 'perf-data',
    });
    expect(put.status).toBe(201);
    const got = await octokit.rest.repos.getContent({ ...repo, path: 'history/p95.json', ref: 'perf-data' });
    const file = got.data as { content: string; sha: string };
    expect(Buffer.from(file.content, 'base64').toString()).toBe('{"p95":[1]}');
    await expect(octokit.rest.repos.getContent({ ...repo, path: 'history/p95.json' })).rejects.toMatchObject({
      status: 404,
    });

    const update = { ...repo, path: 'history/p95.json', message: 'upd', branch: 'perf-data' };
    await octokit.rest.repos.createOrUpdateFileContents({ ...update, content: 'e30=', sha: file.sha });
    await expect(
      octokit.rest.repos.createOrUpdateFileContents({ ...update, content: 'e30=', sha: file.sha }),
    ).rejects.toMatchObject({
      status: 409,
    });
    expect(gh.state.refs.get('heads/perf-data')).not.toBe(main);
    expect(gh.violations).toEqual([]);
  });
});

describe('fake GitHub responses', () => {
  it("carry GitHub's types for every field they include (OpenAPI response schemas, required fields aside)", async () => {
    const gh = await startFakeGitHub({ owner: 'acme', repo: 'hotel' });
    try {
      const octokit = new Octokit({
        auth: 't',
        baseUrl: gh.url,
        retry: { enabled: false },
        throttle: { enabled: false },
      });
      const repo = { owner: 'acme', repo: 'hotel' };
      const s = gh.state;
      const feature = s.commitOn('feature', 2);
      s.addPull({ number: 3, head_sha: feature[1]!, head_ref: 'feature', merged: true, merge_commit_sha: feature[1]! });
      s.addComment(3, 'hi');
      const main = s.refs.get('heads/main')!;
      await octokit.rest.repos.get(repo);
      await octokit.rest.issues.listComments({ ...repo, issue_number: 3 });
      const c = await octokit.rest.issues.createComment({ ...repo, issue_number: 3, body: 'x' });
      await octokit.rest.issues.updateComment({ ...repo, comment_id: c.data.id, body: 'y' });
      await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: feature[1]! });
      await octokit.rest.pulls.get({ ...repo, pull_number: 3 });
      await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: 'main...feature' });
      await octokit.rest.repos.listCommits({ ...repo, sha: 'feature' });
      const t = await octokit.rest.git.createTag({ ...repo, tag: 'v1', message: 'm', object: main, type: 'commit' });
      await octokit.rest.git.getTag({ ...repo, tag_sha: t.data.sha });
      await octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1', sha: t.data.sha });
      await octokit.rest.git.getRef({ ...repo, ref: 'tags/v1' });
      await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/data', sha: main });
      await octokit.rest.git.updateRef({ ...repo, ref: 'heads/data', sha: feature[1]!, force: true });
      const r = await octokit.rest.repos.createRelease({ ...repo, tag_name: 'v1', body: 'b' });
      await octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'v1' });
      await octokit.rest.repos.updateRelease({ ...repo, release_id: r.data.id, body: 'c' });
      await octokit.rest.repos.createOrUpdateFileContents({
        ...repo,
        path: 'a/b.json',
        message: 'm',
        content: 'e30=',
        branch: 'data',
      });
      await octokit.rest.repos.getContent({ ...repo, path: 'a/b.json', ref: 'data' });

      const spec = JSON.parse(
        readFileSync(path.join(root, 'node_modules/@octokit/openapi/generated/api.github.com.deref.json'), 'utf8'),
      ) as {
        paths: Record<
          string,
          Record<
            string,
            { operationId: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }
          >
        >;
      };
      const byId = new Map(
        Object.values(spec.paths).flatMap((item) =>
          Object.values(item)
            .filter((op) => op?.operationId)
            .map((op) => [op.operationId, op]),
        ),
      );
      const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
      addFormats(ajv);
      const checked = new Set<string>();
      for (const req of gh.requests) {
        if (req.status >= 300 || req.response === undefined) continue;
        const schema = byId.get(req.operationId!)?.responses[String(req.status)]?.content?.['application/json']?.schema;
        expect({ op: req.operationId, status: req.status, documented: schema !== undefined }).toEqual({
          op: req.operationId,
          status: req.status,
          documented: true,
        });
        const validate = ajv.compile(forAjv(schema, true) as object);
        const ok = validate(req.response);
        expect({ op: req.operationId, errors: ok ? [] : validate.errors }).toEqual({ op: req.operationId, errors: [] });
        checked.add(req.operationId!);
      }
      expect([...checked].sort()).toEqual([
        'git/create-ref',
        'git/create-tag',
        'git/get-ref',
        'git/get-tag',
        'git/update-ref',
        'issues/create-comment',
        'issues/list-comments',
        'issues/update-comment',
        'pulls/get',
        'repos/compare-commits-with-basehead',
        'repos/create-or-update-file-contents',
        'repos/create-release',
        'repos/get',
        'repos/get-content',
        'repos/get-release-by-tag',
        'repos/list-commits',
        'repos/list-pull-requests-associated-with-commit',
        'repos/update-release',
      ]);
    } finally {
      await gh.close();
    }
  });
});
