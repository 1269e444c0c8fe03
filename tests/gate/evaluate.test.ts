import { evaluateGate } from '#core/gate/index.js';
import type { LoadResult } from '#core/load-result.js';
import { emptyRun, entry, projectBudget, realRuns, withFailures } from './support.js';

const budget = projectBudget();
const { pass, slow, points: passPoints } = await realRuns('slow-handle-summary.json');

describe('verdicts on the real k6 runs', () => {
  it('pass run within budget -> pass, no reasons', () => {
    const g = evaluateGate({ result: pass, budget });
    expect(g.verdict).toBe('pass');
    expect(g.passed).toBe(true);
    expect(g.reasons).toEqual([]);
    expect(g.checks.find((c) => c.id === 'p95')).toMatchObject({
      measured: pass.latency_ms.p95,
      limit: budget.p95_ms,
      ok: true,
      gating: true,
    });
  });

  it('slow run: its crossed k6 threshold fails the gate with exactly that reason', () => {
    const g = evaluateGate({ result: slow, budget });
    expect(g.verdict).toBe('fail');
    expect(g.reasons).toEqual(['k6 threshold crossed: http_req_duration p(95)<25']);
    expect(g.k6_thresholds.crossed).toHaveLength(1);
  });

  it('ignoreK6Thresholds: the crossed threshold becomes a warning and the run passes', () => {
    const g = evaluateGate({ result: slow, budget, options: { ignoreK6Thresholds: true } });
    expect(g.verdict).toBe('pass');
    expect(g.warnings).toEqual(['k6 threshold crossed: http_req_duration p(95)<25 (ignored by configuration)']);
    expect(g.checks.find((c) => c.id === 'k6_thresholds')).toMatchObject({ ok: false, gating: false });
  });

  it('one reason per crossed limit, with the numbers', () => {
    const g = evaluateGate({ result: withFailures(slow, 13), budget: { ...budget, p95_ms: 25 } });
    expect(g.verdict).toBe('fail');
    expect(g.reasons).toEqual([
      'p95 latency 48.7 ms is above the limit of 25.0 ms',
      `error rate ${Number(((13 / slow.requests) * 100).toFixed(2))} % (13 of ${slow.requests} requests failed) is above the limit of 1 %`,
      'k6 threshold crossed: http_req_duration p(95)<25',
    ]);
  });

  it('a value exactly at the limit passes (limits are inclusive)', () => {
    const g = evaluateGate({ result: pass, budget: { ...budget, p95_ms: pass.latency_ms.p95, error_rate: 0.01 } });
    expect(g.verdict).toBe('pass');
  });
});

describe('inconclusive, never a silent pass nor a false alarm', () => {
  it('fewer requests than min_requests -> inconclusive even when limits are crossed', () => {
    const g = evaluateGate({ result: withFailures(pass, 100), budget: { ...budget, min_requests: 1000, p95_ms: 1 } });
    expect(g.verdict).toBe('inconclusive');
    expect(g.passed).toBe(false);
    expect(g.reasons).toEqual([
      `only ${pass.requests} requests were made; at least 1000 (min_requests) are needed to judge`,
    ]);
    expect(g.warnings.some((w) => w.startsWith('on too few requests: p95 latency'))).toBe(true);
    expect(g.warnings.some((w) => w.startsWith('on too few requests: error rate'))).toBe(true);
  });

  it('fewer requests than min_requests with everything fine -> still inconclusive, not pass', () => {
    const g = evaluateGate({ result: pass, budget: { ...budget, min_requests: pass.requests + 1 } });
    expect(g.verdict).toBe('inconclusive');
  });

  it('no requests at all -> inconclusive with a plain reason', () => {
    const g = evaluateGate({ result: emptyRun(), budget });
    expect(g.verdict).toBe('inconclusive');
    expect(g.reasons).toEqual(['no HTTP requests were recorded, so there is nothing to judge']);
    expect(g.checks.find((c) => c.id === 'p95')?.ok).toBeNull();
  });

  it('requests but no p95 -> inconclusive', () => {
    const g = evaluateGate({ result: { ...pass, latency_ms: { p95: Number.NaN } }, budget });
    expect(g.verdict).toBe('inconclusive');
    expect(g.reasons[0]).toContain('no p95');
  });

  it('requests but no p95: what was crossed (k6 threshold, error rate) is still shown as a warning', () => {
    const g = evaluateGate({ result: { ...withFailures(slow, 13), latency_ms: { p95: Number.NaN } }, budget });
    expect(g.verdict).toBe('inconclusive');
    expect(g.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^on incomplete data: error rate .* \\(13 of ${slow.requests} requests failed\\) is above the limit`,
        ),
      ),
      'on incomplete data: k6 threshold crossed: http_req_duration p(95)<25',
    ]);
  });
});

describe('checks', () => {
  const checked = (rate: number): LoadResult => {
    const passes = Math.round(pass.requests * rate);
    return { ...pass, checks: { passes, fails: pass.requests - passes, rate: passes / pass.requests } };
  };
  it('failed checks are a warning by default', () => {
    const g = evaluateGate({ result: checked(0.9), budget });
    expect(g.verdict).toBe('pass');
    expect(g.warnings[0]).toMatch(/^check pass rate 90\.03 % \(67 of 672 checks failed\)$/);
  });
  it('minCheckRate makes them gating', () => {
    const g = evaluateGate({ result: checked(0.9), budget, options: { minCheckRate: 0.99 } });
    expect(g.verdict).toBe('fail');
    expect(g.reasons[0]).toContain('is below the minimum of 99 %');
    expect(evaluateGate({ result: checked(1), budget, options: { minCheckRate: 0.99 } }).verdict).toBe('pass');
  });
});

describe('adaptive error-rate limit', () => {
  it('a failure the budget file allows fails once 90 % of the error budget is spent', () => {
    const r = withFailures(pass, 1); // 0.149 %
    expect(evaluateGate({ result: r, budget }).verdict).toBe('pass');
    const g = evaluateGate({
      result: r,
      budget,
      options: { errorBudget: { slo: 0.99, budgetSpent: 0.9, windowDays: 30 } },
    });
    expect(g.verdict).toBe('fail');
    expect(g.limits.error_rate).toBeCloseTo(0.001, 12);
    expect(g.reasons[0]).toContain('above the limit of 0.1 % (tightened from 1 %: 90 % of the error budget spent)');
  });
});

describe('comparison with the base branch', () => {
  const steady = [100, 104, 98, 101, 99, 103].map((p, i) => entry(i, p));

  it('a change within the noise band is not flagged', () => {
    const base = entry(50, pass.latency_ms.p95 * 0.95);
    const g = evaluateGate({ result: pass, budget, baseline: base, history: steady });
    expect(g.baseline?.status).toBe('within-noise');
    expect(g.warnings).toEqual([]);
  });

  it('a regression beyond noise is a warning by default and a failure with failOnRegression', () => {
    const base = entry(50, pass.latency_ms.p95 / 1.5);
    const g = evaluateGate({ result: pass, budget, baseline: base, history: steady });
    expect(g.verdict).toBe('pass');
    expect(g.baseline?.status).toBe('regression');
    expect(g.baseline?.p95_change).toBeCloseTo(0.5, 9);
    expect(g.warnings).toEqual([
      `p95 is +50 % against the base branch (${base.sha.slice(0, 7)}: 3.46 ms), beyond the run-to-run noise of ±10 %`,
    ]);
    const f = evaluateGate({
      result: pass,
      budget,
      baseline: base,
      history: steady,
      options: { failOnRegression: true },
    });
    expect(f.verdict).toBe('fail');
    expect(f.reasons).toEqual(g.warnings);
  });

  it('a noisy history widens the band so the same change is within noise', () => {
    const noisy = [100, 160, 90, 150, 95, 170].map((p, i) => entry(i, p));
    const base = entry(50, pass.latency_ms.p95 / 1.5);
    const g = evaluateGate({ result: pass, budget, baseline: base, history: noisy });
    expect(g.baseline?.noise.source).toBe('history');
    expect(g.baseline?.noise.band).toBeGreaterThan(0.5);
    expect(g.baseline?.status).toBe('within-noise');
  });

  it('overlapping p95 confidence intervals veto a regression flag', () => {
    const [lo, hi] = passPoints.p95_ci_ms!;
    const basePoint = passPoints.latency_ms.p95 / 1.15;
    const overlapping = entry(51, basePoint, { p95_ci_ms: [basePoint * 0.8, hi] });
    const g = evaluateGate({ result: passPoints, budget, baseline: overlapping, history: steady });
    expect(g.baseline?.p95_change).toBeGreaterThan(0.1);
    expect(g.baseline?.ci_used).toBe(true);
    expect(g.baseline?.status).toBe('within-noise');
    const separate = entry(52, basePoint, { p95_ci_ms: [basePoint * 0.9, lo * 0.99] });
    expect(evaluateGate({ result: passPoints, budget, baseline: separate, history: steady }).baseline?.status).toBe(
      'regression',
    );
  });

  it('an inconclusive baseline is not compared', () => {
    const g = evaluateGate({ result: pass, budget, baseline: entry(9, 1, { verdict: 'inconclusive' }) });
    expect(g.baseline).toBeUndefined();
  });
});
