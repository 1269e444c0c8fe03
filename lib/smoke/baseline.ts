/**
 * Where the smoke gate finds its baseline: the p95 history of the base branch and the ancestry of
 * the commit under test. The action asks GitHub (best effort); the CLI reads the local clone
 * (the data branch as fetched, `git rev-list`), so `npm run smoke` compares with the base branch
 * wherever the history has been fetched.
 */
import { execFileSync } from 'node:child_process';
import { emptyHistory, parseHistoryFile, type HistoryFile } from '#core/gate/history.js';
import { commitAncestors, mergeBaseAncestry } from '../github/ancestry.js';
import type { GitHubClient } from '../github/client.js';
import { historyFile, readHistory } from '../github/history.js';
import type { RunContext } from '../kit/context.js';
import type { Logger } from '../kit/host.js';
import { bestEffort } from './best-effort.js';

export interface BaselineSource {
  history(): Promise<HistoryFile | undefined>;
  /** Commits whose recorded run may be the baseline, nearest first. */
  ancestors(): Promise<string[]>;
}

/** GitHub: the data branch through the API, a pull request's merge-base ancestry (or a push's ancestors). */
export function githubBaseline(
  gh: GitHubClient,
  ctx: Pick<RunContext, 'pr' | 'sha'>,
  historyBranch: string,
  branch: string,
  log: Logger,
): BaselineSource {
  const pr = ctx.pr;
  return {
    history: () =>
      bestEffort('Reading the p95 history', log, () => readHistory(gh, historyFile(historyBranch, branch))),
    ancestors: async () =>
      (await bestEffort('Looking up the merge base ancestry', log, () =>
        pr ? mergeBaseAncestry(gh, { base: pr.base.ref, head: pr.head.sha }) : commitAncestors(gh, ctx.sha),
      )) ?? [],
  };
}

function git(cwd: string, args: string[]): string | undefined {
  try {
    return (
      execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** The local clone: `<historyBranch>` as fetched from origin (else a local branch of that name), HEAD's ancestry. */
export function localGitBaseline(cwd: string, historyBranch: string, branch: string | undefined): BaselineSource {
  const base =
    branch ?? git(cwd, ['symbolic-ref', '--short', 'refs/remotes/origin/HEAD'])?.replace(/^origin\//, '') ?? 'main';
  const file = historyFile(historyBranch, base);
  return {
    history: async () => {
      for (const ref of [`origin/${historyBranch}`, historyBranch]) {
        const text = git(cwd, ['show', `${ref}:${file.path}`]);
        if (text !== undefined) return parseHistoryFile(JSON.parse(text) as unknown, `${ref}:${file.path}`);
      }
      return emptyHistory();
    },
    ancestors: async () => git(cwd, ['rev-list', '--max-count=1000', 'HEAD'])?.split('\n') ?? [],
  };
}

/** The run's commit and ref in the local clone, for a report written outside a runner. */
export function localCommit(cwd: string): { sha: string; ref: string } {
  return {
    sha: git(cwd, ['rev-parse', 'HEAD']) ?? 'unknown',
    ref: git(cwd, ['symbolic-ref', '-q', 'HEAD']) ?? 'local',
  };
}
