/** The GitHub client of a shell (its token masked by `maskSecrets` first), one warning when there is none. */
import { createGitHubClient, type GitHubClient } from '../github/client.js';
import type { RunContext } from './context.js';
import type { Host } from './host.js';

export interface ClientOptions {
  /** First retry delay (default 1 s); tests make it short. */
  retryBaseMs?: number;
  /** What is lost without a client, for the warning; no warning when undefined. */
  without?: string;
}

/** Masks each non-empty secret before anything else is logged. */
export function maskSecrets(host: Host, secrets: Iterable<string | undefined>): void {
  for (const s of secrets) if (s) host.mask(s);
}

/** A client for the run's repository, or undefined (with `opts.without` as a warning) when token or repository is missing. */
export function githubClient(
  host: Host,
  ctx: Pick<RunContext, 'repository' | 'apiUrl'>,
  token: string | undefined,
  opts: ClientOptions = {},
): GitHubClient | undefined {
  if (!token || !ctx.repository) {
    if (opts.without) host.warning(opts.without);
    return undefined;
  }
  return createGitHubClient({
    token,
    repository: ctx.repository,
    baseUrl: ctx.apiUrl,
    log: host,
    ...(opts.retryBaseMs !== undefined && { retryBaseMs: opts.retryBaseMs }),
  });
}
