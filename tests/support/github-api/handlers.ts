/** The fake GitHub's endpoints: one handler per operation id, answering in GitHub's JSON shapes. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import {
  BOT,
  type FakeComment,
  type FakeCommit,
  type FakePull,
  type FakeRelease,
  type FakeRepoState,
  type FakeTagObject,
} from './state.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface Ctx {
  base: string;
  api: string;
  html: string;
  state: FakeRepoState;
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown>;
  setHeader(name: string, value: string): void;
}
type Handler = (ctx: Ctx) => { status: number; body?: unknown };

const notFound = (what = 'Not Found'): never => {
  throw new HttpError(404, what);
};

function paginate<T>(ctx: Ctx, items: T[], pathname: string): T[] {
  const perPage = Math.min(Math.max(Number(ctx.query.per_page ?? 30) || 30, 1), 100);
  const page = Math.max(Number(ctx.query.page ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams({ ...ctx.query, per_page: String(perPage), page: String(p) });
    return `<${ctx.base}${pathname}?${q.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
  if (links.length) ctx.setHeader('link', links.join(', '));
  return items.slice((page - 1) * perPage, page * perPage);
}

const nodeId = (kind: string, id: number | string) => Buffer.from(`${kind}:${id}`).toString('base64url');
const botUser = (login: string) => ({
  login,
  id: login === BOT ? 41898282 : 1,
  node_id: nodeId('User', login),
  type: login.endsWith('[bot]') ? 'Bot' : 'User',
  html_url: login.endsWith('[bot]')
    ? `https://github.com/apps/${login.slice(0, -'[bot]'.length)}`
    : `https://github.com/${login}`,
});

function commitJson(ctx: Ctx, c: FakeCommit) {
  const person = { name: 'Dev', email: 'dev@example.com', date: c.date };
  return {
    sha: c.sha,
    node_id: nodeId('Commit', c.sha),
    url: `${ctx.api}/commits/${c.sha}`,
    html_url: `${ctx.html}/commit/${c.sha}`,
    commit: {
      message: c.message,
      author: person,
      committer: person,
      tree: { sha: c.tree, url: `${ctx.api}/git/trees/${c.tree}` },
    },
    author: null,
    committer: null,
    parents: c.parents.map((p) => ({ sha: p, url: `${ctx.api}/commits/${p}`, html_url: `${ctx.html}/commit/${p}` })),
  };
}

/** The git-data shape of a commit (contents API answers), unlike the REST commit of commitJson. */
function gitCommitJson(ctx: Ctx, c: FakeCommit) {
  const person = { name: 'Dev', email: 'dev@example.com', date: c.date };
  return {
    sha: c.sha,
    node_id: nodeId('Commit', c.sha),
    url: `${ctx.api}/git/commits/${c.sha}`,
    html_url: `${ctx.html}/commit/${c.sha}`,
    author: person,
    committer: person,
    message: c.message,
    tree: { sha: c.tree, url: `${ctx.api}/git/trees/${c.tree}` },
    parents: c.parents.map((p) => ({
      sha: p,
      url: `${ctx.api}/git/commits/${p}`,
      html_url: `${ctx.html}/commit/${p}`,
    })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

function commentJson(ctx: Ctx, c: FakeComment) {
  return {
    id: c.id,
    node_id: nodeId('IssueComment', c.id),
    url: `${ctx.api}/issues/comments/${c.id}`,
    html_url: `${ctx.html}/pull/${c.issue_number}#issuecomment-${c.id}`,
    issue_url: `${ctx.api}/issues/${c.issue_number}`,
    body: c.body,
    user: botUser(c.user),
    author_association: 'NONE',
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

function repoJson(ctx: Ctx) {
  const s = ctx.state;
  return {
    id: 4242,
    node_id: nodeId('Repository', 4242),
    name: s.repo,
    full_name: `${s.owner}/${s.repo}`,
    owner: botUser(s.owner),
    private: false,
    fork: false,
    visibility: 'public',
    html_url: ctx.html,
    url: ctx.api,
    default_branch: s.defaultBranch,
  };
}

function pullJson(ctx: Ctx, p: FakePull) {
  const repo = repoJson(ctx);
  return {
    id: 90000 + p.number,
    node_id: nodeId('PullRequest', p.number),
    number: p.number,
    title: p.title,
    state: p.state,
    draft: false,
    merged: p.merged,
    merged_at: p.merged ? ctx.state.now() : null,
    merge_commit_sha: p.merge_commit_sha,
    html_url: `${ctx.html}/pull/${p.number}`,
    url: `${ctx.api}/pulls/${p.number}`,
    user: botUser('contributor'),
    head: {
      sha: p.head_sha,
      ref: p.head_ref,
      label: `${p.fork ? 'someone' : ctx.state.owner}:${p.head_ref}`,
      repo: p.fork ? { ...repo, full_name: `someone/${ctx.state.repo}`, fork: true } : repo,
    },
    base: {
      sha: ctx.state.resolve(p.base_ref) ?? null,
      ref: p.base_ref,
      label: `${ctx.state.owner}:${p.base_ref}`,
      repo,
    },
  };
}

function refJson(ctx: Ctx, ref: string, sha: string) {
  return {
    ref: `refs/${ref}`,
    node_id: nodeId('Ref', ref),
    url: `${ctx.api}/git/refs/${ref}`,
    object: {
      sha,
      type: ctx.state.tagObjects.has(sha) ? 'tag' : 'commit',
      url: `${ctx.api}/git/${ctx.state.tagObjects.has(sha) ? 'tags' : 'commits'}/${sha}`,
    },
  };
}

function tagJson(ctx: Ctx, t: FakeTagObject) {
  return {
    node_id: nodeId('Tag', t.sha),
    sha: t.sha,
    tag: t.tag,
    message: t.message,
    url: `${ctx.api}/git/tags/${t.sha}`,
    tagger: {
      name: t.tagger?.name ?? BOT,
      email: t.tagger?.email ?? 'bot@example.com',
      date: t.tagger?.date ?? ctx.state.now(),
    },
    object: { ...t.object, url: `${ctx.api}/git/commits/${t.object.sha}` },
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

function releaseJson(ctx: Ctx, r: FakeRelease) {
  return {
    id: r.id,
    node_id: nodeId('Release', r.id),
    url: `${ctx.api}/releases/${r.id}`,
    html_url: `${ctx.html}/releases/tag/${encodeURIComponent(r.tag_name)}`,
    assets_url: `${ctx.api}/releases/${r.id}/assets`,
    upload_url: `${ctx.base}/uploads/${r.id}{?name,label}`,
    tarball_url: `${ctx.api}/tarball/${r.tag_name}`,
    zipball_url: `${ctx.api}/zipball/${r.tag_name}`,
    tag_name: r.tag_name,
    target_commitish: r.target_commitish,
    name: r.name,
    body: r.body,
    draft: r.draft,
    prerelease: r.prerelease,
    created_at: r.created_at,
    published_at: r.draft ? null : r.created_at,
    author: botUser(BOT),
    assets: [],
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const handlers: Record<string, Handler> = {
  'repos/get': (ctx) => ({ status: 200, body: repoJson(ctx) }),

  'issues/list-comments': (ctx) => {
    const n = Number(ctx.params.issue_number);
    const all = ctx.state.commentsOn(n);
    return {
      status: 200,
      body: paginate(ctx, all, `/repos/${ctx.state.owner}/${ctx.state.repo}/issues/${n}/comments`).map((c) =>
        commentJson(ctx, c),
      ),
    };
  },
  'issues/create-comment': (ctx) => {
    const c = ctx.state.addComment(Number(ctx.params.issue_number), str(ctx.body.body) ?? '');
    return { status: 201, body: commentJson(ctx, c) };
  },
  'issues/update-comment': (ctx) => {
    const c = ctx.state.comments.find((x) => x.id === Number(ctx.params.comment_id)) ?? notFound();
    c.body = str(ctx.body.body) ?? c.body;
    c.updated_at = ctx.state.now();
    return { status: 200, body: commentJson(ctx, c) };
  },
  'issues/delete-comment': (ctx) => {
    const i = ctx.state.comments.findIndex((x) => x.id === Number(ctx.params.comment_id));
    if (i < 0) notFound();
    ctx.state.comments.splice(i, 1);
    return { status: 204 };
  },

  'repos/list-pull-requests-associated-with-commit': (ctx) => {
    const sha =
      ctx.state.resolve(ctx.params.commit_sha!) ?? notFound('No commit found for SHA: ' + ctx.params.commit_sha);
    const pulls = ctx.state.pullsForCommit(sha);
    return {
      status: 200,
      body: paginate(ctx, pulls, `/repos/${ctx.state.owner}/${ctx.state.repo}/commits/${sha}/pulls`).map((p) =>
        pullJson(ctx, p),
      ),
    };
  },
  'pulls/get': (ctx) => {
    const p = ctx.state.pulls.find((x) => x.number === Number(ctx.params.pull_number)) ?? notFound();
    return { status: 200, body: pullJson(ctx, p) };
  },

  'repos/compare-commits-with-basehead': (ctx) => {
    const [base, head, ...rest] = ctx.params.basehead!.split('...');
    if (!base || !head || rest.length)
      throw new HttpError(404, `basehead must be BASE...HEAD, got ${ctx.params.basehead}`);
    return handlers['repos/compare-commits']!({ ...ctx, params: { ...ctx.params, base, head } });
  },
  'repos/compare-commits': (ctx) => {
    const s = ctx.state;
    const base = s.resolve(ctx.params.base!) ?? notFound(`No common ancestor or unknown revision ${ctx.params.base}`);
    const head = s.resolve(ctx.params.head!) ?? notFound(`No common ancestor or unknown revision ${ctx.params.head}`);
    const mb = s.mergeBase(base, head) ?? notFound('No common ancestor between base and head');
    const baseSet = new Set(s.history(base).map((c) => c.sha));
    const headSet = new Set(s.history(head).map((c) => c.sha));
    const ahead = s.history(head).filter((c) => !baseSet.has(c.sha));
    const behind = s.history(base).filter((c) => !headSet.has(c.sha));
    const status =
      ahead.length && behind.length ? 'diverged' : ahead.length ? 'ahead' : behind.length ? 'behind' : 'identical';
    return {
      status: 200,
      body: {
        url: `${ctx.api}/compare/${ctx.params.base}...${ctx.params.head}`,
        html_url: `${ctx.html}/compare/${ctx.params.base}...${ctx.params.head}`,
        base_commit: commitJson(ctx, s.commits.get(base)!),
        merge_base_commit: commitJson(ctx, s.commits.get(mb)!),
        status,
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        commits: ahead.reverse().map((c) => commitJson(ctx, c)),
        files: [],
      },
    };
  },
  'repos/list-commits': (ctx) => {
    const s = ctx.state;
    const start = s.resolve(ctx.query.sha ?? s.defaultBranch) ?? notFound('No commit found for SHA: ' + ctx.query.sha);
    const all = s.history(start);
    return {
      status: 200,
      body: paginate(ctx, all, `/repos/${s.owner}/${s.repo}/commits`).map((c) => commitJson(ctx, c)),
    };
  },

  'git/get-ref': (ctx) => {
    const ref = ctx.params.ref!.replace(/^refs\//, '');
    const sha = ctx.state.refs.get(ref) ?? notFound();
    return { status: 200, body: refJson(ctx, ref, sha) };
  },
  'git/create-ref': (ctx) => {
    const full = str(ctx.body.ref)!;
    const sha = str(ctx.body.sha)!;
    if (!/^refs\/[^/]+\/.+/.test(full))
      throw new HttpError(422, 'Reference name must start with refs/ and have at least two slashes');
    const ref = full.slice('refs/'.length);
    if (ctx.state.refs.has(ref)) throw new HttpError(422, 'Reference already exists');
    if (!ctx.state.commits.has(sha) && !ctx.state.tagObjects.has(sha))
      throw new HttpError(422, 'Object does not exist');
    ctx.state.refs.set(ref, sha);
    return { status: 201, body: refJson(ctx, ref, sha) };
  },
  'git/update-ref': (ctx) => {
    const ref = ctx.params.ref!.replace(/^refs\//, '');
    const current = ctx.state.refs.get(ref) ?? throwUnprocessable('Reference does not exist');
    const sha = str(ctx.body.sha)!;
    if (!ctx.state.commits.has(sha) && !ctx.state.tagObjects.has(sha))
      throw new HttpError(422, 'Object does not exist');
    const fastForward = ctx.state.history(ctx.state.peel(sha)).some((c) => c.sha === ctx.state.peel(current));
    if (!fastForward && ctx.body.force !== true) throw new HttpError(422, 'Update is not a fast forward');
    ctx.state.refs.set(ref, sha);
    return { status: 200, body: refJson(ctx, ref, sha) };
  },
  'git/create-tag': (ctx) => {
    const b = ctx.body;
    const object = str(b.object)!;
    if (!ctx.state.commits.has(object) && !ctx.state.tagObjects.has(object))
      throw new HttpError(422, 'Object does not exist');
    const tagger = b.tagger as FakeTagObject['tagger'];
    const t: FakeTagObject = {
      sha: createHash('sha1')
        .update(`tag\0${String(b.tag)}\0${object}\0${ctx.state.nextId()}`)
        .digest('hex'),
      tag: str(b.tag)!,
      message: str(b.message)!,
      object: { sha: object, type: str(b.type)! },
      ...(tagger && { tagger }),
    };
    ctx.state.tagObjects.set(t.sha, t);
    return { status: 201, body: tagJson(ctx, t) };
  },
  'git/get-tag': (ctx) => {
    const t = ctx.state.tagObjects.get(ctx.params.tag_sha!) ?? notFound();
    return { status: 200, body: tagJson(ctx, t) };
  },

  'repos/create-release': (ctx) => {
    const s = ctx.state;
    const tag = str(ctx.body.tag_name)!;
    if (s.releases.some((r) => r.tag_name === tag)) {
      throw new HttpError(422, 'Validation Failed', {
        errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
        documentation_url: 'https://docs.github.com/rest/releases/releases#create-a-release',
        status: '422',
      });
    }
    const target = str(ctx.body.target_commitish) ?? s.defaultBranch;
    if (!s.refs.has(`tags/${tag}`)) {
      // Like GitHub: releasing an unknown tag creates a lightweight tag at target_commitish.
      const sha = s.resolve(target) ?? throwUnprocessable(`target_commitish ${target} is invalid`);
      if (ctx.body.draft !== true) s.refs.set(`tags/${tag}`, sha);
    }
    const r: FakeRelease = {
      id: s.nextId(),
      tag_name: tag,
      target_commitish: target,
      name: str(ctx.body.name) ?? null,
      body: str(ctx.body.body) ?? null,
      draft: ctx.body.draft === true,
      prerelease: ctx.body.prerelease === true,
      created_at: s.now(),
    };
    s.releases.push(r);
    return { status: 201, body: releaseJson(ctx, r) };
  },
  'repos/get-release-by-tag': (ctx) => {
    const r = ctx.state.releases.find((x) => x.tag_name === ctx.params.tag && !x.draft) ?? notFound();
    return { status: 200, body: releaseJson(ctx, r) };
  },
  'repos/update-release': (ctx) => {
    const r = ctx.state.releases.find((x) => x.id === Number(ctx.params.release_id)) ?? notFound();
    const b = ctx.body;
    if (typeof b.tag_name === 'string') r.tag_name = b.tag_name;
    if (typeof b.target_commitish === 'string') r.target_commitish = b.target_commitish;
    if (typeof b.name === 'string') r.name = b.name;
    if (typeof b.body === 'string') r.body = b.body;
    if (typeof b.draft === 'boolean') r.draft = b.draft;
    if (typeof b.prerelease === 'boolean') r.prerelease = b.prerelease;
    return { status: 200, body: releaseJson(ctx, r) };
  },

  'repos/get-content': (ctx) => {
    const s = ctx.state;
    const branch = ctx.query.ref ?? s.defaultBranch;
    // A branch, or a commit sha whose files were set with setFile(sha, ...).
    if (!s.refs.has(`heads/${branch}`) && !s.commits.has(branch)) notFound(`No commit found for the ref ${branch}`);
    const p = ctx.params.path!;
    const f = s.getFile(branch, p) ?? notFound();
    return {
      status: 200,
      body: {
        type: 'file',
        encoding: 'base64',
        size: f.content.length,
        name: path.posix.basename(p),
        path: p,
        content: f.content.toString('base64').replace(/(.{60})/g, '$1\n'),
        sha: f.sha,
        url: `${ctx.api}/contents/${p}?ref=${branch}`,
        git_url: `${ctx.api}/git/blobs/${f.sha}`,
        html_url: `${ctx.html}/blob/${branch}/${p}`,
        download_url: `https://raw.githubusercontent.com/${s.owner}/${s.repo}/${branch}/${p}`,
        _links: {
          self: `${ctx.api}/contents/${p}`,
          git: `${ctx.api}/git/blobs/${f.sha}`,
          html: `${ctx.html}/blob/${branch}/${p}`,
        },
      },
    };
  },
  'repos/create-or-update-file-contents': (ctx) => {
    const s = ctx.state;
    const branch = str(ctx.body.branch) ?? s.defaultBranch;
    const head = s.refs.get(`heads/${branch}`) ?? notFound(`Branch ${branch} not found`);
    const p = ctx.params.path!;
    const existing = s.getFile(branch, p);
    const given = str(ctx.body.sha);
    if (existing && given === undefined) throw new HttpError(422, `Invalid request.\n\n"sha" wasn't supplied.`);
    if (existing && given !== existing.sha) throw new HttpError(409, `${p} does not match ${given}`);
    if (!existing && given !== undefined) throw new HttpError(409, `${p} does not match ${given}`);
    const content = Buffer.from(str(ctx.body.content)!, 'base64');
    const f = s.setFile(branch, p, content);
    const commit = s.addCommit({ parents: [head], message: str(ctx.body.message)! });
    s.setBranch(branch, commit);
    return {
      status: existing ? 200 : 201,
      body: {
        content: {
          name: path.posix.basename(p),
          path: p,
          sha: f.sha,
          size: content.length,
          type: 'file',
          url: `${ctx.api}/contents/${p}?ref=${branch}`,
          html_url: `${ctx.html}/blob/${branch}/${p}`,
        },
        commit: gitCommitJson(ctx, s.commits.get(commit)!),
      },
    };
  },
};

export function throwUnprocessable(message: string): never {
  throw new HttpError(422, message);
}
