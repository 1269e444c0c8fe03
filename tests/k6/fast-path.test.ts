/**
 * The NDJSON reader's byte scanner (core/src/k6/points.ts) against a plain reader written here: every
 * line through JSON.parse, k6's percentile rule over the values. They must agree exactly on real
 * recorded k6 output and on generated lines with edge cases (escaped quotes and \u escapes in tags,
 * exponents, long mantissas, other key orders, CRLF, blank lines, lines that straddle the reader's
 * chunk boundaries and the worker threads' byte ranges), and refuse the same lines with the same
 * error: numbers JSON does not allow, impossible values.
 * Worker threads run compiled JavaScript, so this test uses the build (npm run build first).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as K6 from '#core/k6/index.js';
import type { LoadResult } from '#core/load-result.js';
import { percentile } from '#core/stats/percentile.js';
import { importBuiltK6, k6Fixtures } from '../faults/k6-support.js';

let k6: typeof K6;
const dir = mkdtempSync(join(tmpdir(), 'k6-fast-'));
beforeAll(async () => {
  k6 = await importBuiltK6();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Plain {
  requests: number;
  failed: number;
  durations: number[];
  checks: [number, number];
  endpoints: Map<string, { durations: number[]; failed: number; points: number }>;
}

/** The plain reader: JSON.parse per line; an impossible value or a line JSON refuses is [line, what]. */
function plainRead(file: string): Plain | { line: number; error: RegExp } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const r: Plain = { requests: 0, failed: 0, durations: [], checks: [0, 0], endpoints: new Map() };
  const endpoint = (tags: Record<string, unknown>): { durations: number[]; failed: number; points: number } => {
    const name = typeof tags.name === 'string' ? tags.name : typeof tags.url === 'string' ? tags.url : '';
    let e = r.endpoints.get(name);
    if (!e) r.endpoints.set(name, (e = { durations: [], failed: 0, points: 0 }));
    return e;
  };
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.replace(/\r$/, '');
    if (text === '') continue;
    let rec: { type: string; metric: string; data: { value: number; tags?: Record<string, unknown> } };
    try {
      rec = JSON.parse(text) as typeof rec;
    } catch {
      return { line: i + 1, error: /malformed NDJSON line/ };
    }
    if (rec.type !== 'Point') continue;
    const v = rec.data.value;
    const tags = rec.data.tags ?? {};
    if (rec.metric === 'http_req_duration') {
      if (v < 0) return { line: i + 1, error: /http_req_duration value -[0-9.e]+ is negative/ };
      r.durations.push(v);
      endpoint(tags).durations.push(v);
    } else if (rec.metric === 'http_reqs') {
      if (v < 0) return { line: i + 1, error: /http_reqs value -[0-9.e]+ is negative/ };
      r.requests += v;
    } else if (rec.metric === 'http_req_failed') {
      if (v !== 0 && v !== 1) return { line: i + 1, error: /http_req_failed value .* must be 0 or 1/ };
      r.failed += v;
      const e = endpoint(tags);
      e.failed += v;
      e.points++;
    } else if (rec.metric === 'checks') {
      if (v !== 0 && v !== 1) return { line: i + 1, error: /checks value .* must be 0 or 1/ };
      r.checks[0] += v;
      r.checks[1]++;
    }
  }
  return r;
}

function expectSame(got: LoadResult, want: Plain): void {
  expect(got.requests).toBe(want.requests);
  expect(got.failed_requests).toBe(want.failed);
  expect(got.error_rate).toBe(want.failed / want.requests);
  expect(got.percentile_error_bound).toBeUndefined();
  for (const [p, key] of [
    [0.95, 'p95'],
    [0.9, 'p90'],
    [0.5, 'med'],
  ] as const)
    expect(got.latency_ms[key]).toBe(percentile(want.durations, p));
  expect(got.latency_ms.min).toBe(Math.min(...want.durations));
  expect(got.latency_ms.max).toBe(Math.max(...want.durations));
  expect(got.checks).toEqual({
    passes: want.checks[0],
    fails: want.checks[1] - want.checks[0],
    rate: want.checks[0] / want.checks[1],
  });
  const rows = [...want.endpoints].map(([name, e]) => {
    const requests = Math.max(e.durations.length, e.points);
    return {
      name,
      requests,
      failed_requests: e.failed,
      error_rate: e.failed / requests,
      p95_ms: percentile(e.durations, 0.95),
    };
  });
  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : 1);
  expect([...(got.endpoints ?? [])].sort(byName)).toEqual(rows.sort(byName));
}

/** One thread, and three threads taking 4 KB chunks in turn: both equal to the plain reader. */
async function expectAgree(file: string): Promise<void> {
  const want = plainRead(file);
  if ('error' in want) throw new Error(`plain reader refused line ${want.line}`);
  expectSame(await k6.readK6Result(file, { threads: 1 }), want);
  expectSame(await k6.readK6Result(file, { threads: 3, minBytes: 0, chunkBytes: 4096 }), want);
}

const fixture = (name: string): string[] => readFileSync(join(k6Fixtures, name), 'utf8').split('\n').filter(Boolean);
const POINT = (metric: string): string => `{"metric":"${metric}","type":"Point"`;

/** Real lines of one request with its values and tags replaced as given (the same layout otherwise). */
function request(lines: string[], values: Record<string, string>, tags: string): string[] {
  return lines
    .filter((l) => l.startsWith('{"metric":'))
    .map((l) => {
      const metric = /^\{"metric":"([^"]+)"/.exec(l)![1]!;
      const v = values[metric];
      return l
        .replace(/"value":[^,]+,/, v === undefined ? '$&' : `"value":${v},`)
        .replace(/"tags":\{.*\}\}\}$/, `"tags":{${tags}}}}`);
    });
}

test('real recorded k6 output: the scanner equals the plain reader, on one thread and on three', async () => {
  for (const name of ['pass-points.ndjson', 'slow-points.ndjson']) await expectAgree(join(k6Fixtures, name));
});

test('generated edge cases, repeated past the read buffer so lines straddle chunks and thread ranges', async () => {
  const real = fixture('pass-points.ndjson');
  // The points of the first request (http_reqs first, as k6 writes them), as a template.
  const first = real.findIndex((l) => l.startsWith(POINT('http_reqs')));
  const template = real.slice(
    first,
    real.findIndex((l, i) => i > first && l.startsWith(POINT('http_reqs'))),
  );
  expect(template.some((l) => l.startsWith(POINT('http_req_duration')))).toBe(true);
  const tagSets = [
    '"method":"GET","name":"say \\"hi\\"","status":"200"',
    '"method":"POST","name":"caf\\u00e9 \\\\ menu","status":"200"',
    '"expected_response":"true","method":"GET","name":"GET /café/ü","url":"http://127.0.0.1/x"',
    '"method":"GET","url":"http://127.0.0.1/only-url"',
    '',
    '"group":"::name","name":"name","status":"500"',
  ];
  const values: Record<string, string>[] = [
    { http_req_duration: '1.5e2', http_req_failed: '0', checks: '1' },
    { http_req_duration: '2E-3', http_req_failed: '1', checks: '0' },
    { http_req_duration: '3.2972972972972974', http_req_failed: '0' },
    { http_req_duration: '0.1234567890123456789', http_req_failed: '1.0' },
    { http_req_duration: '-0', http_req_failed: '0e0' },
    { http_req_duration: '17', http_reqs: '1E0' },
    { http_req_duration: '1e+1', http_req_failed: '-0.0' },
  ];
  const out = [...real.filter((l) => l.startsWith('{"type":"Metric"'))];
  for (let k = 0; out.length < 40_000; k++) {
    let lines = request(template, values[k % values.length]!, tagSets[k % tagSets.length]!);
    if (k % 13 === 4)
      // another key order
      lines = lines.map((l) => {
        const o = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify({ data: o.data, metric: o.metric, type: o.type });
      });
    if (k % 5 === 1) lines = lines.map((l) => l.replace('"metric":', '"metric" : ')); // JSON.parse path
    if (k % 7 === 2) lines = lines.map((l) => l + '\r'); // CRLF
    if (k % 11 === 3) lines.push(''); // a blank line
    out.push(...lines);
  }
  const file = join(dir, 'edge.ndjson');
  writeFileSync(file, out.join('\n')); // no final newline
  expect(readFileSync(file).length).toBeGreaterThan(4 * 256 * 1024);
  await expectAgree(file);
});

test('lines the plain reader refuses are refused with the same line and reason', async () => {
  const real = fixture('slow-points.ndjson');
  const cases: [RegExp, string][] = [
    [/^\{"metric":"http_req_duration","type":"Point"/, '-1.5'],
    [/^\{"metric":"http_req_duration","type":"Point"/, '-2e-3'],
    [/^\{"metric":"http_reqs","type":"Point"/, '-1'],
    [/^\{"metric":"http_req_failed","type":"Point"/, '2'],
    [/^\{"metric":"checks","type":"Point"/, '0.5'],
    // Numbers JSON does not allow (JSON.parse refuses the line, so must the scanner).
    [/^\{"metric":"http_req_duration","type":"Point"/, '007'],
    [/^\{"metric":"http_req_duration","type":"Point"/, '1.'],
    [/^\{"metric":"http_req_duration","type":"Point"/, '.5'],
    [/^\{"metric":"http_req_duration","type":"Point"/, '0x1F'],
    [/^\{"metric":"http_req_duration","type":"Point"/, '+1'],
    [/^\{"metric":"http_req_failed","type":"Point"/, '1e'],
    [/^\{"metric":"http_reqs","type":"Point"/, 'Infinity'],
  ];
  for (const [i, [where, value]] of cases.entries()) {
    const lines = real.slice();
    const at = lines.findIndex((l, n) => n > 200 && where.test(l));
    lines[at] = lines[at]!.replace(/"value":[^,]+,/, `"value":${value},`);
    const file = join(dir, `refused-${i}.ndjson`);
    writeFileSync(file, lines.join('\n') + '\n');
    const want = plainRead(file);
    expect(want).toMatchObject({ line: at + 1 });
    const err = (await k6.readK6Result(file, { threads: 1 }).catch((e: unknown) => e)) as K6.K6FormatError;
    expect(err).toBeInstanceOf(k6.K6FormatError);
    expect([value, err.line]).toEqual([value, at + 1]);
    expect(err.message).toMatch((want as { error: RegExp }).error);
    expect(err.message).toContain(`${file}:${at + 1}: `);
  }
});
