/**
 * LoadResult: what any load source (a k6 output file in one of its formats, or the built-in
 * driver) is reduced to before the gate sees it. Every reader and driver produces this shape.
 */
export type K6Format = 'summary-export' | 'handle-summary' | 'ndjson' | 'machine-readable' | 'builtin-driver';
/** A result's source: one format, or `mixed` when several files of different formats were combined. */
export type SourceFormat = K6Format | 'mixed';

/** One file of several combined into one result. */
export interface ResultPart {
  file: string;
  format: Exclude<K6Format, 'builtin-driver'>;
  requests: number;
  failed_requests: number;
  /** This file's own p95, ms (NaN without requests). */
  p95_ms: number;
  duration_s?: number;
}

export interface ThresholdResult {
  /** Metric key as k6 writes it, e.g. `http_req_duration` or `http_req_duration{name:messages}`. */
  metric: string;
  /** The threshold expression, e.g. `p(95)<450`. */
  expression: string;
  /** true when the threshold held. (Mind the summary-export trap: there `true` means FAILED.) */
  ok: boolean;
  /** The file it comes from, when several files were combined (k6 judged it on that file's share only). */
  file?: string;
}

/** One endpoint's share of a run: a request name (k6's `name` tag, which defaults to the URL) or URL. */
export interface EndpointResult {
  name: string;
  /** Requests of this endpoint; undefined where the format does not count them per endpoint. */
  requests?: number;
  failed_requests?: number;
  /** failed_requests / requests; NaN when requests is 0. */
  error_rate?: number;
  /** http_req_duration p95 of this endpoint, ms (NaN when only an interval is known, see p95_range_ms). */
  p95_ms: number;
  /** Where several summaries were combined: the interval the endpoint's p95 lies in. */
  p95_range_ms?: [number, number];
}

export interface LoadResult {
  source: { format: SourceFormat; file?: string; k6_version?: string };
  /** Total HTTP requests (http_reqs count). */
  requests: number;
  /** Failed HTTP requests (http_req_failed matches / passes). */
  failed_requests: number;
  /** failed_requests / requests; NaN when requests is 0. */
  error_rate: number;
  /** http_req_duration percentiles and summary, milliseconds. p95 is NaN when only an interval is known (p95_range_ms). */
  latency_ms: { p95: number; p90?: number; med?: number; avg?: number; min?: number; max?: number };
  /**
   * Several summaries combined: the p95 of all requests is not known, only that it lies in this
   * interval (the smallest and the largest file's p95).
   */
  p95_range_ms?: [number, number];
  /**
   * Set when there were too many samples to keep each (more than 10 million): percentiles then come
   * from a histogram and are within this relative error of the exact ones.
   */
  percentile_error_bound?: number;
  /** The files combined into this result, when there were several. */
  parts?: ResultPart[];
  /** How the parts were combined, in one sentence. */
  combination?: string;
  /**
   * 95 % confidence interval of the p95 in ms, only where individual points are available
   * (NDJSON, built-in driver); undefined for pre-aggregated summaries.
   */
  p95_ci_ms?: [number, number];
  /** k6 check results, when the run had checks. */
  checks?: { passes: number; fails: number; rate: number };
  /** k6's own threshold results; empty when the format carries none (NDJSON, machine-readable). */
  thresholds: ThresholdResult[];
  /** Duration of the test run in seconds, when known. */
  duration_s?: number;
  /** Per endpoint, where the output names requests (NDJSON tags, `http_req_duration{name:...}` sub-metrics). */
  endpoints?: EndpointResult[];
}
