/**
 * The run's final verdict from its parts, so the report carries one decision at the top and
 * `rejudge` recomputes it from the report alone. Rule: any part fails -> fail; else any part
 * inconclusive (or Prometheus asked for but without a judgement) -> inconclusive; else pass.
 */
import type { CanaryJudgement, Precondition, Verdict } from './types.js';

const RANK: Record<Verdict, number> = { pass: 0, inconclusive: 1, fail: 2 };

export interface VerdictParts {
  synthetic: Pick<CanaryJudgement, 'verdict' | 'reasons' | 'judged_intervals'>;
  /** null when the run had no Prometheus; `judgement` null when Prometheus failed (`error` says why). */
  prometheus: { judgement: Pick<CanaryJudgement, 'verdict' | 'reasons'> | null; error: string | null } | null;
  preconditions: Precondition[];
}

export function finalVerdict(parts: VerdictParts): { verdict: Verdict; reasons: string[] } {
  const failed = parts.preconditions.filter((p) => !p.ok);
  let verdict: Verdict = failed.length > 0 ? 'fail' : 'pass';
  const reasons = failed.map((p) => p.reason);
  const worse = (v: Verdict): void => {
    if (RANK[v] > RANK[verdict]) verdict = v;
  };
  worse(parts.synthetic.verdict);
  const p = parts.prometheus;
  if (p) worse(p.judgement?.verdict ?? 'inconclusive');
  // Without traffic (deploy or readiness failed) the parts only say "no data": the failure is the reason.
  if (failed.length > 0 && parts.synthetic.judged_intervals === 0) return { verdict, reasons };
  reasons.push(...parts.synthetic.reasons);
  if (p)
    reasons.push(
      p.judgement
        ? `Prometheus histograms: ${p.judgement.verdict} (${p.judgement.reasons.join('; ')})`
        : `Prometheus histograms: inconclusive (${p.error ?? 'no data'})`,
    );
  return { verdict, reasons };
}
