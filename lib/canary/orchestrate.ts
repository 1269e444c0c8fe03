/**
 * The one canary entry point shared by the action (actions/canary/src/main.ts) and the CLI
 * (cli/canary.ts): resolve the plan, print it on --dry-run, else run it, write the report, the
 * summary and the PR comment, set the outputs, and map the result to an exit status.
 *
 * Exit status: 0 pass (or dry run), 1 fail or inconclusive (not promoted), 2 bad input (nothing
 * started), 3 the run could not be carried out (e.g. Prometheus unreachable before the deploy).
 */
import { readFileSync } from 'node:fs';
import { parseCanaryReport, rejudge, renderCanaryMarkdown } from '../../core/src/canary/index.js';
import { writeJsonAtomic } from '../atomic-write.js';
import {
  describePlan,
  PlanError,
  resolvePlanAndSecrets,
  type CanaryPlan,
  type CanarySecrets,
  type PlanInputs,
} from './plan.js';
import { CanaryRunError, runCanary, type RunResult } from './run.js';
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
    shell.error(err instanceof CanaryRunError ? err.message : `canary run failed: ${(err as Error).message}`);
    shell.setOutput('verdict', 'inconclusive');
    return RUN_ERROR_EXIT;
  }

  const markdown = renderCanaryMarkdown(result.report);
  shell.setOutput('verdict', result.verdict);
  shell.setOutput('baseline-p95-ms', ms(result.baselineP95Ms));
  shell.setOutput('canary-p95-ms', ms(result.canaryP95Ms));
  shell.setOutput('report-path', plan.report_path);
  shell.log(
    `canary ${plan.environment} ${plan.sha}: ${result.verdict} -> ${result.report.outcome.detail ?? result.action}`,
  );
  for (const r of result.reasons) shell.log(`  - ${r}`);
  // After the verdict is out: the canary was already promoted or rolled back, a failed write must not hide that.
  writeJsonAtomic(plan.report_path, result.report);
  shell.log(`report: ${plan.report_path}`);
  try {
    await shell.summary(markdown);
    await shell.comment?.(plan.sha, markdown);
  } catch (err) {
    shell.warn(`could not publish the canary result: ${(err as Error).message}`);
  }
  return result.verdict === 'pass' ? 0 : 1;
}

/**
 * `judge <report.json>`: recompute the final verdict from the report alone (the synthetic
 * judgement, the Prometheus judgement when recorded, and the preconditions) and compare it and
 * its parts with what was recorded. 0 when everything agrees.
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
    const r = rejudge(report);
    shell.log(`synthetic judgement: recorded ${report.judgement.verdict}, recomputed ${r.judgement.verdict}`);
    if (report.prometheus)
      shell.log(
        `Prometheus judgement: recorded ${report.prometheus.judgement?.verdict ?? `none (${report.prometheus.error ?? 'no data'})`}, recomputed ${r.prometheus?.verdict ?? 'none (inconclusive)'}`,
      );
    for (const p of report.preconditions ?? []) if (!p.ok) shell.log(`precondition ${p.step} failed: ${p.reason}`);
    if (r.agrees) {
      shell.log(`agrees: final verdict ${r.verdict}`);
      return 0;
    }
    shell.error(`disagrees: ${r.differences.join('; ')}`);
    return 1;
  } catch (err) {
    shell.error(`${path}: ${(err as Error).message}`);
    return USAGE_EXIT;
  }
}
