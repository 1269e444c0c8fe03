import { createRng } from '#core/stats/rng.js';

describe('seeded RNG', () => {
  it('repeats a stream for a seed and differs between seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('normal, gamma and beta have the right first two moments', () => {
    const rng = createRng(1);
    const n = 40000;
    const moments = (draw: () => number) => {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const x = draw();
        s += x;
        s2 += x * x;
      }
      return [s / n, s2 / n - (s / n) ** 2] as const;
    };
    const [nm, nv] = moments(() => rng.normal());
    expect(Math.abs(nm)).toBeLessThan(0.02);
    expect(Math.abs(nv - 1)).toBeLessThan(0.03);
    const [gm, gv] = moments(() => rng.gamma(0.5));
    expect(Math.abs(gm - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(gv - 0.5)).toBeLessThan(0.03);
    // Beta(95, 6): the order statistic the p95 bootstrap draws; mean a/(a+b), variance ab/((a+b)^2(a+b+1))
    const [bm, bv] = moments(() => rng.beta(95, 6));
    expect(Math.abs(bm - 95 / 101)).toBeLessThan(0.001);
    expect(Math.abs(bv - (95 * 6) / (101 * 101 * 102)) / ((95 * 6) / (101 * 101 * 102))).toBeLessThan(0.05);
  });
});
