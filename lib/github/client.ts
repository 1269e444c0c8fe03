/**
 * GitHub REST client shared by the actions and the CLI: octokit (from @actions/github, so proxy
 * settings of self-hosted runners apply) with retries on 429/5xx and one error type with a status.
 */
import { GitHub, getOctokitOptions } from '@actions/github/lib/utils';

export type Octokit = InstanceType<typeof GitHub>;

/** Any failed GitHub call: `status` is the HTTP status (0 when no response arrived). */
export class GitHubError extends Error {
  override name = 'GitHubError';
  constructor(
    readonly status: number,
    message: string,
    /** A transient failure (429, 5xx, rate limit, no response): the same call may succeed later. */
    readonly retryable = false,
    /** How long GitHub asked to wait (`retry-after` / rate-limit reset), when it said. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Per-request option (`request: NO_AUTO_RETRY`) for calls that are not idempotent, such as
 * creating a comment: GitHub may have done the work before answering 5xx, so the caller must look
 * before trying again instead of letting the client repeat the call blindly.
 */
export const NO_AUTO_RETRY = { hotelPerfRetries: 0 } as const;

export interface Logger {
  warning(message: string): void;
  debug?(message: string): void;
}

export interface GitHubClientOptions {
  token: string;
  /** "owner/repo". */
  repository: string;
  /** REST root, e.g. GITHUB_API_URL; default https://api.github.com. */
  baseUrl?: string;
  /** Retries after the first attempt on 429, 5xx and network errors (default 3). */
  retries?: number;
  /** First backoff delay; doubles per retry (default 1000 ms; tests pass a short one). */
  retryBaseMs?: number;
  /** Longest single wait, also caps `retry-after` (default 30 s). */
  maxRetryDelayMs?: number;
  log?: Logger;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Wait before retry number `attempt` (0-based) after `err`. */
  delayMs(attempt: number, err: unknown): number;
}

export interface GitHubClient {
  octokit: Octokit;
  owner: string;
  repo: string;
  /** The client's backoff, for callers that retry a NO_AUTO_RETRY call themselves. */
  retry: RetryPolicy;
}

interface ErrorLike {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function statusOf(err: unknown): number {
  const s = (err as ErrorLike | undefined)?.status;
  return typeof s === 'number' ? s : 0;
}

/** A 403 with an exhausted primary rate limit is a rate limit, not a permission problem. */
function isRetryable(err: unknown): boolean {
  if (err instanceof GitHubError) return err.retryable;
  const status = statusOf(err);
  if (status === 0 || status === 429 || status >= 500) return true;
  const headers = (err as ErrorLike).response?.headers ?? {};
  return status === 403 && (String(headers['x-ratelimit-remaining']) === '0' || headers['retry-after'] !== undefined);
}

/** Seconds from `retry-after`, or until `x-ratelimit-reset` (epoch seconds); undefined when neither is set. */
function serverDelayMs(err: unknown): number | undefined {
  if (err instanceof GitHubError) return err.retryAfterMs;
  const headers = (err as ErrorLike).response?.headers ?? {};
  const after = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(after)) return Math.max(0, after * 1000);
  const reset = Number(headers['x-ratelimit-reset']);
  if (String(headers['x-ratelimit-remaining']) === '0' && Number.isFinite(reset))
    return Math.max(0, reset * 1000 - Date.now());
  return undefined;
}

function toGitHubError(err: unknown, method: string, url: string): GitHubError {
  if (err instanceof GitHubError) return err;
  const status = statusOf(err);
  const e = err as ErrorLike;
  const data = e.response?.data as { message?: unknown } | undefined;
  const detail =
    typeof data?.message === 'string' ? data.message : typeof e.message === 'string' ? e.message : String(err);
  return new GitHubError(
    status,
    `GitHub API ${method} ${url} ${status ? `answered ${status}` : 'failed'}: ${detail.split('\n')[0]}`,
    isRetryable(err),
    serverDelayMs(err),
  );
}

function parseRepository(repository: string): [string, string] {
  const m = /^([\w.-]+)\/([\w.-]+)$/.exec(repository);
  if (!m) throw new GitHubError(0, `repository must be "owner/name", got ${JSON.stringify(repository)}`);
  return [m[1]!, m[2]!];
}

export function createGitHubClient(opts: GitHubClientOptions): GitHubClient {
  const [owner, repo] = parseRepository(opts.repository);
  const retries = opts.retries ?? 3;
  const baseMs = opts.retryBaseMs ?? 1000;
  const maxDelay = opts.maxRetryDelayMs ?? 30_000;
  const retry: RetryPolicy = {
    retries,
    delayMs: (attempt, err) => Math.min(maxDelay, serverDelayMs(err) ?? baseMs * 2 ** attempt),
  };
  const octokit = new GitHub(getOctokitOptions(opts.token, { baseUrl: opts.baseUrl ?? 'https://api.github.com' }));
  octokit.hook.wrap('request', async (request, options) => {
    const what = `${options.method} ${String(options.url)}`;
    const own = (options.request as { hotelPerfRetries?: unknown } | undefined)?.hotelPerfRetries;
    const allowed = typeof own === 'number' ? own : retries;
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(options);
      } catch (err) {
        if (attempt >= allowed || !isRetryable(err)) throw toGitHubError(err, options.method, String(options.url));
        const wait = retry.delayMs(attempt, err);
        opts.log?.debug?.(
          `GitHub API ${what} answered ${statusOf(err) || 'no response'}; retry ${attempt + 1}/${allowed} in ${Math.round(wait)} ms`,
        );
        await sleep(wait);
      }
    }
  });
  return { octokit, owner, repo, retry };
}

/**
 * Runs a GitHub step whose failure must not fail the job: a 403/404 (fork pull request, read-only
 * or missing token, missing permission) becomes a warning and `undefined`. Other errors propagate.
 */
export async function degradeOnForbidden<T>(what: string, log: Logger, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof GitHubError && (err.status === 403 || err.status === 404)) {
      log.warning(
        `${what} skipped: GitHub answered ${err.status} (fork pull request or a token without write permission?). ${err.message}`,
      );
      return undefined;
    }
    throw err;
  }
}
