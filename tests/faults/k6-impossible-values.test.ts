/**
 * Issue 11 rows 4 and 12: k6 results with physically impossible values, or a summary without
 * http_req_duration, must not be judged. `npm run smoke -- --results FILE` exits 2 with one line
 * naming the file and the field, in every format (before: PASS with "p95 -100 ms" and
 * "error rate -74.4 %"; inconclusive "too few requests to judge" at 672 requests).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { k6Fixtures, runSmoke } from './k6-support.js';

const dir = mkdtempSync(join(tmpdir(), 'faults-k6-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const fixture = (name: string): Doc => JSON.parse(readFileSync(join(k6Fixtures, name), 'utf8')) as Doc;
const points = (name: string): string[] => readFileSync(join(k6Fixtures, name), 'utf8').split('\n').filter(Boolean);

/** The first line of `lines` that is a Point of `metric`, changed by `edit`; returns its 1-based line number. */
function editPoint(lines: string[], metric: string, edit: (l: string) => string): number {
  const i = lines.findIndex((l) => l.startsWith(`{"metric":"${metric}","type":"Point"`));
  lines[i] = edit(lines[i]!);
  return i + 1;
}

const cases: [string, () => string, RegExp][] = [
  [
    'summary-export: negative p95',
    () => {
      const d = fixture('pass-summary-export.json');
      d.metrics.http_req_duration['p(95)'] = -100;
      return JSON.stringify(d);
    },
    /http_req_duration p\(95\) is -100: a duration or count cannot be negative/,
  ],
  [
    'summary-export: more failed requests than requests',
    () => {
      const d = fixture('pass-summary-export.json');
      d.metrics.http_req_failed.passes = 1000;
      return JSON.stringify(d);
    },
    /http_req_failed counts 1000 failed requests of only 672/,
  ],
  [
    'handleSummary: negative failed count',
    () => {
      const d = fixture('pass-handle-summary.json');
      d.metrics.http_req_failed.values.passes = -500;
      return JSON.stringify(d);
    },
    /http_req_failed passes is -500/,
  ],
  [
    'handleSummary: negative minimum duration',
    () => {
      const d = fixture('slow-handle-summary.json');
      d.metrics.http_req_duration.values.min = -3.5;
      return JSON.stringify(d);
    },
    /http_req_duration min is -3\.5/,
  ],
  [
    'handleSummary: error rate above 1',
    () => {
      const d = fixture('pass-handle-summary.json');
      d.metrics.http_req_failed.values.rate = 1.744;
      return JSON.stringify(d);
    },
    /http_req_failed rate is 1\.744: a rate must be within \[0, 1\]/,
  ],
  [
    'machine-readable: negative request count',
    () => {
      const d = fixture('pass-machine-readable.constructed.json');
      d.results.metrics.find((m: Doc) => m.name === 'http_reqs').values.count = -672;
      return JSON.stringify(d);
    },
    /http_reqs count is -672/,
  ],
  [
    'machine-readable: more failed requests than its total',
    () => {
      const d = fixture('pass-machine-readable.constructed.json');
      const f = d.results.metrics.find((m: Doc) => m.name === 'http_req_failed').values;
      f.matches = f.total + 1;
      return JSON.stringify(d);
    },
    /http_req_failed matches \(673\) is more than its total \(672\)/,
  ],
];

const ndjsonCases: [string, (lines: string[]) => number, RegExp][] = [
  [
    'NDJSON: negative duration',
    (l) => editPoint(l, 'http_req_duration', (x) => x.replace(/"value":[0-9.]+/, '"value":-12.5')),
    /http_req_duration value -12\.5 is negative/,
  ],
  [
    'NDJSON: negative request count',
    (l) => editPoint(l, 'http_reqs', (x) => x.replace('"value":1,', '"value":-1,')),
    /http_reqs value -1 is negative/,
  ],
  [
    'NDJSON: a failure rate point of 5',
    (l) => editPoint(l, 'http_req_failed', (x) => x.replace('"value":0,', '"value":5,')),
    /http_req_failed value 5 must be 0 or 1/,
  ],
];

describe('impossible values are a format error naming the file and the field (exit 2)', () => {
  it.each(cases)('%s', async (name, make, field) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, make());
    const r = await runSmoke(['--results', file], dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(field);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each(ndjsonCases)('%s (the line is named too)', async (name, edit, field) => {
    const lines = points('pass-points.ndjson');
    const lineNo = edit(lines);
    const file = join(dir, `${name.replace(/\W+/g, '-')}.ndjson`);
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await runSmoke(['--results', file], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${file}:${lineNo}:`);
    expect(r.stderr).toMatch(field);
  });

  it('NDJSON: more failed requests than requests', async () => {
    // Every request failed, and its failure point written twice.
    const lines = points('slow-points.ndjson').flatMap((l) => {
      if (!l.startsWith('{"metric":"http_req_failed","type":"Point"')) return [l];
      const failed = l.replace('"value":0,', '"value":1,');
      return [failed, failed];
    });
    const file = join(dir, 'double-failures.ndjson');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await runSmoke(['--results', file], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/http_req_failed counts 518 failed requests of only 259/);
  });
});

describe('issue 11 row 12: a summary with requests but no http_req_duration says exactly that', () => {
  it.each(['pass-summary-export.json', 'pass-handle-summary.json'])('%s without http_req_duration', async (name) => {
    const d = fixture(name);
    delete d.metrics.http_req_duration;
    const file = join(dir, `no-duration-${name}`);
    writeFileSync(file, JSON.stringify(d));
    const r = await runSmoke(['--results', file], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `smoke: ${file}: has 672 HTTP requests (http_reqs) but no http_req_duration metric: no latency to judge`,
    );
    expect(r.stderr).not.toMatch(/too few requests/);
  });
});
