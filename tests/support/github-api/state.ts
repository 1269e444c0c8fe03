/** The fake GitHub's in-memory repository: commits, refs, tags, releases, pull requests, comments, files. */
import { createHash } from 'node:crypto';
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

export const BOT = 'github-actions[bot]';

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
