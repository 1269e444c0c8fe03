import {
  mannWhitneyGreater,
  probGreater,
  solveFactor,
  uCountBinned,
  uCountSorted,
  uSorted,
} from '#core/stats/mann-whitney.js';
import { createRng } from '#core/stats/rng.js';

const sorted = (xs: number[]) => Float64Array.from(xs).sort();

function mwu(c: number[], b: number[], factor = 1) {
  const { u, tieTerm } = uCountSorted(sorted(c), sorted(b), factor);
  return mannWhitneyGreater(u, c.length, b.length, tieTerm);
}

describe('Mann-Whitney U', () => {
  it('counts pairs by hand: canary [3,5,7,9] vs baseline [1,2,4,6] gives U = 13 (scipy p = 0.09697)', () => {
    const r = mwu([3, 5, 7, 9], [1, 2, 4, 6]);
    expect(r.u).toBe(13);
    // z = (13 - 8 - 0.5) / sqrt(16 * 9 / 12)
    expect(r.z).toBeCloseTo(4.5 / Math.sqrt(12), 12);
    expect(r.p_value).toBeCloseTo(0.09696542614120535, 8);
  });

  it('uses mid-ranks and the tie-corrected variance', () => {
    // U = 0 + 0.5 + 0.5 + 2 = 3; tie groups {2,2,2} and {3,3,3}: sum t^3 - t = 48
    const { u, tieTerm } = uCountSorted(sorted([1, 2, 2, 3]), sorted([2, 3, 3, 4]));
    expect(u).toBe(3);
    expect(tieTerm).toBe(48);
    expect(mwu([1, 2, 2, 3], [2, 3, 3, 4]).p_value).toBeCloseTo(0.9524598065992065, 8);
  });

  it('matches scipy on a tied sample, with and without a scale factor on the baseline', () => {
    const c = [12.1, 15.3, 9.8, 20.4, 13.3, 13.3, 18.0, 11.1, 16.7, 14.2];
    const b = [10.2, 11.5, 9.8, 12.0, 13.3, 10.9, 12.5, 8.7, 11.8, 10.0, 9.1];
    expect(mwu(c, b).u).toBe(93.5);
    expect(mwu(c, b).p_value).toBeCloseTo(0.003678535868705038, 8);
    expect(mwu(c, b, 1.1).u).toBe(83);
    expect(mwu(c, b, 1.1).p_value).toBeCloseTo(0.02636529476886595, 8);
  });

  it('agrees with the brute-force pair count on random data with many ties', () => {
    const rng = createRng(3);
    for (let r = 0; r < 20; r++) {
      const c = Array.from({ length: 40 + r }, () => Math.round(rng.next() * 20));
      const b = Array.from({ length: 55 - r }, () => Math.round(rng.next() * 20));
      let brute = 0;
      for (const x of c) for (const y of b) brute += x > y ? 1 : x === y ? 0.5 : 0;
      expect(uCountSorted(sorted(c), sorted(b)).u).toBe(brute);
    }
  });

  it('keeps its level: about 5 % of A/A p-values fall below 0.05', () => {
    const rng = createRng(5);
    let below = 0;
    const runs = 3000;
    for (let r = 0; r < runs; r++) {
      const c = Array.from({ length: 60 }, () => Math.exp(rng.normal()));
      const b = Array.from({ length: 60 }, () => Math.exp(rng.normal()));
      if (mwu(c, b).p_value <= 0.05) below++;
    }
    expect(below / runs).toBeGreaterThan(0.035);
    expect(below / runs).toBeLessThan(0.065);
  });

  it('solves U(f) = n1*n2/2 at the median of the pairwise ratios (Hodges-Lehmann on logs)', () => {
    const c = [12.1, 15.3, 9.8, 20.4, 13.3, 13.3, 18.0, 11.1, 16.7, 14.2];
    const b = [10.2, 11.5, 9.8, 12.0, 13.3, 10.9, 12.5, 8.7, 11.8, 10.0, 9.1];
    const ratios = c.flatMap((x) => b.map((y) => x / y)).sort((x, y) => x - y);
    const f = solveFactor((k) => uCountSorted(sorted(c), sorted(b), k).u, (c.length * b.length) / 2, 0.01, 100, 1e-12);
    // 110 pairs: the median lies between the 55th and 56th ratio
    expect(f).toBeGreaterThanOrEqual(ratios[54]! * (1 - 1e-9));
    expect(f).toBeLessThanOrEqual(ratios[55]! * (1 + 1e-9));
  });
});

describe('binned Mann-Whitney', () => {
  it('P(X > Y) for uniforms and point masses', () => {
    expect(probGreater(0, 1, 0, 1)).toBeCloseTo(0.5, 12);
    expect(probGreater(1, 2, 0, 1)).toBe(1);
    expect(probGreater(0, 1, 1, 2)).toBe(0);
    expect(probGreater(0, 2, 1, 3)).toBeCloseTo(0.125, 12);
    expect(probGreater(5, 5, 5, 5)).toBe(0.5);
    expect(probGreater(5, 5, 0, 10)).toBeCloseTo(0.5, 12);
    expect(probGreater(0, 10, 2.5, 2.5)).toBeCloseTo(0.75, 12);
  });

  it('equals the expected U of samples spread uniformly within the bins (Monte Carlo)', () => {
    const cb = [
      { lo: 0, hi: 10, w: 30 },
      { lo: 10, hi: 25, w: 50 },
      { lo: 25, hi: 50, w: 15 },
      { lo: 50, hi: 50, w: 5 },
    ];
    const bb = [
      { lo: 0, hi: 10, w: 45 },
      { lo: 10, hi: 25, w: 40 },
      { lo: 25, hi: 50, w: 12 },
      { lo: 50, hi: 50, w: 3 },
    ];
    const exact = uCountBinned(cb, bb, 1.1);
    const rng = createRng(9);
    const draw = (bins: typeof cb) =>
      bins.flatMap((x) => Array.from({ length: x.w }, () => x.lo + rng.next() * (x.hi - x.lo)));
    let mean = 0;
    const reps = 400;
    for (let r = 0; r < reps; r++) mean += uCountSorted(sorted(draw(cb)), sorted(draw(bb)), 1.1).u / reps;
    expect(Math.abs(mean - exact) / exact).toBeLessThan(0.01);
  });
});

describe('lean U', () => {
  it('gives the same U as the tie-tracking merge, with and without a factor', () => {
    const rng = createRng(21);
    for (let r = 0; r < 30; r++) {
      const c = sorted(Array.from({ length: 30 + r }, () => Math.round(rng.next() * 15)));
      const b = sorted(Array.from({ length: 50 - r }, () => Math.round(rng.next() * 15)));
      for (const f of [1, 0.5, 1.25, 2]) expect(uSorted(c, b, f)).toBe(uCountSorted(c, b, f).u);
    }
  });
});
