/**
 * Streamed reader for `k6 run --out json=FILE` (one JSON object per line: `Metric` declarations
 * and `Point` samples). Memory stays flat in the file size: a fixed read buffer is reused and only
 * the main `http_req_duration` values are kept (8 bytes per request, needed for an exact p95).
 *
 * Speed: k6 writes points as `{"metric":"NAME","type":"Point","data":{"time":"T","value":V,...`.
 * Lines in that layout are recognised with string comparisons, and lines of metrics we do not need
 * (most of the file) are only checked to end with `}` (this catches truncation); lines of any other
 * layout fall back to JSON.parse, so key order does not affect correctness, only speed.
 * Buffers are decoded as latin1: every byte we inspect is ASCII and a byte-for-byte decoding is
 * much cheaper than UTF-8; tag strings with non-ASCII text may be garbled, but they are never used.
 */
import { open } from 'node:fs/promises';
import type { LoadResult } from '../load-result.js';
import { percentileSorted } from '../stats/percentile.js';
import { quantileCI } from '../stats/quantile-ci.js';
import { K6FormatError } from './errors.js';

const READ_SIZE = 1 << 20;
/** A single line longer than this is not k6 output. */
const MAX_LINE = 16 << 20;

const PREFIX = '{"metric":"';
const AFTER_NAME = '","type":"Point","data":{"time":"';
const VALUE_KEY = ',"value":';

// Metric kinds the reader keeps (plain numbers: cheapest to compare on the hot path).
type Kind = -1 | 0 | 1 | 2 | 3;
const Kind = { Other: -1, Duration: 0, Reqs: 1, Failed: 2, Checks: 3 } as const;

function kindOf(name: string): Kind {
  switch (name) {
    case 'http_req_duration':
      return Kind.Duration;
    case 'http_reqs':
      return Kind.Reqs;
    case 'http_req_failed':
      return Kind.Failed;
    case 'checks':
      return Kind.Checks;
    default:
      return Kind.Other;
  }
}

/** Matches a metric name in place (no substring allocation) for the fast path. */
function kindAt(text: string, start: number, len: number): Kind {
  switch (len) {
    case 17:
      return text.startsWith('http_req_duration', start) ? Kind.Duration : Kind.Other;
    case 9:
      return text.startsWith('http_reqs', start) ? Kind.Reqs : Kind.Other;
    case 15:
      return text.startsWith('http_req_failed', start) ? Kind.Failed : Kind.Other;
    case 6:
      return text.startsWith('checks', start) ? Kind.Checks : Kind.Other;
    default:
      return Kind.Other;
  }
}

class Accumulator {
  durations = new Float64Array(1 << 14);
  n = 0;
  reqs = 0;
  failed = 0;
  failedSeen = false;
  checksPass = 0;
  checksTotal = 0;
  records = 0;
  firstTime: string | undefined;
  lastTime: string | undefined;

  add(kind: Kind, value: number): void {
    switch (kind) {
      case Kind.Duration:
        if (this.n === this.durations.length) {
          const grown = new Float64Array(this.durations.length * 2);
          grown.set(this.durations);
          this.durations = grown;
        }
        this.durations[this.n++] = value;
        break;
      case Kind.Reqs:
        this.reqs += value;
        break;
      case Kind.Failed:
        this.failed += value;
        this.failedSeen = true;
        break;
      case Kind.Checks:
        this.checksPass += value;
        this.checksTotal++;
        break;
      default:
        break;
    }
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether one parsed line is a k6 `--out json` record; used for format detection too. */
export function isK6JsonRecord(v: unknown): boolean {
  return isObj(v) && (v.type === 'Metric' || v.type === 'Point') && isObj(v.data);
}

function slowLine(line: string, file: string, lineNo: number, acc: Accumulator): void {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    throw new K6FormatError(file, 'malformed NDJSON line (expected one k6 --out json object per line)', lineNo);
  }
  if (!isK6JsonRecord(rec)) {
    throw new K6FormatError(
      file,
      'not a k6 --out json record (expected {"type":"Metric"|"Point","data":{...}})',
      lineNo,
    );
  }
  const r = rec as { type: string; metric?: unknown; data: Obj };
  acc.records++;
  if (r.type !== 'Point') return;
  const name = typeof r.metric === 'string' ? r.metric : undefined;
  const value = r.data.value;
  if (name === undefined || typeof value !== 'number' || !Number.isFinite(value)) {
    throw new K6FormatError(file, 'k6 Point without a metric name or a numeric data.value', lineNo);
  }
  const kind = kindOf(name);
  if (kind === Kind.Reqs && typeof r.data.time === 'string') {
    acc.firstTime ??= r.data.time;
    acc.lastTime = r.data.time;
  }
  acc.add(kind, value);
}

/** Processes the complete lines of `text` (no trailing newline); returns the number of lines seen. */
function processText(text: string, file: string, firstLineNo: number, acc: Accumulator): number {
  let lineNo = firstLineNo;
  let s = 0;
  const len = text.length;
  while (s <= len) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = len;
    let end = e;
    if (end > s && text.charCodeAt(end - 1) === 13) end--; // CRLF
    if (end > s) processLine(text, s, end, file, lineNo, acc);
    lineNo++;
    s = e + 1;
  }
  return lineNo - firstLineNo;
}

function processLine(text: string, s: number, e: number, file: string, lineNo: number, acc: Accumulator): void {
  if (text.charCodeAt(e - 1) !== 125 /* } */) {
    // Either truncated or not JSON at all; let JSON.parse produce the precise complaint.
    slowLine(text.slice(s, e), file, lineNo, acc);
    return;
  }
  if (text.startsWith(PREFIX, s)) {
    const ns = s + PREFIX.length;
    const ne = text.indexOf('"', ns);
    if (ne > 0 && ne < e && text.startsWith(AFTER_NAME, ne)) {
      const kind = kindAt(text, ns, ne - ns);
      if (kind === Kind.Other) {
        acc.records++;
        return;
      }
      const ts = ne + AFTER_NAME.length;
      const te = text.indexOf('"', ts);
      if (te > 0 && te < e && text.startsWith(VALUE_KEY, te + 1)) {
        const vs = te + 1 + VALUE_KEY.length;
        let ve = vs;
        for (let c = text.charCodeAt(ve); ve < e && c !== 44 /* , */ && c !== 125 /* } */; c = text.charCodeAt(++ve));
        const value = ve > vs ? Number(text.slice(vs, ve)) : Number.NaN;
        if (Number.isFinite(value)) {
          if (kind === Kind.Reqs) {
            const t = text.slice(ts, te);
            acc.firstTime ??= t;
            acc.lastTime = t;
          }
          acc.records++;
          acc.add(kind, value);
          return;
        }
      }
    }
  }
  slowLine(text.slice(s, e), file, lineNo, acc);
}

function toLoadResult(acc: Accumulator, file: string): LoadResult {
  const requests = acc.reqs > 0 ? acc.reqs : acc.n;
  if (requests > 0 && !acc.failedSeen) {
    throw new K6FormatError(file, 'has HTTP requests but no http_req_failed points (k6 v0.31 or later writes them)');
  }
  const sorted = acc.durations.subarray(0, acc.n).sort();
  const result: LoadResult = {
    source: { format: 'ndjson', file },
    requests,
    failed_requests: acc.failed,
    error_rate: requests > 0 ? acc.failed / requests : Number.NaN,
    latency_ms: { p95: percentileSorted(sorted, 0.95) },
    thresholds: [],
  };
  if (acc.n > 0) {
    let sum = 0;
    for (let i = 0; i < acc.n; i++) sum += sorted[i]!;
    Object.assign(result.latency_ms, {
      p90: percentileSorted(sorted, 0.9),
      med: percentileSorted(sorted, 0.5),
      avg: sum / acc.n,
      min: sorted[0]!,
      max: sorted[acc.n - 1]!,
    });
    const ci = quantileCI(sorted, 0.95, 0.95);
    if (ci) result.p95_ci_ms = [ci.lower, ci.upper];
  }
  if (acc.checksTotal > 0) {
    result.checks = {
      passes: acc.checksPass,
      fails: acc.checksTotal - acc.checksPass,
      rate: acc.checksPass / acc.checksTotal,
    };
  }
  if (acc.firstTime && acc.lastTime) {
    const span = (Date.parse(acc.lastTime) - Date.parse(acc.firstTime)) / 1000;
    if (Number.isFinite(span) && span > 0) result.duration_s = span;
  }
  return result;
}

/** Reads a k6 `--out json` NDJSON file in a single streamed pass. */
export async function readK6Ndjson(path: string): Promise<LoadResult> {
  const acc = new Accumulator();
  const fh = await open(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(READ_SIZE);
    let carry = 0;
    let lineNo = 1;
    for (;;) {
      if (carry === buf.length) {
        if (buf.length >= MAX_LINE)
          throw new K6FormatError(path, `line longer than ${MAX_LINE} bytes; not k6 NDJSON`, lineNo);
        const grown = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(grown, 0, 0, carry);
        buf = grown;
      }
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry, null);
      const total = carry + bytesRead;
      if (bytesRead === 0) {
        if (carry > 0) processText(buf.toString('latin1', 0, carry), path, lineNo, acc);
        break;
      }
      const lastNl = buf.lastIndexOf(10, total - 1);
      if (lastNl < 0) {
        carry = total;
        continue;
      }
      lineNo += processText(buf.toString('latin1', 0, lastNl), path, lineNo, acc);
      carry = total - lastNl - 1;
      buf.copy(buf, 0, lastNl + 1, total);
    }
  } finally {
    await fh.close();
  }
  if (acc.records === 0) throw new K6FormatError(path, 'contains no k6 --out json records');
  return toLoadResult(acc, path);
}
