/**
 * Readers for the three pre-aggregated k6 JSON summaries. Each reduces to the same LoadResult,
 * so the forms of one run agree. Each format is recognised from the document's shape only
 * (`is*` below, used by the format registry).
 *
 * Impossible values are format errors naming the file and the field: a negative duration or count,
 * a rate outside [0, 1], more failed requests than requests.
 */
import type { EndpointResult, LoadResult, ThresholdResult } from '../load-result.js';
import { K6FormatError } from './errors.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `k6 run --new-machine-readable-summary` (k6 1.x): `{version, results: {metrics: [...]}}`. */
export function isMachineReadableSummary(doc: unknown): boolean {
  return isObj(doc) && typeof doc.version === 'string' && isObj(doc.results) && Array.isArray(doc.results.metrics);
}

/** handleSummary data: every metric's numbers wrapped in `values`, with options/state beside. */
export function isHandleSummary(doc: unknown): boolean {
  if (!isObj(doc) || !isObj(doc.metrics) || !isObj(doc.root_group)) return false;
  return Object.values(doc.metrics).some((m) => isObj(m) && isObj(m.values)) || isObj(doc.state) || isObj(doc.options);
}

/** `k6 run --summary-export`: the numbers directly in each metric, no options/state. */
export function isSummaryExport(doc: unknown): boolean {
  if (!isObj(doc) || !isObj(doc.metrics) || !isObj(doc.root_group) || isHandleSummary(doc)) return false;
  return Object.values(doc.metrics).every((m) => isObj(m) && !('values' in m));
}

/** Checks one number of the file; `what` names the field in the error. */
class Fields {
  constructor(readonly file: string) {}

  number(v: unknown, what: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new K6FormatError(this.file, `${what} must be a finite number, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A duration or a count: never negative. */
  nonNegative(v: unknown, what: string): number {
    const n = this.number(v, what);
    if (n < 0) throw new K6FormatError(this.file, `${what} is ${n}: a duration or count cannot be negative`);
    return n;
  }

  optNonNegative(v: unknown, what: string): number | undefined {
    return v === undefined || v === null ? undefined : this.nonNegative(v, what);
  }

  /** A rate: 0..1. */
  optRate(v: unknown, what: string): number | undefined {
    if (v === undefined || v === null) return undefined;
    const n = this.number(v, what);
    if (n < 0 || n > 1) throw new K6FormatError(this.file, `${what} is ${n}: a rate must be within [0, 1]`);
    return n;
  }
}

/** Trend values in ms; k6 spells the percentiles `p(95)` in old summaries and `p95` in the machine-readable one. */
function latency(f: Fields, metric: string, values: Obj): LoadResult['latency_ms'] {
  const p95 = values['p(95)'] ?? values.p95;
  if (p95 === undefined) {
    throw new K6FormatError(f.file, `${metric} has no p(95) value (add "p(95)" to k6's summaryTrendStats)`);
  }
  const out: LoadResult['latency_ms'] = { p95: f.nonNegative(p95, `${metric} p(95)`) };
  const p90 = f.optNonNegative(values['p(90)'] ?? values.p90, `${metric} p(90)`);
  if (p90 !== undefined) out.p90 = p90;
  for (const k of ['med', 'avg', 'min', 'max'] as const) {
    const v = f.optNonNegative(values[k], `${metric} ${k}`);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * The numbers every summary format carries, read from its own spellings by the caller: metric
 * values by key (`http_req_duration`, `http_req_duration{name:x}`, ...) and how to count failures.
 */
interface SummaryView {
  f: Fields;
  keys: readonly string[];
  values(key: string): Obj | undefined;
  /** Failed requests in an http_req_failed metric's values (`passes` in old summaries, `matches` in 1.x). */
  failedOf(values: Obj, key: string): number;
}

function requestsOf(v: SummaryView, key: string): number | undefined {
  const reqs = v.values(key);
  return reqs ? v.f.nonNegative(reqs.count, `${key} count`) : undefined;
}

function failedOf(v: SummaryView, key: string, requests: number): number | undefined {
  const values = v.values(key);
  if (!values) return undefined;
  const failed = v.failedOf(values, key);
  v.f.optRate(values.rate ?? values.value, `${key} rate`);
  if (failed > requests)
    throw new K6FormatError(v.f.file, `${key} counts ${failed} failed requests of only ${requests} (http_reqs count)`);
  return failed;
}

/** Per-endpoint rows from sub-metrics such as `http_req_duration{name:messages}` (k6 writes those a threshold names). */
function endpointsOf(v: SummaryView): EndpointResult[] | undefined {
  const rows: EndpointResult[] = [];
  for (const key of v.keys) {
    const m = /^http_req_duration\{(name|url):(.*)\}$/.exec(key);
    if (!m) continue;
    const values = v.values(key);
    if (!values) continue;
    const tag = `{${m[1]}:${m[2]}}`;
    const row: EndpointResult = { name: m[2]!, p95_ms: latency(v.f, key, values).p95 };
    const requests = requestsOf(v, `http_reqs${tag}`);
    if (requests !== undefined) {
      row.requests = requests;
      const failed = failedOf(v, `http_req_failed${tag}`, requests);
      if (failed !== undefined) {
        row.failed_requests = failed;
        row.error_rate = requests > 0 ? failed / requests : Number.NaN;
      }
    }
    rows.push(row);
  }
  return rows.length > 0 ? rows : undefined;
}

function checksOf(f: Fields, passes: unknown, fails: unknown): LoadResult['checks'] {
  const p = f.optNonNegative(passes, 'checks passes');
  const n = f.optNonNegative(fails, 'checks fails');
  if (p === undefined || n === undefined || p + n === 0) return undefined;
  return { passes: p, fails: n, rate: p / (p + n) };
}

/** Requests, failures, latency and endpoints: the part of a LoadResult every summary format gives the same way. */
function measured(
  v: SummaryView,
): Pick<LoadResult, 'requests' | 'failed_requests' | 'error_rate' | 'latency_ms' | 'endpoints'> {
  const requests = requestsOf(v, 'http_reqs') ?? 0;
  const duration = v.values('http_req_duration');
  if (requests === 0) {
    return {
      requests,
      failed_requests: 0,
      error_rate: Number.NaN,
      latency_ms: duration ? latency(v.f, 'http_req_duration', duration) : { p95: Number.NaN },
    };
  }
  const failed = failedOf(v, 'http_req_failed', requests);
  // Without http_req_failed we cannot know the error rate; guessing 0 would be a silent pass.
  if (failed === undefined)
    throw new K6FormatError(v.f.file, 'has http_reqs but no http_req_failed metric (k6 v0.31 or later writes it)');
  if (!duration)
    throw new K6FormatError(
      v.f.file,
      `has ${requests} HTTP requests (http_reqs) but no http_req_duration metric: no latency to judge`,
    );
  const out: ReturnType<typeof measured> = {
    requests,
    failed_requests: failed,
    error_rate: failed / requests,
    latency_ms: latency(v.f, 'http_req_duration', duration),
  };
  const endpoints = endpointsOf(v);
  if (endpoints) out.endpoints = endpoints;
  return out;
}

function thresholdsFrom(metrics: Obj, okOf: (raw: unknown) => boolean | undefined, file: string): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const [metric, m] of Object.entries(metrics)) {
    if (!isObj(m) || !isObj(m.thresholds)) continue;
    for (const [expression, raw] of Object.entries(m.thresholds)) {
      const ok = okOf(raw);
      if (ok === undefined)
        throw new K6FormatError(
          file,
          `threshold "${expression}" of ${metric} has an unexpected value ${JSON.stringify(raw)}`,
        );
      out.push({ metric, expression, ok });
    }
  }
  return out.sort((a, b) =>
    a.metric === b.metric ? a.expression.localeCompare(b.expression) : a.metric.localeCompare(b.metric),
  );
}

export function readSummaryExport(doc: unknown, file: string): LoadResult {
  const metrics = (doc as Obj).metrics as Obj;
  const f = new Fields(file);
  const values = (k: string): Obj | undefined => (isObj(metrics[k]) ? metrics[k] : undefined);
  const result: LoadResult = {
    source: { format: 'summary-export', file },
    // Trap: in http_req_failed (a rate), `passes` counts the FAILED requests.
    ...measured({ f, keys: Object.keys(metrics), values, failedOf: (v, k) => f.nonNegative(v.passes, `${k} passes`) }),
    // Trap: here a threshold's value `true` means it FAILED.
    thresholds: thresholdsFrom(metrics, (raw) => (typeof raw === 'boolean' ? !raw : undefined), file),
  };
  const checks = values('checks');
  const c = checks ? checksOf(f, checks.passes, checks.fails) : undefined;
  if (c) result.checks = c;
  const rate = f.optNonNegative(values('http_reqs')?.rate, 'http_reqs rate');
  if (rate && result.requests > 0) result.duration_s = result.requests / rate;
  return result;
}

export function readHandleSummary(doc: unknown, file: string): LoadResult {
  const d = doc as Obj;
  const metrics = d.metrics as Obj;
  const f = new Fields(file);
  const values = (k: string): Obj | undefined => {
    const m = metrics[k];
    return isObj(m) && isObj(m.values) ? m.values : undefined;
  };
  const result: LoadResult = {
    source: { format: 'handle-summary', file },
    ...measured({ f, keys: Object.keys(metrics), values, failedOf: (v, k) => f.nonNegative(v.passes, `${k} passes`) }),
    thresholds: thresholdsFrom(
      metrics,
      (raw) => (isObj(raw) && typeof raw.ok === 'boolean' ? raw.ok : undefined),
      file,
    ),
  };
  const checks = values('checks');
  const c = checks ? checksOf(f, checks.passes, checks.fails) : undefined;
  if (c) result.checks = c;
  const state = isObj(d.state) ? d.state : undefined;
  const ms = state ? f.optNonNegative(state.testRunDurationMs, 'state.testRunDurationMs') : undefined;
  if (ms !== undefined) result.duration_s = ms / 1000;
  return result;
}

export function readMachineReadableSummary(doc: unknown, file: string): LoadResult {
  const d = doc as Obj;
  const version = d.version as string;
  if (!/^1\./.test(version))
    throw new K6FormatError(file, `unsupported machine-readable summary version "${version}" (expected 1.x)`);
  const f = new Fields(file);
  const results = d.results as Obj;
  const byName = new Map<string, Obj>();
  const collect = (list: unknown): void => {
    if (Array.isArray(list))
      for (const m of list) if (isObj(m) && typeof m.name === 'string' && isObj(m.values)) byName.set(m.name, m.values);
  };
  collect(results.metrics);
  if (isObj(results.checks)) collect(results.checks.metrics);
  const result: LoadResult = {
    source: { format: 'machine-readable', file },
    // For http_req_failed, `matches` counts failed requests.
    ...measured({
      f,
      keys: [...byName.keys()],
      values: (k) => byName.get(k),
      failedOf: (v, k) => {
        const matches = f.nonNegative(v.matches, `${k} matches`);
        const total = f.optNonNegative(v.total, `${k} total`);
        if (total !== undefined && matches > total)
          throw new K6FormatError(file, `${k} matches (${matches}) is more than its total (${total})`);
        return matches;
      },
    }),
    thresholds: [],
  };
  const meta = isObj(d.metadata) ? d.metadata : undefined;
  const k6v = meta ? (meta.k6_version ?? meta.k6Version) : undefined;
  if (typeof k6v === 'string') result.source.k6_version = k6v;
  const succeeded = byName.get('checks_succeeded') ?? byName.get('checks');
  if (succeeded) {
    const passes = f.optNonNegative(succeeded.matches ?? succeeded.passes, 'checks matches');
    const total = f.optNonNegative(succeeded.total, 'checks total');
    if (passes !== undefined && total !== undefined && passes > total)
      throw new K6FormatError(file, `checks matches (${passes}) is more than its total (${total})`);
    const c = checksOf(f, passes, total !== undefined && passes !== undefined ? total - passes : succeeded.fails);
    if (c) result.checks = c;
  }
  const config = isObj(d.config) ? d.config : undefined;
  const s = config ? f.optNonNegative(config.duration, 'config.duration') : undefined;
  if (s !== undefined) result.duration_s = s;
  return result;
}
