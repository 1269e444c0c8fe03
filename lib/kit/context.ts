/**
 * The run's GitHub context, read once by `@actions/github`'s `Context` (the toolkit's reader of
 * GITHUB_EVENT_PATH and the GITHUB_* variables) and narrowed to what the shells use. One reader
 * for every action, instead of one hand-written per action.
 */
import { context as toolkitContext } from '@actions/github';
import { InputError } from '../inputs.js';

type ToolkitContext = typeof toolkitContext;
/** The toolkit's class, reached through its singleton: the package exports only the instance. */
const ToolkitContextClass = toolkitContext.constructor as new () => ToolkitContext;

export interface PullRequestRef {
  number: number;
  head: { sha: string; ref: string; repo?: { fork?: boolean; full_name?: string } | null };
  base: { ref: string; sha: string; repo?: { full_name?: string } };
}

export interface RunContext {
  /** GITHUB_EVENT_NAME, 'local' outside a runner. */
  event: string;
  /** "owner/name", '' when unknown. */
  repository: string;
  sha: string;
  ref: string;
  workspace: string;
  apiUrl: string;
  /** The pull request of a pull_request(_target) event. */
  pr?: PullRequestRef;
  /** The repository's default branch, when the event names it. */
  defaultBranch?: string;
  /** A workflow_run event's head commit. */
  workflowRunHeadSha?: string;
  run: { id?: string; url?: string; attempt?: number; workflow?: string; job?: string };
}

/**
 * The context of this run. `env` defaults to the process's: tests running a shell in-process pass
 * their own (the toolkit's class reads `process.env`, so it is swapped in for the construction only).
 */
export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const saved = process.env;
  let c: ToolkitContext;
  try {
    process.env = env;
    c = new ToolkitContextClass();
  } catch (err) {
    throw new InputError(`GITHUB_EVENT_PATH ${env.GITHUB_EVENT_PATH} is not valid JSON: ${(err as Error).message}`);
  } finally {
    process.env = saved;
  }
  const payload = c.payload as {
    pull_request?: PullRequestRef;
    repository?: { default_branch?: string };
    workflow_run?: { head_sha?: unknown };
  };
  const event = c.eventName ?? 'local';
  const ctx: RunContext = {
    event,
    repository: env.GITHUB_REPOSITORY ?? '',
    sha: c.sha ?? '',
    ref: c.ref ?? '',
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    run: {
      ...(env.GITHUB_RUN_ID && {
        id: env.GITHUB_RUN_ID,
        url: `${c.serverUrl}/${env.GITHUB_REPOSITORY ?? ''}/actions/runs/${env.GITHUB_RUN_ID}`,
      }),
      ...(Number.isFinite(c.runAttempt) && { attempt: c.runAttempt }),
      ...(c.workflow && { workflow: c.workflow }),
      ...(c.job && { job: c.job }),
    },
  };
  if ((event === 'pull_request' || event === 'pull_request_target') && payload.pull_request)
    ctx.pr = payload.pull_request;
  if (payload.repository?.default_branch) ctx.defaultBranch = payload.repository.default_branch;
  if (typeof payload.workflow_run?.head_sha === 'string') ctx.workflowRunHeadSha = payload.workflow_run.head_sha;
  return ctx;
}

/** `refs/heads/main` -> `main`; undefined for tags and pull request refs. */
export function branchOf(ref: string): string | undefined {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}
