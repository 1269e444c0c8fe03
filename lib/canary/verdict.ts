/**
 * The run's final verdict from its parts, so `judge <report.json>` can recompute it too: the
 * synthetic judgement, made no better by the Prometheus histogram judgement (missing Prometheus data
 * when Prometheus was asked for makes it at best inconclusive), and a failed precondition (deploy,
 * readiness) is a fail whatever the (empty) data say.
 */
import type { CanaryJudgement, CanaryReport, Verdict } from '../../core/src/canary/index.js';

const RANK: Record<Verdict, number> = { pass: 0, inconclusive: 1, fail: 2 };

export function combineVerdicts(
  synthetic: Pick<CanaryJudgement, 'verdict' | 'reasons'>,
  prometheus: { report: Pick<CanaryReport, 'verdict' | 'reasons'> | null; error: string | null } | null,
  preconditionFailure: string | null,
): { verdict: Verdict; reasons: string[] } {
  if (preconditionFailure) return { verdict: 'fail', reasons: [preconditionFailure] };
  let verdict = synthetic.verdict;
  const reasons = [...synthetic.reasons];
  if (prometheus) {
    const pv: Verdict = prometheus.report?.verdict ?? 'inconclusive';
    if (RANK[pv] > RANK[verdict]) verdict = pv;
    reasons.push(
      prometheus.report
        ? `Prometheus histograms: ${pv} (${prometheus.report.reasons.join('; ')})`
        : `Prometheus histograms: inconclusive (${prometheus.error ?? 'no data'})`,
    );
  }
  return { verdict, reasons };
}
