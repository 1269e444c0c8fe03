import {
  farringtonManning,
  fisherExactGreater,
  newcombeDifference,
  proportionMde,
  restrictedMle,
  wilsonInterval,
} from '#core/stats/proportions.js';
import { createRng } from '#core/stats/rng.js';

function logLik(x1: number, n1: number, x2: number, n2: number, p1: number, p2: number): number {
  const t = (x: number, n: number, p: number) =>
    (x > 0 ? x * Math.log(p) : 0) + (n - x > 0 ? (n - x) * Math.log(1 - p) : 0);
  return t(x1, n1, p1) + t(x2, n2, p2);
}

/**
 * Share of `runs` simulated pairs of samples (n requests each, failure rates p1 and p2) in which the
 * Farrington-Manning test with margin m rejects at alpha: its level under H0, its power otherwise.
 */
function fmRejectionRate(
  seed: number,
  o: { runs: number; n: number; p1: number; p2: number; m: number; alpha: number },
): number {
  const rng = createRng(seed);
  let rejects = 0;
  for (let r = 0; r < o.runs; r++) {
    let x1 = 0;
    let x2 = 0;
    for (let i = 0; i < o.n; i++) {
      if (rng.next() < o.p1) x1++;
      if (rng.next() < o.p2) x2++;
    }
    if (farringtonManning(x1, o.n, x2, o.n, o.m).p_value <= o.alpha) rejects++;
  }
  return rejects / o.runs;
}

describe('two proportions', () => {
  it('is the pooled-variance z-test when the margin is 0 (scipy reference)', () => {
    const r = farringtonManning(15, 200, 5, 210, 0);
    expect(r.z).toBeCloseTo(2.405240133059503, 9);
    expect(r.p_value).toBeCloseTo(0.00808092097187052, 6);
    expect(r.method).toBe('farrington-manning');
  });

  it('uses the restricted MLE: the likelihood maximum on p1 - p2 = margin (checked by grid search)', () => {
    for (const [x1, n1, x2, n2, m] of [
      [15, 200, 5, 210, 0.01],
      [0, 300, 0, 300, 0.005],
      [3, 300, 0, 280, 0.005],
      [40, 100, 20, 150, 0.1],
    ] as const) {
      const [r1, r2] = restrictedMle(x1, n1, x2, n2, m);
      expect(r1 - r2).toBeCloseTo(m, 12);
      let best = -Infinity;
      let bestP2 = 0;
      for (let p2 = 1e-7; p2 < 1 - m; p2 += 1e-5) {
        const l = logLik(x1, n1, x2, n2, p2 + m, p2);
        if (l > best) [best, bestP2] = [l, p2];
      }
      expect(Math.abs(r2 - bestP2)).toBeLessThan(2e-5);
    }
  });

  it('handles zero errors on both sides: no evidence of an increase', () => {
    const r = farringtonManning(0, 1500, 0, 1500, 0.005);
    expect(r.z).toBeLessThan(0);
    expect(r.p_value).toBeGreaterThan(0.99);
    expect(farringtonManning(0, 0, 0, 10).method).toBe('no-data');
  });

  it('rejects a clear increase beyond the margin, not one within it', () => {
    expect(farringtonManning(60, 1500, 3, 1500, 0.005).p_value).toBeLessThan(1e-6);
    expect(farringtonManning(8, 1500, 3, 1500, 0.005).p_value).toBeGreaterThan(0.5);
  });

  it('keeps its level near nominal under H0 on the margin (simulation)', () => {
    const [p2, m] = [0.01, 0.005];
    const level = fmRejectionRate(7, { runs: 4000, n: 1500, p1: p2 + m, p2, m, alpha: 0.05 });
    expect(level).toBeGreaterThan(0.03);
    expect(level).toBeLessThan(0.07);
  });

  it("Fisher's exact test: the tea-tasting table and scipy's reference", () => {
    expect(fisherExactGreater(3, 4, 1, 4)).toBeCloseTo(0.24285714285714283, 10);
    expect(fisherExactGreater(7, 100, 1, 100)).toBeCloseTo(0.03242970105213253, 10);
    expect(fisherExactGreater(0, 100, 0, 100)).toBe(1);
  });

  it('Wilson and Newcombe intervals match the published examples (Newcombe 1998)', () => {
    const [l, u] = wilsonInterval(81, 263, 0.95);
    expect(l).toBeCloseTo(0.2553, 4);
    expect(u).toBeCloseTo(0.3662, 4);
    const [dl, du] = newcombeDifference(56, 70, 48, 80, 0.95);
    expect(dl).toBeCloseTo(0.0524, 4);
    expect(du).toBeCloseTo(0.3339, 4);
    const [zl, zu] = wilsonInterval(0, 300);
    expect(zl).toBe(0);
    expect(zu).toBeGreaterThan(0.005);
  });

  it('MDE: shrinks with the sample size and detects what it promises (simulated power)', () => {
    const small = proportionMde(0.002, 300, 300, 0.005, 0.01, 0.8);
    const big = proportionMde(0.002, 3000, 3000, 0.005, 0.01, 0.8);
    expect(big).toBeLessThan(small);
    const power = fmRejectionRate(11, {
      runs: 600,
      n: 3000,
      p1: 0.002 + 0.005 + big,
      p2: 0.002,
      m: 0.005,
      alpha: 0.01,
    });
    expect(power).toBeGreaterThan(0.72);
    expect(power).toBeLessThan(0.9);
  });
});
