/**
 * Several results, one verdict (issue 13 item 2): the outputs of parallel scripts or of each
 * k6-operator runner, named by a glob, gated as one run, on real recorded k6 output.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateGate } from '#core/gate/evaluate.js';
import { buildSmokeReport } from '#core/gate/report.js';
import { renderSmokeMarkdown } from '#core/gate/render.js';
import {
  readK6Result,
  readK6Results,
  resolveResultFiles,
  ResultsInputError,
  splitResultsInput,
} from '#core/k6/index.js';
import { percentile } from '#core/stats/percentile.js';
import { projectBudget } from '../gate/support.js';
import { k6Fixtures, runSmoke } from '../faults/k6-support.js';
import { schemaErrors } from '../smoke-gate/run-action.js';

const dir = mkdtempSync(join(tmpdir(), 'k6-combine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fx = (name: string): string => join(k6Fixtures, name);
const budget = projectBudget();

/**
 * The pass run's points with every 40th request failed (so the error rate is not 0), as one file
 * and split into three consecutive pieces, as three runners of one distributed run would write them.
 */
function splitRun(): { whole: string; values: number[]; failed: number } {
  let n = 0;
  let failed = 0;
  const lines = readFileSync(fx('pass-points.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      if (!l.startsWith('{"metric":"http_req_failed","type":"Point"')) return l;
      if (n++ % 40 !== 0) return l;
      failed++;
      return l.replace('"value":0,', '"value":1,');
    });
  const whole = join(dir, 'whole.ndjson');
  writeFileSync(whole, lines.join('\n') + '\n');
  mkdirSync(join(dir, 'runners'), { recursive: true });
  const third = Math.ceil(lines.length / 3);
  for (let i = 0; i < 3; i++)
    writeFileSync(
      join(dir, 'runners', `runner-${i}.ndjson`),
      lines.slice(i * third, (i + 1) * third).join('\n') + '\n',
    );
  const values = lines
    .map((l) => JSON.parse(l) as { type: string; metric: string; data: { value: number } })
    .filter((o) => o.type === 'Point' && o.metric === 'http_req_duration')
    .map((o) => o.data.value);
  return { whole, values, failed };
}

describe('a glob of 3 NDJSON files split from one real run', () => {
  const { whole, values, failed } = splitRun();

  it('gives exactly the single file p95, error rate, confidence interval and endpoint rows', async () => {
    const single = await readK6Result(whole);
    const combined = await readK6Results(['runners/*.ndjson'], dir);
    expect(combined.latency_ms.p95).toBe(single.latency_ms.p95);
    expect(combined.latency_ms.p95).toBe(percentile(values, 0.95));
    expect(combined.error_rate).toBe(single.error_rate);
    expect(combined.failed_requests).toBe(failed);
    expect(failed).toBeGreaterThan(10);
    expect(combined.requests).toBe(single.requests);
    const { avg, ...exact } = combined.latency_ms;
    const { avg: singleAvg, ...singleExact } = single.latency_ms;
    expect(exact).toEqual(singleExact);
    expect(avg).toBeCloseTo(singleAvg!, 12); // sums in another order round in the last bits
    expect(combined.p95_ci_ms).toEqual(single.p95_ci_ms);
    expect(combined.checks).toEqual(single.checks);
    expect(combined.endpoints).toEqual(single.endpoints);
    expect(combined.p95_range_ms).toBeUndefined();
  });

  it('lists every part and says how they were combined', async () => {
    const combined = await readK6Results(['runners/*.ndjson'], dir);
    expect(combined.parts!.map((p) => p.file)).toEqual(
      [0, 1, 2].map((i) => join(dir, 'runners', `runner-${i}.ndjson`)),
    );
    expect(combined.parts!.every((p) => p.format === 'ndjson' && p.requests > 100)).toBe(true);
    expect(combined.parts!.reduce((s, p) => s + p.requests, 0)).toBe(combined.requests);
    expect(combined.source.format).toBe('ndjson');
    expect(combined.combination).toMatch(/^3 NDJSON files: .* exactly$/);
  });

  it('the report lists the parts (schema-valid) and the markdown shows a row per part', async () => {
    const result = await readK6Results(['runners/*.ndjson'], dir);
    const gate = evaluateGate({ result, budget });
    const report = buildSmokeReport({ result, gate, budget, commit: 'a'.repeat(40), ref: 'refs/heads/main' });
    expect(schemaErrors('report', JSON.parse(JSON.stringify(report)))).toEqual([]);
    expect(report.parts).toHaveLength(3);
    const md = renderSmokeMarkdown(report);
    expect(md).toContain('3 result files combined');
    for (const p of report.parts)
      expect(md).toContain(`<code>${p.file.replaceAll('_', '&#95;')}</code> | ndjson | ${p.requests} |`);
  });
});

describe('summaries: counts add up, the p95 is an interval', () => {
  const gate = async (p95: number, files: string[]) => {
    const result = await readK6Results(files, k6Fixtures);
    return {
      result,
      g: evaluateGate({ result, budget: { ...budget, p95_ms: p95 }, options: { ignoreK6Thresholds: true } }),
    };
  };
  const files = ['pass-summary-export.json', 'slow-handle-summary.json'];
  // Each file's own p95, as the file has it (k6 wrote 48.665540899999996 in this handleSummary).
  let range: [number, number];
  beforeAll(async () => {
    range = [(await readK6Result(fx(files[0]!))).latency_ms.p95, (await readK6Result(fx(files[1]!))).latency_ms.p95];
  });

  it('counts add up exactly; mixed formats are stated; the p95 lies between the parts', async () => {
    const { result } = await gate(450, files);
    expect(result.requests).toBe(672 + 259);
    expect(result.failed_requests).toBe(0);
    expect(result.source.format).toBe('mixed');
    expect(result.combination).toMatch(
      /^2 files \(1 summary-export, 1 handle-summary\): requests and failures add up exactly/,
    );
    expect(result.latency_ms.p95).toBeNaN();
    expect(result.p95_range_ms).toEqual(range);
    expect(result.checks).toEqual({ passes: 931, fails: 0, rate: 1 });
    // Thresholds are each file's own, named by file.
    expect(result.thresholds.filter((t) => !t.ok)).toEqual([
      { metric: 'http_req_duration', expression: 'p(95)<25', ok: false, file: fx('slow-handle-summary.json') },
    ]);
  });

  it('all parts at or below the limit -> pass', async () => {
    const { g } = await gate(range[1], files);
    expect(g.verdict).toBe('pass');
    expect(g.checks.find((c) => c.id === 'p95')).toMatchObject({
      measured: null,
      range,
      ok: true,
    });
  });

  it('all parts above the limit -> fail, with the interval', async () => {
    const { g } = await gate(5, files);
    expect(g.verdict).toBe('fail');
    expect(g.reasons).toEqual([
      'p95 latency is above the limit of 5.00 ms in every file (5.18 ms – 48.7 ms), so also over all of them',
    ]);
  });

  it('straddling the limit -> inconclusive, the interval shown', async () => {
    const { result, g } = await gate(20, files);
    expect(g.verdict).toBe('inconclusive');
    expect(g.reasons).toEqual([
      "the p95 over all files lies between 5.18 ms and 48.7 ms (the smallest and largest file's p95), across the limit of 20.0 ms; summaries cannot tell where: gate the NDJSON points (k6 --out json) to judge it exactly",
    ]);
    const report = buildSmokeReport({
      result,
      gate: g,
      budget: { ...budget, p95_ms: 20 },
      commit: 'b'.repeat(40),
      ref: 'r',
    });
    expect(schemaErrors('report', JSON.parse(JSON.stringify(report)))).toEqual([]);
    expect(report.measured).toMatchObject({ p95_ms: null, p95_range_ms: range });
    expect(renderSmokeMarkdown(report)).toContain('| p95 latency | between 5.18 ms and 48.7 ms | ≤ 20.0 ms | ➖ |');
  });

  it('an NDJSON part with a summary part: the interval, formats stated', async () => {
    const result = await readK6Results(['slow-points.ndjson', 'pass-handle-summary.json'], k6Fixtures);
    expect(result.source.format).toBe('mixed');
    expect(result.p95_range_ms).toEqual([5.1846222, (await readK6Result(fx('slow-points.ndjson'))).latency_ms.p95]);
    expect(result.combination).toMatch(/1 ndjson, 1 handle-summary/);
  });

  it('the same file named twice (a path and a glob) counts once', async () => {
    const result = await readK6Results(['pass-summary-export.json', 'pass-summary-*.json'], k6Fixtures);
    expect(result.requests).toBe(672);
    expect(result.parts).toBeUndefined();
  });
});

describe('naming the files', () => {
  it('splits the multi-line input', () => {
    expect(splitResultsInput(' a.json \n\n  out/*.ndjson\r\n')).toEqual(['a.json', 'out/*.ndjson']);
  });
  it('a glob matching nothing is one clear line', () => {
    expect(() => resolveResultFiles(['nothing-here/*.ndjson'], dir)).toThrow(
      new ResultsInputError(`results glob "nothing-here/*.ndjson" matches no file (relative to ${dir})`),
    );
  });
  it('no input at all', () => {
    expect(() => resolveResultFiles([], dir)).toThrow(ResultsInputError);
  });
  it('npm run smoke: a glob matching nothing exits 2 with one line; a glob of parts gates them', async () => {
    const none = await runSmoke(['--results', 'nope/*.json'], dir);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe(`smoke: results glob "nope/*.json" matches no file (relative to ${dir})`);
    const parts = await runSmoke(['--results', 'runners/*.ndjson', '--report', 'r.json'], dir);
    // Every 40th request of the split run failed: 17 of 672, above the 1 % limit.
    expect(parts.code).toBe(1);
    expect(parts.stdout).toMatch(/^verdict: FAIL/m);
    expect(parts.stdout).toContain('error rate 2.53 % (17 of 672 requests failed) is above the limit of 1 %');
    for (let i = 0; i < 3; i++)
      expect(parts.stdout).toContain(`part ${join(dir, 'runners', `runner-${i}.ndjson`)}: ndjson`);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { parts: unknown[] };
    expect(report.parts).toHaveLength(3);
  });
});
