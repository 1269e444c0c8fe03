/**
 * The absolute budget (budget.json's p95 and error rate) as a fixed rule on the canary's own data,
 * like the smoke gate. A breach "beyond doubt" (a one-sided lower confidence bound above the
 * limit) is a hard failure at any look; each kind is kept as a typed breach, all of them, so the
 * verdicts never branch on the wording of a sentence.
 */
import { wilsonInterval } from '../../stats/proportions.js';
import { p95LowerBound, quantile } from '../latency.js';
import type { BudgetBreach, JudgeSettings, MetricVerdict } from '../types.js';
import type { Classifier } from './context.js';
import { p95Of, type Track } from './tracks.js';
import { ms, pct } from './words.js';

/** The budget limits the canary's cumulative data break beyond doubt at look `at` (0, 1 or 2 breaches). */
export function budgetBreaches(c: Track, s: JudgeSettings, at: number): BudgetBreach[] {
  const out: BudgetBreach[] = [];
  if (c.total > 0) {
    const [lower] = wilsonInterval(c.errors, c.total, 1 - 2 * s.alpha);
    if (lower > s.maxErrorRate)
      out.push({
        metric: 'error_budget',
        at_interval: at,
        observed: c.errors / c.total,
        limit: s.maxErrorRate,
        lower_bound: lower,
      });
  }
  if (c.latency) {
    const lb = p95LowerBound(c.latency, 1 - s.alpha);
    if (lb > s.maxP95Ms)
      out.push({
        metric: 'latency_budget',
        at_interval: at,
        observed: quantile(c.latency, 0.95),
        limit: s.maxP95Ms,
        lower_bound: lb,
      });
  }
  return out;
}

/** The first breach of each budget over the looks, and whether each look broke any. */
export function firstBreaches(
  cumulative: readonly Track[],
  s: JudgeSettings,
): { breaches: BudgetBreach[]; atLook: boolean[] } {
  const first = new Map<BudgetBreach['metric'], BudgetBreach>();
  const atLook = cumulative.map((c, k) => {
    const found = budgetBreaches(c, s, k);
    for (const b of found) if (!first.has(b.metric)) first.set(b.metric, b);
    return found.length > 0;
  });
  return { breaches: [...first.values()].sort((x, y) => x.at_interval - y.at_interval), atLook };
}

export function describeBreach(b: BudgetBreach): string {
  return b.metric === 'error_budget'
    ? `canary error rate ${pct(b.observed)} is above the ${pct(b.limit)} budget beyond doubt (lower bound ${pct(b.lower_bound)})`
    : `canary p95 ${ms(b.observed)} is above the ${ms(b.limit)} budget beyond doubt (lower bound ${ms(b.lower_bound)})`;
}

/** A budget's verdict: a breach beyond doubt fails; the point estimate above the limit fails on enough data, else is inconclusive. */
function budgetVerdict(
  metric: BudgetBreach['metric'],
  label: string,
  observed: number | null,
  limit: number,
  fmt: (x: number) => string,
  ctx: Parameters<Classifier['classify']>[0],
  missing: string,
): MetricVerdict {
  const breach = ctx.breaches.find((b) => b.metric === metric);
  if (breach) return { metric, status: 'fail', reason: `${label}: ${describeBreach(breach)}` };
  if (observed === null) return { metric, status: 'inconclusive', reason: `${label}: ${missing}` };
  const what = metric === 'latency_budget' ? `canary p95 ${fmt(observed)}` : `canary error rate ${fmt(observed)}`;
  if (observed > limit && ctx.sufficiency.sufficient)
    return { metric, status: 'fail', reason: `${label}: ${what} is above the ${fmt(limit)} budget` };
  if (observed > limit)
    return {
      metric,
      status: 'inconclusive',
      reason: `${label}: ${what} is above the ${fmt(limit)} budget on too few samples to be sure`,
    };
  return { metric, status: 'pass', reason: `${label}: ${what} <= ${fmt(limit)}` };
}

export const latencyBudget: Classifier = {
  metric: 'latency_budget',
  classify: (ctx) =>
    budgetVerdict(
      'latency_budget',
      'latency budget',
      ctx.cum.c.latency ? p95Of(ctx.cum.c) : null,
      ctx.s.maxP95Ms,
      ms,
      ctx,
      'no canary latency data',
    ),
};

export const errorBudget: Classifier = {
  metric: 'error_budget',
  classify: (ctx) =>
    budgetVerdict(
      'error_budget',
      'error budget',
      ctx.cum.c.total > 0 ? ctx.cum.c.errors / ctx.cum.c.total : null,
      ctx.s.maxErrorRate,
      pct,
      ctx,
      'no canary requests',
    ),
};
