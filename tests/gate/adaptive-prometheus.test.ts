/** The pure half of "error budget spent from Prometheus": ratio -> spent, the default query, the answer's shape. */
import {
  adaptiveErrorRateLimit,
  AdaptiveBudgetError,
  budgetSpentFromErrorRatio,
  defaultErrorBudgetQuery,
  errorRatioFromSamples,
  promDuration,
} from '#core/gate/index.js';

describe('budgetSpentFromErrorRatio (worked example of the doc comment)', () => {
  it('SLO 99 %, 0.4 % errors observed over the window -> 40 % spent -> limit 0.6 %', () => {
    const spent = budgetSpentFromErrorRatio(0.004, 0.99);
    expect(spent).toBeCloseTo(0.4, 12);
    expect(adaptiveErrorRateLimit(0.01, { slo: 0.99, budgetSpent: spent }).limit).toBeCloseTo(0.006, 12);
  });
  it('is clamped to [0, 1]: 2 % observed against a 1 % budget is all of it, not twice', () => {
    expect(budgetSpentFromErrorRatio(0.02, 0.99)).toBe(1);
    expect(budgetSpentFromErrorRatio(0, 0.99)).toBe(0);
    expect(adaptiveErrorRateLimit(0.01, { slo: 0.99, budgetSpent: 1 })).toMatchObject({ limit: 0, exhausted: true });
  });
  it('rejects what is not an SLO or a number', () => {
    expect(() => budgetSpentFromErrorRatio(0.01, 1)).toThrow(AdaptiveBudgetError);
    expect(() => budgetSpentFromErrorRatio(Number.NaN, 0.99)).toThrow(/finite/);
  });
});

// A service that never failed has no tenant_request_errors series: `or vector(0)` makes that 0 errors, not "no data".
describe('the default error-budget query covers the SLO window', () => {
  it.each([
    [30, '30d'],
    [7, '7d'],
    [0.5, '43200s'],
    [0.001, '86s'],
  ])('%f days -> [%s]', (days, range) => {
    expect(promDuration(days)).toBe(range);
    expect(defaultErrorBudgetQuery(days)).toBe(
      `(sum(increase(tenant_request_errors[${range}])) or vector(0)) / sum(increase(tenant_request_total[${range}]))`,
    );
  });
  it('refuses an empty window', () => {
    expect(() => promDuration(0)).toThrow(AdaptiveBudgetError);
  });
});

describe('errorRatioFromSamples: one number in [0, 1], else a reason to fall back', () => {
  it('accepts one sample', () => {
    expect(errorRatioFromSamples([{ value: 0.013 }])).toEqual({ ratio: 0.013 });
  });
  it.each([
    [[], /no data/],
    [[{ value: Number.NaN }], /NaN/],
    [[{ value: 0.1 }, { value: 0.2 }], /2 series; it must aggregate/],
    [[{ value: 3 }], /returned 3, which is not an error ratio/],
    [[{ value: -0.1 }], /not an error ratio/],
  ])('%j', (samples, problem) => {
    const r = errorRatioFromSamples(samples);
    expect('problem' in r && r.problem).toMatch(problem);
  });
});
