/**
 * The smoke gate's flow, one for the action and `npm run smoke`: budget and SLO settings checked,
 * the k6 results read (or the load run by the caller), the baseline found (nearest recorded
 * ancestor), the limits adapted (error budget, burn rates), the gate judged, the report written;
 * then, when there is a GitHub client, the sticky PR comment and on pushes to the default branch
 * the history entry. GitHub trouble never changes the verdict (lib/smoke/best-effort.ts).
 */
import type { Budget } from '#core/budget.js';
import { evaluateGate, type GateOptions } from '#core/gate/evaluate.js';
import { emptyHistory, nearestRecordedAncestor, type HistoryFile } from '#core/gate/history.js';
import { renderSmokeMarkdown } from '#core/gate/render.js';
import { buildSmokeReport, historyEntryFromReport, type SmokeReport } from '#core/gate/report.js';
import { readK6Results } from '#core/k6/index.js';
import type { LoadResult } from '#core/load-result.js';
import { writeJsonAtomic } from '../atomic-write.js';
import type { GitHubClient } from '../github/client.js';
import { upsertStickyComment } from '../github/comment.js';
import { appendHistoryRemote, historyFile } from '../github/history.js';
import { InputError } from '../inputs.js';
import { branchOf, type RunContext } from '../kit/context.js';
import { oneLine, type Host } from '../kit/host.js';
import { resolve } from 'node:path';
import type { BaselineSource } from './baseline.js';
import { bestEffort } from './best-effort.js';
import { readSmokeBudget } from './budget.js';
import type { SmokeConfig } from './config.js';
import { burnRatesFor, errorBudgetFor, planSlo, type SloPlan } from './slo.js';

export const COMMENT_KIND = 'smoke-gate';

/** Checked settings: what can be refused before any load runs or any GitHub call is made. */
export interface SmokeSetup {
  budget: Budget;
  slo: SloPlan;
  reportPath: string;
}

export function setUpSmoke(
  config: SmokeConfig,
  ctx: Pick<RunContext, 'workspace'>,
  host: Pick<Host, 'info'>,
  label: (name: string) => string,
): SmokeSetup {
  return {
    reportPath: resolve(ctx.workspace, config.reportPath),
    budget: readSmokeBudget(config, ctx.workspace, host),
    slo: planSlo(config, label),
  };
}

/** The results named by the `results` setting, every read failure one input error line. */
export async function readSmokeResults(config: Pick<SmokeConfig, 'results'>, workspace: string): Promise<LoadResult> {
  try {
    return await readK6Results(config.results, workspace);
  } catch (err) {
    throw new InputError(oneLine(err));
  }
}

export interface SmokeRun {
  config: SmokeConfig;
  setup: SmokeSetup;
  ctx: RunContext;
  host: Host;
  result: LoadResult;
  /** The base branch's history and the commit's ancestry; none: no comparison. */
  baseline?: BaselineSource | undefined;
  /** Comments and history appends go through it; none: the report and summary only. */
  github?: GitHubClient | undefined;
}

export interface SmokeOutcome {
  report: SmokeReport;
  markdown: string;
  history: HistoryFile;
}

/** Judges, writes the report and the job summary, and (with a client) comments and records. */
export async function judgeAndReport(run: SmokeRun): Promise<SmokeOutcome> {
  const { config, setup, ctx, host, result } = run;
  const history = (await run.baseline?.history()) ?? emptyHistory(config.historySize);
  const ancestors = history.entries.length > 0 && run.baseline ? await run.baseline.ancestors() : [];
  const baseline = nearestRecordedAncestor(history.entries, ancestors);

  const burnRates = await burnRatesFor(setup.slo, setup.budget);
  const budgetWarnings: string[] = [];
  const errorBudget = await errorBudgetFor(setup.slo, history.entries, budgetWarnings, host);
  const options: GateOptions = {
    ignoreK6Thresholds: !config.failOnK6Thresholds,
    failOnRegression: config.failOnRegression,
  };
  if (errorBudget) options.errorBudget = errorBudget;
  if (burnRates) options.burnRates = burnRates;
  const gate = evaluateGate({ result, budget: setup.budget, baseline, history: history.entries, options });
  gate.warnings.push(...budgetWarnings);

  const report = buildSmokeReport({
    result,
    gate,
    budget: setup.budget,
    commit: ctx.pr?.head.sha ?? ctx.sha,
    ref: ctx.ref,
    nextReleaseTag: config.releaseTag || undefined,
    run: {
      event: ctx.event,
      ...(ctx.run.id && { id: ctx.run.id }),
      ...(ctx.run.url && { url: ctx.run.url }),
      ...(ctx.run.attempt !== undefined && { attempt: ctx.run.attempt }),
      ...(ctx.run.workflow && { workflow: ctx.run.workflow }),
      ...(ctx.run.job && { job: ctx.run.job }),
      ...(ctx.pr && { pr_number: ctx.pr.number }),
      ...(ctx.repository && { repository: ctx.repository }),
    },
  });
  writeJsonAtomic(setup.reportPath, report);

  const markdown = renderSmokeMarkdown(report, history.entries);
  await host.summary(markdown);
  if (run.github) await publish(run.github, config, ctx, host, report, markdown);
  return { report, markdown, history };
}

/** The sticky PR comment; on a push to the default branch, the history entry. */
async function publish(
  gh: GitHubClient,
  config: SmokeConfig,
  ctx: RunContext,
  host: Host,
  report: SmokeReport,
  markdown: string,
): Promise<void> {
  if (ctx.pr) {
    const pr = ctx.pr;
    const c = await bestEffort(`Commenting on pull request #${pr.number}`, host, () =>
      upsertStickyComment(gh, { issueNumber: pr.number, kind: COMMENT_KIND, body: markdown }),
    );
    if (c) host.info(`PR comment ${c.action}: ${c.url}`);
  }
  const defaultBranch = ctx.defaultBranch;
  if (ctx.event === 'push' && defaultBranch && branchOf(ctx.ref) === defaultBranch) {
    const stored = await bestEffort('Appending to the p95 history', host, () =>
      appendHistoryRemote(
        gh,
        historyFile(config.historyBranch, defaultBranch),
        historyEntryFromReport(report),
        config.historySize,
      ),
    );
    if (stored) host.info(`p95 history: ${stored.entries.length} entries on ${config.historyBranch}`);
  }
}
