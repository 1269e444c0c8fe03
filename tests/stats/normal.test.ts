import { normalCdf, normalQuantile, normalSf } from '#core/stats/normal.js';

// Reference values from scipy.stats.norm (sf, cdf, ppf).
describe('standard normal', () => {
  it('matches reference tail probabilities, in relative terms far out', () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 7);
    expect(normalSf(3) / 0.0013498980316300933).toBeCloseTo(1, 6);
    expect(normalSf(6) / 9.865876450376946e-10).toBeCloseTo(1, 5);
    expect(normalSf(-2) + normalSf(2)).toBeCloseTo(1, 12);
    expect(normalSf(0)).toBe(0.5);
  });
  it('inverts the CDF', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 6);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424308822899, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    for (const p of [1e-9, 0.001, 0.2, 0.7, 0.999]) expect(normalCdf(normalQuantile(p)) / p).toBeCloseTo(1, 6);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
  });
});
