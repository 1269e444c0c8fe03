/**
 * The canary's Shell (lib/canary/orchestrate.ts) on a Host (lib/kit/host.ts): the action's
 * messages, outputs and job summary, its post-step state, and the PR comment when there is a token.
 */
import { githubClient } from '../kit/github.js';
import type { RunContext } from '../kit/context.js';
import type { Host } from '../kit/host.js';
import { commentOnPullRequests } from './github.js';
import type { Shell } from './orchestrate.js';

export function hostShell(
  host: Host,
  ctx: Pick<RunContext, 'repository' | 'apiUrl'>,
  token: string | undefined,
  opts: { retryBaseMs?: number } = {},
): Shell {
  const gh = githubClient(host, ctx, token, opts);
  return {
    log: (l) => host.info(l),
    warn: (l) => host.warning(l),
    error: (l) => host.error(l),
    saveState: (s) => host.saveState('cleanup', s),
    setOutput: (n, v) => host.setOutput(n, v),
    summary: (md) => host.summary(md),
    ...(gh && {
      comment: async (sha, md, environment) => {
        const prs = await commentOnPullRequests(gh, sha, md, host, environment);
        host.info(
          prs.length
            ? `commented on pull request(s) ${prs.map((n) => `#${n}`).join(', ')}`
            : `no pull request contains ${sha}`,
        );
      },
    }),
  };
}
