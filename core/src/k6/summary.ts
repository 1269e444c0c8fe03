/**
 * Readers for the three pre-aggregated k6 JSON summaries. Each reduces to the same LoadResult,
 * so the forms of one run agree. The format is recognised from the document's shape only.
 */
import type { K6Format, LoadResult, ThresholdResult } from '../load-result.js';
import { EXPECTED_FORMATS, K6FormatError } from './errors.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The summary formats, told apart by content (never by file name). Undefined when none fits. */
export function detectSummaryFormat(doc: unknown): Exclude<K6Format, 'ndjson' | 'builtin-driver'> | undefined {
  if (!isObj(doc)) return undefined;
  const results = doc.results;
  if (typeof doc.version === 'string' && isObj(results) && Array.isArray(results.metrics)) return 'machine-readable';
  const metrics = doc.metrics;
  if (!isObj(metrics) || !isObj(doc.root_group)) return undefined;
  // handleSummary data wraps every metric's numbers in `values` and carries options/state.
  const entries = Object.values(metrics);
  if (entries.some((m) => isObj(m) && isObj(m.values)) || isObj(doc.state) || isObj(doc.options))
    return 'handle-summary';
  if (entries.every((m) => isObj(m) && !('values' in m))) return 'summary-export';
  return undefined;
}

function num(file: string, v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new K6FormatError(file, `${what} must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

function optNum(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Trend values in ms; k6 spells the percentiles `p(95)` in old summaries and `p95` in the machine-readable one. */
function latency(file: string, metric: string, values: Obj | undefined): LoadResult['latency_ms'] {
  if (!values) return { p95: Number.NaN };
  const p95 = values['p(95)'] ?? values.p95;
  if (p95 === undefined) {
    throw new K6FormatError(file, `${metric} has no p(95) value (add "p(95)" to k6's summaryTrendStats)`);
  }
  const out: LoadResult['latency_ms'] = { p95: num(file, p95, `${metric} p(95)`) };
  const p90 = optNum(values['p(90)'] ?? values.p90);
  if (p90 !== undefined) out.p90 = p90;
  for (const k of ['med', 'avg', 'min', 'max'] as const) {
    const v = optNum(values[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function failed(
  file: string,
  requests: number,
  failedCount: number | undefined,
): { failed_requests: number; error_rate: number } {
  if (requests === 0) return { failed_requests: 0, error_rate: Number.NaN };
  if (failedCount === undefined) {
    // Without http_req_failed we cannot know the error rate; guessing 0 would be a silent pass.
    throw new K6FormatError(file, 'has http_reqs but no http_req_failed metric (k6 v0.31 or later writes it)');
  }
  return { failed_requests: failedCount, error_rate: failedCount / requests };
}

function checksFrom(passes: number | undefined, fails: number | undefined): LoadResult['checks'] {
  if (passes === undefined || fails === undefined || passes + fails === 0) return undefined;
  return { passes, fails, rate: passes / (passes + fails) };
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

function fromSummaryExport(doc: Obj, file: string): LoadResult {
  const metrics = doc.metrics as Obj;
  const get = (k: string): Obj | undefined => (isObj(metrics[k]) ? (metrics[k] as Obj) : undefined);
  const reqs = get('http_reqs');
  const requests = reqs ? num(file, reqs.count, 'http_reqs count') : 0;
  // Trap: in http_req_failed (a rate), `passes` counts the FAILED requests.
  const f = get('http_req_failed');
  const checks = get('checks');
  const rate = reqs ? optNum(reqs.rate) : undefined;
  const result: LoadResult = {
    source: { format: 'summary-export', file },
    requests,
    ...failed(file, requests, f ? num(file, f.passes, 'http_req_failed passes') : undefined),
    latency_ms: latency(file, 'http_req_duration', get('http_req_duration')),
    // Trap: here a threshold's value `true` means it FAILED.
    thresholds: thresholdsFrom(metrics, (raw) => (typeof raw === 'boolean' ? !raw : undefined), file),
  };
  const c = checks ? checksFrom(optNum(checks.passes), optNum(checks.fails)) : undefined;
  if (c) result.checks = c;
  if (rate && requests > 0) result.duration_s = requests / rate;
  return result;
}

function fromHandleSummary(doc: Obj, file: string): LoadResult {
  const metrics = doc.metrics as Obj;
  const values = (k: string): Obj | undefined => {
    const m = metrics[k];
    return isObj(m) && isObj(m.values) ? m.values : undefined;
  };
  const reqs = values('http_reqs');
  const requests = reqs ? num(file, reqs.count, 'http_reqs count') : 0;
  const f = values('http_req_failed');
  const checks = values('checks');
  const result: LoadResult = {
    source: { format: 'handle-summary', file },
    requests,
    ...failed(file, requests, f ? num(file, f.passes, 'http_req_failed passes') : undefined),
    latency_ms: latency(file, 'http_req_duration', values('http_req_duration')),
    thresholds: thresholdsFrom(
      metrics,
      (raw) => (isObj(raw) && typeof raw.ok === 'boolean' ? raw.ok : undefined),
      file,
    ),
  };
  const c = checks ? checksFrom(optNum(checks.passes), optNum(checks.fails)) : undefined;
  if (c) result.checks = c;
  const state = isObj(doc.state) ? doc.state : undefined;
  const ms = state ? optNum(state.testRunDurationMs) : undefined;
  if (ms !== undefined) result.duration_s = ms / 1000;
  return result;
}

function fromMachineReadable(doc: Obj, file: string): LoadResult {
  const version = doc.version as string;
  if (!/^1\./.test(version))
    throw new K6FormatError(file, `unsupported machine-readable summary version "${version}" (expected 1.x)`);
  const results = doc.results as Obj;
  const byName = new Map<string, Obj>();
  for (const m of results.metrics as unknown[]) {
    if (isObj(m) && typeof m.name === 'string' && isObj(m.values)) byName.set(m.name, m.values);
  }
  const checksObj = isObj(results.checks) ? results.checks : undefined;
  if (checksObj && Array.isArray(checksObj.metrics)) {
    for (const m of checksObj.metrics)
      if (isObj(m) && typeof m.name === 'string' && isObj(m.values)) byName.set(m.name, m.values);
  }
  const reqs = byName.get('http_reqs');
  const requests = reqs ? num(file, reqs.count, 'http_reqs count') : 0;
  // For http_req_failed, `matches` counts failed requests.
  const f = byName.get('http_req_failed');
  const result: LoadResult = {
    source: { format: 'machine-readable', file },
    requests,
    ...failed(file, requests, f ? num(file, f.matches, 'http_req_failed matches') : undefined),
    latency_ms: latency(file, 'http_req_duration', byName.get('http_req_duration')),
    thresholds: [],
  };
  const meta = isObj(doc.metadata) ? doc.metadata : undefined;
  const k6v = meta ? (meta.k6_version ?? meta.k6Version) : undefined;
  if (typeof k6v === 'string') result.source.k6_version = k6v;
  const succeeded = byName.get('checks_succeeded') ?? byName.get('checks');
  if (succeeded) {
    const passes = optNum(succeeded.matches ?? succeeded.passes);
    const total = optNum(succeeded.total);
    const c = checksFrom(
      passes,
      total !== undefined && passes !== undefined ? total - passes : optNum(succeeded.fails),
    );
    if (c) result.checks = c;
  }
  const config = isObj(doc.config) ? doc.config : undefined;
  const d = config ? optNum(config.duration) : undefined;
  if (d !== undefined) result.duration_s = d;
  return result;
}

/** Reduces an already parsed k6 JSON summary to a LoadResult; `file` names it in errors. */
export function loadResultFromSummary(doc: unknown, file: string): LoadResult {
  const format = detectSummaryFormat(doc);
  switch (format) {
    case 'summary-export':
      return fromSummaryExport(doc as Obj, file);
    case 'handle-summary':
      return fromHandleSummary(doc as Obj, file);
    case 'machine-readable':
      return fromMachineReadable(doc as Obj, file);
    default:
      throw new K6FormatError(file, `JSON of an unknown shape; ${EXPECTED_FORMATS}`);
  }
}
