/**
 * The one canary entry point shared by the action (actions/canary/src/main.ts) and the CLI
 * (cli/canary.ts): resolve the plan, print it on --dry-run, else run it, write the report, the
 * summary and the PR comment, set the outputs, and map the result to an exit status.
 *
 * Exit status: 0 pass (or dry run), 1 fail or inconclusive (not promoted), 2 bad input (nothing
 * started), 3 the run could not be carried out (e.g. Prometheus unreachable before the deploy).
 */
import { readFileSync } from 'node:fs';
import {
  parseCanaryReport,
  rejudge,
  renderCanaryMarkdown,
  type CanaryReport,
  type Verdict,
} from '../../core/src/canary/index.js';
import { writeJsonAtomic } from '../atomic-write.js';
import { describePlan, PlanError, resolvePlan, type CanaryPlan, type PlanInputs } from './plan.js';
import { CanaryRunError, runCanary, type RunResult } from './run.js';
import { combineVerdicts } from './verdict.js';

export const USAGE_EXIT = 2;
export const RUN_ERROR_EXIT = 3;

export interface Shell {
  log(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  saveState(encoded: string): void;
  setOutput(name: string, value: string): void;
  summary(markdown: string): Promise<void>;
  /** Comment on the pull request(s) of the sha, when the shell has GitHub access. */
  comment?(sha: string, markdown: string): Promise<void>;
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

/** C1's rendering of the synthetic judgement, headed by the run's final verdict when it differs, plus the Prometheus one. */
function renderRun(result: RunResult): string {
  const parts: string[] = [];
  const run = result.report.plan.run as {
    precondition_failure: string | null;
    prometheus: { report: CanaryReport | null; error: string | null } | null;
  };
  if (result.verdict !== result.report.verdict || run.precondition_failure) {
    parts.push(
      `## Canary final verdict: ${result.verdict.toUpperCase()} (${result.report.outcome.detail ?? result.action})`,
      '',
    );
    for (const r of result.reasons) parts.push(`- ${r}`);
    parts.push('');
  }
  parts.push(renderCanaryMarkdown(result.report));
  if (run.prometheus) {
    parts.push('', '### Prometheus histograms (both tracks, same window)', '');
    parts.push(
      run.prometheus.report
        ? renderCanaryMarkdown(run.prometheus.report).replace(/^## /m, '#### ')
        : `No judgement: ${run.prometheus.error ?? 'no data'}`,
    );
  }
  return parts.join('\n');
}

export async function executeCanary(inputs: PlanInputs & { dryRun?: boolean }, shell: Shell): Promise<number> {
  let plan: CanaryPlan;
  try {
    plan = resolvePlan(inputs);
  } catch (err) {
    if (err instanceof PlanError) {
      shell.error(err.message);
      return USAGE_EXIT;
    }
    throw err;
  }
  if (inputs.dryRun) {
    shell.log(describePlan(plan));
    shell.log('');
    shell.log(JSON.stringify(plan, null, 2));
    shell.setOutput('verdict', 'dry-run');
    shell.setOutput('report-path', plan.report_path);
    return 0;
  }

  let result: RunResult;
  try {
    result = await runCanary(plan, { log: shell.log, warn: shell.warn, saveState: shell.saveState }, inputs.cwd);
  } catch (err) {
    shell.error(err instanceof CanaryRunError ? err.message : `canary run failed: ${(err as Error).message}`);
    shell.setOutput('verdict', 'inconclusive');
    return RUN_ERROR_EXIT;
  }

  writeJsonAtomic(plan.report_path, result.report);
  const markdown = renderRun(result);
  shell.setOutput('verdict', result.verdict);
  shell.setOutput('baseline-p95-ms', ms(result.baselineP95Ms));
  shell.setOutput('canary-p95-ms', ms(result.canaryP95Ms));
  shell.setOutput('report-path', plan.report_path);
  shell.log(
    `canary ${plan.environment} ${plan.sha}: ${result.verdict} -> ${result.report.outcome.detail ?? result.action}`,
  );
  for (const r of result.reasons) shell.log(`  - ${r}`);
  shell.log(`report: ${plan.report_path}`);
  try {
    await shell.summary(markdown);
    await shell.comment?.(plan.sha, markdown);
  } catch (err) {
    shell.warn(`could not publish the canary result: ${(err as Error).message}`);
  }
  return result.verdict === 'pass' ? 0 : 1;
}

interface RunRecord {
  precondition_failure?: string | null;
  prometheus?: { report: unknown; error: string | null } | null;
  final_verdict?: Verdict;
}

/**
 * `judge <report.json>`: recompute the verdict from the report alone (C1's rejudge on the synthetic
 * intervals, and on the Prometheus histograms when recorded), recombine them as the run did, and
 * compare with what was recorded. 0 when everything agrees.
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
    const main = rejudge(report);
    const run = (report.plan.run ?? {}) as RunRecord;
    const differences = [...main.differences];
    shell.log(`synthetic judgement: recorded ${main.recorded_verdict}, recomputed ${main.judgement.verdict}`);
    let prom: { report: CanaryReport | null; error: string | null } | null = null;
    if (run.prometheus) {
      const pr = run.prometheus.report
        ? parseCanaryReport(run.prometheus.report, `${path} (Prometheus judgement)`)
        : null;
      if (pr) {
        const r = rejudge(pr);
        shell.log(`Prometheus judgement: recorded ${r.recorded_verdict}, recomputed ${r.judgement.verdict}`);
        differences.push(...r.differences.map((d) => `Prometheus ${d}`));
        prom = { report: { ...pr, verdict: r.judgement.verdict, reasons: r.judgement.reasons }, error: null };
      } else {
        prom = { report: null, error: run.prometheus.error };
      }
    }
    const final = combineVerdicts(main.judgement, prom, run.precondition_failure ?? null).verdict;
    const recordedFinal = run.final_verdict ?? report.verdict;
    if (final !== recordedFinal) differences.push(`final verdict: recorded ${recordedFinal}, recomputed ${final}`);
    if (differences.length === 0) {
      shell.log(`agrees: final verdict ${final}`);
      return 0;
    }
    shell.error(`disagrees: ${differences.join('; ')}`);
    return 1;
  } catch (err) {
    shell.error(`${path}: ${(err as Error).message}`);
    return USAGE_EXIT;
  }
}
