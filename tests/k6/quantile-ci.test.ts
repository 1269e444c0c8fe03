import { quantileCI, quantileCIRanks } from '#core/stats/quantile-ci.js';
import { percentileSorted } from '#core/stats/percentile.js';

/** Small seeded PRNG (mulberry32) so the coverage check is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** P(Binomial(n, p) <= k) by direct summation with BigInt binomial coefficients (independent of the implementation). */
function binomCdf(n: number, p: number, k: number): number {
  let c = 1n;
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) c = (c * BigInt(n - i + 1)) / BigInt(i);
    sum += Number(c) * p ** i * (1 - p) ** (n - i);
  }
  return sum;
}

describe('quantileCIRanks', () => {
  it.each([
    [100, 0.95],
    [250, 0.95],
    [120, 0.9],
    [400, 0.5],
  ])('n=%i p=%f: coverage >= 95 %% and each bound is the tightest that keeps its tail <= 2.5 %%', (n, p) => {
    const r = quantileCIRanks(n, p, 0.95)!;
    expect(r).toBeDefined();
    const below = binomCdf(n, p, r.lowerRank - 1); // P(B < l)
    const upTo = binomCdf(n, p, r.upperRank - 1); // P(B <= u - 1)
    expect(below).toBeLessThanOrEqual(0.025 + 1e-12);
    expect(upTo).toBeGreaterThanOrEqual(0.975 - 1e-12);
    expect(upTo - below).toBeGreaterThanOrEqual(0.95 - 1e-12);
    // one rank tighter on either side breaks its tail bound
    expect(binomCdf(n, p, r.lowerRank)).toBeGreaterThan(0.025);
    expect(binomCdf(n, p, r.upperRank - 2)).toBeLessThan(0.975);
  });

  it('is undefined when too few samples bound the p95 (needs 72 for 95 %: 0.95^72 < 0.025)', () => {
    expect(quantileCIRanks(71, 0.95)).toBeUndefined();
    const r = quantileCIRanks(72, 0.95);
    expect(r?.upperRank).toBe(72);
    expect(quantileCIRanks(0, 0.95)).toBeUndefined();
  });

  it('the normal approximation (large n) agrees with the exact sum within one rank', () => {
    const n = 200_000;
    const exact = quantileCIRanks(n, 0.95)!;
    const approx = quantileCIRanks(n + 1, 0.95)!; // first n on the approximation path
    expect(Math.abs(approx.lowerRank - exact.lowerRank)).toBeLessThanOrEqual(1);
    expect(Math.abs(approx.upperRank - exact.upperRank)).toBeLessThanOrEqual(1);
  });

  it('rejects nonsense p and confidence', () => {
    expect(() => quantileCIRanks(100, 1.2)).toThrow(RangeError);
    expect(() => quantileCIRanks(100, 0.95, 1)).toThrow(RangeError);
  });
});

describe('quantileCI', () => {
  it('covers the true p95 of an exponential distribution in about 95 % of seeded runs', () => {
    const rand = rng(42);
    const truth = -Math.log(0.05); // p95 of Exp(1)
    const trials = 2000;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const xs = Float64Array.from({ length: 300 }, () => -Math.log(1 - rand())).sort();
      const ci = quantileCI(xs, 0.95)!;
      if (ci.lower <= truth && truth <= ci.upper) covered++;
    }
    // Conservative by construction (>= 95 %); the discreteness keeps it below ~98 % at n=300.
    expect(covered / trials).toBeGreaterThanOrEqual(0.94);
    expect(covered / trials).toBeLessThanOrEqual(0.985);
  });

  it('brackets the k6-style p95 estimate and reports its order statistics', () => {
    const xs = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    const ci = quantileCI(xs, 0.95)!;
    const p95 = percentileSorted(xs, 0.95);
    expect(ci.lower).toBeLessThan(p95);
    expect(ci.upper).toBeGreaterThan(p95);
    expect(ci.lower).toBe(ci.lowerRank); // value i+1 at index i
    expect(ci.upper).toBe(ci.upperRank);
    expect(ci.confidence).toBe(0.95);
  });
});
