/**
 * The one canary entry point shared by the action (actions/canary/src/main.ts) and the CLI
 * (cli/canary.ts): resolve the plan, print it on --dry-run, else run it, write the report, the
 * summary and the PR comment, set the outputs, and map the result to an exit status.
 *
 * Exit status: 0 pass (or dry run), 1 fail or inconclusive (not promoted), 2 bad input (nothing
 * started), 3 the run could not be carried out (e.g. Prometheus unreachable before the deploy),
 * 143/130 interrupted by SIGTERM/SIGINT (rolled back and cleaned up, no report).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import {
  parseCanaryReport,
  rejudge,
  renderCanaryMarkdown,
  reportFindings,
  type CanaryJudgement,
  type CanaryReport,
  type RenderLinks,
  type RejudgeResult,
} from '#core/canary/index.js';
import { writeJsonAtomic } from '../atomic-write.js';
import { describePlan, type CanaryPlan } from '#core/canary/plan.js';
import { PlanError, resolvePlanAndSecrets, type CanarySecrets, type PlanInputs } from './plan.js';
import { CanaryInterrupted, CanaryRunError, runCanary, type RunResult } from './run.js';
import { maskPlanCommands } from './shell.js';

export const USAGE_EXIT = 2;
export const RUN_ERROR_EXIT = 3;

export interface Shell {
  log(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  saveState(encoded: string): void;
  setOutput(name: string, value: string): void;
  summary(markdown: string): Promise<void>;
  /** Comment on the pull request(s) of the sha, when the shell has GitHub access: one sticky comment per environment. */
  comment?(sha: string, markdown: string, environment: string): Promise<void>;
}

export function consoleShell(): Shell {
  return {
    log: (l) => console.log(l),
    warn: (l) => console.error(`warning: ${l}`),
    error: (l) => console.error(`error: ${l}`),
    saveState: () => undefined,
    setOutput: (n, v) => console.log(`${n}=${v}`),
    summary: async () => undefined,
  };
}

const ms = (v: number | null): string => (v === null ? '' : v.toFixed(1));

/**
 * The re-check command's path (as typed in the workspace) and, on GitHub Actions, the run's page
 * and its artifacts, where the workflow uploads the report.
 */
export function reportLinks(plan: CanaryPlan, cwd: string, env: NodeJS.ProcessEnv = process.env): RenderLinks {
  const path = plan.report_run_path ?? plan.report_path;
  const rel = relative(cwd, path);
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id, GITHUB_RUN_ATTEMPT: attempt } = env;
  const runUrl =
    server && repo && id && /^\d+$/.test(id)
      ? `${server}/${repo}/actions/runs/${id}${attempt && /^\d+$/.test(attempt) ? `/attempts/${attempt}` : ''}`
      : undefined;
  return {
    reportPath: rel.startsWith('..') ? path : rel,
    ...(runUrl && { runUrl, reportUrl: `${server}/${repo}/actions/runs/${id}#artifacts` }),
  };
}

export async function executeCanary(inputs: PlanInputs & { dryRun?: boolean }, shell: Shell): Promise<number> {
  let plan: CanaryPlan;
  // Secrets stay out of the plan (printed on a dry run, stored in the report): only the run gets them.
  let secrets: CanarySecrets;
  try {
    ({ plan, secrets } = resolvePlanAndSecrets(inputs));
  } catch (err) {
    if (err instanceof PlanError) {
      shell.error(err.message);
      return USAGE_EXIT;
    }
    throw err;
  }
  if (inputs.dryRun) {
    // User commands may carry tokens (--token=...): shown masked, run as written.
    shell.log(describePlan(maskPlanCommands(plan)));
    shell.log('');
    shell.log(JSON.stringify(maskPlanCommands(plan), null, 2));
    shell.setOutput('verdict', 'dry-run');
    // Nothing is written on a dry run: a path here would send a later upload step after a missing file.
    // The plan above still shows where a real run would write it (report_path).
    shell.setOutput('report-path', '');
    return 0;
  }

  let result: RunResult;
  try {
    result = await runCanary(
      plan,
      { log: shell.log, warn: shell.warn, saveState: shell.saveState },
      inputs.cwd,
      secrets,
    );
  } catch (err) {
    // Rolled back and cleaned up after SIGTERM/SIGINT: no report, the shell exits with 143/130.
    if (err instanceof CanaryInterrupted) return err.exitCode;
    shell.error(err instanceof CanaryRunError ? err.message : `canary run failed: ${(err as Error).message}`);
    shell.setOutput('verdict', 'inconclusive');
    return RUN_ERROR_EXIT;
  }

  const markdown = renderCanaryMarkdown(result.report, reportLinks(plan, inputs.cwd));
  shell.setOutput('verdict', result.verdict);
  shell.setOutput('baseline-p95-ms', ms(result.baselineP95Ms));
  shell.setOutput('canary-p95-ms', ms(result.canaryP95Ms));
  shell.setOutput('report-path', plan.report_path);
  shell.log(
    `canary ${plan.environment} ${plan.sha}: ${result.verdict} -> ${result.report.outcome.detail ?? result.action}`,
  );
  for (const r of result.reasons) shell.log(`  - ${r}`);
  // After the verdict is out: the canary was already promoted or rolled back, a failed write must not hide that.
  // The run's own report first (never overwritten), then the latest copy at the stable name.
  if (plan.report_run_path) writeJsonAtomic(plan.report_run_path, result.report);
  writeJsonAtomic(plan.report_path, result.report);
  shell.log(`report: ${plan.report_run_path ?? plan.report_path} (latest: ${plan.report_path})`);
  try {
    await shell.summary(markdown);
    await shell.comment?.(plan.sha, markdown, plan.environment);
  } catch (err) {
    shell.warn(`could not publish the canary result: ${(err as Error).message}`);
  }
  return result.verdict === 'pass' ? 0 : 1;
}

/** Which metrics (or run steps) decided a verdict, and why: one line each. */
function decidingLines(report: CanaryReport, r: RejudgeResult): string[] {
  const failed = (report.preconditions ?? []).filter((p) => !p.ok).map((p) => `${p.step}: ${p.reason}`);
  const deciding = (j: CanaryJudgement | null, part: string): string[] => {
    if (!j) return [];
    const status = j.verdict === 'pass' ? null : j.verdict;
    return status ? j.metrics.filter((m) => m.status === status).map((m) => `${part} ${m.metric}: ${m.reason}`) : [];
  };
  const lines = [...failed, ...deciding(r.judgement, 'synthetic'), ...deciding(r.prometheus, 'Prometheus')];
  if (report.prometheus && !r.prometheus)
    lines.push(`Prometheus: no judgement (${report.prometheus.error ?? 'no data'})`);
  return lines.length ? lines : [`every metric passed: ${r.judgement.metrics.map((m) => m.metric).join(', ')}`];
}

/**
 * `judge <report.json>`: first the report's own consistency (settings against its plan, interval
 * totals against the samples present, verdict against outcome), each problem a finding; then the
 * final verdict recomputed from the report alone (the synthetic judgement, the Prometheus
 * judgement when recorded, and the preconditions) and compared with what was recorded, naming the
 * metrics that decided. 0 when consistent and in agreement, 1 otherwise, 2 when unreadable.
 */
export function rejudgeFile(path: string, shell: Shell): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    shell.error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return USAGE_EXIT;
  }
  try {
    const report = parseCanaryReport(JSON.parse(text), path);
    const findings = reportFindings(report);
    for (const f of findings) shell.error(`finding: ${f}`);
    const r = rejudge(report);
    shell.log(`synthetic judgement: recorded ${report.judgement.verdict}, recomputed ${r.judgement.verdict}`);
    if (report.prometheus)
      shell.log(
        `Prometheus judgement: recorded ${report.prometheus.judgement?.verdict ?? `none (${report.prometheus.error ?? 'no data'})`}, recomputed ${r.prometheus?.verdict ?? 'none (inconclusive)'}`,
      );
    shell.log(`final verdict ${r.verdict}, decided by:`);
    for (const line of decidingLines(report, r)) shell.log(`  - ${line}`);
    if (!r.agrees) shell.error(`disagrees: ${r.differences.join('; ')}`);
    if (findings.length > 0) shell.error(`${findings.length} finding(s): the report is not consistent`);
    if (r.agrees && findings.length === 0) {
      shell.log(`agrees: final verdict ${r.verdict}`);
      return 0;
    }
    return 1;
  } catch (err) {
    shell.error(`${path}: ${(err as Error).message}`);
    return USAGE_EXIT;
  }
}
