/**
 * A local GitHub REST server for tests: in-memory repository state behind the few endpoints the
 * actions use, and EVERY request checked against GitHub's published OpenAPI description
 * (`@octokit/openapi`, api.github.com). A request that matches no operation, or whose path/query
 * parameters or JSON body do not satisfy the operation's schema, answers 400 and is recorded in
 * `violations`, so a test can assert that the client spoke real GitHub.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// ---------------------------------------------------------------------------------------------
// OpenAPI index: the request side of every operation, extracted once from the 73 MB dereferenced
// description and cached beside node_modules (about 1 MB), because every test file loads it.

interface OpParam {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema?: object;
}
interface Operation {
  path: string;
  method: string;
  operationId: string;
  params: OpParam[];
  body: { required: boolean; types: string[]; schema?: object } | null;
}
interface CompiledOp extends Operation {
  regex: RegExp;
  loose: RegExp;
  names: string[];
  literalWeight: number;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head'] as const;

function loadOperations(): Operation[] {
  const pkgDir = path.join(repoRoot, 'node_modules/@octokit/openapi');
  const version = (JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const cacheDir = path.join(repoRoot, 'node_modules/.cache/hotel-perf');
  const cacheFile = path.join(cacheDir, `openapi-${version}-requests.json`);
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as Operation[];
  } catch {
    // no cache yet: build it below
  }
  type RawParam = { name: string; in: string; required?: boolean; schema?: object };
  type RawOp = {
    operationId: string;
    parameters?: RawParam[];
    requestBody?: { required?: boolean; content: Record<string, { schema?: object }> };
  };
  const spec = JSON.parse(readFileSync(path.join(pkgDir, 'generated/api.github.com.deref.json'), 'utf8')) as {
    paths: Record<string, Record<string, unknown> & { parameters?: RawParam[] }>;
  };
  const ops: Operation[] = [];
  for (const [p, item] of Object.entries(spec.paths)) {
    for (const m of METHODS) {
      const op = item[m] as RawOp | undefined;
      if (!op) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])]
        .filter((x) => x.in === 'path' || x.in === 'query')
        .map((x) => ({ name: x.name, in: x.in as 'path' | 'query', required: !!x.required, schema: x.schema }));
      const rb = op.requestBody;
      ops.push({
        path: p,
        method: m,
        operationId: op.operationId,
        params,
        body: rb
          ? { required: !!rb.required, types: Object.keys(rb.content), schema: rb.content['application/json']?.schema }
          : null,
      });
    }
  }
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(ops));
  renameSync(tmp, cacheFile);
  return ops;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const SLASHY = new Set(['ref', 'path', 'basehead', 'base', 'head', 'branch']);

function compileOperations(ops: Operation[]): CompiledOp[] {
  return ops
    .map((op) => {
      const names: string[] = [];
      let literalWeight = 0;
      const segs = op.path.split('/').map((seg) => {
        let out = '';
        let last = 0;
        for (const m of seg.matchAll(/\{([^}]+)\}/g)) {
          out += escapeRegex(seg.slice(last, m.index));
          out += '\uE000';
          names.push(m[1]!);
          last = m.index + m[0].length;
        }
        const tail = seg.slice(last);
        out += escapeRegex(tail);
        if (!seg.includes('{')) literalWeight += 1;
        return out;
      });
      const strict = segs.join('/').replace(/\uE000/g, '([^/]+?)');
      // GitHub also accepts an unencoded `/` inside ref-like parameters (`git/ref/tags/v1`, `contents/a/b.json`).
      let n = 0;
      const loose = segs.join('/').replace(/\uE000/g, () => (SLASHY.has(names[n++]!) ? '(.+?)' : '([^/]+?)'));
      return { ...op, names, literalWeight, regex: new RegExp(`^${strict}$`), loose: new RegExp(`^${loose}$`) };
    })
    .sort((a, b) => b.literalWeight - a.literalWeight);
}

let compiled: CompiledOp[] | undefined;
function operations(): CompiledOp[] {
  compiled ??= compileOperations(loadOperations());
  return compiled;
}

const ajvBody = new Ajv({ strict: false, allErrors: true, logger: false });
addFormats(ajvBody);
const ajvParams = new Ajv({ strict: false, allErrors: true, coerceTypes: true, logger: false });
addFormats(ajvParams);
const bodyValidators = new Map<string, ValidateFunction>();
const paramValidators = new Map<string, ValidateFunction>();

/**
 * Adapts an OpenAPI 3.0 schema for ajv: `nullable` without `type` (which ajv rejects) becomes
 * `anyOf [schema, null]`. `looseRequired` also drops `required` and turns oneOf into anyOf, for
 * checking the types of a partial object (the fake's responses carry the fields clients read).
 */
export function forAjv(schema: unknown, looseRequired = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => forAjv(s, looseRequired));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (looseRequired && k === 'required' && Array.isArray(v)) continue;
    if (k === 'properties' && typeof v === 'object' && v !== null) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, forAjv(sub, looseRequired)]));
      continue;
    }
    out[looseRequired && k === 'oneOf' ? 'anyOf' : k] = forAjv(v, looseRequired);
  }
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function paramValidator(op: CompiledOp): ValidateFunction {
  let v = paramValidators.get(op.operationId);
  if (!v) {
    const schema = (where: 'path' | 'query') => {
      const ps = op.params.filter((p) => p.in === where);
      return {
        type: 'object',
        properties: Object.fromEntries(ps.map((p) => [p.name, forAjv(p.schema ?? {})])),
        required: ps.filter((p) => p.required).map((p) => p.name),
        additionalProperties: false,
      };
    };
    v = ajvParams.compile({ type: 'object', properties: { path: schema('path'), query: schema('query') } });
    paramValidators.set(op.operationId, v);
  }
  return v;
}

function bodyValidator(op: CompiledOp): ValidateFunction | undefined {
  if (!op.body?.schema) return undefined;
  let v = bodyValidators.get(op.operationId);
  if (!v) {
    v = ajvBody.compile(forAjv(op.body.schema) as object);
    bodyValidators.set(op.operationId, v);
  }
  return v;
}

function formatErrors(prefix: string, v: ValidateFunction): string[] {
  return (v.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
    return `${prefix}${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
  });
}

interface Match {
  op: CompiledOp;
  params: Record<string, string>;
}

function matchOperation(method: string, pathname: string): Match | { error: string } {
  const ops = operations();
  const m = method.toLowerCase();
  for (const field of ['regex', 'loose'] as const) {
    const candidates = ops.filter((op) => op[field].test(pathname));
    if (candidates.length === 0) continue;
    const op = candidates.find((c) => c.method === m);
    if (!op) {
      return {
        error: `no ${method} operation for ${candidates[0]!.path} (has ${candidates.map((c) => c.method.toUpperCase()).join(', ')})`,
      };
    }
    const groups = op[field].exec(pathname)!;
    const params: Record<string, string> = {};
    op.names.forEach((name, i) => {
      params[name] = decodeURIComponent(groups[i + 1]!);
    });
    return { op, params };
  }
  return { error: `no operation of api.github.com matches ${method} ${pathname}` };
}

// ---------------------------------------------------------------------------------------------
// Repository state.

export interface FakeCommit {
  sha: string;
  parents: string[];
  message: string;
  date: string;
  tree: string;
}
export interface FakeTagObject {
  sha: string;
  tag: string;
  message: string;
  object: { sha: string; type: string };
  tagger?: { name: string; email: string; date?: string };
}
export interface FakeRelease {
  id: number;
  tag_name: string;
  target_commitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  created_at: string;
}
export interface FakeComment {
  id: number;
  issue_number: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
}
export interface FakePull {
  number: number;
  title: string;
  state: 'open' | 'closed';
  merged: boolean;
  head_sha: string;
  head_ref: string;
  base_ref: string;
  merge_commit_sha: string | null;
  /** true when the head repository is a fork (read-only token semantics are up to the test). */
  fork: boolean;
}
export interface FakeFile {
  content: Buffer;
  sha: string;
}

const BOT = 'github-actions[bot]';

function blobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export class FakeRepoState {
  defaultBranch = 'main';
  readonly commits = new Map<string, FakeCommit>();
  /** `heads/main`, `tags/v1` ... -> sha (of a commit or of an annotated tag object). */
  readonly refs = new Map<string, string>();
  readonly tagObjects = new Map<string, FakeTagObject>();
  readonly releases: FakeRelease[] = [];
  readonly comments: FakeComment[] = [];
  readonly pulls: FakePull[] = [];
  /** Extra commit -> PR numbers associations (beyond head and merge commit). */
  readonly pullsByCommit = new Map<string, number[]>();
  /** branch -> path -> file */
  readonly files = new Map<string, Map<string, FakeFile>>();
  private seq = 0;
  private clock = Date.parse('2026-01-01T00:00:00Z');
  nextId(): number {
    this.seq += 1;
    return 1000 + this.seq;
  }
  now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  constructor(
    readonly owner: string,
    readonly repo: string,
  ) {
    const root = this.addCommit({ message: 'initial commit', parents: [] });
    this.setBranch('main', root);
  }

  /** Adds a commit; parents default to the current head of `main`. Returns its sha. */
  addCommit(opts: { sha?: string; parents?: string[]; message?: string } = {}): string {
    const parents = opts.parents ?? (this.refs.has('heads/main') ? [this.refs.get('heads/main')!] : []);
    for (const p of parents) if (!this.commits.has(p)) throw new Error(`unknown parent commit ${p}`);
    const message = opts.message ?? `commit ${this.seq + 1}`;
    const sha =
      opts.sha ??
      createHash('sha1')
        .update(`${this.nextId()}\0${parents.join(',')}\0${message}`)
        .digest('hex');
    const date = this.now();
    this.commits.set(sha, {
      sha,
      parents,
      message,
      date,
      tree: createHash('sha1').update(`tree ${sha}`).digest('hex'),
    });
    return sha;
  }

  /** Adds `n` commits on top of `branch` (created from `from` or main's head if missing) and moves it. */
  commitOn(branch: string, n = 1, message = 'change'): string[] {
    let head = this.refs.get(`heads/${branch}`) ?? this.refs.get(`heads/${this.defaultBranch}`)!;
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      head = this.addCommit({ parents: [head], message: `${message} ${i + 1}` });
      out.push(head);
    }
    this.setBranch(branch, head);
    return out;
  }

  setBranch(name: string, sha: string): void {
    this.refs.set(`heads/${name}`, sha);
  }

  /** Adds a pull request; `merged` PRs get a merge commit on the base branch unless one is given. */
  addPull(p: Partial<FakePull> & { head_sha: string }): FakePull {
    const pull: FakePull = {
      number: p.number ?? this.pulls.length + 1,
      title: p.title ?? `PR ${p.number ?? this.pulls.length + 1}`,
      state: p.state ?? (p.merged ? 'closed' : 'open'),
      merged: p.merged ?? false,
      head_sha: p.head_sha,
      head_ref: p.head_ref ?? `feature-${this.pulls.length + 1}`,
      base_ref: p.base_ref ?? this.defaultBranch,
      merge_commit_sha: p.merge_commit_sha ?? null,
      fork: p.fork ?? false,
    };
    this.pulls.push(pull);
    return pull;
  }

  linkCommitToPull(sha: string, number: number): void {
    this.pullsByCommit.set(sha, [...(this.pullsByCommit.get(sha) ?? []), number]);
  }

  addComment(issue_number: number, body: string, user = BOT): FakeComment {
    const at = this.now();
    const c = { id: this.nextId(), issue_number, body, user, created_at: at, updated_at: at };
    this.comments.push(c);
    return c;
  }

  commentsOn(issue_number: number): FakeComment[] {
    return this.comments.filter((c) => c.issue_number === issue_number);
  }

  /** `branch` may also be a commit sha: the file as of that commit (read with `?ref=<sha>`). */
  setFile(branch: string, filePath: string, content: string | Buffer): FakeFile {
    const buf = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const f = { content: buf, sha: blobSha(buf) };
    if (!this.files.has(branch)) this.files.set(branch, new Map());
    this.files.get(branch)!.set(filePath, f);
    return f;
  }

  getFile(branch: string, filePath: string): FakeFile | undefined {
    return this.files.get(branch)?.get(filePath);
  }

  /** Resolves a branch, tag, or commit sha to a commit sha (peeling annotated tags). */
  resolve(rev: string): string | undefined {
    const r = rev.replace(/^refs\//, '');
    for (const candidate of [r, `heads/${r}`, `tags/${r}`]) {
      const sha = this.refs.get(candidate);
      if (sha) return this.peel(sha);
    }
    if (this.commits.has(rev)) return rev;
    const matches = [...this.commits.keys()].filter((s) => rev.length >= 7 && s.startsWith(rev));
    return matches.length === 1 ? matches[0] : undefined;
  }

  /** An annotated tag object's sha -> the commit it points at; a commit sha -> itself. */
  peel(sha: string): string {
    let s = sha;
    for (let t = this.tagObjects.get(s); t; t = this.tagObjects.get(s)) s = t.object.sha;
    return s;
  }

  /** Ancestors of `sha` including itself, newest first. */
  history(sha: string): FakeCommit[] {
    const seen = new Set<string>();
    const queue = [sha];
    const out: FakeCommit[] = [];
    while (queue.length) {
      const s = queue.shift()!;
      if (seen.has(s)) continue;
      seen.add(s);
      const c = this.commits.get(s);
      if (!c) continue;
      out.push(c);
      queue.push(...c.parents);
    }
    return out.sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
  }

  mergeBase(a: string, b: string): string | undefined {
    const ancestorsOfA = new Set(this.history(a).map((c) => c.sha));
    return this.history(b).find((c) => ancestorsOfA.has(c.sha))?.sha;
  }

  pullsForCommit(sha: string): FakePull[] {
    const linked = new Set(this.pullsByCommit.get(sha) ?? []);
    return this.pulls.filter((p) => p.head_sha === sha || p.merge_commit_sha === sha || linked.has(p.number));
  }
}

// ---------------------------------------------------------------------------------------------
// Server.

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  operationId?: string;
  /** The token the request carried, if any (never a real secret: tests invent them). */
  token?: string;
  /** What the fake answered (parsed JSON), so its own tests can check it against the description. */
  response?: unknown;
}
export interface Violation {
  method: string;
  path: string;
  errors: string[];
}
export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  violations: Violation[];
  /** queue failures: the next `times` requests matching method+path regex answer `status` */
  failNext(method: string, path: RegExp, status: number, times?: number, headers?: Record<string, string>): void;
  /**
   * Like failNext, but the request is carried out first (state changes) and only the answer is
   * `status`: GitHub doing the work and then failing, or a lost response.
   */
  failAfterNext(method: string, path: RegExp, status: number, times?: number, headers?: Record<string, string>): void;
  state: FakeRepoState;
  close(): Promise<void>;
}
export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  /** Tokens that may read but whose writes answer 403 like a fork PR's GITHUB_TOKEN. */
  readOnlyTokens?: string[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

interface Ctx {
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

const handlers: Record<string, Handler> = {
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

function throwUnprocessable(message: string): never {
  throw new HttpError(422, message);
}

/** Operations that change state; they need a token that may write. */
const WRITE = new Set(['post', 'put', 'patch', 'delete']);

interface QueuedFailure {
  method: string;
  path: RegExp;
  status: number;
  times: number;
  headers: Record<string, string>;
  /** Answer `status` only after the handler ran (failAfterNext). */
  after: boolean;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text && { 'content-type': 'application/json; charset=utf-8' }),
    'x-github-media-type': 'github.v3; format=json',
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    ...headers,
  });
  res.end(text);
}

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  operations(); // load (or build the cache of) the OpenAPI index before the first request
  const state = new FakeRepoState(opts.owner ?? 'hotel-org', opts.repo ?? 'hotel-perf');
  const readOnly = new Set(opts.readOnlyTokens ?? []);
  const requests: RecordedRequest[] = [];
  const violations: Violation[] = [];
  const failures: QueuedFailure[] = [];
  let base = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    const method = (req.method ?? 'GET').toUpperCase();
    const query = Object.fromEntries(url.searchParams);
    const raw = await readBody(req);
    const auth = req.headers.authorization;
    const token = auth?.replace(/^(token|bearer)\s+/i, '');
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query,
      body: undefined,
      status: 0,
      ...(token && { token }),
    };
    requests.push(record);
    const reply = (status: number, body?: unknown, headers?: Record<string, string>) => {
      record.status = status;
      if (body !== undefined) record.response = body;
      send(res, status, body, headers);
    };
    const violate = (errors: string[]) => {
      violations.push({ method, path: url.pathname + url.search, errors });
      reply(400, { message: `Request does not match the GitHub REST API: ${errors.join('; ')}`, errors });
    };

    let body: unknown;
    if (raw.length) {
      try {
        body = JSON.parse(raw);
      } catch {
        return violate(['request body is not JSON']);
      }
    }
    record.body = body;

    const match = matchOperation(method, url.pathname);
    if ('error' in match) return violate([match.error]);
    const { op, params } = match;
    record.operationId = op.operationId;

    const errors: string[] = [];
    const pv = paramValidator(op);
    if (!pv({ path: { ...params }, query: { ...query } })) errors.push(...formatErrors('params', pv));
    const hasBody =
      body !== undefined && !(typeof body === 'object' && body !== null && Object.keys(body).length === 0);
    if (op.body) {
      const bv = bodyValidator(op);
      if (body === undefined && op.body.required) errors.push('body is required');
      else if (body !== undefined && bv && !bv(body)) errors.push(...formatErrors('body', bv));
      if (body !== undefined && !String(req.headers['content-type'] ?? '').includes('application/json')) {
        errors.push(`content-type must be application/json, got ${String(req.headers['content-type'])}`);
      }
    } else if (hasBody) {
      errors.push(`${op.operationId} takes no request body`);
    }
    if (errors.length) return violate(errors);

    const writes = WRITE.has(method.toLowerCase());
    if (writes && !token)
      return reply(401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest' });
    if (writes && readOnly.has(token!)) {
      return reply(403, {
        message: 'Resource not accessible by integration',
        documentation_url: `https://docs.github.com/rest/${op.operationId}`,
        status: '403',
      });
    }
    const takeFailure = (after: boolean) => {
      const f = failures.find((x) => x.after === after && x.method === method && x.path.test(url.pathname));
      if (f) {
        f.times -= 1;
        if (f.times <= 0) failures.splice(failures.indexOf(f), 1);
      }
      return f;
    };
    const replyInjected = (f: QueuedFailure) => reply(f.status, { message: `injected failure ${f.status}` }, f.headers);
    const injected = takeFailure(false);
    if (injected) return replyInjected(injected);
    if (
      params.owner?.toLowerCase() !== state.owner.toLowerCase() ||
      params.repo?.toLowerCase() !== state.repo.toLowerCase()
    ) {
      return reply(404, { message: 'Not Found' });
    }

    const handler = handlers[op.operationId];
    if (!handler) return reply(501, { message: `${op.operationId} is valid but not implemented by the fake server` });
    const headers: Record<string, string> = {};
    const ctx: Ctx = {
      base,
      api: `${base}/repos/${state.owner}/${state.repo}`,
      html: `https://github.com/${state.owner}/${state.repo}`,
      state,
      params,
      query,
      body: (body ?? {}) as Record<string, unknown>,
      setHeader: (k, v) => {
        headers[k] = v;
      },
    };
    try {
      const out = handler(ctx);
      const lost = out.status < 400 ? takeFailure(true) : undefined;
      if (lost) return replyInjected(lost);
      reply(out.status, out.body, headers);
    } catch (err) {
      if (err instanceof HttpError) return reply(err.status, { message: err.message, ...err.extra });
      reply(500, { message: `fake server error: ${(err as Error).message}` });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { message: `fake server error: ${String(err)}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    requests,
    violations,
    state,
    failNext(method, pathRe, status, times = 1, headers = {}) {
      failures.push({ method: method.toUpperCase(), path: pathRe, status, times, headers, after: false });
    },
    failAfterNext(method, pathRe, status, times = 1, headers = {}) {
      failures.push({ method: method.toUpperCase(), path: pathRe, status, times, headers, after: true });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
