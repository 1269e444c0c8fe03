/**
 * The two sides of a canary run: which code each one is (ref, full sha, the rule that chose the
 * baseline) and what each running process said it is (`service_build_info`). Pure: the plan
 * resolves `SidesPlan` (lib/canary/baseline.ts), the run adds what answered (lib/canary/identity.ts).
 */

/** Why the baseline is the commit it is: given explicitly, or one of the default rule's three steps. */
export type BaselineRule = 'explicit' | 'release-tag' | 'merge-base' | 'first-parent' | 'same-commit';

/**
 * Where each side's code comes from. `builds`: each side built from its own commit (the canary's
 * `worktree` flag: from the uncommitted working tree); `checkout`: both run the tool's own build (no
 * git repository: an A/A run, said plainly); `external`: the baseline is a URL someone else deployed.
 */
export type SidesMode = 'builds' | 'checkout' | 'external';

export interface SidePlan {
  /** The ref as given or chosen ("v1.2.0", "main", a short sha, "worktree"), null when unknown. */
  ref: string | null;
  /** Full commit sha, null when not known (an external URL). */
  sha: string | null;
}

export interface SidesPlan {
  mode: SidesMode;
  /** Top folder of the git repository the sides are built from (null: none). */
  repo: string | null;
  baseline: SidePlan & { rule: BaselineRule | null; rule_detail: string; url: string | null };
  canary: SidePlan & { worktree: boolean };
  /** Both sides are the same code: the run can only show noise, never a regression. */
  aa: boolean;
  /** The repository had uncommitted changes to tracked files (judged only with `canary-ref worktree`). */
  dirty: boolean;
  /** One plain sentence for the plan, the report and the comment. */
  summary: string;
}

/** What a running process reported in `service_build_info`, or why nothing was read. */
export interface ReportedBuild {
  version: string | null;
  commit: string | null;
  track: string | null;
  error: string | null;
}

export interface SideIdentity extends SidePlan {
  /** Version of the code the side was started from (its package.json), null when not known. */
  version: string | null;
  url: string | null;
  /** The commit the process was expected to report (null: not checked, e.g. an external baseline). */
  expected_commit: string | null;
  reported: ReportedBuild | null;
  /** true: matches; false: mismatch (a failed precondition); null: not checked. */
  matches: boolean | null;
}

/** The `sides` part of a canary report. */
export interface ReportSides {
  mode: SidesMode;
  aa: boolean;
  dirty: boolean;
  summary: string;
  baseline_rule: BaselineRule | null;
  baseline_rule_detail: string;
  baseline: SideIdentity;
  canary: SideIdentity & { worktree: boolean };
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const short = (sha: string | null): string => (sha ? sha.slice(0, 12) : 'n/a');

function sideLine(name: string, s: SideIdentity): string {
  const reported = s.reported
    ? s.reported.error
      ? `not read (${s.reported.error})`
      : `commit ${s.reported.commit ?? '?'}, version ${s.reported.version ?? '?'}, track ${s.reported.track ?? '?'}`
    : 'not read';
  const check = s.matches === null ? 'not checked' : s.matches ? 'matches' : '**MISMATCH**';
  return `| ${name} | ${cell(s.ref ?? 'n/a')} | ${cell(s.sha ?? s.url ?? 'n/a')} | ${cell(s.version ?? 'n/a')} | ${cell(reported)} | ${check} |`;
}

/** Markdown lines naming both sides, for the job summary and the PR comment. */
export function renderSides(s: ReportSides): string[] {
  return [
    `**Sides:** ${cell(s.summary)}`,
    '',
    '| side | ref | commit | version | process reported | identity |',
    '| --- | --- | --- | --- | --- | --- |',
    sideLine('baseline', s.baseline),
    sideLine(s.canary.worktree ? 'canary (working tree)' : 'canary', s.canary),
    '',
  ];
}

/** The plan's one-line description of the sides. */
export function describeSides(s: SidesPlan): string {
  return `baseline ${s.baseline.ref ?? s.baseline.url ?? 'n/a'} (${short(s.baseline.sha)}, ${s.baseline.rule_detail}); canary ${s.canary.ref ?? 'n/a'} (${short(s.canary.sha)})${s.aa ? '; A/A run: both sides are the same code' : ''}`;
}
