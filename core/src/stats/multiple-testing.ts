/**
 * Controlling the overall false-fail rate when one verdict rests on several tests.
 */
import { normalQuantile, normalSf } from './normal.js';

/**
 * Holm's step-down procedure: controls the family-wise error rate at `alpha` for any dependence
 * between the tests, and rejects at least what Bonferroni rejects. Returns, per input p-value,
 * whether it is rejected and its Holm-adjusted p-value.
 */
export function holm(pValues: readonly number[], alpha: number): { reject: boolean[]; adjusted: number[] } {
  const m = pValues.length;
  const order = pValues.map((p, i) => [Number.isNaN(p) ? 1 : p, i] as const).sort((x, y) => x[0] - y[0]);
  const adjusted = new Array<number>(m).fill(1);
  const reject = new Array<boolean>(m).fill(false);
  let running = 0;
  let stillRejecting = true;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
    if (stillRejecting && p <= alpha / (m - rank)) reject[i] = true;
    else stillRejecting = false;
  });
  return { reject, adjusted };
}

export type SpendingFunction = 'obrien-fleming' | 'pocock';

/**
 * Lan-DeMets alpha-spending functions (one-sided): the share of `alpha` spent by information
 * fraction t in (0, 1]. O'Brien-Fleming-type spends almost nothing early (so only a gross
 * failure stops the canary early) and keeps nearly all of alpha for the final analysis.
 */
export function alphaSpent(t: number, alpha: number, kind: SpendingFunction = 'obrien-fleming'): number {
  if (t <= 0) return 0;
  if (t >= 1) return alpha;
  if (kind === 'pocock') return alpha * Math.log(1 + (Math.E - 1) * t);
  return 2 * normalSf(normalQuantile(1 - alpha / 2) / Math.sqrt(t));
}

/**
 * Nominal level of each of `looks` equally spaced analyses: the increment of the spending
 * function. Testing look k at its increment keeps the overall level <= alpha by the Bonferroni
 * inequality, whatever the correlation between the cumulative statistics (conservative: exact
 * group-sequential boundaries would need the joint normal distribution of the looks).
 */
export function spendingIncrements(looks: number, alpha: number, kind: SpendingFunction = 'obrien-fleming'): number[] {
  const out: number[] = [];
  let prev = 0;
  for (let k = 1; k <= looks; k++) {
    const cur = alphaSpent(k / looks, alpha, kind);
    out.push(cur - prev);
    prev = cur;
  }
  return out;
}
