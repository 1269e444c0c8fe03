import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import {
  buildSmokeReport,
  evaluateGate,
  historyEntryFromReport,
  mdText,
  renderSmokeMarkdown,
  type GateInput,
  type HistoryEntry,
  type SmokeReport,
} from '#core/gate/index.js';
import type { LoadResult } from '#core/load-result.js';
import { emptyRun, entry, projectBudget, realRuns, repoRoot, withFailures } from './support.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schema = JSON.parse(readFileSync(join(repoRoot, 'core/src/gate/smoke-report.schema.json'), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(schema);

const budget = projectBudget();
const COMMIT = 'c0ffee1234567890c0ffee1234567890c0ffee12';
const TIME = new Date(Date.UTC(2026, 10, 26, 23, 0, 0));
const { pass, slow, points } = await realRuns('slow-summary-export.json');

function report(
  input: Omit<GateInput, 'budget'> & { budget?: GateInput['budget'] },
  extra: Partial<Parameters<typeof buildSmokeReport>[0]> = {},
): SmokeReport {
  const b = input.budget ?? budget;
  const gate = evaluateGate({ ...input, budget: b });
  return buildSmokeReport({
    result: input.result,
    gate,
    budget: b,
    commit: COMMIT,
    ref: 'refs/pull/7/merge',
    time: TIME,
    run: { id: '42', event: 'pull_request', pr_number: 7 },
    ...extra,
  });
}

/** Through JSON, as the report is written and read back. */
const onDisk = (r: SmokeReport): unknown => JSON.parse(JSON.stringify(r));

describe('SmokeReport v1 validates against smoke-report.schema.json', () => {
  const history = [100, 104, 98, 101, 99].map((p, i) => entry(i, p));
  it.each([
    ['pass', () => report({ result: pass })],
    ['fail (k6 threshold, failures)', () => report({ result: withFailures(slow, 9) })],
    ['inconclusive, no data', () => report({ result: emptyRun() })],
    [
      'with CI, baseline, adaptive and release tag',
      () =>
        report(
          {
            result: points,
            baseline: entry(9, 4, { p95_ci_ms: [3.9, 4.2] }),
            history,
            options: { errorBudget: { slo: 0.99, budgetSpent: 0.5, windowDays: 30 }, minCheckRate: 0.99 },
          },
          {
            nextReleaseTag: 'v1.4.0',
            run: {
              id: '42',
              attempt: 1,
              url: 'https://github.com/o/r/actions/runs/42',
              event: 'push',
              repository: 'o/r',
            },
          },
        ),
    ],
  ])('%s', (_name, make) => {
    const r = make();
    const ok = validate(onDisk(r));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(r.schema_version).toBe(1);
  });

  it('the schema is not vacuous: broken reports are rejected', () => {
    const r = onDisk(report({ result: pass })) as Record<string, unknown>;
    expect(validate({ ...r, verdict: 'maybe' })).toBe(false);
    expect(validate({ ...r, schema_version: 2 })).toBe(false);
    const { reasons: _omit, ...noReasons } = r;
    expect(validate(noReasons)).toBe(false);
    expect(validate({ ...r, measured: { ...(r.measured as object), p95_ms: 'fast' } })).toBe(false);
    expect(validate({ ...r, time: 'yesterday' })).toBe(false);
  });

  it('records what was measured and decided', () => {
    const r = report({ result: withFailures(slow, 9) });
    expect(r).toMatchObject({
      commit: COMMIT,
      time: TIME.toISOString(),
      verdict: 'fail',
      passed: false,
      measured: { requests: slow.requests, failed_requests: 9, p95_ms: slow.latency_ms.p95, p95_ci_ms: null },
      budget: {
        p95_ms: budget.p95_ms,
        error_rate: budget.error_rate,
        error_rate_limit: budget.error_rate,
        min_requests: budget.min_requests,
      },
      next_release_tag: null,
    });
    expect(r.reasons).toHaveLength(2);
    expect(historyEntryFromReport(r)).toEqual({
      sha: COMMIT,
      ref: 'refs/pull/7/merge',
      time: TIME.toISOString(),
      p95_ms: slow.latency_ms.p95,
      error_rate: 9 / slow.requests,
      requests: slow.requests,
      verdict: 'fail',
    });
  });
});

describe('renderSmokeMarkdown', () => {
  it('pass: headline, measured vs limit table with the numbers, no reasons section', () => {
    const md = renderSmokeMarkdown(report({ result: points }));
    expect(md).toMatch(/^### ✅ Performance smoke gate: \*\*PASS\*\*/);
    expect(md).toContain('| p95 latency | 5.18 ms (95 % CI 5.08 ms – 5.46 ms) | ≤ 450 ms | ✅ |');
    expect(md).toContain('| Error rate | 0 % (0 of 672) | ≤ 1 % | ✅ |');
    expect(md).toContain('| Requests | 672 | ≥ 200 | ✅ |');
    expect(md).not.toContain('Why it failed');
  });

  it('fail: reasons listed and the k6 thresholds table opened with the crossed one', () => {
    const md = renderSmokeMarkdown(report({ result: slow }));
    expect(md).toMatch(/^### ❌ Performance smoke gate: \*\*FAIL\*\*/);
    expect(md).toContain('**Why it failed**');
    expect(md).toContain('- k6 threshold crossed: http&#95;req&#95;duration p(95)&lt;25');
    expect(md).toContain('<details open><summary>k6 thresholds</summary>');
    expect(md).toContain('| <code>http&#95;req&#95;duration</code> | <code>p(95)&lt;25</code> | ❌ crossed |');
    expect(md).toContain('| k6 thresholds crossed | 1 | ≤ 0 | ❌ |');
  });

  it('inconclusive: warning headline and why', () => {
    const md = renderSmokeMarkdown(report({ result: pass, budget: { ...budget, min_requests: 5000 } }));
    expect(md).toMatch(/^### ⚠️ Performance smoke gate: \*\*INCONCLUSIVE\*\*/);
    expect(md).toContain('**Why inconclusive**');
    expect(md).toContain('- only 672 requests were made; at least 5000 (min&#95;requests) are needed to judge');
    expect(md).toContain('| Requests | 672 | ≥ 5000 | ❌ |');
  });

  it('p95 trend as a Mermaid xychart-beta with the p95 line and the budget line', () => {
    const history: HistoryEntry[] = [120, 130, 125, 140].map((p, i) => entry(i + 1, p));
    history.push(entry(99, null, { verdict: 'inconclusive', requests: 0 })); // no point for it
    const md = renderSmokeMarkdown(report({ result: pass }), history);
    const block = /```mermaid\n([\s\S]*?)```/.exec(md)?.[1];
    expect(block).toBeDefined();
    const lines = block!
      .trim()
      .split('\n')
      .map((l) => l.trim());
    expect(lines[0]).toBe('xychart-beta');
    expect(lines).toContain(
      `x-axis ["${history[0]!.sha.slice(0, 7)}", "${history[1]!.sha.slice(0, 7)}", "${history[2]!.sha.slice(0, 7)}", "${history[3]!.sha.slice(0, 7)}", "this run"]`,
    );
    expect(lines).toContain('line [120, 130, 125, 140, 5.18]');
    expect(lines).toContain('line [450, 450, 450, 450, 450]');
    expect(lines.find((l) => l.startsWith('y-axis'))).toBe('y-axis "p95 (ms)" 0 --> 500');
  });

  it('trend keeps only the last N points and does not repeat the current commit', () => {
    const history = Array.from({ length: 30 }, (_, i) => entry(i + 1, 100 + i));
    history.push({ ...entry(0, 1), sha: COMMIT });
    const md = renderSmokeMarkdown(report({ result: pass }), history, { trendPoints: 5 });
    const block = /```mermaid\n([\s\S]*?)```/.exec(md)![1]!;
    expect(block).toContain('line [126, 127, 128, 129, 5.18]');
    expect(block).toContain('x-axis ["000001b", "000001c", "000001d", "000001e", "this run"]');
    expect(block).not.toContain('c0ffee1');
    expect(renderSmokeMarkdown(report({ result: pass }), [])).not.toContain('mermaid');
    const high = renderSmokeMarkdown(report({ result: pass }), [entry(1, 700), entry(2, 800)]);
    expect(high).toContain('y-axis "p95 (ms)" 0 --> 880'); // 800 x 1.1, two significant digits
  });

  it('base comparison sentence with the change and the noise band', () => {
    const base = entry(9, pass.latency_ms.p95 / 1.5);
    const md = renderSmokeMarkdown(report({ result: pass, baseline: base }));
    expect(md).toContain(
      `**Base branch**: p95 5.18 ms vs 3.46 ms at <code>${base.sha.slice(0, 7)}</code> (+50 %), **slower beyond run-to-run noise** (±10 %).`,
    );
    expect(md).toContain('| p95 change vs base | +50 % | within ±10 % noise | ⚠️ |');
    expect(renderSmokeMarkdown(report({ result: pass }))).toContain('no recorded run among the merge base');
  });

  it('adaptive limit explained', () => {
    const md = renderSmokeMarkdown(
      report({ result: pass, options: { errorBudget: { slo: 0.99, budgetSpent: 1, windowDays: 30 } } }),
    );
    expect(md).toContain(
      'SLO 99 % over 30 days, 100 % spent, limit 0 % (budget file 1 %) — budget exhausted, only error-free runs pass.',
    );
    expect(md).toContain('| Error rate (adaptive limit) | 0 % (0 of 672) | ≤ 0 % | ✅ |');
  });

  it('escapes user-controlled text: no HTML, no table break, no mention, no link injection', () => {
    const evilRef = 'refs/heads/<img src=x onerror=alert(1)>|@everyone [x](http://evil) `code`';
    const evil: LoadResult = {
      ...slow,
      source: { ...slow.source, k6_version: '</code><script>' },
      thresholds: [{ metric: 'm|x', expression: '<b>p(95)<1</b>', ok: false }],
    };
    const r = report({ result: evil }, { ref: evilRef, nextReleaseTag: 'v1|<i>' });
    const md = renderSmokeMarkdown(r);
    for (const bad of ['<img', '<script', '<b>', '<i>', '@everyone', '](http', '`code`', 'm|x'])
      expect(md).not.toContain(bad);
    expect(md).toContain(mdText(evilRef));
    // every table row keeps its columns: 4 in the measured table, 3 in the thresholds table
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'));
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect([3, 4]).toContain(row.split('|').length - 2);
  });
});
