/**
 * Decisions a reviewer can trust (issue 10 item 4): honest words when the evidence is thin, typed
 * budget breaches (all of them), each reason once in the comment with the real re-check path and
 * links, one report per run beside a stable latest copy, and `judge <report>` finding a report
 * that contradicts itself and naming the metric that decided.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildCanaryReport,
  DEFAULT_JUDGE_SETTINGS,
  decideOutcome,
  judge,
  renderCanaryMarkdown,
  reportFindings,
  type CanaryReport,
  type IntervalSamples,
  type JudgeSettings,
  type TrackSamples,
} from '#core/canary/index.js';
import { defaultRunKey, resolvePlan } from '#lib/canary/plan.js';
import { reportLinks } from '#lib/canary/orchestrate.js';
import { createRng } from '#core/stats/rng.js';
import { REALISTIC, simulateIntervals } from '../stats/simulate.js';
import { runNode } from '../support/processes.js';
import { cliBuild, repoRoot } from './helpers.js';
import { testPlan } from './plan-fixture.js';

const S: JudgeSettings = { ...DEFAULT_JUDGE_SETTINGS };
const metric = (j: ReturnType<typeof judge>, name: string) => j.metrics.find((m) => m.metric === name)!;

function report(intervals: IntervalSamples[], settings = S, seed = 5): CanaryReport {
  const j = judge(intervals, settings, seed);
  const plan = { ...testPlan('staging', 'abc1234', settings), analysis: { ...testPlan().analysis, seed } };
  return JSON.parse(
    JSON.stringify(
      buildCanaryReport({
        environment: 'staging',
        sha: 'abc1234',
        source: 'synthetic',
        plan,
        settings,
        seed,
        intervals,
        outcome: { action: decideOutcome(j.verdict, settings), detail: 'test' },
      }),
    ),
  ) as CanaryReport;
}

describe('too little evidence says so', () => {
  // 20 requests a track, 2 canary requests 20 ms slower: the canary's p95 is several times the
  // baseline's, on far too few requests for the tail test to tell.
  const fast = (n: number, slow: number): TrackSamples => ({
    total: n,
    errors: 0,
    latencies_ms: Array.from({ length: n }, (_, i) => 2 + (i % 5) * 0.1 + (i < slow ? 20 : 0)),
  });
  const j = judge([{ index: 0, baseline: fast(20, 0), canary: fast(20, 2) }], S, 1);

  it('"not enough data to judge the tail yet", never "no heavier slow tail" beside a large p95 rise', () => {
    const tail = metric(j, 'latency_p95');
    expect(j.latency!.p95_relative_diff.estimate!).toBeGreaterThan(3); // more than +300 %
    expect(tail.status).toBe('inconclusive');
    expect(tail.reason).toMatch(/^latency p95: not enough data to judge the tail yet: canary p95 /);
    expect(tail.reason).not.toMatch(/no heavier slow tail/);
    expect(metric(j, 'latency').reason).not.toMatch(/no slowdown beyond/);
    expect(j.verdict).toBe('inconclusive');
  });

  it('on enough data, a p95 rise inside the absolute tolerance is named as such, not as "no heavier tail"', () => {
    // Median 2 ms: +3 ms at the tail is +150 % yet inside the 4.5 ms absolute tolerance, by design.
    const rng = createRng(3);
    const track = (shift: number): TrackSamples => {
      const xs = Array.from({ length: 300 }, () => 2 + rng.next() * 0.4);
      return { total: 300, errors: 0, latencies_ms: xs.map((x, i) => (i % 10 === 0 ? x + shift : x)) };
    };
    const data = Array.from({ length: 5 }, (_, index) => ({ index, baseline: track(0), canary: track(3) }));
    const tail = metric(judge(data, S, 1), 'latency_p95');
    expect(tail.status).toBe('pass');
    expect(tail.reason).toMatch(/^latency p95: within the absolute tolerance of \+4\.5 ms/);
  });
});

describe('budget breaches are typed and all kept', () => {
  it('a canary breaking both budgets beyond doubt fails both, with typed breaches', () => {
    const slowAndFailing: TrackSamples = {
      total: 300,
      errors: 150,
      latencies_ms: Array.from({ length: 300 }, (_, i) => 900 + i),
    };
    const healthy = simulateIntervals(createRng(8), 1, 300, REALISTIC, REALISTIC)[0]!.baseline;
    const j = judge([{ index: 0, baseline: healthy, canary: slowAndFailing }], S, 1);
    expect(j.budget_breaches!.map((b) => b.metric).sort()).toEqual(['error_budget', 'latency_budget']);
    expect(j.budget_breaches!.find((b) => b.metric === 'latency_budget')).toMatchObject({
      at_interval: 0,
      limit: 450,
    });
    expect(metric(j, 'latency_budget')).toMatchObject({ status: 'fail' });
    expect(metric(j, 'latency_budget').reason).toMatch(/above the 450\.0 ms budget beyond doubt/);
    expect(metric(j, 'error_budget').reason).toMatch(/above the 1\.00% budget beyond doubt/);
    expect(j.early_abort.aborted).toBe(true);
  });
});

describe('the comment: each reason once, the real re-check path, links', () => {
  const r = report(simulateIntervals(createRng(10), 5, 300, REALISTIC, { ...REALISTIC, medianMs: 60 }));
  const md = renderCanaryMarkdown(r, {
    reportPath: 'reports/performance/runs/canary-staging-abc1234-run77-1.json',
    runUrl: 'https://github.example/acme/hotel/actions/runs/77/attempts/1',
    reportUrl: 'https://github.example/acme/hotel/actions/runs/77#artifacts',
  });

  it('writes each metric reason exactly once', () => {
    expect(r.verdict).toBe('fail');
    for (const reason of r.judgement.reasons) expect(md.split(reason).length - 1).toBe(1);
    expect(md).toContain('| synthetic traffic | ❌ fail | failed: latency');
  });

  it('names the real report path and links to the run and the uploaded report', () => {
    expect(md).toContain('`npm run canary -- judge reports/performance/runs/canary-staging-abc1234-run77-1.json`');
    expect(md).toContain(
      'Links: [workflow run](https://github.example/acme/hotel/actions/runs/77/attempts/1) · [uploaded report](https://github.example/acme/hotel/actions/runs/77#artifacts)',
    );
    // Without links, the plan's own run path: never a bare name that exists nowhere.
    expect(renderCanaryMarkdown(r)).toContain(`judge ${r.plan.report_run_path}\``);
  });

  it('links come from the Actions environment, the path relative to the workspace', () => {
    const plan = resolvePlan({
      environment: 'production',
      sha: 'abcdef1',
      cwd: '/w',
      driver: 'builtin',
      runKey: 'run5-2',
    });
    const env = {
      GITHUB_SERVER_URL: 'https://gh.example',
      GITHUB_REPOSITORY: 'a/b',
      GITHUB_RUN_ID: '5',
      GITHUB_RUN_ATTEMPT: '2',
    };
    expect(reportLinks(plan, '/w', env)).toEqual({
      reportPath: 'reports/performance/runs/canary-production-abcdef1-run5-2.json',
      runUrl: 'https://gh.example/a/b/actions/runs/5/attempts/2',
      reportUrl: 'https://gh.example/a/b/actions/runs/5#artifacts',
    });
    expect(reportLinks(plan, '/w', {})).toEqual({
      reportPath: 'reports/performance/runs/canary-production-abcdef1-run5-2.json',
    });
  });
});

describe('reports never overwrite each other', () => {
  it('each run has its own report path; the latest keeps the stable name', () => {
    const at = (runKey: string) =>
      resolvePlan({ environment: 'staging', sha: 'abc1234', cwd: '/w', driver: 'builtin', runKey });
    expect(at('run1-1').report_run_path).toBe('/w/reports/performance/runs/canary-staging-abc1234-run1-1.json');
    expect(at('run2-1').report_run_path).not.toBe(at('run1-1').report_run_path);
    expect(at('run2-1').report_path).toBe('/w/reports/performance/canary-staging-abc1234.json');
    expect(defaultRunKey({ GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '3' })).toBe('run42-3');
    expect(defaultRunKey({}, new Date('2026-12-02T02:45:01.234Z'))).toBe('20261202T024501234Z');
    expect(() => at('../x')).toThrow(/run key/);
  });
});

describe('`judge <report>` checks the report against itself first', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'canary-findings-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const judgeFile = async (r: CanaryReport) => {
    const file = join(dir, `r${readdirSync(dir).length}.json`);
    writeFileSync(file, JSON.stringify(r));
    return runNode(cliBuild, ['judge', file], { PATH: process.env.PATH }, repoRoot).done;
  };
  const slow = () => report(simulateIntervals(createRng(12), 5, 300, REALISTIC, { ...REALISTIC, medianMs: 60 }));

  it('a consistent report: exit 0, and it names the metric that decided and why', async () => {
    const r = slow();
    expect(reportFindings(r)).toEqual([]);
    const out = await judgeFile(r);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('final verdict fail, decided by:');
    expect(out.stdout).toMatch(/ {2}- synthetic latency: latency: canary is slower than baseline/);
  });

  it('settings that differ from the plan: a finding, exit 1', async () => {
    const r = slow();
    r.settings.latencyTolerance = 0.5;
    expect(reportFindings(r)).toEqual(['setting latencyTolerance is 0.5 in the report but 0.1 in its plan']);
    const out = await judgeFile(r);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('finding: setting latencyTolerance is 0.5 in the report but 0.1 in its plan');
  });

  it('interval totals that differ from the samples present: a finding, exit 1', async () => {
    const r = slow();
    r.intervals[2]!.canary.total = 3000;
    const out = await judgeFile(r);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /finding: synthetic interval 3 canary: total 3000 with \d+ errors, but only 300 latencies recorded/,
    );
  });

  it('a verdict and outcome that cannot go together: a finding, exit 1', async () => {
    const r = slow();
    r.outcome = { action: 'promote', detail: 'promoted' };
    const out = await judgeFile(r);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('finding: verdict fail with outcome "promote" cannot happen');
  });
});

test('two real runs of the same sha keep two reports, and the stable name holds the latest', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'canary-two-runs-'));
  try {
    const run = (id: string) =>
      runNode(
        cliBuild,
        [
          'staging',
          'abc1234',
          '--intervals',
          '1',
          '--interval-seconds',
          '1',
          '--rate',
          '20',
          '--warmup-requests',
          '0',
          '--driver',
          'builtin',
        ],
        { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_RUN_ID: id, GITHUB_RUN_ATTEMPT: '1' },
        cwd,
      ).done;
    const first = await run('101');
    expect(first.stdout).toContain(
      'report: ' + join(cwd, 'reports/performance/runs/canary-staging-abc1234-run101-1.json'),
    );
    const second = await run('102');
    expect([first.code, second.code]).toEqual([1, 1]); // 20 requests: inconclusive, not promoted
    expect(readdirSync(join(cwd, 'reports/performance/runs')).sort()).toEqual([
      'canary-staging-abc1234-run101-1.json',
      'canary-staging-abc1234-run102-1.json',
    ]);
    const latest = readFileSync(join(cwd, 'reports/performance/canary-staging-abc1234.json'), 'utf8');
    expect(latest).toBe(
      readFileSync(join(cwd, 'reports/performance/runs/canary-staging-abc1234-run102-1.json'), 'utf8'),
    );
    expect(latest).not.toBe(
      readFileSync(join(cwd, 'reports/performance/runs/canary-staging-abc1234-run101-1.json'), 'utf8'),
    );
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}, 120_000);
