/**
 * The smoke gate as an action runs it: results from the workspace, baseline and publishing
 * through GitHub when there is a token, the verdict as the step's status.
 */
import { dirname, join } from 'node:path';
import type { SmokeReport } from '#core/gate/report.js';
import { actionsExecExecutor } from '../k6/actions-exec.js';
import { gateResultFiles } from '../k6/scripts.js';
import { branchOf, type RunContext } from '../kit/context.js';
import { githubClient } from '../kit/github.js';
import type { Host } from '../kit/host.js';
import { inputLabel } from '../kit/spec.js';
import { githubBaseline } from './baseline.js';
import type { SmokeConfig } from './config.js';
import { judgeAndReport, readSmokeResults, setUpSmoke, type SmokeOutcome } from './run.js';

export interface SmokeGateOptions {
  /** First GitHub retry delay (default 1 s); tests make it short. */
  retryBaseMs?: number;
}

export async function runSmokeGate(
  config: SmokeConfig,
  ctx: RunContext,
  host: Host,
  opts: SmokeGateOptions = {},
): Promise<SmokeOutcome & { reportPath: string }> {
  const setup = setUpSmoke(config, ctx, host, inputLabel);
  // `results` as given, or the points of the k6 runs `script` asks for (one folder each, beside the report).
  const results = await gateResultFiles(config, {
    cwd: ctx.workspace,
    outDir: join(dirname(setup.reportPath), 'k6'),
    log: host,
    exec: actionsExecExecutor,
  });
  const result = await readSmokeResults({ results }, ctx.workspace);
  const github = githubClient(host, ctx, config.githubToken, {
    ...opts,
    without:
      'No github-token (or GITHUB_REPOSITORY): no PR comment, no base-branch comparison and no history; results are in the job summary and the report.',
  });
  // Baseline: the nearest recorded ancestor of the PR's merge base (or of a pushed commit).
  const branch = ctx.pr ? ctx.pr.base.ref : branchOf(ctx.ref);
  const baseline = github && branch ? githubBaseline(github, ctx, config.historyBranch, branch, host) : undefined;
  const outcome = await judgeAndReport({ config, setup, ctx, host, result, baseline, github });
  return { ...outcome, reportPath: setup.reportPath };
}

/** The report's warnings, then the verdict: a failed step, a warning, or a line saying it passed. */
export function announceVerdict(report: SmokeReport, host: Host): void {
  for (const w of report.warnings) host.warning(w);
  if (report.verdict === 'fail') host.fail(`Performance smoke gate failed: ${report.reasons.join('; ')}`);
  else if (report.verdict === 'inconclusive')
    host.warning(`Performance smoke gate inconclusive: ${report.reasons.join('; ')}`);
  else
    host.info(
      `Performance smoke gate passed: p95 ${report.measured.p95_ms} ms, error rate ${report.measured.error_rate} on ${report.measured.requests} requests`,
    );
}
