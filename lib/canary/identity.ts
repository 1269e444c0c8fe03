/**
 * Each side is who it claims to be: after readiness, read `service_build_info` from each side's
 * /metrics and compare the commit it reports with the commit it was meant to run. A side this run
 * started (or a canary the deploy command was told to deploy) that answers as another commit is a
 * failed precondition, never a pass. An external baseline is recorded, not checked.
 */
import type { Precondition } from '#core/canary/index.js';
import type { ReportedBuild, ReportSides, SideIdentity } from '#core/canary/sides.js';
import type { SideBuild } from './builds.js';
import type { CanaryPlan } from '#core/canary/plan.js';
import type { Targets } from './deployer.js';

const INFO_RE = /^service_build_info\{([^}]*)\}\s+1(?:\s|$)/m;

/** The labels of `service_build_info` in a Prometheus text exposition. */
export function parseBuildInfo(text: string): ReportedBuild {
  const m = INFO_RE.exec(text);
  if (!m) return { version: null, commit: null, track: null, error: 'no service_build_info in /metrics' };
  const labels = new Map([...m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
  return {
    version: labels.get('version') ?? null,
    commit: labels.get('commit') ?? null,
    track: labels.get('track') ?? null,
    error: null,
  };
}

export async function readBuildInfo(baseUrl: string, signal?: AbortSignal): Promise<ReportedBuild> {
  try {
    const timeout = AbortSignal.timeout(5000);
    const res = await fetch(`${baseUrl}/metrics`, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    const text = await res.text();
    if (res.status !== 200)
      return { version: null, commit: null, track: null, error: `/metrics answered ${res.status}` };
    return parseBuildInfo(text);
  } catch (err) {
    return { version: null, commit: null, track: null, error: `/metrics: ${(err as Error).message}` };
  }
}

/** A reported commit names the expected one: equal, or one a prefix of the other (short shas). */
function sameCommit(expected: string, reported: string): boolean {
  const a = expected.toLowerCase();
  const b = reported.toLowerCase();
  return (
    a === b || (b.length >= 7 && !b.endsWith('-dirty') && !a.endsWith('-dirty') && (a.startsWith(b) || b.startsWith(a)))
  );
}

interface Expectation {
  commit: string | null;
  /** true: this run started the side, so an unreadable or unknown identity fails too. */
  strict: boolean;
}

function judgeSide(e: Expectation, r: ReportedBuild): boolean | null {
  if (e.commit === null) return null;
  const known = r.error === null && r.commit !== null && r.commit !== 'unknown';
  if (!known) return e.strict ? false : null;
  return sameCommit(e.commit, r.commit!);
}

/** The sides as planned and built, for a report whose run never reached the identity check. */
export function unreadSides(
  plan: CanaryPlan,
  builds: { baseline: SideBuild | null; canary: SideBuild | null },
): ReportSides {
  const s = plan.sides;
  const side = (which: 'baseline' | 'canary'): SideIdentity => ({
    ref: s[which].ref,
    sha: s[which].sha,
    version: builds[which]?.version ?? null,
    url: null,
    expected_commit: builds[which]?.commit ?? null,
    reported: null,
    matches: null,
  });
  return reportSides(s, side('baseline'), side('canary'));
}

/** The report's record of both sides: how they were chosen (from the plan) and who each one is. */
function reportSides(s: CanaryPlan['sides'], baseline: SideIdentity, canary: SideIdentity): ReportSides {
  return {
    mode: s.mode,
    aa: s.aa,
    dirty: s.dirty,
    summary: s.summary,
    baseline_rule: s.baseline.rule,
    baseline_rule_detail: s.baseline.rule_detail,
    baseline,
    canary: { ...canary, worktree: s.canary.worktree },
  };
}

export interface IdentityResult {
  sides: ReportSides;
  precondition: Precondition;
}

export async function identifySides(
  plan: CanaryPlan,
  targets: Targets,
  builds: { baseline: SideBuild | null; canary: SideBuild | null },
  signal?: AbortSignal,
): Promise<IdentityResult> {
  const s = plan.sides;
  const local = plan.deployer.kind === 'local';
  const startedBaseline = local && plan.deployer.baseline_url === null;
  const expect = {
    baseline: { commit: builds.baseline?.commit ?? null, strict: startedBaseline },
    // The local deployer sets GIT_COMMIT itself; a deploy command may not: then only a known, different commit fails.
    canary: { commit: builds.canary?.commit ?? plan.sha, strict: local },
  };
  const [rb, rc] = await Promise.all([
    readBuildInfo(targets.baselineUrl, signal),
    readBuildInfo(targets.canaryUrl, signal),
  ]);
  const side = (which: 'baseline' | 'canary', r: ReportedBuild, url: string): SideIdentity => {
    const b = builds[which];
    return {
      ref: s[which].ref,
      sha: s[which].sha,
      version: b?.version ?? r.version,
      url,
      expected_commit: expect[which].commit,
      reported: r,
      matches: judgeSide(expect[which], r),
    };
  };
  const baseline = side('baseline', rb, targets.baselineUrl);
  const canary = side('canary', rc, targets.canaryUrl);
  const sides = reportSides(s, baseline, canary);
  const said = (name: string, i: SideIdentity): string =>
    i.reported?.error
      ? `${name} identity not read (${i.reported.error})`
      : `${name} answered as commit ${i.reported?.commit ?? '?'} version ${i.reported?.version ?? '?'}${i.expected_commit ? ` (expected ${i.expected_commit})` : ''}`;
  const bad = [baseline, canary]
    .map((i, k) => ({ i, name: k === 0 ? 'baseline' : 'canary' }))
    .filter((x) => x.i.matches === false);
  const precondition: Precondition =
    bad.length > 0
      ? { step: 'identity', ok: false, reason: `wrong code answered: ${bad.map((x) => said(x.name, x.i)).join('; ')}` }
      : { step: 'identity', ok: true, reason: `${said('baseline', baseline)}; ${said('canary', canary)}` };
  return { sides, precondition };
}
