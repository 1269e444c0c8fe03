/**
 * The smoke gate's reading of k6 `--out json` NDJSON: the points of the four metrics it needs, from
 * the one point reader (points.ts), reduced to a LoadResult. Durations are kept per endpoint (the
 * `name` tag, which k6 sets to the URL unless the script names the request) as 8 bytes each, so the
 * p95 of the run and of every endpoint is exact (k6's rule over every sample).
 */
import type { EndpointResult, LoadResult } from '../load-result.js';
import {
  CombinedSamples,
  HISTOGRAM_ERROR_BOUND,
  SampleBudget,
  SampleStore,
  type StoredSamples,
} from '../stats/sample-store.js';
import { K6FormatError } from './errors.js';
import { scanK6Points, type K6Point, type PointMetric, type ScanRange } from './points.js';

/** The metrics the gate reads, in the order of their indices below. */
export const GATE_METRICS: readonly PointMetric[] = [
  { name: 'http_req_duration', values: 'duration' },
  { name: 'http_reqs', values: 'count' },
  { name: 'http_req_failed', values: 'rate' },
  { name: 'checks', values: 'rate' },
];
const DURATION = 0;
const REQS = 1;
const FAILED = 2;
const CHECKS = 3;

/** Endpoints beyond this many distinct names share one row, so a name with ids in it cannot exhaust memory. */
export const MAX_ENDPOINTS = 200;
export const OTHER_ENDPOINTS = '(other endpoints)';

/**
 * Samples kept exactly per file, one pool for all the threads that read it (readNdjsonParallel):
 * past this many, percentiles come from a histogram within HISTOGRAM_ERROR_BOUND. 12 M is 96 MB at
 * 8 bytes each, whatever the number of threads, and keeps a run of 10 M samples exact.
 */
export const MAX_EXACT_SAMPLES = 12_000_000;

interface EndpointAcc {
  durations: SampleStore;
  failed: number;
  failedPoints: number;
}

/** What one scan of one file (or one byte range of it) found: plain data, so a worker thread can send it. */
export interface NdjsonPartial {
  records: number;
  lines: number;
  reqs: number;
  reqPoints: number;
  failed: number;
  failedPoints: number;
  checksPass: number;
  checksTotal: number;
  firstTime?: string | undefined;
  lastTime?: string | undefined;
  /** Per endpoint name: its durations, failed requests and http_req_failed points. */
  endpoints: { name: string; durations: StoredSamples; failed: number; failedPoints: number }[];
}

export interface ScanOptions {
  /** Samples kept exactly before switching to the histogram (default MAX_EXACT_SAMPLES). */
  maxExactSamples?: number;
}

/** One byte range's share of a scan: what only the file's order can combine (line numbers, first and last time). */
export interface RangeInfo {
  lines: number;
  firstTime?: string | undefined;
  lastTime?: string | undefined;
}

/** Endpoint of a point: its `name` tag, else its `url` tag. */
function endpointOf(p: K6Point): string {
  return p.tag('name') ?? p.tag('url') ?? '';
}

class NdjsonAccumulator {
  private readonly endpoints = new Map<string, EndpointAcc>();
  private exact = true;
  records = 0;
  lines = 0;
  reqs = 0;
  reqPoints = 0;
  failed = 0;
  failedPoints = 0;
  checksPass = 0;
  checksTotal = 0;
  /** The first `http_reqs` time of the range being scanned (the last one comes from the scanner). */
  private firstTime: string | undefined;
  private lastName: string | undefined;
  private lastEndpoint: EndpointAcc | undefined;

  constructor(private readonly budget: SampleBudget) {}

  private endpoint(name: string): EndpointAcc {
    if (name === this.lastName) return this.lastEndpoint!;
    let e = this.endpoints.get(name);
    if (!e) {
      if (this.endpoints.size >= MAX_ENDPOINTS) return this.endpoint(OTHER_ENDPOINTS);
      e = { durations: new SampleStore(), failed: 0, failedPoints: 0 };
      if (!this.exact) e.durations.toHistogram();
      this.endpoints.set(name, e);
    }
    this.lastName = name;
    this.lastEndpoint = e;
    return e;
  }

  readonly visit = (p: K6Point): void => {
    switch (p.metric) {
      case DURATION:
        if (this.exact && !this.budget.take()) {
          this.exact = false;
          for (const e of this.endpoints.values()) e.durations.toHistogram();
        }
        this.endpoint(endpointOf(p)).durations.push(p.value);
        break;
      case REQS:
        this.reqs += p.value;
        this.reqPoints++;
        this.firstTime ??= p.time();
        break;
      case FAILED: {
        const e = this.endpoint(endpointOf(p));
        e.failed += p.value;
        e.failedPoints++;
        this.failed += p.value;
        this.failedPoints++;
        break;
      }
      case CHECKS:
        this.checksPass += p.value;
        this.checksTotal++;
        break;
      default:
        break;
    }
  };

  /** Scans one byte range (or the whole file) into this accumulator: the range's lines and first and last time. */
  scan(file: string, range?: ScanRange): RangeInfo {
    this.firstTime = undefined;
    const stats = scanK6Points(file, GATE_METRICS, this.visit, range);
    this.records += stats.records;
    this.lines += stats.lines;
    return { lines: stats.lines, firstTime: this.firstTime, lastTime: stats.lastTime[REQS] };
  }

  partial(): NdjsonPartial {
    return {
      records: this.records,
      lines: this.lines,
      reqs: this.reqs,
      reqPoints: this.reqPoints,
      failed: this.failed,
      failedPoints: this.failedPoints,
      checksPass: this.checksPass,
      checksTotal: this.checksTotal,
      endpoints: [...this.endpoints].map(([name, e]) => ({
        name,
        durations: e.durations.stored(),
        failed: e.failed,
        failedPoints: e.failedPoints,
      })),
    };
  }
}

/** Scans one whole file on this thread into a partial result. */
export function scanNdjsonPartial(file: string, opts: ScanOptions = {}): NdjsonPartial {
  const acc = new NdjsonAccumulator(new SampleBudget(opts.maxExactSamples ?? MAX_EXACT_SAMPLES));
  const { firstTime, lastTime } = acc.scan(file);
  return { ...acc.partial(), firstTime, lastTime };
}

/**
 * Scans the byte ranges that `next` hands out (until it returns undefined) into one partial result
 * (samples and counts, whose order does not matter) and each range's RangeInfo, by the range's
 * index. A format error stops the scan; it is returned with its range's index (its line counts from
 * the range's first line).
 */
export function scanNdjsonRanges(
  file: string,
  next: () => { index: number; range: ScanRange } | undefined,
  budget: SampleBudget,
): { partial: NdjsonPartial; ranges: [number, RangeInfo][]; error?: { index: number; error: K6FormatError } } {
  const acc = new NdjsonAccumulator(budget);
  const ranges: [number, RangeInfo][] = [];
  for (let job = next(); job; job = next()) {
    try {
      ranges.push([job.index, acc.scan(file, job.range)]);
    } catch (err) {
      if (!(err instanceof K6FormatError)) throw err;
      return { partial: acc.partial(), ranges, error: { index: job.index, error: err } };
    }
  }
  return { partial: acc.partial(), ranges };
}

function endpointRows(partials: readonly NdjsonPartial[]): { rows: EndpointResult[]; all: CombinedSamples } {
  const byName = new Map<string, { samples: StoredSamples[]; failed: number; failedPoints: number }>();
  for (const part of partials) {
    for (const e of part.endpoints) {
      const row = byName.get(e.name) ?? { samples: [], failed: 0, failedPoints: 0 };
      row.samples.push(e.durations);
      row.failed += e.failed;
      row.failedPoints += e.failedPoints;
      byName.set(e.name, row);
    }
  }
  const rows: EndpointResult[] = [];
  const all: StoredSamples[] = [];
  for (const [name, r] of byName) {
    all.push(...r.samples);
    const samples = new CombinedSamples(r.samples);
    // Every request has one http_req_duration and one http_req_failed point (k6 v0.31+).
    const requests = Math.max(samples.length, r.failedPoints);
    rows.push({
      name,
      requests,
      failed_requests: r.failed,
      error_rate: requests > 0 ? r.failed / requests : Number.NaN,
      p95_ms: samples.percentile(0.95),
    });
  }
  return { rows, all: new CombinedSamples(all) };
}

/**
 * Reduces partial scans (of one file split across threads, or of several files of one run) to one
 * LoadResult over the union of their samples: exact p95, its confidence interval, error rate.
 */
export function ndjsonResult(partials: readonly NdjsonPartial[], file: string): LoadResult {
  const sum = (f: (p: NdjsonPartial) => number): number => partials.reduce((s, p) => s + f(p), 0);
  if (sum((p) => p.records) === 0) throw new K6FormatError(file, 'contains no k6 --out json records');
  const { rows, all } = endpointRows(partials);
  const reqs = sum((p) => p.reqs);
  const failed = sum((p) => p.failed);
  const requests = sum((p) => p.reqPoints) > 0 ? reqs : all.length;
  if (requests > 0 && sum((p) => p.failedPoints) === 0) {
    throw new K6FormatError(file, 'has HTTP requests but no http_req_failed points (k6 v0.31 or later writes them)');
  }
  if (failed > requests) {
    throw new K6FormatError(file, `http_req_failed counts ${failed} failed requests of only ${requests} (http_reqs)`);
  }
  const result: LoadResult = {
    source: { format: 'ndjson', file },
    requests,
    failed_requests: failed,
    error_rate: requests > 0 ? failed / requests : Number.NaN,
    latency_ms: { p95: all.percentile(0.95) },
    thresholds: [],
  };
  if (!all.exact) result.percentile_error_bound = HISTOGRAM_ERROR_BOUND;
  if (all.length > 0) {
    Object.assign(result.latency_ms, {
      p90: all.percentile(0.9),
      med: all.percentile(0.5),
      avg: all.sum() / all.length,
      min: all.min(),
      max: all.max(),
    });
    const ci = all.quantileCI(0.95);
    if (ci) result.p95_ci_ms = ci;
    if (rows.length > 0) result.endpoints = rows;
  }
  const checksPass = sum((p) => p.checksPass);
  const checksTotal = sum((p) => p.checksTotal);
  if (checksTotal > 0)
    result.checks = { passes: checksPass, fails: checksTotal - checksPass, rate: checksPass / checksTotal };
  const firstTime = partials.find((p) => p.firstTime)?.firstTime;
  const lastTime = partials.findLast((p) => p.lastTime)?.lastTime;
  if (firstTime && lastTime) {
    const span = (Date.parse(lastTime) - Date.parse(firstTime)) / 1000;
    if (Number.isFinite(span) && span > 0) result.duration_s = span;
  }
  return result;
}

/** Reads a k6 `--out json` NDJSON file in one pass on this thread: its result and its samples. */
export function readK6NdjsonParts(
  path: string,
  opts: ScanOptions = {},
): { result: LoadResult; partials: NdjsonPartial[] } {
  const partials = [scanNdjsonPartial(path, opts)];
  return { result: ndjsonResult(partials, path), partials };
}

/** Reads a k6 `--out json` NDJSON file in one pass. */
export function readK6Ndjson(path: string): LoadResult {
  return readK6NdjsonParts(path).result;
}
