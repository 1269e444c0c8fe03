/**
 * Which two commits a canary compares. The canary is `<sha>`; the baseline is `--baseline-ref`
 * when given, else (the default rule, in order):
 *   1. the newest release tag (a tag name `release.json` declared) that is an ancestor of `<sha>`,
 *   2. else the merge base of `<sha>` with the default branch,
 *   3. else `<sha>`'s first parent.
 * A candidate equal to `<sha>` itself is skipped (a commit on main, or the released commit itself,
 * would otherwise be compared with itself). The plan records the ref, the full sha and the rule.
 */
import { RELEASE_FILE, declaredReleaseTag } from '#core/release/config.js';
import { DEFAULT_RELEASE_TAG } from '#core/release/notes.js';
import type { BaselineRule, SidesPlan } from '#core/canary/sides.js';
import {
  commitDepth,
  commitsTouching,
  defaultBranch,
  fileAt,
  firstParent,
  isDirty,
  mergeBase,
  NotARepositoryError,
  repoRoot,
  resolveCommit,
  tagsMergedInto,
} from '../git/index.js';

/** `--canary-ref worktree`: judge the uncommitted working tree instead of a commit. */
export const WORKTREE_REF = 'worktree';

export interface BaselineChoice {
  ref: string;
  sha: string;
  rule: BaselineRule;
  detail: string;
}

/** The facts the default rule chooses from (gathered from git by `defaultBaseline`). */
export interface BaselineCandidates {
  /** Release tags reachable from the canary, with the depth of the commit each sits on. */
  releaseTags: Array<{ tag: string; sha: string; depth: number }>;
  mergeBase: { branch: string; sha: string } | null;
  firstParent: string | null;
}

/** The default rule, pure: release tag, else merge base, else first parent; never the canary itself. */
export function chooseBaseline(canarySha: string, c: BaselineCandidates): BaselineChoice {
  const tags = c.releaseTags.filter((t) => t.sha !== canarySha).sort((a, b) => b.depth - a.depth);
  const tag = tags[0];
  if (tag)
    return { ref: tag.tag, sha: tag.sha, rule: 'release-tag', detail: `newest release tag before it (${tag.tag})` };
  if (c.mergeBase && c.mergeBase.sha !== canarySha) {
    return {
      ref: c.mergeBase.sha.slice(0, 12),
      sha: c.mergeBase.sha,
      rule: 'merge-base',
      detail: `merge base with ${c.mergeBase.branch} (no release tag before it)`,
    };
  }
  if (c.firstParent) {
    return {
      ref: c.firstParent.slice(0, 12),
      sha: c.firstParent,
      rule: 'first-parent',
      detail: 'first parent (no release tag before it, no merge base with the default branch apart from itself)',
    };
  }
  return { ref: canarySha.slice(0, 12), sha: canarySha, rule: 'same-commit', detail: 'root commit: nothing before it' };
}

/** Tag names `release.json` declared in the canary's history (and the default one of a repository without it). */
function releaseTagNames(repo: string, sha: string): Set<string> {
  const names = new Set([DEFAULT_RELEASE_TAG]);
  for (const c of commitsTouching(repo, sha, RELEASE_FILE)) {
    try {
      names.add(declaredReleaseTag(fileAt(repo, c, RELEASE_FILE), `${RELEASE_FILE} at ${c}`));
    } catch {
      /* a malformed release file declared nothing */
    }
  }
  return names;
}

export function defaultBaseline(repo: string, canarySha: string): BaselineChoice {
  const names = releaseTagNames(repo, canarySha);
  const releaseTags = tagsMergedInto(repo, canarySha)
    .filter((t) => names.has(t.tag))
    .map((t) => ({ ...t, depth: commitDepth(repo, t.sha) }));
  const branch = defaultBranch(repo);
  const base = branch ? mergeBase(repo, canarySha, branch) : null;
  return chooseBaseline(canarySha, {
    releaseTags,
    mergeBase: branch && base ? { branch, sha: base } : null,
    firstParent: firstParent(repo, canarySha),
  });
}

export interface SidesInputs {
  cwd: string;
  sha: string;
  baselineRef?: string;
  canaryRef?: string;
  /** The baseline is a URL (an external deployment): only the canary is built. */
  baselineUrl: string | null;
}

/** The command deployer's sides: the user's command deploys `<sha>`, the baseline is the URL. */
export function commandSides(sha: string, baselineUrl: string | null): SidesPlan {
  return {
    mode: 'external',
    repo: null,
    baseline: { ref: null, sha: null, rule: null, rule_detail: 'the baseline URL given', url: baselineUrl },
    canary: { ref: sha, sha: null, worktree: false },
    aa: false,
    dirty: false,
    summary: `canary ${sha} deployed by the deploy command; baseline the deployment at ${baselineUrl ?? 'n/a'}`,
  };
}

/**
 * Resolves both sides for the local deployer. Throws UnresolvedRefError (exit 2, one line) when
 * `<sha>` or the baseline ref names no commit; a folder outside git gives the `checkout` mode.
 */
export function resolveSides(i: SidesInputs): SidesPlan {
  const worktree = i.canaryRef === WORKTREE_REF;
  let repo: string;
  try {
    repo = repoRoot(i.cwd);
  } catch (err) {
    if (!(err instanceof NotARepositoryError)) throw err;
    return {
      repo: null,
      mode: 'checkout',
      baseline: { ref: null, sha: null, rule: null, rule_detail: 'no git repository', url: i.baselineUrl },
      canary: { ref: i.sha, sha: null, worktree },
      aa: i.baselineUrl === null,
      dirty: false,
      summary:
        i.baselineUrl === null
          ? `A/A run: ${i.cwd} is not a git repository, so both sides run this tool's own build`
          : `${i.cwd} is not a git repository: the canary runs this tool's own build against the baseline at ${i.baselineUrl}`,
    };
  }
  const named = resolveCommit(repo, i.sha, 'sha');
  // The working tree sits on HEAD: that is the commit its uncommitted changes apply to.
  const canarySha = worktree ? resolveCommit(repo, 'HEAD', 'HEAD') : named;
  const dirty = isDirty(repo);
  const canaryRef = worktree ? WORKTREE_REF : i.sha;
  if (i.baselineUrl !== null) {
    return {
      repo,
      mode: 'external',
      baseline: { ref: null, sha: null, rule: null, rule_detail: 'the baseline URL given', url: i.baselineUrl },
      canary: { ref: canaryRef, sha: canarySha, worktree },
      aa: false,
      dirty,
      summary: `canary ${worktree ? 'the working tree at ' : ''}${canarySha} built here; baseline the deployment at ${i.baselineUrl}`,
    };
  }
  const choice: BaselineChoice = i.baselineRef
    ? {
        ref: i.baselineRef,
        sha: resolveCommit(repo, i.baselineRef, 'baseline-ref'),
        rule: 'explicit',
        detail: 'given by baseline-ref',
      }
    : defaultBaseline(repo, canarySha);
  // The working tree differs from its commit only when it is dirty.
  const aa = choice.sha === canarySha && !(worktree && dirty);
  const canaryWords = worktree ? `the working tree (on ${canarySha.slice(0, 12)})` : canarySha.slice(0, 12);
  return {
    repo,
    mode: 'builds',
    baseline: { ref: choice.ref, sha: choice.sha, rule: choice.rule, rule_detail: choice.detail, url: null },
    canary: { ref: canaryRef, sha: canarySha, worktree },
    aa,
    dirty,
    summary: aa
      ? `A/A run: baseline ${choice.ref} and canary ${canaryWords} are the same commit (${canarySha}); it can show noise, never a regression`
      : `canary ${canaryWords} against baseline ${choice.ref} (${choice.sha.slice(0, 12)}, ${choice.detail}), each built from its own commit`,
  };
}
