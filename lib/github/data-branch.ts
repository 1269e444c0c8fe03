/**
 * JSON files on a data branch (e.g. `perf-data`) through the contents API, so history survives
 * between runs without a database and without a checkout. Writes carry the blob sha GitHub
 * expects; a concurrent writer makes that sha stale (409/422), and the update is redone once.
 */
import { GitHubError, type GitHubClient } from './client.js';

export interface DataFile {
  branch: string;
  path: string;
}

interface ContentFile {
  type: string;
  sha: string;
  content?: string;
  encoding?: string;
}

/** Reads and parses a JSON file; undefined when the branch or the file does not exist. */
export async function readJsonFile<T>(gh: GitHubClient, file: DataFile): Promise<{ data: T; sha: string } | undefined> {
  let got: ContentFile;
  try {
    const res = await gh.octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: gh.owner,
      repo: gh.repo,
      path: file.path,
      ref: file.branch,
    });
    got = res.data as ContentFile;
  } catch (err) {
    if (err instanceof GitHubError && err.status === 404) return undefined;
    throw err;
  }
  if (got.type !== 'file' || typeof got.content !== 'string')
    throw new GitHubError(0, `${file.branch}:${file.path} is not a file`);
  const text = Buffer.from(got.content, (got.encoding as BufferEncoding | undefined) ?? 'base64').toString('utf8');
  try {
    return { data: JSON.parse(text) as T, sha: got.sha };
  } catch (err) {
    throw new GitHubError(
      0,
      `${file.branch}:${file.path} is not valid JSON (${(err as Error).message}); fix or delete it`,
    );
  }
}

/** Creates `branch` at the default branch's head when it does not exist yet. */
export async function ensureBranch(gh: GitHubClient, branch: string): Promise<void> {
  const repo = { owner: gh.owner, repo: gh.repo };
  try {
    await gh.octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...repo, ref: `heads/${branch}` });
    return;
  } catch (err) {
    if (!(err instanceof GitHubError && err.status === 404)) throw err;
  }
  const { data: info } = await gh.octokit.request('GET /repos/{owner}/{repo}', repo);
  const { data: head } = await gh.octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
    ...repo,
    ref: `heads/${info.default_branch}`,
  });
  try {
    await gh.octokit.request('POST /repos/{owner}/{repo}/git/refs', {
      ...repo,
      ref: `refs/heads/${branch}`,
      sha: head.object.sha,
    });
  } catch (err) {
    // 422 "Reference already exists": another run created it in between, which is what we wanted.
    if (!(err instanceof GitHubError && err.status === 422)) throw err;
  }
}

/**
 * Read-modify-write of a JSON file on a data branch (created when missing). `update` gets the
 * current content (undefined for a new file) and returns the new one; it may run twice.
 */
export async function updateJsonFile<T>(
  gh: GitHubClient,
  file: DataFile,
  message: string,
  update: (current: T | undefined) => T,
): Promise<T> {
  await ensureBranch(gh, file.branch);
  for (let attempt = 0; ; attempt++) {
    const current = await readJsonFile<T>(gh, file);
    const next = update(current?.data);
    try {
      await gh.octokit.request('PUT /repos/{owner}/{repo}/contents/{path}', {
        owner: gh.owner,
        repo: gh.repo,
        path: file.path,
        branch: file.branch,
        message,
        content: Buffer.from(`${JSON.stringify(next, null, 2)}\n`).toString('base64'),
        ...(current && { sha: current.sha }),
      });
      return next;
    } catch (err) {
      const conflict = err instanceof GitHubError && (err.status === 409 || err.status === 422);
      if (!conflict || attempt >= 1) throw err;
    }
  }
}
