/**
 * Per-endpoint results (issue 14 item 2) on real recorded k6 output with `name` tags. The fixtures
 * hold one named request each (`messages`, a POST, in the pass run; `slow`, a GET, in the slow run),
 * so the two-endpoint NDJSON here is the two real recordings concatenated, with some of the slow
 * run's requests turned into failures; the summaries carry k6's own `http_req_duration{name:...}`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateGate } from '#core/gate/evaluate.js';
import { buildSmokeReport } from '#core/gate/report.js';
import { renderSmokeMarkdown } from '#core/gate/render.js';
import { readK6Result } from '#core/k6/index.js';
import { percentile } from '#core/stats/percentile.js';
import { schemaErrors } from '../smoke-gate/run-action.js';
import { fixtures, projectBudget } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'gate-endpoints-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const budget = projectBudget();

type Point = { type: string; metric: string; data: { value: number; tags: Record<string, string> } };
const read = (f: string): string[] => readFileSync(join(fixtures, f), 'utf8').split('\n').filter(Boolean);

function twoEndpoints(): { file: string; values: Record<string, number[]>; slowFailed: number } {
  let n = 0;
  let slowFailed = 0;
  const slow = read('slow-points.ndjson').map((l) => {
    if (!l.startsWith('{"metric":"http_req_failed","type":"Point"') || n++ % 20 !== 0) return l;
    slowFailed++;
    return l.replace('"value":0,', '"value":1,');
  });
  const lines = [...read('pass-points.ndjson'), ...slow];
  const file = join(dir, 'two-endpoints.ndjson');
  writeFileSync(file, lines.join('\n') + '\n');
  const values: Record<string, number[]> = {};
  for (const l of lines) {
    const p = JSON.parse(l) as Point;
    if (p.type === 'Point' && p.metric === 'http_req_duration') (values[p.data.tags.name!] ??= []).push(p.data.value);
  }
  return { file, values, slowFailed };
}

const { file, values, slowFailed } = twoEndpoints();

test('NDJSON: requests, error rate and the exact p95 per endpoint (k6 rule over its own samples)', async () => {
  const r = await readK6Result(file);
  const byName = Object.fromEntries(r.endpoints!.map((e) => [e.name, e]));
  expect(Object.keys(byName).sort()).toEqual(['messages', 'slow']);
  expect(byName.messages).toEqual({
    name: 'messages',
    requests: 672,
    failed_requests: 0,
    error_rate: 0,
    p95_ms: percentile(values.messages!, 0.95),
  });
  expect(byName.slow).toEqual({
    name: 'slow',
    requests: 259,
    failed_requests: slowFailed,
    error_rate: slowFailed / 259,
    p95_ms: percentile(values.slow!, 0.95),
  });
  expect(r.latency_ms.p95).toBe(percentile([...values.messages!, ...values.slow!], 0.95));
});

test('report and markdown: the endpoint most over its limits first; the verdict stays on the whole run', async () => {
  const result = await readK6Result(file);
  const gate = evaluateGate({ result, budget: { ...budget, error_rate: 0.05 } });
  expect(gate.verdict).toBe('pass');
  const report = buildSmokeReport({
    result,
    gate,
    budget: { ...budget, error_rate: 0.05 },
    commit: 'e'.repeat(40),
    ref: 'r',
  });
  expect(schemaErrors('report', JSON.parse(JSON.stringify(report)))).toEqual([]);
  // slow: 5.02 % errors of a 5 % limit (1.004) beats messages' 5.2 ms of 450 ms.
  expect(report.endpoints.map((e) => e.name)).toEqual(['slow', 'messages']);
  expect(report.endpoints[0]).toMatchObject({
    requests: 259,
    failed_requests: slowFailed,
    limits: { p95_ms: 450, error_rate: 0.05, own: false },
  });
  const md = renderSmokeMarkdown(report);
  const rows = md.split('\n').filter((l) => l.startsWith('| <code>'));
  expect(rows).toEqual([
    `| <code>slow</code> | 259 | 5.02 % (13 of 259) | 48.7 ms | ≤ 450 ms, ≤ 5 % | ⚠️ |`,
    `| <code>messages</code> | 672 | 0 % (0 of 672) | 5.18 ms | ≤ 450 ms, ≤ 5 % | ✅ |`,
  ]);
  expect(slowFailed).toBe(13);
});

test('a budget that names an endpoint gates it: crossed -> fail with its reason; held -> pass', async () => {
  const result = await readK6Result(file);
  const strict = { ...budget, error_rate: 0.1, endpoints: { slow: { p95_ms: 25 }, messages: { error_rate: 0.001 } } };
  const g = evaluateGate({ result, budget: strict });
  expect(g.verdict).toBe('fail');
  expect(g.reasons).toEqual(['p95 latency of slow 48.7 ms is above its limit of 25.0 ms']);
  expect(g.checks.filter((c) => c.endpoint).map((c) => [c.id, c.endpoint, c.ok])).toEqual([
    ['endpoint_p95', 'slow', false],
    ['endpoint_error_rate', 'messages', true],
  ]);
  const errors = evaluateGate({
    result,
    budget: { ...budget, error_rate: 0.1, endpoints: { slow: { error_rate: 0.05 } } },
  });
  expect(errors.reasons).toEqual([`error rate of slow 5.02 % (13 of 259 requests failed) is above its limit of 5 %`]);
  expect(
    evaluateGate({ result, budget: { ...budget, error_rate: 0.1, endpoints: { slow: { p95_ms: 50 } } } }).verdict,
  ).toBe('pass');
  const missing = evaluateGate({
    result,
    budget: { ...budget, error_rate: 0.1, endpoints: { 'GET /gone': { p95_ms: 50 } } },
  });
  expect(missing.verdict).toBe('pass');
  expect(missing.warnings).toEqual([
    'the budget sets limits for the endpoint "GET /gone", but the results have no requests named so',
  ]);
});

test("summaries: endpoints from k6's http_req_duration{name:...} sub-metric", async () => {
  for (const f of ['pass-summary-export.json', 'pass-handle-summary.json']) {
    const r = await readK6Result(join(fixtures, f));
    expect(r.endpoints).toEqual([{ name: 'messages', p95_ms: 5.1846222 }]);
  }
  const result = await readK6Result(join(fixtures, 'pass-summary-export.json'));
  const gate = evaluateGate({ result, budget: { ...budget, endpoints: { messages: { p95_ms: 5 } } } });
  expect(gate.reasons).toEqual(['p95 latency of messages 5.18 ms is above its limit of 5.00 ms']);
  const report = buildSmokeReport({
    result,
    gate,
    budget: { ...budget, endpoints: { messages: { p95_ms: 5 } } },
    commit: 'f'.repeat(40),
    ref: 'r',
  });
  expect(report.endpoints).toEqual([
    {
      name: 'messages',
      requests: null,
      failed_requests: null,
      error_rate: null,
      p95_ms: 5.1846222,
      p95_range_ms: null,
      limits: { p95_ms: 5, error_rate: 0.01, own: true },
    },
  ]);
  expect(renderSmokeMarkdown(report)).toContain(
    '| <code>messages</code> | n/a | n/a | 5.18 ms | ≤ 5.00 ms, ≤ 1 % (own) | ❌ |',
  );
});
