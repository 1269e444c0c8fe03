/**
 * The one reader of k6 `--out json` NDJSON points, used by the smoke gate's reader and by the
 * canary's k6 traffic. It walks the bytes of a file (or a byte range of it, for worker threads) and
 * hands each Point of the wanted metrics to a visitor; every other line is checked and skipped.
 *
 * Speed: k6 writes points as `{"metric":"NAME","type":"Point","data":{"time":"T","value":V,"tags":{...}}}`.
 * Lines in that layout are recognised on the bytes (no string is made for a line, the metric name is
 * compared in place, the value is parsed from its digits); lines of other metrics are only checked
 * for that layout and a closing `}` (this catches truncation). Lines of any other layout go through
 * JSON.parse, so key order affects speed only, never the result.
 *
 * Impossible values are format errors naming the file, the line and the metric: a negative duration
 * or count, a rate point other than 0 or 1.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { bytePattern, equalBytes, indexOfEither, type BytePattern } from './byte-pattern.js';
import { K6FormatError } from './errors.js';

/** What a metric's values may be: durations and counts are >= 0, rate points are 0 or 1 (k6 writes booleans as numbers). */
export type PointValues = 'duration' | 'count' | 'rate';

export interface PointMetric {
  name: string;
  values: PointValues;
}

/** A Point handed to the visitor. Only valid during the call: the reader reuses it for the next line. */
export interface K6Point {
  /** Index of the point's metric in the query's `metrics`. */
  readonly metric: number;
  readonly value: number;
  /** 1-based line number, counted from the start of the scanned range (of the file when no range is given). */
  readonly line: number;
  /** The point's `data.time` as written. */
  time(): string;
  /** A tag's value as written; undefined when the point has no such tag (or a non-string one). */
  tag(name: string): string | undefined;
}

export interface ScanRange {
  /** Byte offset of the first line (a line start). */
  start: number;
  /** Byte offset after the last line of the range (a line start or the file size). */
  end: number;
}

export interface ScanStats {
  /** k6 records seen (Metric declarations and Points of any metric). */
  records: number;
  /** Lines in the range, blank ones included. */
  lines: number;
  /**
   * Per wanted metric (by index), the `data.time` of its last Point in the range: kept here rather
   * than read from every point, which would make a string per point for the last one only.
   */
  lastTime: (string | undefined)[];
}

const READ_SIZE = 256 << 10;
/** A single line longer than this is not k6 output. */
export const MAX_LINE = 16 << 20;

const PREFIX = bytePattern('{"metric":"');
const AFTER_NAME = bytePattern('","type":"Point","data":{"time":"');
/** What every Point line has after its name: the part checked on lines of metrics that are skipped. */
const POINT_TYPE = bytePattern('","type":"Point"');
const VALUE_KEY = bytePattern('","value":');
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

const CLOSE_BRACE = 125;
const QUOTE = 34;
const BACKSLASH = 92;
const NEWLINE = 10;
const CR = 13;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

/** Whether bytes [i, e) start with at least one digit; the index after the digits, or -1. */
function digitsEnd(buf: Uint8Array, i: number, e: number): number {
  const first = i;
  while (i < e && buf[i]! >= ZERO && buf[i]! <= NINE) i++;
  return i > first ? i : -1;
}

/**
 * A JSON number from its bytes, or NaN when the bytes are not one (then the caller leaves the line to
 * JSON.parse, which decides). In the plain form `-?(0|[1-9]\d*)(\.\d+)?` with at most 15 significant
 * digits, the digits make an exact integer and one division by an exact power of ten rounds
 * correctly, so the result is the double JSON.parse gives (Clinger's fast path); longer mantissas and
 * exponents, checked against JSON's grammar first, go through Number(), which rounds as JSON.parse.
 */
export function parseJsonNumber(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  const neg = buf[i] === MINUS;
  if (neg) i++;
  const first = i;
  let m = 0;
  for (; i < e; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) break;
    m = m * 10 + (c - ZERO);
  }
  let digits = i - first;
  if (digits === 0 || (digits > 1 && buf[first] === ZERO)) return Number.NaN;
  let frac = 0;
  if (i < e && buf[i] === DOT) {
    const fs = i + 1;
    i = digitsEnd(buf, fs, e);
    if (i < 0) return Number.NaN;
    for (let j = fs; j < i; j++) m = m * 10 + (buf[j]! - ZERO);
    frac = i - fs;
    digits += frac;
  }
  if (i === e && digits <= 15) {
    const v = frac > 0 ? m / POW10[frac]! : m;
    return neg ? -v : v;
  }
  if (i < e && (buf[i] === 101 /* e */ || buf[i] === 69) /* E */) {
    i++;
    if (buf[i] === 43 /* + */ || buf[i] === MINUS) i++;
    i = digitsEnd(buf, i, e);
  }
  return i === e ? Number(Buffer.prototype.latin1Slice.call(buf, s, e)) : Number.NaN;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether one parsed line is a k6 `--out json` record; used for format detection too. */
export function isK6JsonRecord(v: unknown): boolean {
  return isObj(v) && (v.type === 'Metric' || v.type === 'Point') && isObj(v.data);
}

/** Names a wanted metric's impossible value, or undefined when the value is possible. */
function impossible(values: PointValues, v: number): string | undefined {
  if (values === 'rate') return v === 0 || v === 1 ? undefined : 'must be 0 or 1 (a rate point)';
  return v >= 0 ? undefined : `is negative (a ${values} cannot be)`;
}

/** A string decoded from bytes, with the bytes (and a view of them) to compare the next bytes with. */
interface ByteString {
  bytes: Uint8Array;
  view: DataView;
  value: string;
}
const NO_STRING: ByteString = { bytes: new Uint8Array(0), view: new DataView(new ArrayBuffer(0)), value: '' };

/** Interned strings decoded from bytes: a tag value that repeats (an endpoint's name) is decoded once. */
class ByteStrings {
  private readonly byHash = new Map<number, ByteString[]>();
  private size = 0;
  /** Bounded, so tag values with ids in them cannot exhaust memory: past this many, it starts over. */
  private static readonly MAX = 4096;

  get(buf: Buffer, view: DataView, s: number, e: number): ByteString {
    let h = 0x811c9dc5 ^ (e - s);
    let i = s;
    for (; i + 4 <= e; i += 4) h = Math.imul(h ^ view.getInt32(i, true), 0x01000193);
    for (; i < e; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const same = this.byHash.get(h);
    if (same) for (const x of same) if (x.bytes.length === e - s && equalBytes(view, s, x.bytes, x.view)) return x;
    if (this.size >= ByteStrings.MAX) {
      this.byHash.clear();
      this.size = 0;
    }
    const bytes = Uint8Array.prototype.slice.call(buf, s, e);
    const entry = { bytes, view: new DataView(bytes.buffer), value: buf.toString('utf8', s, e) };
    if (same) same.push(entry);
    else this.byHash.set(h, [entry]);
    this.size++;
    return entry;
  }
}

/** Per tag name: its `"name":"` bytes, where it was and next occurs in the buffer, and the last value read. */
interface TagCursor {
  name: string;
  needle: BytePattern;
  /** Where it was on recent points that had it, from the value's end (a few: GET and POST lines differ). */
  offsets: number[];
  next: number;
  from: number;
  last: ByteString;
}

/** Offsets a tag cursor remembers. */
const RECENT_OFFSETS = 4;

/** A Point read in place from the bytes of one line. */
class BytePoint implements K6Point {
  buf: Buffer = Buffer.alloc(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  metric = 0;
  value = 0;
  line = 0;
  timeStart = 0;
  timeEnd = 0;
  /** Where the tags may start (after the value) and the line's end. */
  rest = 0;
  end = 0;
  private readonly strings = new ByteStrings();
  private readonly tags: TagCursor[] = [];

  time(): string {
    return this.buf.toString('latin1', this.timeStart, this.timeEnd);
  }

  /** Called when the buffer is refilled: positions found in the old one are void. */
  reset(buf: Buffer, view: DataView): void {
    this.buf = buf;
    this.view = view;
    for (const t of this.tags) t.from = t.next = -1;
  }

  private cursor(name: string): TagCursor {
    for (const t of this.tags) if (t.name === name) return t;
    const needle = bytePattern(`"${JSON.stringify(name).slice(1, -1)}":"`);
    const t: TagCursor = { name, needle, offsets: [], next: -1, from: -1, last: NO_STRING };
    this.tags.push(t);
    return t;
  }

  tag(name: string): string | undefined {
    const t = this.cursor(name);
    const buf = this.buf;
    const needle = t.needle;
    // Points carry the same tags after their value: the tag is most often exactly as far from the
    // value's end as on a recent point. Tag keys are unique, so a match there is the tag.
    let at = -1;
    for (let i = 0; i < t.offsets.length && at < 0; i++) {
      const o = this.rest + t.offsets[i]!;
      if (o + needle.length <= this.end && needle.at(this.view, o)) at = o;
    }
    if (at < 0) {
      // Else its next occurrence at or after this point's tags: searched once per occurrence, not per
      // line (a line without the tag does not scan the rest of the buffer again and again).
      if (t.from < 0 || t.from > this.rest || (t.next >= 0 && t.next < this.rest)) {
        t.from = this.rest;
        t.next = buf.indexOf(needle.bytes, this.rest);
      }
      if (t.next < 0 || t.next >= this.end) return undefined;
      at = t.next;
      if (t.offsets.unshift(at - this.rest) > RECENT_OFFSETS) t.offsets.pop();
    }
    const vs = at + needle.length;
    const ve = indexOfEither(this.view, buf, QUOTE, BACKSLASH, vs, this.end);
    // An escaped character: let JSON.parse decode the whole line.
    if (ve < this.end && buf[ve] === BACKSLASH) return parsedTag(buf.toString('utf8', this.rest, this.end), name);
    // Points of one request repeat its values: no lookup then.
    if (ve - vs !== t.last.bytes.length || !equalBytes(this.view, vs, t.last.bytes, t.last.view))
      t.last = this.strings.get(buf, this.view, vs, ve);
    return t.last.value;
  }
}

/** A tag from the tail of a Point line (`...,"tags":{...}}}`), decoded by JSON.parse. */
function parsedTag(tail: string, name: string): string | undefined {
  const at = tail.indexOf('"tags":');
  if (at < 0) return undefined;
  try {
    const tags = JSON.parse(tail.slice(at + 7).replace(/}+\s*$/, '}')) as unknown;
    const v = isObj(tags) ? tags[name] : undefined;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A Point of another layout, parsed with JSON.parse. */
class ParsedPoint implements K6Point {
  constructor(
    readonly metric: number,
    readonly value: number,
    readonly line: number,
    private readonly data: Obj,
  ) {}
  time(): string {
    return typeof this.data.time === 'string' ? this.data.time : '';
  }
  tag(name: string): string | undefined {
    const v = isObj(this.data.tags) ? this.data.tags[name] : undefined;
    return typeof v === 'string' ? v : undefined;
  }
}

/**
 * Reads the Points of the query's metrics from `file` (or the byte range `range` of it), calling
 * `visit` for each in file order. Throws K6FormatError naming the file and line for a line that is
 * not a k6 record, a Point without a numeric value, or an impossible value of a wanted metric.
 */
export function scanK6Points(
  file: string,
  metrics: readonly PointMetric[],
  visit: (p: K6Point) => void,
  range?: ScanRange,
): ScanStats {
  const fd = openSync(file, 'r');
  try {
    const end = range?.end ?? fstatSync(fd).size;
    return new PointScanner(file, metrics, visit).run(fd, range?.start ?? 0, end);
  } finally {
    closeSync(fd);
  }
}

/** One read buffer kept between scans on this thread (module state is per thread: workers have their own). */
let spareBuffer: Buffer | undefined;

class PointScanner {
  /** The wanted metrics' names, and per name length the metrics of that length. */
  private readonly names: BytePattern[];
  private readonly byLength: (number[] | undefined)[] = [];
  private readonly point = new BytePoint();
  /** Per wanted metric: the time of its last Point, and where it is in the buffer while not yet a string (-1: it is). */
  private readonly lastTime: (string | undefined)[];
  private readonly lastTimeStart: Int32Array;
  private readonly lastTimeEnd: Int32Array;
  /** The read buffer as a DataView, for the byte patterns. */
  private view: DataView = new DataView(new ArrayBuffer(0));
  records = 0;

  constructor(
    private readonly file: string,
    private readonly metrics: readonly PointMetric[],
    private readonly visit: (p: K6Point) => void,
  ) {
    this.names = metrics.map((m) => bytePattern(m.name));
    this.lastTime = metrics.map(() => undefined);
    this.lastTimeStart = new Int32Array(metrics.length).fill(-1);
    this.lastTimeEnd = new Int32Array(metrics.length);
    this.names.forEach((n, k) => (this.byLength[n.length] ??= []).push(k));
  }

  run(fd: number, start: number, end: number): ScanStats {
    const size = Math.min(READ_SIZE, Math.max(1, end - start));
    // The thread's spare buffer when it fits: a file read in chunks would otherwise map fresh pages for every chunk.
    let buf = spareBuffer?.length === size ? spareBuffer : Buffer.allocUnsafe(size);
    spareBuffer = undefined;
    let pos = start;
    let carry = 0;
    let line = 1;
    while (pos < end || carry > 0) {
      if (carry === buf.length) {
        if (buf.length >= MAX_LINE)
          throw new K6FormatError(this.file, `line longer than ${MAX_LINE} bytes; not k6 NDJSON`, line);
        const grown = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_LINE));
        buf.copy(grown, 0, 0, carry);
        buf = grown;
      }
      const want = Math.min(buf.length - carry, end - pos);
      const got = want > 0 ? readSync(fd, buf, carry, want, pos) : 0;
      if (this.view.buffer !== buf.buffer || this.view.byteLength !== buf.length)
        this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
      this.point.reset(buf, this.view);
      pos += got;
      const total = carry + got;
      const atEnd = got === 0 || pos >= end;
      let s = 0;
      for (;;) {
        let e = buf.indexOf(NEWLINE, s);
        if (e < 0 || e >= total) {
          if (!atEnd || s >= total) break;
          e = total; // the last line, without a final newline
        }
        this.onLine(buf, s, e, line);
        line++;
        s = e + 1;
      }
      this.keepLastTimes(buf);
      carry = s < total ? total - s : 0;
      if (carry > 0) buf.copy(buf, 0, s, total);
      if (atEnd && carry === 0) break;
    }
    if (buf.length === READ_SIZE) spareBuffer = buf;
    return { records: this.records, lines: line - 1, lastTime: this.lastTime };
  }

  /** Turns the last times still in the buffer into strings, before the buffer is reused. */
  private keepLastTimes(buf: Buffer): void {
    for (let k = 0; k < this.lastTime.length; k++)
      if (this.lastTimeStart[k]! >= 0) {
        this.lastTime[k] = buf.toString('latin1', this.lastTimeStart[k], this.lastTimeEnd[k]);
        this.lastTimeStart[k] = -1;
      }
  }

  /**
   * One line: a Point of a wanted metric in k6's layout is read on the bytes; a Point of another
   * metric in that layout is only checked (its start, its name's end, its closing brace); anything
   * else goes to JSON.parse. No string is made for a line on the first two paths.
   */
  private onLine(buf: Buffer, s: number, e: number, lineNo: number): void {
    if (e > s && buf[e - 1] === CR) e--;
    if (e <= s) return;
    const view = this.view;
    if (buf[e - 1] === CLOSE_BRACE && s + PREFIX.length <= e && PREFIX.at(view, s)) {
      const ns = s + PREFIX.length;
      const ne = indexOfEither(view, buf, QUOTE, BACKSLASH, ns, e);
      // The name's length picks the few wanted metrics it can be; other names are not compared at all.
      const candidates = this.byLength[ne - ns];
      let k = -1;
      if (candidates !== undefined)
        for (let i = 0; i < candidates.length && k < 0; i++)
          if (this.names[candidates[i]!]!.at(view, ns)) k = candidates[i]!;
      if (k < 0) {
        if (ne + POINT_TYPE.length <= e && POINT_TYPE.at(view, ne)) {
          this.records++;
          return;
        }
      } else if (ne + AFTER_NAME.length <= e && AFTER_NAME.at(view, ne)) {
        if (this.fastPoint(buf, k, ne + AFTER_NAME.length, e, lineNo)) return;
      }
    }
    this.slowLine(buf.toString('utf8', s, e), lineNo);
  }

  /** The value of a Point in k6's own layout; false when the layout differs (then JSON.parse decides). */
  private fastPoint(buf: Buffer, k: number, ts: number, e: number, lineNo: number): boolean {
    const te = indexOfEither(this.view, buf, QUOTE, QUOTE, ts, e);
    if (te + VALUE_KEY.length > e || !VALUE_KEY.at(this.view, te)) return false;
    const vs = te + VALUE_KEY.length;
    let ve = vs;
    while (ve < e && buf[ve] !== 44 /* , */ && buf[ve] !== CLOSE_BRACE) ve++;
    const value = parseJsonNumber(buf, vs, ve);
    if (Number.isNaN(value)) return false;
    const p = this.point;
    p.metric = k;
    p.value = value;
    p.line = lineNo;
    p.timeStart = ts;
    p.timeEnd = te;
    p.rest = ve;
    p.end = e;
    this.accept(p);
    this.lastTimeStart[k] = ts;
    this.lastTimeEnd[k] = te;
    return true;
  }

  private accept(p: K6Point): void {
    const m = this.metrics[p.metric]!;
    const why = impossible(m.values, p.value);
    if (why) throw new K6FormatError(this.file, `${m.name} value ${p.value} ${why}`, p.line);
    this.records++;
    this.visit(p);
  }

  private slowLine(text: string, lineNo: number): void {
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch {
      throw new K6FormatError(this.file, 'malformed NDJSON line (expected one k6 --out json object per line)', lineNo);
    }
    if (!isK6JsonRecord(rec)) {
      throw new K6FormatError(
        this.file,
        'not a k6 --out json record (expected {"type":"Metric"|"Point","data":{...}})',
        lineNo,
      );
    }
    const r = rec as { type: string; metric?: unknown; data: Obj };
    if (r.type !== 'Point') {
      this.records++;
      return;
    }
    const value = r.data.value;
    if (typeof r.metric !== 'string' || typeof value !== 'number' || !Number.isFinite(value)) {
      throw new K6FormatError(this.file, 'k6 Point without a metric name or a numeric data.value', lineNo);
    }
    const k = this.metrics.findIndex((m) => m.name === r.metric);
    if (k < 0) {
      this.records++;
      return;
    }
    const point = new ParsedPoint(k, value, lineNo, r.data);
    this.accept(point);
    this.lastTime[k] = point.time();
    this.lastTimeStart[k] = -1;
  }
}
