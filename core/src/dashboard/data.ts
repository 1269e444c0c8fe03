/**
 * What the performance dashboard shows, shaped from its sources (pure: the shell reads the files
 * and git, `lib/dashboard` writes the page). One run per recorded commit of the smoke history, in
 * the history's order (oldest first), with the release tags that point at its commit; release tags
 * whose commit has no recorded run; canary verdicts, newest first; the budget lines.
 */
import type { Budget } from '../budget.js';
import type { CanaryReport, Verdict } from '../canary/types.js';
import type { HistoryEntry, HistoryFile } from '../gate/history.js';

/** A git tag and the commit it points at (annotated tags peeled to their commit). */
export interface ReleaseTag {
  tag: string;
  sha: string;
}

/** A history entry as the page shows it: what the gate recorded, plus what git says about the commit. */
export interface DashboardRun extends Omit<HistoryEntry, 'p95_ci_ms'> {
  /** The commit's subject line, when the commit was found in the repository; null otherwise. */
  subject: string | null;
  /** Release tags on this commit, sorted. */
  tags: string[];
}

export interface DashboardCanary {
  environment: string;
  sha: string;
  verdict: Verdict;
  generated_at: string;
  /** The final verdict's reasons, as the report states them. */
  reasons: string[];
  baseline_p95_ms: number | null;
  canary_p95_ms: number | null;
  action: string;
  /** Link to the report, relative to the page. */
  href: string;
}

export interface DashboardData {
  generated_at: string;
  /** Which history this is, e.g. the file it was read from. */
  source: string;
  budget: { p95_ms: number; error_rate: number };
  runs: DashboardRun[];
  /** Release tags whose commit has no recorded run (never measured, or dropped from the bounded history). */
  unplaced_tags: ReleaseTag[];
  canaries: DashboardCanary[];
  /** Whether tags and subjects were read at all (no repository given: they are unknown, not absent). */
  repository_read: boolean;
}

export interface DashboardInput {
  history: HistoryFile;
  source: string;
  budget: Pick<Budget, 'p95_ms' | 'error_rate'>;
  /** undefined when no repository was read. */
  tags?: readonly ReleaseTag[];
  /** Full commit SHA (lowercase) -> subject line. */
  subjects?: ReadonlyMap<string, string>;
  canaries?: ReadonlyArray<{ report: CanaryReport; href: string }>;
  generatedAt?: Date;
}

/**
 * Whether two SHAs name the same commit. History entries and tags normally carry full SHAs, but the
 * history format accepts abbreviated ones (7+ hex), which match the full SHA they abbreviate.
 */
export function sameCommit(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x.length <= y.length ? y.startsWith(x) : x.startsWith(y);
}

function lookupBySha<T>(map: ReadonlyMap<string, T>, sha: string): T | undefined {
  const exact = map.get(sha.toLowerCase());
  if (exact !== undefined || sha.length >= 40) return exact;
  for (const [full, v] of map) if (sameCommit(sha, full)) return v;
  return undefined;
}

export function buildDashboardData(input: DashboardInput): DashboardData {
  const tags = input.tags ?? [];
  const subjects = input.subjects ?? new Map<string, string>();
  const tagsBySha = new Map<string, string[]>();
  for (const t of tags) {
    const key = t.sha.toLowerCase();
    tagsBySha.set(key, [...(tagsBySha.get(key) ?? []), t.tag]);
  }
  const placed = new Set<string>();
  const runs = input.history.entries.map((e: HistoryEntry): DashboardRun => {
    const onCommit = lookupBySha(tagsBySha, e.sha) ?? [];
    for (const t of onCommit) placed.add(t);
    return {
      sha: e.sha,
      ref: e.ref,
      time: e.time,
      p95_ms: e.p95_ms,
      error_rate: e.error_rate,
      requests: e.requests,
      verdict: e.verdict,
      subject: lookupBySha(subjects, e.sha) ?? null,
      tags: [...onCommit].sort(),
    };
  });
  const canaries = (input.canaries ?? [])
    .map(({ report, href }): DashboardCanary => ({
      environment: report.environment,
      sha: report.sha,
      verdict: report.verdict,
      generated_at: report.generated_at,
      reasons: report.reasons ?? [],
      baseline_p95_ms: report.baseline_p95_ms ?? null,
      canary_p95_ms: report.canary_p95_ms ?? null,
      action: report.outcome?.action ?? 'none',
      href,
    }))
    .sort((a, b) => Date.parse(b.generated_at) - Date.parse(a.generated_at) || a.href.localeCompare(b.href));
  return {
    generated_at: (input.generatedAt ?? new Date()).toISOString(),
    source: input.source,
    budget: { p95_ms: input.budget.p95_ms, error_rate: input.budget.error_rate },
    runs,
    unplaced_tags: tags.filter((t) => !placed.has(t.tag)).sort((a, b) => a.tag.localeCompare(b.tag)),
    canaries,
    repository_read: input.tags !== undefined,
  };
}
