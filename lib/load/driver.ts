/**
 * Built-in load driver on autocannon: what `npm run smoke` and the canary use when k6 is not on
 * PATH. Keeps every response as a sample (latency, status, request name) so that percentiles and
 * their confidence intervals are computed from points by the same rules as for k6 output.
 */
import autocannon from 'autocannon';
import type { LoadResult } from '#core/load-result.js';
import { percentileSorted } from '#core/stats/percentile.js';
import { quantileCI } from '#core/stats/quantile-ci.js';

export interface RequestSpec {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request's outcome. `ok` = status < 400 (k6 `http_req_failed` semantics); status 0 = no response (connection error or timeout), latency NaN. */
export interface Sample {
  t_ms: number;
  latency_ms: number;
  status: number;
  ok: boolean;
  name: string;
}

export interface DriveOptions {
  baseUrl: string;
  requests: RequestSpec[];
  connections: number;
  durationS: number;
  maxRequests: number;
  /** Overall requests per second across connections; unset = as fast as the service answers. */
  ratePerSecond?: number;
  /** Per-request timeout in seconds (default 10). */
  timeoutS?: number;
  /**
   * Hosts the user named explicitly (a baseline URL, a deploy command's canary URL): load may go
   * there too. Anything not named stays loopback-only.
   */
  namedHosts?: readonly string[];
}

export class LoadDriverError extends Error {
  override name = 'LoadDriverError';
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Load goes only to this machine: a typo in a URL must never load someone else's server. */
export function assertLoopback(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new LoadDriverError(`invalid base URL ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new LoadDriverError(`base URL must be http(s), got ${url.protocol}`);
  if (!LOOPBACK.has(url.hostname) && !/^127(\.\d{1,3}){3}$/.test(url.hostname)) {
    throw new LoadDriverError(
      `refusing to send load to ${url.hostname}: only loopback hosts (127.0.0.0/8, ::1, localhost) are allowed`,
    );
  }
  return url;
}

/** A target the driver may load: loopback, or a host the user named (`namedHosts`), over http(s). */
export function checkTarget(baseUrl: string, namedHosts: readonly string[] = []): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new LoadDriverError(`invalid base URL ${JSON.stringify(baseUrl)}`);
  }
  if ((url.protocol === 'http:' || url.protocol === 'https:') && namedHosts.includes(url.hostname.toLowerCase()))
    return url;
  return assertLoopback(baseUrl);
}

function validate(opts: DriveOptions): URL {
  const url = checkTarget(opts.baseUrl, opts.namedHosts);
  if (opts.requests.length === 0) throw new LoadDriverError('no requests to send');
  for (const [k, v] of [
    ['connections', opts.connections],
    ['durationS', opts.durationS],
    ['maxRequests', opts.maxRequests],
  ] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new LoadDriverError(`${k} must be a positive number, got ${v}`);
  }
  if (opts.ratePerSecond !== undefined && !(opts.ratePerSecond > 0))
    throw new LoadDriverError(`ratePerSecond must be positive, got ${opts.ratePerSecond}`);
  return url;
}

/**
 * Sends the requests in turn on each connection until `durationS` elapses, `maxRequests`
 * samples are collected, or `signal` aborts; resolves with the samples (never more than maxRequests).
 */
export function drive(opts: DriveOptions, signal?: AbortSignal): Promise<Sample[]> {
  let url: URL;
  try {
    url = validate(opts);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  const maxRequests = Math.floor(opts.maxRequests);
  const samples: Sample[] = [];
  if (signal?.aborted) return Promise.resolve(samples);
  const connections = Math.max(1, Math.min(Math.floor(opts.connections), maxRequests));
  // autocannon calls a request's onResponse synchronously right before it emits 'response' with
  // the latency, so the name recorded here belongs to the response reported next.
  let lastName = '';
  const requests = opts.requests.map((r) => ({
    method: r.method,
    path: r.path,
    headers: r.headers ?? {},
    ...(r.body !== undefined && { body: r.body }),
    onResponse: () => {
      lastName = r.name;
    },
  }));

  return new Promise<Sample[]>((resolve, reject) => {
    const start = performance.now();
    let instance: autocannon.Instance;
    const push = (s: Sample): void => {
      if (samples.length >= maxRequests) return;
      samples.push(s);
      if (samples.length >= maxRequests) instance.stop();
    };
    const onAbort = (): void => instance.stop();
    try {
      instance = autocannon(
        {
          url: url.origin,
          connections,
          duration: opts.durationS,
          maxOverallRequests: maxRequests,
          timeout: opts.timeoutS ?? 10,
          // autocannon checks its stop flag once per sample interval: keep it short so a bound stops promptly.
          sampleInt: 100,
          ...(opts.ratePerSecond !== undefined && { overallRate: opts.ratePerSecond }),
          requests,
        },
        (err) => {
          signal?.removeEventListener('abort', onAbort);
          if (err) reject(new LoadDriverError(`load driver failed: ${(err as Error).message ?? String(err)}`));
          else resolve(samples);
        },
      );
    } catch (err) {
      reject(new LoadDriverError(`load driver failed to start: ${(err as Error).message}`));
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      push({
        t_ms: performance.now() - start,
        latency_ms: responseTime,
        status: statusCode,
        ok: statusCode < 400,
        name: lastName,
      });
      lastName = '';
    });
    instance.on('reqError', () => {
      push({ t_ms: performance.now() - start, latency_ms: Number.NaN, status: 0, ok: false, name: 'request_error' });
    });
  });
}

/**
 * Reduces samples to the LoadResult the gate reads. Requests without a response (status 0) count
 * as failed but carry no latency, so they weigh on the error rate and not on the percentiles.
 */
export function samplesToLoadResult(samples: Sample[], durationS?: number): LoadResult {
  const latencies = Float64Array.from(
    samples.filter((s) => Number.isFinite(s.latency_ms)).map((s) => s.latency_ms),
  ).sort();
  const failed = samples.filter((s) => !s.ok).length;
  const n = latencies.length;
  const sum = latencies.reduce((a, b) => a + b, 0);
  const result: LoadResult = {
    source: { format: 'builtin-driver' },
    requests: samples.length,
    failed_requests: failed,
    error_rate: samples.length === 0 ? Number.NaN : failed / samples.length,
    latency_ms: {
      p95: percentileSorted(latencies, 0.95),
      p90: percentileSorted(latencies, 0.9),
      med: percentileSorted(latencies, 0.5),
      avg: n === 0 ? Number.NaN : sum / n,
      min: n === 0 ? Number.NaN : latencies[0]!,
      max: n === 0 ? Number.NaN : latencies[n - 1]!,
    },
    thresholds: [],
  };
  const ci = quantileCI(latencies, 0.95);
  if (ci) result.p95_ci_ms = [ci.lower, ci.upper];
  const measured =
    durationS ?? (samples.length > 0 ? samples.reduce((m, s) => Math.max(m, s.t_ms), 0) / 1000 : undefined);
  if (measured !== undefined) result.duration_s = measured;
  return result;
}

export { smokeRequests, signWebhook, DEV_APP_SECRET } from './scenario.js';
