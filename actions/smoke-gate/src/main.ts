/**
 * Smoke gate action: judges a k6 result against the budget (pure core), then reports: outputs,
 * `reports/performance/smoke-summary.json`, job summary, one sticky PR comment, and on pushes to
 * the default branch a p95 history entry on a data branch. GitHub API trouble (fork PRs,
 * read-only tokens, outages after retries) never changes the verdict: it becomes a warning.
 */
import * as core from '@actions/core';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BudgetError,
  DEFAULT_BUDGET_PATH,
  loadBudget,
  parseBudget,
  withOverrides,
  type Budget,
} from '../../../core/src/budget.js';
import {
  budgetSpentFromErrorRatio,
  budgetSpentFromHistory,
  defaultErrorBudgetQuery,
  errorRatioFromSamples,
  type ErrorBudgetInput,
} from '../../../core/src/gate/adaptive.js';
import type { BurnRateInput } from '../../../core/src/gate/burn-rate.js';
import { evaluateGate, type GateOptions } from '../../../core/src/gate/evaluate.js';
import {
  DEFAULT_HISTORY_MAX,
  emptyHistory,
  nearestRecordedAncestor,
  type HistoryFile,
} from '../../../core/src/gate/history.js';
import { fmtPct } from '../../../core/src/gate/format.js';
import { renderSmokeMarkdown } from '../../../core/src/gate/render.js';
import { buildSmokeReport, historyEntryFromReport, type SmokeReport } from '../../../core/src/gate/report.js';
import { readK6Results, splitResultsInput } from '../../../core/src/k6/index.js';
import { writeJsonAtomic } from '../../../lib/atomic-write.js';
import { InputError, parseBool, parseNumber } from '../../../lib/inputs.js';
import { actionsExecExecutor } from '../../../lib/k6/actions-exec.js';
import { K6ScriptsInputError, K6ScriptsRunError, runScriptsForGate } from '../../../lib/k6/scripts.js';
import {
  checkPrometheusTarget,
  parseHeaderLines,
  PrometheusClient,
  PrometheusError,
  prometheusSecrets,
  redactUrl,
} from '../../../lib/prometheus.js';
import { measureBurnRates, parseBurnRateSettings } from '../../../lib/smoke-burn-rate.js';
import {
  appendHistoryRemote,
  commitAncestors,
  createGitHubClient,
  DEFAULT_HISTORY_BRANCH,
  degradeOnForbidden,
  historyFile,
  mergeBaseAncestry,
  readHistory,
  upsertStickyComment,
  type GitHubClient,
} from '../../../lib/github/index.js';

export const DEFAULT_REPORT_PATH = 'reports/performance/smoke-summary.json';
const COMMENT_KIND = 'smoke-gate';

function numberInput(name: string, check: (v: number) => boolean, expected: string): number | undefined {
  return parseNumber(`input ${name}`, core.getInput(name), check, expected);
}

function boolInput(name: string, dflt: boolean): boolean {
  return parseBool(`input ${name}`, core.getInput(name)) ?? dflt;
}

interface PullRequestPayload {
  number: number;
  head: { sha: string; ref: string; repo?: { fork?: boolean; full_name?: string } | null };
  base: { ref: string; sha: string; repo?: { full_name?: string } };
}
interface EventPayload {
  pull_request?: PullRequestPayload;
  repository?: { default_branch?: string };
}

interface Context {
  event: string;
  payload: EventPayload;
  repository: string;
  sha: string;
  ref: string;
  workspace: string;
  pr?: PullRequestPayload;
}

function readContext(): Context {
  const env = process.env;
  let payload: EventPayload = {};
  const eventPath = env.GITHUB_EVENT_PATH;
  if (eventPath && existsSync(eventPath)) {
    try {
      payload = JSON.parse(readFileSync(eventPath, 'utf8')) as EventPayload;
    } catch (err) {
      throw new InputError(`GITHUB_EVENT_PATH ${eventPath} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const event = env.GITHUB_EVENT_NAME ?? 'local';
  const ctx: Context = {
    event,
    payload,
    repository: env.GITHUB_REPOSITORY ?? '',
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
  };
  if ((event === 'pull_request' || event === 'pull_request_target') && payload.pull_request)
    ctx.pr = payload.pull_request;
  return ctx;
}

function readBudget(ws: string): Budget {
  const overrides = {
    p95_ms: numberInput('max-p95-ms', (v) => v > 0, 'a number of milliseconds > 0'),
    error_rate: numberInput('max-error-rate', (v) => v > 0 && v <= 1, 'a ratio in (0, 1], e.g. 0.01'),
    min_requests: numberInput('min-requests', (v) => v >= 1, 'a count >= 1'),
  };
  const input = core.getInput('budget');
  let path = resolve(ws, input || 'k6/budget.json');
  try {
    if (!input && !existsSync(path)) {
      // No budget file in the repository: every limit given as an input, or this project's defaults (bundled).
      if (Object.values(overrides).every((v) => v !== undefined))
        return parseBudget({ version: 1, ...overrides }, 'action inputs');
      core.info(`No budget input and no k6/budget.json in the workspace: using the action's default budget`);
      path = DEFAULT_BUDGET_PATH;
    }
    return withOverrides(loadBudget(path), overrides);
  } catch (err) {
    if (err instanceof BudgetError) throw new InputError(err.message);
    throw err;
  }
}

/** GitHub steps are best effort: 403/404 (fork PR, read-only token) and any other failure after retries become warnings, never a changed verdict. */
async function soft<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await degradeOnForbidden(
      what,
      { warning: (m) => core.warning(`${m} Results are in the job summary and the report.`) },
      fn,
    );
  } catch (err) {
    core.warning(`${what} failed: ${oneLine(err)}`);
    return undefined;
  }
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}

interface PrometheusSource {
  /** As given: may hold user:password (basic auth). Show `redactUrl(url)`, never this. */
  url: string;
  headers: Record<string, string>;
  query: string;
}

/** The prometheus-headers input, untrimmed so an error's line number matches the workflow's line. */
const prometheusHeaderLines = (): string[] =>
  core.getInput('prometheus-headers', { trimWhitespace: false }).split(/\r?\n/);

/** Masks the URL's password and every header value; runs before anything is logged. */
function maskPrometheusSecrets(): void {
  for (const s of prometheusSecrets(core.getInput('prometheus-url'), prometheusHeaderLines())) core.setSecret(s);
}

function prometheusInputs(windowDays: number): PrometheusSource | undefined {
  const url = core.getInput('prometheus-url');
  const query = core.getInput('error-budget-query');
  const headers = parseHeaderLines('input prometheus-headers', prometheusHeaderLines());
  if (!url) {
    if (query) throw new InputError('input error-budget-query needs the prometheus-url input');
    if (Object.keys(headers).length > 0)
      throw new InputError('input prometheus-headers needs the prometheus-url input');
    return undefined;
  }
  checkPrometheusTarget('input prometheus-url', url, headers);
  return { url, headers, query: query || defaultErrorBudgetQuery(windowDays) };
}

/**
 * The error budget spent, by precedence: the error-budget-spent input, then Prometheus, then the
 * recorded runs. Monitoring trouble never fails the gate: it is a warning and the next source.
 */
async function errorBudgetFor(
  slo: number,
  windowDays: number,
  spentInput: number | undefined,
  prometheus: PrometheusSource | undefined,
  history: HistoryFile['entries'],
  warnings: string[],
): Promise<ErrorBudgetInput | undefined> {
  const base = { slo, windowDays };
  if (spentInput !== undefined) {
    if (prometheus) core.info('error-budget-spent is set: Prometheus is not queried for the error budget');
    return { ...base, budgetSpent: spentInput, source: 'input' };
  }
  let fallbackReason: string | undefined;
  if (prometheus) {
    try {
      const samples = await new PrometheusClient(prometheus.url, { headers: prometheus.headers }).query(
        prometheus.query,
      );
      const r = errorRatioFromSamples(samples);
      if ('ratio' in r) {
        const budgetSpent = budgetSpentFromErrorRatio(r.ratio, slo);
        core.info(
          `error budget: ${fmtPct(r.ratio)} errors over the window in Prometheus, ${fmtPct(budgetSpent)} spent`,
        );
        return { ...base, budgetSpent, source: 'prometheus', query: prometheus.query, observedErrorRatio: r.ratio };
      }
      fallbackReason = `the error-budget query on Prometheus at ${redactUrl(prometheus.url)} ${r.problem}`;
    } catch (err) {
      if (!(err instanceof PrometheusError)) throw err;
      fallbackReason = err.message;
    }
  }
  const fromHistory = budgetSpentFromHistory(history, { slo, windowDays, now: new Date() });
  if (fromHistory) {
    if (fallbackReason) {
      fallbackReason += `; error budget spent taken from the ${fromHistory.runs} recorded runs in the window instead`;
      warnings.push(fallbackReason);
    }
    return {
      ...base,
      budgetSpent: fromHistory.spent,
      source: 'history',
      ...(fallbackReason !== undefined && { fallbackReason }),
    };
  }
  warnings.push(
    fallbackReason
      ? `${fallbackReason}; no recorded runs in the window either: the budget file error-rate limit applies`
      : 'slo is set but the error budget spent is unknown (no error-budget-spent input, no prometheus-url, no recorded runs in the window): the budget file limit applies.',
  );
  return undefined;
}

/** Opt-in SLO burn rates (burn-rate-action), measured on the same Prometheus; undefined when off. */
async function burnRatesFor(
  slo: number | undefined,
  prometheus: PrometheusSource | undefined,
  budget: Budget,
): Promise<BurnRateInput | undefined> {
  const raw = {
    action: core.getInput('burn-rate-action'),
    latencySlo: core.getInput('latency-slo'),
    selector: core.getInput('burn-rate-selector'),
  };
  const settings = parseBurnRateSettings(raw, {
    slo,
    prometheus: prometheus !== undefined,
    label: (n) => `input ${n}`,
  });
  if (!settings || !prometheus) return undefined;
  const client = new PrometheusClient(prometheus.url, { headers: prometheus.headers });
  return measureBurnRates(client, settings, budget.p95_ms);
}

function branchOf(ref: string): string | undefined {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}

export async function run(): Promise<void> {
  try {
    maskPrometheusSecrets();
    await runGate();
  } catch (err) {
    const userFacing = err instanceof InputError || err instanceof K6ScriptsRunError;
    core.setFailed(userFacing ? oneLine(err) : `smoke-gate: ${oneLine(err)}`);
    if (err instanceof K6ScriptsInputError) process.exitCode = err.exitCode;
  }
}

/**
 * The k6 outputs to judge: the `results` files as given, or, with `script`, the NDJSON points of the
 * k6 runs this step makes (lib/k6/scripts.ts), one folder per script beside the report.
 */
async function resultsToJudge(ws: string, reportPath: string): Promise<string[]> {
  const script = core.getInput('script');
  const results = core.getInput('results');
  if (script && results)
    throw new K6ScriptsInputError(
      'inputs script and results exclude each other: script runs k6 in this step, results reads what an earlier step wrote',
    );
  if (!script) {
    for (const name of ['flags', 'parallel', 'fail-fast'])
      if (core.getInput(name)) throw new K6ScriptsInputError(`input ${name} needs the script input`);
    if (!results) throw new K6ScriptsInputError('input results or script is required');
    return splitResultsInput(results);
  }
  const inputs = {
    script,
    flags: core.getInput('flags'),
    parallel: core.getInput('parallel'),
    failFast: core.getInput('fail-fast'),
  };
  return runScriptsForGate(inputs, {
    cwd: ws,
    outDir: join(dirname(reportPath), 'k6'),
    log: { info: (l) => core.info(l) },
    exec: actionsExecExecutor,
  });
}

async function runGate(): Promise<void> {
  const ctx = readContext();
  const ws = ctx.workspace;
  const reportPath = resolve(ws, core.getInput('report-path') || DEFAULT_REPORT_PATH);
  const budget = readBudget(ws);
  const failOnK6 = boolInput('fail-on-k6-thresholds', true);
  const failOnRegression = boolInput('fail-on-regression', false);
  const historyBranch = core.getInput('history-branch') || DEFAULT_HISTORY_BRANCH;
  const historySize =
    numberInput('history-size', (v) => Number.isInteger(v) && v >= 1 && v <= 10_000, 'an integer in [1, 10000]') ??
    DEFAULT_HISTORY_MAX;
  const slo = numberInput('slo', (v) => v > 0 && v < 1, 'a ratio in (0, 1), e.g. 0.99');
  const spentInput = numberInput('error-budget-spent', (v) => v >= 0, 'a fraction >= 0 (1 = all spent)');
  const windowDays = numberInput('slo-window-days', (v) => v > 0, 'a number of days > 0') ?? 30;
  const prometheus = prometheusInputs(windowDays);
  const releaseTag = core.getInput('release-tag') || undefined;
  const token = core.getInput('github-token');
  if (token) core.setSecret(token);

  const resultsInputs = await resultsToJudge(ws, reportPath);
  let result;
  try {
    result = await readK6Results(resultsInputs, ws);
  } catch (err) {
    throw new InputError(oneLine(err));
  }

  const gh: GitHubClient | undefined =
    token && ctx.repository
      ? createGitHubClient({
          token,
          repository: ctx.repository,
          baseUrl: process.env.GITHUB_API_URL || 'https://api.github.com',
          log: { warning: core.warning, debug: core.debug },
        })
      : undefined;
  if (!gh)
    core.warning(
      'No github-token (or GITHUB_REPOSITORY): no PR comment, no base-branch comparison and no history; results are in the job summary and the report.',
    );

  // Baseline: the nearest recorded ancestor of the PR's merge base (or of a pushed commit).
  const historyBranchName = ctx.pr ? ctx.pr.base.ref : branchOf(ctx.ref);
  let history: HistoryFile = emptyHistory(historySize);
  let ancestors: string[] = [];
  if (gh && historyBranchName) {
    history =
      (await soft('Reading the p95 history', () => readHistory(gh, historyFile(historyBranch, historyBranchName)))) ??
      history;
    if (history.entries.length > 0) {
      ancestors =
        (await soft('Looking up the merge base ancestry', () =>
          ctx.pr
            ? mergeBaseAncestry(gh, { base: ctx.pr.base.ref, head: ctx.pr.head.sha })
            : commitAncestors(gh, ctx.sha),
        )) ?? [];
    }
  }
  const baseline = nearestRecordedAncestor(history.entries, ancestors);

  const burnRates = await burnRatesFor(slo, prometheus, budget);
  const budgetWarnings: string[] = [];
  let errorBudget: ErrorBudgetInput | undefined;
  if (slo !== undefined) {
    errorBudget = await errorBudgetFor(slo, windowDays, spentInput, prometheus, history.entries, budgetWarnings);
  } else if (spentInput !== undefined) {
    throw new InputError('input error-budget-spent needs the slo input (e.g. slo: 0.99)');
  } else if (prometheus) {
    throw new InputError('input prometheus-url needs the slo input (e.g. slo: 0.99)');
  }

  const options: GateOptions = { ignoreK6Thresholds: !failOnK6, failOnRegression };
  if (errorBudget) options.errorBudget = errorBudget;
  if (burnRates) options.burnRates = burnRates;
  const gate = evaluateGate({ result, budget, baseline, history: history.entries, options });
  gate.warnings.push(...budgetWarnings);
  const runId = process.env.GITHUB_RUN_ID;
  const serverUrl = process.env.GITHUB_SERVER_URL || 'https://github.com';
  const report: SmokeReport = buildSmokeReport({
    result,
    gate,
    budget,
    commit: ctx.pr?.head.sha ?? ctx.sha,
    ref: ctx.ref,
    nextReleaseTag: releaseTag,
    run: {
      event: ctx.event,
      ...(runId && { id: runId, url: `${serverUrl}/${ctx.repository}/actions/runs/${runId}` }),
      ...(process.env.GITHUB_RUN_ATTEMPT && { attempt: Number(process.env.GITHUB_RUN_ATTEMPT) }),
      ...(process.env.GITHUB_WORKFLOW && { workflow: process.env.GITHUB_WORKFLOW }),
      ...(process.env.GITHUB_JOB && { job: process.env.GITHUB_JOB }),
      ...(ctx.pr && { pr_number: ctx.pr.number }),
      ...(ctx.repository && { repository: ctx.repository }),
    },
  });
  writeJsonAtomic(reportPath, report);

  const markdown = renderSmokeMarkdown(report, history.entries);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown, true).write();

  if (gh && ctx.pr) {
    const pr = ctx.pr;
    const c = await soft(`Commenting on pull request #${pr.number}`, () =>
      upsertStickyComment(gh, { issueNumber: pr.number, kind: COMMENT_KIND, body: markdown }),
    );
    if (c) core.info(`PR comment ${c.action}: ${c.url}`);
  }

  const defaultBranch = ctx.payload.repository?.default_branch;
  if (gh && ctx.event === 'push' && defaultBranch && branchOf(ctx.ref) === defaultBranch) {
    const stored = await soft('Appending to the p95 history', () =>
      appendHistoryRemote(gh, historyFile(historyBranch, defaultBranch), historyEntryFromReport(report), historySize),
    );
    if (stored) core.info(`p95 history: ${stored.entries.length} entries on ${historyBranch}`);
  }

  core.setOutput('passed', String(report.passed));
  core.setOutput('verdict', report.verdict);
  core.setOutput('p95-ms', report.measured.p95_ms ?? '');
  core.setOutput('error-rate', report.measured.error_rate ?? '');
  core.setOutput('requests', report.measured.requests);
  core.setOutput('summary-path', reportPath);

  for (const w of report.warnings) core.warning(w);
  if (report.verdict === 'fail') core.setFailed(`Performance smoke gate failed: ${report.reasons.join('; ')}`);
  else if (report.verdict === 'inconclusive')
    core.warning(`Performance smoke gate inconclusive: ${report.reasons.join('; ')}`);
  else
    core.info(
      `Performance smoke gate passed: p95 ${report.measured.p95_ms} ms, error rate ${report.measured.error_rate} on ${report.measured.requests} requests`,
    );
}

// Runs when executed (node dist/index.js), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void run();
