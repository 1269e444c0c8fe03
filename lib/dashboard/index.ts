/**
 * `npm run dashboard` end to end: read the history, the budget, the repository's release tags and
 * commit subjects, and the canary reports; shape them (core); write the static site.
 */
import { loadBudget } from '#core/budget.js';
import { buildDashboardData, type DashboardData } from '#core/dashboard/data.js';
import { readCommitSubjects, readReleaseTags } from './git.js';
import { canaryReportNames, readCanaryReports, readHistory } from './inputs.js';
import { checkOutputDir, writeDashboardSite } from './site.js';

export { DashboardInputError } from './inputs.js';
export { GitReadError } from './git.js';
export { SiteOutputError } from './site.js';

export interface DashboardOptions {
  historyFile: string;
  outDir: string;
  budgetFile: string;
  /** A git repository (work tree or bare) to read release tags and commit subjects from. */
  repo?: string | undefined;
  /** Globs of canary report files. */
  canaryGlobs?: readonly string[];
  cwd?: string;
  generatedAt?: Date;
}

export interface DashboardResult {
  index: string;
  data: DashboardData;
  unmatchedCanaryGlobs: string[];
}

/** Throws DashboardInputError, GitReadError, SiteOutputError or BudgetError (one line each) on bad input. */
export function generateDashboard(opts: DashboardOptions): DashboardResult {
  checkOutputDir(opts.outDir); // before any reading: a wrong --out is the cheapest mistake to report
  const history = readHistory(opts.historyFile);
  const budget = loadBudget(opts.budgetFile);
  const canaries = readCanaryReports(opts.canaryGlobs ?? [], opts.cwd);
  const hrefs = canaryReportNames(canaries.files).map((name) => `canary/${name}`);
  const data = buildDashboardData({
    history,
    source: opts.historyFile,
    budget,
    ...(opts.repo !== undefined && {
      tags: readReleaseTags(opts.repo),
      subjects: readCommitSubjects(
        opts.repo,
        history.entries.map((e) => e.sha),
      ),
    }),
    canaries: canaries.files.map((f, i) => ({ report: f.report, href: hrefs[i]! })),
    ...(opts.generatedAt && { generatedAt: opts.generatedAt }),
  });
  const { index } = writeDashboardSite(
    data,
    opts.outDir,
    { canaryReports: new Map(canaries.files.map((f, i) => [hrefs[i]!, f.path])) },
    { unmatchedCanaryGlobs: canaries.unmatched },
  );
  return { index, data, unmatchedCanaryGlobs: canaries.unmatched };
}
