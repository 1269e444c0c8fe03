/**
 * The pure burn-rate rules (core/src/gate/burn-rate.ts): the PromQL of each window, burn = ratio /
 * (1 - SLO), both windows of a pair above its factor, and what a fast or slow burn does to the
 * gate, on the real recorded k6 runs. The worked example of the module's doc comment is checked
 * number by number.
 */
import {
  assessBurnRates,
  BurnRateError,
  burnRateQuery,
  evaluateGate,
  fmtBurn,
  normalizeSelector,
  promRange,
  renderSmokeMarkdown,
  buildSmokeReport,
  SRE_WORKBOOK_WINDOWS,
  windowsToMeasure,
  type BurnRateAction,
  type BurnRateInput,
  type BurnWindowPair,
} from '#core/gate/index.js';
import { schemaErrors } from '../smoke-gate/run-action.js';
import { projectBudget, realRuns, withFailures } from './support.js';

const budget = projectBudget(); // p95 450 ms, error rate 1 %
const { pass, slow } = await realRuns('slow-summary-export.json');

/** Bad ratios per SLO and window (seconds) -> the input the lib would hand over. */
function input(
  ratios: { error?: Record<number, number | null>; latency?: Record<number, number | null> },
  opts: { action?: BurnRateAction; pairs?: BurnWindowPair[]; slo?: number; latencySlo?: number } = {},
): BurnRateInput {
  const pairs = opts.pairs ?? [...SRE_WORKBOOK_WINDOWS];
  return {
    action: opts.action ?? 'tighten',
    slos: { error: opts.slo ?? 0.99, latency: opts.latencySlo ?? 0.95, latency_threshold_ms: budget.p95_ms },
    pairs,
    measurements: (['error', 'latency'] as const).flatMap((slo) =>
      windowsToMeasure(pairs).map((w) => {
        const r = (ratios[slo] ?? calm)[w];
        const q = burnRateQuery(slo, w, { latencyThresholdMs: budget.p95_ms });
        return r === null || r === undefined
          ? { slo, window_s: w, query: q, ratio: null, problem: 'returned no data (no requests in the window?)' }
          : { slo, window_s: w, query: q, ratio: r };
      }),
    ),
  };
}
const H = 3600;
const M = 60;
const calm: Record<number, number | null> = { 3600: 0.001, 300: 0.001, 21600: 0.001, 1800: 0.001 };

describe('the PromQL of each window, built in one place', () => {
  it('ranges in the largest whole unit', () => {
    expect([3600, 300, 21_600, 1800, 86_400, 90].map(promRange)).toEqual(['1h', '5m', '6h', '30m', '1d', '90s']);
    expect(() => promRange(0)).toThrow(BurnRateError);
    expect(() => promRange(1.5)).toThrow(BurnRateError);
  });
  it('error ratio: errors (0 when none ever happened) over all gateway requests', () => {
    expect(burnRateQuery('error', 3600, { latencyThresholdMs: 450 })).toBe(
      '(sum(increase(tenant_request_errors[1h])) or vector(0)) / sum(increase(tenant_request_total[1h]))',
    );
  });
  it('latency: served requests above the bucket at the budget p95, probes and scrapes left out', () => {
    expect(burnRateQuery('latency', 300, { latencyThresholdMs: 450 })).toBe(
      '1 - sum(increase(http_request_duration_seconds_bucket{le="0.45",route!~"/metrics|/health/.*"}[5m])) / ' +
        'sum(increase(http_request_duration_seconds_count{route!~"/metrics|/health/.*"}[5m]))',
    );
  });
  it('the selector goes into every metric of both queries, with or without braces', () => {
    for (const selector of ['job="hotel",env="prod"', '{job="hotel",env="prod"}', ' job="hotel",env="prod", ']) {
      expect(burnRateQuery('error', 1800, { selector, latencyThresholdMs: 450 })).toBe(
        '(sum(increase(tenant_request_errors{job="hotel",env="prod"}[30m])) or vector(0)) / sum(increase(tenant_request_total{job="hotel",env="prod"}[30m]))',
      );
      expect(burnRateQuery('latency', 21_600, { selector, latencyThresholdMs: 500 })).toBe(
        '1 - sum(increase(http_request_duration_seconds_bucket{le="0.5",route!~"/metrics|/health/.*",job="hotel",env="prod"}[6h])) / ' +
          'sum(increase(http_request_duration_seconds_count{route!~"/metrics|/health/.*",job="hotel",env="prod"}[6h]))',
      );
    }
    expect(() => normalizeSelector('job="a"} or vector(1)')).toThrow(/label matchers/);
  });
  it('the workbook windows: 1 h + 5 min at 14.4x, 6 h + 30 min at 6x', () => {
    expect(windowsToMeasure(SRE_WORKBOOK_WINDOWS)).toEqual([H, 5 * M, 6 * H, 30 * M]);
  });
});

describe('the worked example (doc comment of burn-rate.ts)', () => {
  it('errors 18 % over 1 h and 25 % over 5 min: fast burn, limit min(1 %, 1 % / 18)', () => {
    const a = assessBurnRates(input({ error: { ...calm, 3600: 0.18, 300: 0.25 } }), budget);
    const fast = a.report.pairs.find((p) => p.slo === 'error' && p.severity === 'fast')!;
    expect(fast.long.burn_rate).toBeCloseTo(18, 12);
    expect(fast.short.burn_rate).toBeCloseTo(25, 12);
    expect(fast).toMatchObject({ firing: true, rule: 'tighten' });
    expect(a.report.limits.error_rate).toBeCloseTo(0.01 / 18, 15);
    expect(a.report.limits.p95_ms).toBe(budget.p95_ms);
    expect(fast.why).toBe(
      'fast burn: 18x over 1h and 25x over 5m, both above 14.4x: error-rate limit min(1 %, 1 % / 18x) = 0.06 %',
    );
    expect(a.tightened).toEqual({ error_rate: 'by a fast burn of the error budget: 18x over 1h and 25x over 5m' });
    expect(a.failReasons).toEqual([]);
    expect(a.warnings).toEqual([]);
    // A 672-request smoke may fail no request: one failure is 0.149 %.
    const g = evaluateGate({
      result: withFailures(pass, 1),
      budget,
      options: { burnRates: input({ error: { ...calm, 3600: 0.18, 300: 0.25 } }) },
    });
    expect(g.verdict).toBe('fail');
    expect(g.reasons).toEqual([
      'error rate 0.15 % (1 of 672 requests failed) is above the limit of 0.06 % (tightened from 1 % by a fast burn of the error budget: 18x over 1h and 25x over 5m)',
    ]);
    expect(g.checks.find((c) => c.id === 'error_rate')).toMatchObject({
      label: 'Error rate (burn-rate limit)',
      ok: false,
    });
    // Without the burn the same run passes the budget file.
    expect(evaluateGate({ result: withFailures(pass, 1), budget }).verdict).toBe('pass');
  });

  it('80 % slow over 1 h and 90 % over 5 min: fast latency burn, p95 limit 450 ms / 16 = 28.1 ms', () => {
    const burn = input({ latency: { ...calm, 3600: 0.8, 300: 0.9 } });
    const a = assessBurnRates(burn, budget);
    expect(a.report.limits.p95_ms).toBeCloseTo(450 / 16, 12);
    expect(a.report.limits.error_rate).toBe(budget.error_rate);
    // The recorded 5.18 ms run passes; the recorded 48.7 ms run (within the 450 ms budget) fails.
    const ok = evaluateGate({ result: pass, budget, options: { burnRates: burn } });
    expect(ok.verdict).toBe('pass');
    expect(ok.limits.p95_ms).toBeCloseTo(28.125, 12);
    expect(ok.checks.find((c) => c.id === 'p95')).toMatchObject({ label: 'p95 latency (burn-rate limit)', ok: true });
    expect(evaluateGate({ result: slow, budget, options: { ignoreK6Thresholds: true } }).verdict).toBe('pass');
    const bad = evaluateGate({ result: slow, budget, options: { ignoreK6Thresholds: true, burnRates: burn } });
    expect(bad.verdict).toBe('fail');
    expect(bad.reasons).toEqual([
      'p95 latency 48.7 ms is above the limit of 28.1 ms (tightened from 450 ms by a fast burn of the latency budget: 16x over 1h and 18x over 5m)',
    ]);
  });

  it('8 % errors over 6 h and 9 % over 30 min: slow burn, a warning, the limit stays', () => {
    const a = assessBurnRates(input({ error: { 3600: 0.08, 300: 0.08, 21600: 0.08, 1800: 0.09 } }), budget);
    const [fastRow, slowRow] = a.report.pairs.filter((p) => p.slo === 'error');
    expect(fastRow).toMatchObject({
      firing: false,
      rule: 'none',
      why: 'no fast burn: 8x over 1h and 8x over 5m, not both above 14.4x',
    });
    expect(slowRow).toMatchObject({ firing: true, rule: 'warn' });
    expect(a.report.limits).toEqual({ error_rate: budget.error_rate, p95_ms: budget.p95_ms });
    expect(a.warnings).toEqual([
      'slow burn of the error budget (SLO 99 %): 8x over 6h and 9x over 30m, both above 6x; the limits stay, worth a ticket',
    ]);
  });
});

describe('both windows of a pair must be above the factor', () => {
  it.each([
    ['a spike (5 min only)', { 3600: 0.05, 300: 0.5 }],
    ['a recovered burn (the hour only)', { 3600: 0.5, 300: 0.01 }],
    ['exactly at the factor', { 3600: 0.144, 300: 0.144 }],
  ])('%s is no fast burn', (_name, fast) => {
    const a = assessBurnRates(input({ error: { ...calm, ...fast } }), budget);
    expect(a.report.pairs[0]).toMatchObject({ slo: 'error', severity: 'fast', firing: false, rule: 'none' });
    expect(a.report.limits.error_rate).toBe(budget.error_rate);
  });
  it('no data in one window: the pair fires only if the other already cannot', () => {
    const missing = assessBurnRates(input({ error: { ...calm, 3600: 0.5, 300: null } }), budget);
    expect(missing.report.pairs[0]).toMatchObject({ firing: null, rule: 'none' });
    expect(missing.report.pairs[0]!.short).toMatchObject({
      ratio: null,
      burn_rate: null,
      problem: 'returned no data (no requests in the window?)',
    });
    expect(missing.report.limits.error_rate).toBe(budget.error_rate);
    expect(missing.warnings).toEqual([
      'error budget burn rate fast (1h/5m) not judged, no ratio over 5m: returned no data (no requests in the window?)',
    ]);
    const decided = assessBurnRates(input({ error: { ...calm, 3600: 0.01, 300: null } }), budget);
    expect(decided.report.pairs[0]).toMatchObject({ firing: false, rule: 'none' });
    expect(decided.warnings).toEqual([]);
  });
});

describe('the action on a fast burn, and never looser than the budget file', () => {
  it('fail: the gate fails with the burn as the reason, even for a run within every limit', () => {
    const burn = input({ latency: { ...calm, 3600: 0.8, 300: 0.9 } }, { action: 'fail' });
    const g = evaluateGate({ result: pass, budget, options: { burnRates: burn } });
    expect(g.verdict).toBe('fail');
    expect(g.reasons).toEqual([
      'fast burn of the latency budget (SLO 95 % at or under 450 ms): 16x over 1h and 18x over 5m, both above 14.4x; burn-rate-action fail stops changes until it slows',
    ]);
    expect(g.limits.p95_ms).toBe(budget.p95_ms); // failing, not tightening
    expect(g.burn_rates!.pairs.find((p) => p.slo === 'latency' && p.severity === 'fast')!.rule).toBe('fail');
  });
  it('a fast and a slow burn together: the fast rule applies, no warning', () => {
    const a = assessBurnRates(input({ error: { 3600: 0.2, 300: 0.2, 21600: 0.1, 1800: 0.2 } }), budget);
    expect(a.report.pairs.filter((p) => p.slo === 'error').map((p) => [p.firing, p.rule])).toEqual([
      [true, 'tighten'],
      [true, 'none'],
    ]);
    expect(a.report.pairs[1]!.why).toMatch(/; the fast burn rule applies$/);
    expect(a.warnings).toEqual([]);
  });
  it('a pair firing below 1x (a custom factor) cannot loosen a limit', () => {
    const pairs: BurnWindowPair[] = [{ severity: 'fast', long_s: 3600, short_s: 300, factor: 0.1 }];
    const burn = input({ error: { 3600: 0.005, 300: 0.005 }, latency: { 3600: 0.02, 300: 0.02 } }, { pairs });
    const a = assessBurnRates(burn, budget);
    expect(a.report.pairs.map((p) => p.firing)).toEqual([true, true]); // burns 0.5x and 0.4x
    expect(a.report.limits).toEqual({ error_rate: budget.error_rate, p95_ms: budget.p95_ms });
    expect(a.tightened).toEqual({});
  });
  it('the adaptive limit and the burn-rate limit: the smaller applies and is named', () => {
    const burn = input({ error: { ...calm, 3600: 0.18, 300: 0.25 } });
    const spent = { slo: 0.99, budgetSpent: 0.5 }; // adaptive limit 0.5 %
    const g = evaluateGate({ result: withFailures(pass, 2), budget, options: { burnRates: burn, errorBudget: spent } });
    expect(g.limits.error_rate).toBeCloseTo(0.01 / 18, 15);
    expect(g.reasons[0]).toMatch(/tightened from 1 % by a fast burn of the error budget/);
    const weak = input({ error: { ...calm, 3600: 0.05, 300: 0.05 } }); // 5x: no fast burn
    const g2 = evaluateGate({
      result: withFailures(pass, 5),
      budget,
      options: { burnRates: weak, errorBudget: spent },
    });
    expect(g2.limits.error_rate).toBeCloseTo(0.005, 15);
    expect(g2.reasons[0]).toMatch(/50 % of the error budget spent/);
  });
  it('settings no rule can use are refused', () => {
    expect(() => assessBurnRates(input({}, { slo: 1 }), budget)).toThrow(/error SLO must be a ratio in \(0, 1\)/);
    expect(() =>
      assessBurnRates(input({}, { pairs: [{ severity: 'fast', long_s: 300, short_s: 3600, factor: 14.4 }] }), budget),
    ).toThrow(/long window longer than its short one/);
  });
});

describe('Prometheus unavailable: a warning, the budget file limits', () => {
  it('keeps the limits and says why', () => {
    const reason = 'Prometheus at http://127.0.0.1:9 is unreachable (ECONNREFUSED)';
    const burn = { ...input({}), unavailable: reason };
    const g = evaluateGate({ result: pass, budget, options: { burnRates: burn } });
    expect(g.verdict).toBe('pass');
    expect(g.limits).toMatchObject({ p95_ms: budget.p95_ms, error_rate: budget.error_rate });
    expect(g.warnings).toEqual([`${reason}; burn rates not measured: the budget file limits apply`]);
  });
});

describe('report and markdown', () => {
  it('the report records every window and validates against the schema; the markdown has one short table', () => {
    const burn = input({
      error: { 3600: 0.18, 300: 0.25, 21600: 0.04, 1800: 0.2 },
      latency: { 3600: 0.02, 300: 0.02, 21600: 0.4, 1800: 0.45 },
    });
    const gate = evaluateGate({ result: pass, budget, options: { burnRates: burn } });
    const report = buildSmokeReport({ result: pass, gate, budget, commit: 'a'.repeat(40), ref: 'refs/heads/main' });
    expect(schemaErrors('report', report)).toEqual([]);
    expect(report.budget.error_rate_limit).toBeCloseTo(0.01 / 18, 15);
    expect(report.budget.p95_ms_limit).toBe(450);
    const b = report.budget.burn_rates!;
    expect(b.pairs).toHaveLength(4);
    for (const p of b.pairs)
      for (const w of [p.long, p.short]) {
        expect(w.query).toBe(burnRateQuery(p.slo, w.window_s, { latencyThresholdMs: 450 }));
        expect(w.burn_rate).toBeCloseTo(w.ratio! / (1 - p.target), 12);
      }
    expect(report.warnings).toEqual([
      'slow burn of the latency budget (SLO 95 % at or under 450 ms): 8x over 6h and 9x over 30m, both above 6x; the limits stay, worth a ticket',
    ]);
    const md = renderSmokeMarkdown(report);
    const section = md.slice(md.indexOf('**SLO burn rates** (on a fast burn: tighten)'));
    const table = section.split('\n\n')[1]!.split('\n');
    expect(table.slice(0, 2)).toEqual([
      '| SLO | Burn | Long window | Short window | Above | Rule |',
      '| --- | --- | ---: | ---: | ---: | --- |',
    ]);
    expect(table.slice(2)).toHaveLength(4);
    expect(table[2]).toBe(
      `| errors (SLO 99 %) | fast | 1h: 18 % → ${fmtBurn(18)} | 5m: 25 % → 25x | 14.4x | 🔥 fast burn: 18x over 1h and 25x over 5m, both above 14.4x: error-rate limit min(1 %, 1 % / 18x) = 0.06 % |`,
    );
    expect(table[5]).toContain(
      '| latency ≤ 450 ms (SLO 95 %) | slow | 6h: 40 % → 8x | 30m: 45 % → 9x | 6x | 🔥 slow burn',
    );
    expect(md).toContain('<summary>Burn-rate queries</summary>');
    expect(md).toContain(
      '<code>1 - sum(increase(http&#95;request&#95;duration&#95;seconds&#95;bucket{le=&quot;0.45&quot;',
    );
  });
});
