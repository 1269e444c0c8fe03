import { alphaSpent, holm, spendingIncrements } from '#core/stats/multiple-testing.js';

describe('Holm', () => {
  it('steps down and stops at the first non-rejection (hand-computed)', () => {
    // sorted: 0.005 <= 0.05/4, 0.01 <= 0.05/3, 0.03 > 0.05/2 -> stop
    const r = holm([0.01, 0.04, 0.03, 0.005], 0.05);
    expect(r.reject).toEqual([true, false, false, true]);
    expect(r.adjusted[0]).toBeCloseTo(0.03, 12);
    expect(r.adjusted[1]).toBeCloseTo(0.06, 12);
    expect(r.adjusted[2]).toBeCloseTo(0.06, 12);
    expect(r.adjusted[3]).toBeCloseTo(0.02, 12);
  });
  it('rejects nothing when the smallest p misses alpha/m, even if others would pass alone', () => {
    expect(holm([0.0201, 0.021], 0.04).reject).toEqual([false, false]);
    expect(holm([0.019, 0.045], 0.04).reject).toEqual([true, false]);
    expect(holm([0.019, 0.039], 0.04).reject).toEqual([true, true]);
  });
});

describe('alpha spending', () => {
  it("O'Brien-Fleming type matches the Lan-DeMets values", () => {
    // one-sided 0.025 at half information: 2 * (1 - Phi(2.2414 / sqrt(0.5))) = 0.001525
    expect(alphaSpent(0.5, 0.025)).toBeCloseTo(0.001525, 5);
    expect(alphaSpent(1, 0.025)).toBe(0.025);
    expect(alphaSpent(0, 0.025)).toBe(0);
  });
  it('increments are positive, grow over the looks and add up to alpha', () => {
    for (const kind of ['obrien-fleming', 'pocock'] as const) {
      const inc = spendingIncrements(5, 0.005, kind);
      expect(inc).toHaveLength(5);
      expect(inc.reduce((a, b) => a + b, 0)).toBeCloseTo(0.005, 15);
      for (const x of inc) expect(x).toBeGreaterThan(0);
    }
    const obf = spendingIncrements(5, 0.005);
    for (let i = 1; i < 5; i++) expect(obf[i]!).toBeGreaterThan(obf[i - 1]!);
    expect(obf[0]!).toBeLessThan(1e-8);
  });
});
