/**
 * Tag + release + PR comment against the GitHub REST API. Order matters for idempotence: the tag
 * is checked first and never moved; the release and the comment are created only if missing, so a
 * rerun (or a second workflow run racing this one) converges on the same state.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCanaryReport } from '#core/canary/report.js';
import type { CanaryReport } from '#core/canary/types.js';
import { declaredReleaseTag, RELEASE_FILE } from '#core/release/config.js';
import {
  checkSha,
  checkTagName,
  ReleaseRefusedError,
  releasableCanary,
  releasableSmokeReport,
  renderReleaseComment,
  renderReleaseNotes,
  renderTagMessage,
  type ReleaseNotesInput,
} from '#core/release/notes.js';
import { shortSha } from '#core/gate/format.js';
import {
  createGitHubClient,
  degradeOnForbidden,
  GitHubError,
  NO_AUTO_RETRY,
  type GitHubClient,
} from '../github/client.js';
import { upsertStickyComment } from '../github/comment.js';
import { pullRequestsOfCommit } from '../github/pulls.js';
import type { Host } from '../kit/host.js';

/** What the release steps tell the user: a Host's log part (lib/kit/host.ts). */
export type ReleaseLog = Pick<Host, 'info' | 'notice' | 'warning' | 'debug'>;

/** What to do when the tag already exists on another commit: fail the step, or skip with a notice. */
export type OnConflict = 'fail' | 'skip';

export interface ReleaseTagOptions {
  /** Empty: the `tag` of `releaseFile` in the commit being tagged, else DEFAULT_RELEASE_TAG. */
  tag: string;
  /** Repository path of the release file (default release.json). */
  releaseFile?: string | undefined;
  onConflict?: OnConflict | undefined;
  sha: string;
  token: string;
  repository: string;
  apiUrl?: string | undefined;
  /** First GitHub retry delay (default 1 s); tests make it short. */
  retryBaseMs?: number | undefined;
  smokeReportPath: string;
  canaryReportPath?: string | undefined;
  log: ReleaseLog;
}

export interface ReleaseTagResult {
  tag: string;
  sha: string;
  created: boolean;
  /** true when the tag already existed on another commit and onConflict was "skip". */
  skipped: boolean;
  releaseUrl: string;
  summary: string;
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ReleaseRefusedError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ReleaseRefusedError(`${what} ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

const notFound = (err: unknown) => err instanceof GitHubError && err.status === 404;

/** The commit an existing tag ref points at (peeling annotated tags), or undefined if there is no such tag. */
async function taggedCommit(gh: GitHubClient, tag: string): Promise<string | undefined> {
  const repo = { owner: gh.owner, repo: gh.repo };
  let object: { sha: string; type: string };
  try {
    object = (await gh.octokit.rest.git.getRef({ ...repo, ref: `tags/${tag}` })).data.object;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
  // A tag may point at a tag object (annotated), possibly nested; follow it to the commit.
  for (let depth = 0; object.type === 'tag' && depth < 5; depth++) {
    object = (await gh.octokit.rest.git.getTag({ ...repo, tag_sha: object.sha })).data.object;
  }
  return object.sha;
}

/** Creates the annotated tag; returns false when another run created the ref first. */
async function createTag(gh: GitHubClient, tag: string, sha: string, message: string): Promise<boolean> {
  const repo = { owner: gh.owner, repo: gh.repo };
  const tagObject = await gh.octokit.rest.git.createTag({ ...repo, tag, message, object: sha, type: 'commit' });
  try {
    await gh.octokit.rest.git.createRef({ ...repo, ref: `refs/tags/${tag}`, sha: tagObject.data.sha });
    return true;
  } catch (err) {
    if (err instanceof GitHubError && err.status === 422) return false;
    throw err;
  }
}

interface FoundRelease {
  html_url: string;
  tag_name: string;
}

/** The published release of `tag`, or undefined when there is none. */
async function releaseByTag(gh: GitHubClient, tag: string): Promise<FoundRelease | undefined> {
  try {
    const { data } = await gh.octokit.rest.repos.getReleaseByTag({ owner: gh.owner, repo: gh.repo, tag });
    return data.tag_name === tag ? data : undefined;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

/**
 * Creating a release is not idempotent: GitHub may create it and still answer 5xx, and a blind
 * retry then gets 422 already_exists. So the create is never repeated blindly: after a transient
 * failure, and after a 422, the release of our tag is looked up, and finding it is success.
 */
async function ensureRelease(
  gh: GitHubClient,
  tag: string,
  sha: string,
  notes: string,
): Promise<{ url: string; created: boolean }> {
  const existing = await releaseByTag(gh, tag);
  if (existing) return { url: existing.html_url, created: false };
  for (let attempt = 0; ; attempt++) {
    try {
      const { data } = await gh.octokit.rest.repos.createRelease({
        owner: gh.owner,
        repo: gh.repo,
        tag_name: tag,
        target_commitish: sha,
        name: tag,
        body: notes,
        request: NO_AUTO_RETRY,
      });
      return { url: data.html_url, created: true };
    } catch (err) {
      const duplicate = err instanceof GitHubError && err.status === 422;
      if (!duplicate && !(err instanceof GitHubError && err.retryable)) throw err;
      if (!duplicate) await sleep(gh.retry.delayMs(attempt, err));
      const made = await releaseByTag(gh, tag);
      // After a 5xx the release found is the one the failed call made; after a 422 another run made it.
      if (made) return { url: made.html_url, created: !duplicate };
      if (duplicate || attempt >= gh.retry.retries) throw err;
    }
  }
}

/**
 * The tag to release: the explicit input, else the one the commit being tagged declares in its
 * release file (read at that commit, so a later bump on main cannot relabel an earlier commit),
 * else the historical default when the repository has no release file.
 */
async function resolveTag(
  gh: GitHubClient,
  opts: ReleaseTagOptions,
  sha: string,
): Promise<{ tag: string; from?: string }> {
  if (opts.tag) return { tag: checkTagName(opts.tag) };
  const file = opts.releaseFile || RELEASE_FILE;
  const where = `${file} at ${shortSha(sha)}`;
  let text: string | undefined;
  try {
    const { data } = await gh.octokit.rest.repos.getContent({ owner: gh.owner, repo: gh.repo, path: file, ref: sha });
    const f = data as { type?: unknown; content?: unknown; encoding?: unknown };
    if (Array.isArray(data) || f.type !== 'file' || typeof f.content !== 'string' || f.encoding !== 'base64') {
      throw new ReleaseRefusedError(`${where} is not a file GitHub returns with its content`);
    }
    text = Buffer.from(f.content, 'base64').toString('utf8');
  } catch (err) {
    if (!notFound(err)) throw err;
  }
  const tag = declaredReleaseTag(text, where);
  opts.log.info(
    text === undefined ? `no ${where}: releasing the default tag ${tag}` : `release tag ${tag} declared in ${where}`,
  );
  return text === undefined ? { tag } : { tag, from: file };
}

/** The merged pull request whose merge produced `sha` (else any PR associated with it). */
async function pullRequestFor(gh: GitHubClient, sha: string): Promise<number | undefined> {
  const data = await pullRequestsOfCommit(gh, sha);
  const merged =
    data.find((p) => p.merged_at && p.merge_commit_sha === sha) ?? data.find((p) => p.merged_at) ?? data[0];
  return merged?.number;
}

export async function releaseTag(opts: ReleaseTagOptions): Promise<ReleaseTagResult> {
  if (opts.tag) checkTagName(opts.tag);
  const onConflict = opts.onConflict ?? 'fail';
  const sha = checkSha(opts.sha);
  const smoke = releasableSmokeReport(readJson(opts.smokeReportPath, 'smoke report'), sha, opts.smokeReportPath);
  let canary: CanaryReport | undefined;
  if (opts.canaryReportPath) {
    const path = opts.canaryReportPath;
    try {
      canary = releasableCanary(parseCanaryReport(readJson(path, 'canary report'), path), sha, path);
    } catch (err) {
      throw err instanceof ReleaseRefusedError ? err : new ReleaseRefusedError((err as Error).message);
    }
  }
  const gh = createGitHubClient({
    token: opts.token,
    repository: opts.repository,
    baseUrl: opts.apiUrl,
    log: opts.log,
    ...(opts.retryBaseMs !== undefined && { retryBaseMs: opts.retryBaseMs }),
  });
  const { tag, from } = await resolveTag(gh, opts, sha);
  const notesInput: ReleaseNotesInput = { tag, sha, smoke, canary };

  let created = false;
  let current = await taggedCommit(gh, tag);
  if (current === undefined) {
    created = await createTag(gh, tag, sha, renderTagMessage(notesInput));
    if (!created) current = await taggedCommit(gh, tag); // lost a race: judge what the winner created
  }
  if (!created && current !== sha) {
    const at = current ? shortSha(current) : 'an unknown object';
    const next = from ? `bump ${from}` : 'choose another tag';
    if (onConflict === 'skip') {
      const message = `${tag} already released at ${at}; ${next} to release this commit (${shortSha(sha)})`;
      opts.log.notice(message);
      const releaseUrl = (await releaseByTag(gh, tag))?.html_url ?? '';
      const link = releaseUrl ? ` ([release](${releaseUrl}))` : '';
      return {
        tag,
        sha,
        created: false,
        skipped: true,
        releaseUrl,
        summary: `### Release skipped\n\n\`${tag}\` already released at \`${at}\`${link}; ${next} to release \`${shortSha(sha)}\`. The tag was not moved.\n`,
      };
    }
    throw new ReleaseRefusedError(
      `tag ${tag} already points at ${at}, not ${shortSha(sha)}; tags are never moved (${next}, or delete the tag by hand)`,
    );
  }
  opts.log.info(
    created
      ? `created annotated tag ${tag} at ${shortSha(sha)}`
      : `tag ${tag} already points at ${shortSha(sha)}: nothing to change`,
  );

  const release = await ensureRelease(gh, tag, sha, renderReleaseNotes(notesInput));
  opts.log.info(`${release.created ? 'created' : 'found'} release ${release.url}`);

  const body = renderReleaseComment({ ...notesInput, releaseUrl: release.url });
  const comment = await degradeOnForbidden('pull request comment', opts.log, async () => {
    const pr = await pullRequestFor(gh, sha);
    if (pr === undefined) {
      opts.log.info(`no pull request is associated with ${shortSha(sha)}: no comment`);
      return undefined;
    }
    return upsertStickyComment(gh, { issueNumber: pr, kind: 'release', body });
  });
  if (comment) opts.log.info(`pull request comment ${comment.action}: ${comment.url}`);

  return {
    tag,
    sha,
    created,
    skipped: false,
    releaseUrl: release.url,
    summary: `${body}\n${renderReleaseNotes(notesInput)}`,
  };
}
