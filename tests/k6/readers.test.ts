import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { detectK6Format, K6_FORMATS, K6FormatError, probeK6File, readK6Result } from '#core/k6/index.js';
import type { LoadResult } from '#core/load-result.js';
import { percentile } from '#core/stats/percentile.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const fixtures = resolve(repoRoot, 'tests/fixtures/k6');
const fx = (name: string): string => join(fixtures, name);

// Expected values come from the fixtures' README table, read here rather than copied.
interface Row {
  p95: number;
  errorRate: number;
  requests: number;
  thresholds: string;
}
function readmeTable(): Record<string, Row> {
  const rows: Record<string, Row> = {};
  for (const line of readFileSync(fx('README.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const m = /^(pass|slow)$/.exec(cells[1] ?? '');
    if (!m) continue;
    rows[m[1]!] = {
      p95: Number(cells[3]),
      errorRate: Number(cells[4]),
      requests: Number(cells[5]),
      thresholds: cells[6]!,
    };
  }
  return rows;
}
const table = readmeTable();

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'g1-k6-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const tmpFile = (name: string, content: string | Buffer): string => {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
};

async function expectK6Error(path: string, ...fragments: (string | RegExp)[]): Promise<K6FormatError> {
  const err = await readK6Result(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(K6FormatError);
  const msg = (err as Error).message;
  expect(msg).toContain(path);
  expect(msg).not.toContain('\n');
  for (const f of fragments) expect(msg).toMatch(f);
  return err as K6FormatError;
}

describe('fixture table', () => {
  it('has both scenarios', () => {
    expect(Object.keys(table).sort()).toEqual(['pass', 'slow']);
    expect(table.pass!.requests).toBeGreaterThan(0);
  });
});

const forms: [string, string][] = [
  ['summary-export', 'summary-export.json'],
  ['handle-summary', 'handle-summary.json'],
  ['ndjson', 'points.ndjson'],
];

describe.each(['pass', 'slow'])('scenario %s: every form of the run agrees with the README', (scenario) => {
  const results: Record<string, LoadResult> = {};
  beforeAll(async () => {
    for (const [format, suffix] of forms) results[format] = await readK6Result(fx(`${scenario}-${suffix}`));
    if (scenario === 'pass')
      results['machine-readable'] = await readK6Result(fx('pass-machine-readable.constructed.json'));
  });

  it('detects each format by content', () => {
    for (const [format, r] of Object.entries(results)) expect(r.source.format).toBe(format);
  });

  it('reads p95, error rate and request count', () => {
    const row = table[scenario]!;
    for (const r of Object.values(results)) {
      expect(r.latency_ms.p95).toBeCloseTo(row.p95, 6);
      expect(r.requests).toBe(row.requests);
      expect(r.error_rate).toBe(row.errorRate);
      expect(r.failed_requests).toBe(0);
      expect(r.checks).toEqual({ passes: row.requests, fails: 0, rate: 1 });
    }
  });

  it('agrees across forms on every latency statistic both carry', () => {
    const ref = results['summary-export']!;
    for (const r of Object.values(results)) {
      for (const k of ['p90', 'med', 'avg', 'min', 'max'] as const) {
        if (r.latency_ms[k] !== undefined) expect(r.latency_ms[k]).toBeCloseTo(ref.latency_ms[k]!, 6);
      }
    }
  });

  it('reads k6 thresholds with the trap handled (summary-export true = FAILED)', () => {
    const row = table[scenario]!;
    const se = results['summary-export']!.thresholds;
    const hs = results['handle-summary']!.thresholds;
    expect(se).toEqual(hs);
    expect(se.length).toBeGreaterThan(0);
    const crossed = se.filter((t) => !t.ok).map((t) => `\`${t.expression}\` crossed`);
    if (row.thresholds === 'all held') expect(crossed).toEqual([]);
    else expect(crossed).toEqual([row.thresholds]);
  });

  it('gives a p95 confidence interval only where points exist, containing the p95', () => {
    const nd = results.ndjson!;
    expect(nd.p95_ci_ms).toBeDefined();
    const [lo, hi] = nd.p95_ci_ms!;
    expect(lo).toBeLessThanOrEqual(nd.latency_ms.p95);
    expect(hi).toBeGreaterThanOrEqual(nd.latency_ms.p95);
    expect(lo).toBeLessThan(hi);
    expect(results['summary-export']!.p95_ci_ms).toBeUndefined();
  });

  it('NDJSON p95 equals the k6 rule applied to every http_req_duration point parsed with JSON.parse', () => {
    const values = readFileSync(fx(`${scenario}-points.ndjson`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; metric: string; data: { value: number } })
      .filter((o) => o.type === 'Point' && o.metric === 'http_req_duration')
      .map((o) => o.data.value);
    expect(values.length).toBe(table[scenario]!.requests);
    expect(results.ndjson!.latency_ms.p95).toBe(percentile(values, 0.95));
  });
});

describe('the format registry', () => {
  it('has one entry per format, and each real output is recognised by exactly one', () => {
    expect(K6_FORMATS.map((f) => f.format).sort()).toEqual([
      'handle-summary',
      'machine-readable',
      'ndjson',
      'summary-export',
    ]);
    for (const [file, format] of [
      ['pass-summary-export.json', 'summary-export'],
      ['pass-handle-summary.json', 'handle-summary'],
      ['pass-points.ndjson', 'ndjson'],
      ['pass-machine-readable.constructed.json', 'machine-readable'],
    ]) {
      const probe = probeK6File(fx(file!));
      expect(K6_FORMATS.filter((f) => f.sniff(probe)).map((f) => f.format)).toEqual([format]);
    }
  });
  it('a one-line NDJSON file without a final newline is NDJSON', async () => {
    const line = readFileSync(fx('slow-points.ndjson'), 'utf8').split('\n')[0]!;
    expect(await detectK6Format(tmpFile('one-line.ndjson', line))).toBe('ndjson');
  });
});

describe('detection by content, not by name', () => {
  it.each([
    ['pass-summary-export.json', 'results.ndjson', 'summary-export'],
    ['pass-points.ndjson', 'summary.json', 'ndjson'],
    ['pass-handle-summary.json', 'export.json', 'handle-summary'],
    ['pass-machine-readable.constructed.json', 'handle-summary.json', 'machine-readable'],
  ])('%s renamed %s is read as %s', async (src, name, format) => {
    const p = join(tmp, name);
    copyFileSync(fx(src), p);
    expect(await detectK6Format(p)).toBe(format);
    expect((await readK6Result(p)).latency_ms.p95).toBeCloseTo(table.pass!.p95, 6);
  });
});

describe('traps and spellings', () => {
  it('summary-export: http_req_failed passes counts FAILED requests, threshold true = FAILED', async () => {
    const doc = JSON.parse(readFileSync(fx('pass-summary-export.json'), 'utf8'));
    doc.metrics.http_req_failed = { passes: 7, fails: 665, value: 7 / 672, thresholds: { 'rate<0.01': true } };
    const r = await readK6Result(tmpFile('failing-export.json', JSON.stringify(doc)));
    expect(r.failed_requests).toBe(7);
    expect(r.error_rate).toBeCloseTo(7 / 672, 12);
    expect(r.thresholds.find((t) => t.metric === 'http_req_failed')).toEqual({
      metric: 'http_req_failed',
      expression: 'rate<0.01',
      ok: false,
    });
  });

  it('handleSummary: {"ok": false} is a crossed threshold, passes counts failed requests', async () => {
    const doc = JSON.parse(readFileSync(fx('pass-handle-summary.json'), 'utf8'));
    doc.metrics.http_req_failed.values = { rate: 3 / 672, passes: 3, fails: 669 };
    doc.metrics.http_req_failed.thresholds = { 'rate<0.001': { ok: false } };
    const r = await readK6Result(tmpFile('failing-hs.json', JSON.stringify(doc)));
    expect(r.failed_requests).toBe(3);
    expect(r.thresholds.filter((t) => !t.ok)).toEqual([
      { metric: 'http_req_failed', expression: 'rate<0.001', ok: false },
    ]);
  });

  it('sub-metrics are not the main metric, whatever their key order in the file', async () => {
    const doc = JSON.parse(readFileSync(fx('pass-summary-export.json'), 'utf8'));
    const main = doc.metrics.http_req_duration;
    delete doc.metrics.http_req_duration;
    doc.metrics['http_req_duration{expected_response:true}'] = { ...main, 'p(95)': 999 };
    doc.metrics.http_req_duration = main; // sub-metric now comes first
    const r = await readK6Result(tmpFile('submetric-first.json', JSON.stringify(doc)));
    expect(r.latency_ms.p95).toBeCloseTo(table.pass!.p95, 6);
  });

  it('machine-readable: accepts p(95)/p(90), generatedAt and k6Version spellings', async () => {
    const text = readFileSync(fx('pass-machine-readable.constructed.json'), 'utf8')
      .replaceAll('"p95"', '"p(95)"')
      .replaceAll('"p90"', '"p(90)"')
      .replace('"generated_at"', '"generatedAt"')
      .replace('"k6_version"', '"k6Version"');
    const r = await readK6Result(tmpFile('mr-spellings.json', text));
    expect(r.source.format).toBe('machine-readable');
    expect(r.latency_ms.p95).toBeCloseTo(table.pass!.p95, 6);
    expect(r.latency_ms.p90).toBeDefined();
    expect(r.source.k6_version).toBe('0.0.0-constructed');
  });

  it('machine-readable: refuses an unknown major version', async () => {
    const doc = JSON.parse(readFileSync(fx('pass-machine-readable.constructed.json'), 'utf8'));
    doc.version = '2.0.0';
    await expectK6Error(tmpFile('mr-v2.json', JSON.stringify(doc)), /version "2\.0\.0"/);
  });

  it('a summary without p(95) asks for summaryTrendStats', async () => {
    const doc = JSON.parse(readFileSync(fx('pass-handle-summary.json'), 'utf8'));
    delete doc.metrics.http_req_duration.values['p(95)'];
    await expectK6Error(tmpFile('no-p95.json', JSON.stringify(doc)), /summaryTrendStats/);
  });

  it('a run without any HTTP request reads as 0 requests with NaN rates (never a fake zero)', async () => {
    const doc = JSON.parse(readFileSync(fx('pass-summary-export.json'), 'utf8'));
    for (const k of Object.keys(doc.metrics)) if (k.startsWith('http_')) delete doc.metrics[k];
    const r = await readK6Result(tmpFile('no-http.json', JSON.stringify(doc)));
    expect(r.requests).toBe(0);
    expect(r.error_rate).toBeNaN();
    expect(r.latency_ms.p95).toBeNaN();
  });
});

describe('NDJSON variants', () => {
  const lines = (): string[] => readFileSync(fx('slow-points.ndjson'), 'utf8').split('\n').filter(Boolean);

  it('gives the same result with other key orders (JSON.parse fallback), CRLF and no final newline', async () => {
    const reordered = lines().map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      const data = o.data as Record<string, unknown>;
      return JSON.stringify({ data: { tags: data.tags, value: data.value, ...data }, type: o.type, metric: o.metric });
    });
    const a = await readK6Result(fx('slow-points.ndjson'));
    const b = await readK6Result(tmpFile('reordered.ndjson', reordered.join('\r\n')));
    expect(b.latency_ms).toEqual(a.latency_ms);
    expect(b.requests).toBe(a.requests);
    expect(b.checks).toEqual(a.checks);
    expect(b.p95_ci_ms).toEqual(a.p95_ci_ms);
  });

  it('counts failed requests and failed checks from points, ignores sub-metric points', async () => {
    const out = lines().slice();
    let flipped = 0;
    for (let i = 0; i < out.length && flipped < 5; i++) {
      if (out[i]!.startsWith('{"metric":"http_req_failed","type":"Point"')) {
        out[i] = out[i]!.replace('"value":0,', '"value":1,');
        flipped++;
      }
    }
    let checksFlipped = 0;
    for (let i = 0; i < out.length && checksFlipped < 2; i++) {
      if (out[i]!.startsWith('{"metric":"checks","type":"Point"')) {
        out[i] = out[i]!.replace('"value":1,', '"value":0,');
        checksFlipped++;
      }
    }
    out.push(
      '{"metric":"http_req_duration{expected_response:true}","type":"Point","data":{"time":"2026-11-24T14:44:07Z","value":99999,"tags":{}}}',
    );
    const r = await readK6Result(tmpFile('failures.ndjson', out.join('\n') + '\n'));
    expect(flipped).toBe(5);
    expect(r.failed_requests).toBe(5);
    expect(r.error_rate).toBeCloseTo(5 / table.slow!.requests, 12);
    expect(r.checks).toEqual({
      passes: table.slow!.requests - 2,
      fails: 2,
      rate: (table.slow!.requests - 2) / table.slow!.requests,
    });
    expect(r.latency_ms.max).toBeLessThan(99999);
    expect(r.latency_ms.p95).toBeCloseTo(table.slow!.p95, 9);
  });

  it('a line longer than the read buffer (1 MiB) is read whole', async () => {
    const l = lines();
    const idx = l.findIndex((x) => x.startsWith('{"metric":"http_req_duration","type":"Point"'));
    l[idx] = l[idx]!.replace('"tags":{', `"tags":{"huge":"${'x'.repeat(3 << 20)}",`);
    const r = await readK6Result(tmpFile('long-line.ndjson', l.join('\n') + '\n'));
    expect(r.requests).toBe(table.slow!.requests);
    expect(r.latency_ms.p95).toBeCloseTo(table.slow!.p95, 9);
  });

  it('declarations only (a run without requests) -> 0 requests, NaN p95', async () => {
    const decl = lines().filter((l) => l.startsWith('{"type":"Metric"'));
    const r = await readK6Result(tmpFile('decl-only.ndjson', decl.join('\n') + '\n'));
    expect(r.requests).toBe(0);
    expect(r.latency_ms.p95).toBeNaN();
  });
});

describe('bad input: one clear line naming the file and what was expected', () => {
  it('empty file', async () => {
    await expectK6Error(tmpFile('empty.json', ''), /empty/, /expected k6 output/);
  });
  it('blank file', async () => {
    await expectK6Error(tmpFile('blank.json', ' \n\n\t'), /blank/);
  });
  it('missing file', async () => {
    await expectK6Error(join(tmp, 'nope.json'), /cannot read file \(ENOENT\)/);
  });
  it('a directory', async () => {
    await expectK6Error(tmp, /not a regular file/);
  });
  it('binary', async () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    await expectK6Error(tmpFile('binary.bin', bytes), /does not start with a JSON object/);
  });
  it('gzip of a k6 file', async () => {
    const { gzipSync } = await import('node:zlib');
    await expectK6Error(
      tmpFile('points.ndjson.gz', gzipSync(readFileSync(fx('slow-summary-export.json')))),
      /expected k6 output/,
    );
  });
  it('truncated summary JSON', async () => {
    const text = readFileSync(fx('pass-summary-export.json'), 'utf8');
    await expectK6Error(
      tmpFile('truncated.json', text.slice(0, text.length / 2)),
      /not valid JSON/,
      /expected k6 output/,
    );
  });
  it('JSON of another shape', async () => {
    await expectK6Error(tmpFile('pkg.json', readFileSync(join(repoRoot, 'package.json'))), /unknown shape/);
    await expectK6Error(tmpFile('array.json', '[1, 2, 3]'), /does not start with a JSON object/);
    await expectK6Error(tmpFile('metrics-no-root.json', '{"metrics": {"http_reqs": {"count": 3}}}'), /unknown shape/);
  });
  it('summary with a non-numeric value', async () => {
    const doc = JSON.parse(readFileSync(fx('pass-summary-export.json'), 'utf8'));
    doc.metrics.http_reqs.count = 'many';
    await expectK6Error(tmpFile('nan-count.json', JSON.stringify(doc)), /http_reqs count must be a finite number/);
  });
  it('summary with requests but no http_req_failed (would be a silent pass)', async () => {
    const doc = JSON.parse(readFileSync(fx('pass-summary-export.json'), 'utf8'));
    delete doc.metrics.http_req_failed;
    await expectK6Error(tmpFile('no-failed.json', JSON.stringify(doc)), /no http_req_failed/);
  });

  const ndLines = (): string[] => readFileSync(fx('pass-points.ndjson'), 'utf8').split('\n').filter(Boolean);
  it('truncated NDJSON names the last line', async () => {
    const text = readFileSync(fx('pass-points.ndjson'), 'utf8');
    const cut = text.slice(0, text.length - 40);
    const lineCount = cut.split('\n').length;
    const err = await expectK6Error(tmpFile('truncated.ndjson', cut), /malformed NDJSON line/);
    expect(err.line).toBe(lineCount);
    expect(err.message).toContain(`truncated.ndjson:${lineCount}:`);
  });
  it('a broken line in the middle names its line number (even for a metric the reader skips)', async () => {
    const l = ndLines();
    const idx = l.findIndex((x, i) => i > 100 && x.startsWith('{"metric":"data_sent"'));
    l[idx] = l[idx]!.slice(0, 50);
    const err = await expectK6Error(tmpFile('broken-middle.ndjson', l.join('\n') + '\n'), /malformed NDJSON line/);
    expect(err.line).toBe(idx + 1);
  });
  it('a JSON line that is not a k6 record', async () => {
    const l = ndLines();
    l.splice(3, 0, '{"hello":"world"}');
    const err = await expectK6Error(tmpFile('foreign-line.ndjson', l.join('\n') + '\n'), /not a k6 --out json record/);
    expect(err.line).toBe(4);
  });
  it('a Point whose value is not a number', async () => {
    const l = ndLines();
    const idx = l.findIndex((x) => x.startsWith('{"metric":"http_req_duration","type":"Point"'));
    l[idx] = l[idx]!.replace(/"value":[0-9.]+/, '"value":"fast"');
    const err = await expectK6Error(tmpFile('string-value.ndjson', l.join('\n') + '\n'), /numeric data\.value/);
    expect(err.line).toBe(idx + 1);
  });
  it('NDJSON followed by binary garbage', async () => {
    const head = readFileSync(fx('slow-points.ndjson')).subarray(0, 5000);
    const nl = head.lastIndexOf(10);
    const garbage = Buffer.from([0x00, 0xff, 0x13, 0x7d, 0x0a]);
    const err = await expectK6Error(
      tmpFile('garbage-tail.ndjson', Buffer.concat([head.subarray(0, nl + 1), garbage])),
      /malformed NDJSON line/,
    );
    expect(err.line).toBe(
      head
        .subarray(0, nl + 1)
        .toString()
        .split('\n').length,
    );
  });
});
