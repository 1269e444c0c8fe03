/**
 * Burn-rate limits against a real Prometheus (Debian's 2.42) holding seven hours of service
 * metrics, backfilled with `promtool tsdb create-blocks-from openmetrics`: a fast burn, a slow burn
 * and no burn, for errors and for latency, each measured through lib/smoke-burn-rate.ts and judged
 * by the gate as the rule says; the bundled action run as GitHub runs it and the compiled CLI on
 * the same history; Prometheus unreachable or without data gives a warning and the budget file
 * limits.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  evaluateGate,
  type BurnPairResult,
  type BurnRateInput,
  type BurnRateReport,
  type GateResult,
} from '#core/gate/index.js';
import { PrometheusClient } from '#lib/prometheus.js';
import { measureBurnRates, parseBurnRateSettings, type BurnRateSettings } from '#lib/smoke-burn-rate.js';
import { freePort } from '../support/ports.js';
import { openMetricsHistory, trueRatio, type HistoryShape, type Scenario } from '../support/prometheus-backfill.js';
import { startPrometheusWith, type Prometheus } from '../support/prometheus.js';
import { fixtures, repoRoot, runAction, schemaErrors, type ActionRun } from '../smoke-gate/run-action.js';
import { projectBudget, realRuns, withFailures } from './support.js';

const SLO = 0.99;
const LATENCY_SLO = 0.95;
const H = 3600;
const M = 60;
const base = { errorRatio: 0.002, slowRatio: 0.01 }; // 0.2x of either budget
const calmFor = (durationS: number) => ({ durationS, ...base });

/** Seven hours each, oldest phase first; the comments give the burns the rules see at the end. */
const SCENARIOS: Scenario[] = [
  { name: 'calm', phases: [calmFor(7 * H)] },
  // 20x over 1 h and 5 min: fast. 6 h: (5 x 0.5 % + 1 x 20 %) / 6 = 3.75x: no slow burn.
  {
    name: 'fast-errors',
    phases: [
      { ...calmFor(6 * H), errorRatio: 0.005 },
      { ...calmFor(H), errorRatio: 0.2 },
    ],
  },
  // 8x over 6 h and 30 min: slow; 8x over the hour is below 14.4x.
  { name: 'slow-errors', phases: [calmFor(H), { ...calmFor(6 * H), errorRatio: 0.08 }] },
  // 50x over 5 min but 4.35x over the hour: a spike, no fast burn.
  { name: 'spike-errors', phases: [calmFor(7 * H - 5 * M), { ...calmFor(5 * M), errorRatio: 0.5 }] },
  // 17x over 1 h and 5 min: fast.
  { name: 'fast-latency', phases: [calmFor(6 * H), { ...calmFor(H), slowRatio: 0.85 }] },
  // 8x over 6 h and 30 min: slow.
  { name: 'slow-latency', phases: [calmFor(H), { ...calmFor(6 * H), slowRatio: 0.4 }] },
  // 15x over the hour, recovered in the last 10 min (0.2x over 5 min): no fast burn.
  {
    name: 'recovered-latency',
    phases: [calmFor(6 * H), { ...calmFor(50 * M), slowRatio: 0.9 }, calmFor(10 * M)],
  },
];
const scenario = (name: string): Scenario => SCENARIOS.find((s) => s.name === name)!;

const STEP_S = 15;
const budget = projectBudget(); // p95 450 ms, error rate 1 %
const { pass, slow } = await realRuns('slow-summary-export.json');
let shape: HistoryShape;
let prom: Prometheus;
let work: string;

beforeAll(async () => {
  // The last sample a scrape interval in the past: blocks end before Prometheus's (empty) head starts.
  shape = { end: (Math.floor(Date.now() / 1000 / STEP_S) - 1) * STEP_S, stepS: STEP_S, requestsPerStep: 1000 };
  prom = await startPrometheusWith({ backfill: openMetricsHistory(SCENARIOS, shape) });
  work = mkdtempSync(join(tmpdir(), 'burn-rate-'));
}, 120_000);

afterAll(async () => {
  await prom?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const settings = (name: string, action: 'tighten' | 'fail' = 'tighten'): BurnRateSettings =>
  parseBurnRateSettings(
    { action, selector: `scenario="${name}"` },
    { slo: SLO, prometheus: true, label: (n) => `input ${n}` },
  )!;

/** Measured at the last sample, so every window's ratio is exactly what was written. */
const measure = (name: string, action?: 'tighten' | 'fail'): Promise<BurnRateInput> =>
  measureBurnRates(new PrometheusClient(prom.url), settings(name, action), budget.p95_ms, { timeS: shape.end });

const burnOf = (s: Scenario, slo: 'error' | 'latency', windowS: number): number =>
  trueRatio(s, shape, slo, windowS) / (1 - (slo === 'error' ? SLO : LATENCY_SLO));

/** [fast firing, slow firing] of each SLO. */
function firing(r: BurnRateReport): Record<'error' | 'latency', (boolean | null)[]> {
  const of = (slo: BurnPairResult['slo']) => r.pairs.filter((p) => p.slo === slo).map((p) => p.firing);
  return { error: of('error'), latency: of('latency') };
}

// First: the action and the CLI query at the server's now, so they run while the history's last 5 min are recent.
describe('as users run it', () => {
  const inputs = (extra: Record<string, string>) => ({
    'github-token': '',
    'fail-on-k6-thresholds': 'false',
    slo: String(SLO),
    'error-budget-spent': '0', // the adaptive rule out of the way: the burn rates decide
    'burn-rate-action': 'tighten',
    ...extra,
  });
  /** The bundled action, with the commit GitHub would give it. */
  const runGate = (opts: Parameters<typeof runAction>[0]): Promise<ActionRun> =>
    runAction({ ...opts, env: { GITHUB_SHA: 'b'.repeat(40), ...opts.env } });
  const report = (r: ActionRun) => r.report as { budget: { burn_rates: BurnRateReport; p95_ms_limit: number } };

  test('the action (dist, as GitHub runs it): a fast latency burn tightens the p95 limit and fails the slower run', async () => {
    const r = await runGate({
      inputs: inputs({
        results: join(fixtures, 'slow-summary-export.json'),
        'prometheus-url': prom.url,
        'burn-rate-selector': 'scenario="fast-latency"',
      }),
    });
    expect(r.stderr).toBe('');
    expect(schemaErrors('report', r.report)).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.outputs.verdict).toBe('fail');
    const b = report(r).budget;
    expect(b.burn_rates.pairs.map((p) => [p.slo, p.severity, p.rule])).toEqual([
      ['error', 'fast', 'none'],
      ['error', 'slow', 'none'],
      ['latency', 'fast', 'tighten'],
      ['latency', 'slow', 'none'],
    ]);
    // Queried at the server's now: the last hour of this history is one constant phase.
    const fast = b.burn_rates.pairs[2]!;
    expect(fast.long.ratio).toBeCloseTo(0.85, 9);
    expect(fast.short.ratio).toBeCloseTo(0.85, 9);
    expect(b.p95_ms_limit).toBeCloseTo(budget.p95_ms / (0.85 / (1 - LATENCY_SLO)), 6);
    expect(r.stdout).toContain(
      '::error::Performance smoke gate failed: p95 latency 48.7 ms is above the limit of 26.5 ms',
    );
    expect(r.summary).toContain('| SLO | Burn | Long window | Short window | Above | Rule |');
    expect(r.summary).toContain(
      '| latency ≤ 450 ms (SLO 95 %) | fast | 1h: 85 % → 17x | 5m: 85 % → 17x | 14.4x | 🔥 fast burn',
    );
    expect(r.summary).toContain('| p95 latency (burn-rate limit) |');
  });

  test('the action: Prometheus unreachable is a warning, the run passes on the budget file', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const r = await runGate({
      inputs: inputs({ results: join(fixtures, 'slow-summary-export.json'), 'prometheus-url': dead }),
    });
    expect(r.code).toBe(0);
    const warning = `Prometheus at ${dead} is unreachable (ECONNREFUSED); burn rates not measured: the budget file limits apply`;
    expect(r.stdout).toContain(`::warning::${warning}`);
    expect(report(r).budget.burn_rates.unavailable).toBe(`Prometheus at ${dead} is unreachable (ECONNREFUSED)`);
    expect(r.summary).toContain('⚠️ Not measured: Prometheus at');
  });

  test('the action: unusable burn-rate inputs are one-line errors and write no report', async () => {
    const results = join(fixtures, 'pass-summary-export.json');
    const cases: [Record<string, string>, string][] = [
      [{ 'burn-rate-action': 'page' }, 'input burn-rate-action must be tighten or fail, got "page"'],
      [{ slo: '' }, 'input burn-rate-action needs input slo, the error SLO (e.g. 0.99)'],
      [{}, 'input burn-rate-action needs input prometheus-url'],
      [
        { 'burn-rate-action': '', 'latency-slo': '0.9' },
        'input latency-slo needs input burn-rate-action (tighten or fail)',
      ],
      [
        { 'prometheus-url': prom.url, 'latency-slo': '95' },
        'input latency-slo must be a ratio in (0, 1), e.g. 0.95, got "95"',
      ],
      [
        { 'prometheus-url': prom.url, 'burn-rate-selector': 'job="a"}' },
        'input burn-rate-selector: a selector is label matchers such as job="hotel", env="prod"; got "job=\\"a\\"}"',
      ],
    ];
    for (const [extra, error] of cases) {
      const r = await runGate({ inputs: { results, ...inputs(extra) } });
      expect(r.code).toBe(1);
      expect(r.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([`::error::${error}`]);
      expect(r.report).toBeUndefined();
    }
  });

  test('npm run smoke: --burn-rate-action fail on a fast error burn exits 1 and prints each pair', async () => {
    const cli = join(repoRoot, 'build/cli/smoke.js');
    expect(existsSync(cli)).toBe(true);
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, ...args], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const args = ['--results', join(fixtures, 'pass-summary-export.json'), '--report', join(work, 'cli.json')];
    const r = await run([
      ...args,
      '--burn-rate-action',
      'fail',
      '--slo',
      String(SLO),
      '--prometheus-url',
      prom.url,
      '--burn-rate-selector',
      'scenario="fast-errors"',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^verdict: FAIL/m);
    expect(r.stdout).toContain(
      '  burn rate, error fast: fast burn: 20x over 1h and 20x over 5m, both above 14.4x: the gate fails',
    );
    expect(r.stdout).toContain('  - fast burn of the error budget (SLO 99 %): 20x over 1h and 20x over 5m');
    const rep = JSON.parse(readFileSync(join(work, 'cli.json'), 'utf8')) as Record<string, unknown>;
    expect(schemaErrors('report', rep)).toEqual([]);

    const stray = await run([...args, '--slo', '0.99']);
    expect(stray.code).toBe(2);
    expect(stray.stderr.split('\n')[0]).toBe(
      'smoke: --slo is for the burn rates: add --burn-rate-action tighten or fail',
    );
  });
});

describe('each window as Prometheus measures it is the history that was written', () => {
  test.each(SCENARIOS.map((s) => [s.name]))('%s: 8 windows', async (name) => {
    const input = await measure(name);
    expect(input.unavailable).toBeUndefined();
    expect(input.measurements).toHaveLength(8);
    for (const m of input.measurements) {
      // Served requests only: with the /metrics scrapes counted the latency ratio would be off in the 4th digit.
      expect(m.ratio).toBeCloseTo(trueRatio(scenario(name), shape, m.slo, m.window_s), 9);
      expect(m.query).toContain(`scenario="${name}"`);
    }
  });
});

describe('the rules on each burn', () => {
  const gate = async (name: string, result = pass, action?: 'tighten' | 'fail'): Promise<GateResult> =>
    evaluateGate({ result, budget, options: { ignoreK6Thresholds: true, burnRates: await measure(name, action) } });

  test('no burn: the budget file limits, no warning', async () => {
    for (const name of ['calm', 'spike-errors', 'recovered-latency']) {
      const g = await gate(name);
      expect(firing(g.burn_rates!)).toEqual({ error: [false, false], latency: [false, false] });
      expect(g.limits).toMatchObject({ error_rate: budget.error_rate, p95_ms: budget.p95_ms });
      expect(g.warnings).toEqual([]);
      expect(g.verdict).toBe('pass');
    }
    // The windows that did burn, alone: the spike's 5 min, the recovered burn's hour.
    expect(burnOf(scenario('spike-errors'), 'error', 5 * M)).toBeGreaterThan(14.4);
    expect(burnOf(scenario('recovered-latency'), 'latency', H)).toBeGreaterThan(14.4);
  });

  test('fast error burn: the error-rate limit is (1 - SLO) / burn, and one failed request in 672 fails', async () => {
    const g = await gate('fast-errors', withFailures(pass, 1));
    expect(firing(g.burn_rates!)).toEqual({ error: [true, false], latency: [false, false] });
    const burn = Math.min(burnOf(scenario('fast-errors'), 'error', H), burnOf(scenario('fast-errors'), 'error', 5 * M));
    expect(burn).toBeGreaterThan(14.4);
    expect(g.limits.error_rate).toBeCloseTo((1 - SLO) / burn, 12);
    expect(g.limits.p95_ms).toBe(budget.p95_ms);
    expect(g.verdict).toBe('fail');
    expect(g.reasons).toEqual([
      'error rate 0.15 % (1 of 672 requests failed) is above the limit of 0.05 % (tightened from 1 % by a fast burn of the error budget: 20x over 1h and 20x over 5m)',
    ]);
    expect((await gate('fast-errors')).verdict).toBe('pass'); // no failed request: within even that limit
  });

  test('fast latency burn: the p95 limit is 450 ms / burn; the recorded 48.7 ms run fails it', async () => {
    const g = await gate('fast-latency', slow);
    expect(firing(g.burn_rates!)).toEqual({ error: [false, false], latency: [true, false] });
    const burn = Math.min(
      burnOf(scenario('fast-latency'), 'latency', H),
      burnOf(scenario('fast-latency'), 'latency', 5 * M),
    );
    expect(g.limits.p95_ms).toBeCloseTo(budget.p95_ms / burn, 9);
    expect(g.limits.error_rate).toBe(budget.error_rate);
    expect(g.verdict).toBe('fail');
    expect(g.reasons).toEqual([
      'p95 latency 48.7 ms is above the limit of 26.5 ms (tightened from 450 ms by a fast burn of the latency budget: 17x over 1h and 17x over 5m)',
    ]);
    expect((await gate('fast-latency', pass)).verdict).toBe('pass'); // 5.18 ms
  });

  test('slow burns warn and leave the limits', async () => {
    const e = await gate('slow-errors');
    expect(firing(e.burn_rates!)).toEqual({ error: [false, true], latency: [false, false] });
    expect(e.warnings).toEqual([
      'slow burn of the error budget (SLO 99 %): 8x over 6h and 8x over 30m, both above 6x; the limits stay, worth a ticket',
    ]);
    const l = await gate('slow-latency');
    expect(firing(l.burn_rates!)).toEqual({ error: [false, false], latency: [false, true] });
    expect(l.warnings).toEqual([
      'slow burn of the latency budget (SLO 95 % at or under 450 ms): 8x over 6h and 8x over 30m, both above 6x; the limits stay, worth a ticket',
    ]);
    for (const g of [e, l]) {
      expect(g.limits).toMatchObject({ error_rate: budget.error_rate, p95_ms: budget.p95_ms });
      expect(g.verdict).toBe('pass');
    }
  });

  test('burn-rate action fail: a fast burn fails the gate, a slow one still only warns', async () => {
    const g = await gate('fast-errors', pass, 'fail');
    expect(g.verdict).toBe('fail');
    expect(g.reasons).toEqual([
      'fast burn of the error budget (SLO 99 %): 20x over 1h and 20x over 5m, both above 14.4x; burn-rate-action fail stops changes until it slows',
    ]);
    expect(g.limits.error_rate).toBe(budget.error_rate);
    expect((await gate('slow-latency', pass, 'fail')).verdict).toBe('pass');
  });

  test('no data for the selector: a warning per SLO, the budget file limits', async () => {
    const g = await gate('no-such-scenario');
    expect(firing(g.burn_rates!)).toEqual({ error: [null, null], latency: [null, null] });
    expect(g.limits).toMatchObject({ error_rate: budget.error_rate, p95_ms: budget.p95_ms });
    expect(g.warnings).toHaveLength(2);
    expect(g.warnings[0]).toBe(
      'error budget burn rate fast (1h/5m) not judged, no ratio over 1h and 5m: returned no data (no requests in the window?); slow (6h/30m) not judged, no ratio over 6h and 30m: returned no data (no requests in the window?)',
    );
  });

  test('Prometheus unreachable: the input says why, the gate warns and keeps the budget file limits', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const input = await measureBurnRates(new PrometheusClient(dead), settings('fast-errors'), budget.p95_ms);
    const reason = `Prometheus at ${dead} is unreachable (ECONNREFUSED)`;
    expect(input.unavailable).toBe(reason);
    const g = evaluateGate({ result: withFailures(pass, 1), budget, options: { burnRates: input } });
    expect(g.verdict).toBe('pass');
    expect(g.limits).toMatchObject({ error_rate: budget.error_rate, p95_ms: budget.p95_ms });
    expect(g.warnings).toEqual([`${reason}; burn rates not measured: the budget file limits apply`]);
  });
});
