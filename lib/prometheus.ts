/**
 * A small client for the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), shared by
 * the canary (instant p95, per-interval histogram increases) and the smoke gate (error budget
 * spent over the SLO window). Every failure is a `PrometheusError` subclass whose message is one
 * readable line naming the server and the reason, so callers can print it as is.
 *
 * Authentication: credentials in the URL (`https://user:pass@host/prom`, Grafana Cloud) become an
 * `Authorization: Basic` header and are stripped from the URL fetched; extra headers (a bearer
 * token, Mimir's `X-Scope-OrgID`) are sent with every request. Messages name the server by the URL
 * without its credentials (`redactUrl`), and never contain a header value.
 */
import { InputError, parseHttpUrl, redactUrl } from './inputs.js';

export { redactUrl };

export type PrometheusErrorKind = 'unreachable' | 'timeout' | 'aborted' | 'http' | 'auth' | 'api' | 'result';

export class PrometheusError extends Error {
  override name = 'PrometheusError';
  constructor(
    readonly kind: PrometheusErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** No TCP/HTTP exchange happened (refused, DNS, reset...). */
export class PrometheusUnreachableError extends PrometheusError {
  override name = 'PrometheusUnreachableError';
  constructor(
    baseUrl: string,
    readonly reason: string,
  ) {
    super('unreachable', `Prometheus at ${baseUrl} is unreachable (${reason})`);
  }
}

/** The server did not answer within the client's timeout. */
export class PrometheusTimeoutError extends PrometheusError {
  override name = 'PrometheusTimeoutError';
  constructor(
    baseUrl: string,
    readonly timeoutMs: number,
  ) {
    super('timeout', `Prometheus at ${baseUrl} did not answer within ${timeoutMs} ms`);
  }
}

/** An HTTP answer that is not the Prometheus API's JSON envelope (proxy error page, wrong URL). */
export class PrometheusHttpError extends PrometheusError {
  override name = 'PrometheusHttpError';
  constructor(
    baseUrl: string,
    readonly status: number,
  ) {
    super('http', `Prometheus at ${baseUrl} answered HTTP ${status} with a body that is not the API's JSON`);
  }
}

/** 401/403: the server (or the proxy in front of it) wants other credentials, or some. */
export class PrometheusAuthError extends PrometheusError {
  override name = 'PrometheusAuthError';
  constructor(
    baseUrl: string,
    readonly status: number,
    readonly sentCredentials: boolean,
  ) {
    super(
      'auth',
      sentCredentials
        ? `Prometheus at ${baseUrl} refused the credentials (HTTP ${status})`
        : `Prometheus at ${baseUrl} requires authentication (HTTP ${status}) and no credentials were sent: put user:password in the URL or send an Authorization header`,
    );
  }
}

/** The API answered `status: "error"` (bad PromQL, query timeout on the server...). */
export class PrometheusApiError extends PrometheusError {
  override name = 'PrometheusApiError';
  constructor(
    baseUrl: string,
    readonly status: number,
    readonly errorType: string,
    readonly error: string,
  ) {
    super('api', `Prometheus at ${baseUrl} rejected the query (HTTP ${status}, ${errorType}: ${error})`);
  }
}

/** The query succeeded but its result has another type than the call needs. */
export class PrometheusResultError extends PrometheusError {
  override name = 'PrometheusResultError';
  constructor(
    readonly expected: string,
    readonly resultType: string,
    readonly query: string,
  ) {
    super(
      'result',
      `Prometheus ${expected === 'matrix' ? 'range query' : 'query'} did not return a ${expected} (got ${resultType}): ${query}`,
    );
  }
}

export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}
export interface MatrixSeries {
  metric: Record<string, string>;
  values: Array<[number, number]>;
}

interface ApiResponse {
  status?: 'success' | 'error';
  data?: { resultType: string; result: unknown[] };
  errorType?: string;
  error?: string;
}

/** Percent-decoded userinfo; a malformed escape (`%ZZ`) stays as written. */
function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The `Authorization: Basic` value of the URL's userinfo, or undefined when it has none. */
export function basicAuthFromUrl(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (!u.username && !u.password) return undefined;
  const userPass = `${decode(u.username)}:${decode(u.password)}`;
  return `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}`;
}

/** RFC 9110 token: the characters a header name may have. */
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A field value: visible ASCII, spaces, tabs and obs-text; no control characters. */
const HEADER_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * `Name: value` lines (an action's multiline input, or one per repeated flag) to headers. Blank
 * lines are skipped; a malformed line is an InputError naming its number (`unit` n, counted from 1
 * over all lines) and never its text, which may hold a token. A name given twice is an error too.
 */
export function parseHeaderLines(label: string, lines: readonly string[], unit = 'line'): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${label} ${unit} ${i + 1}`;
    const colon = line.indexOf(':');
    if (colon < 0) throw new InputError(`${where} is not a "Name: value" header (no colon)`);
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (!HEADER_NAME_RE.test(name))
      throw new InputError(`${where}: the header name before the colon is not a valid HTTP header name`);
    if (value === '') throw new InputError(`${where}: header ${name} has an empty value`);
    if (!HEADER_VALUE_RE.test(value))
      throw new InputError(`${where}: the value of header ${name} contains control characters`);
    const key = name.toLowerCase();
    if (seen.has(key)) throw new InputError(`${where}: header ${name} is given twice`);
    seen.set(key, name);
    out[name] = value;
  });
  return out;
}

/**
 * The strings a CI log must mask for this URL and these header lines: the URL's password (as
 * written and decoded) and every header value (whole, and the credential after an auth scheme
 * such as `Bearer`), each of 4 characters or more. Tolerant of malformed lines (the whole line is
 * masked), so it can run before parsing, i.e. before anything can be logged.
 */
export function prometheusSecrets(rawUrl: string, headerLines: readonly string[]): string[] {
  const out = new Set<string>();
  // Under 4 characters nothing is a credential, and masking it ("a", "eu") would garble the whole log.
  const add = (s: string): void => {
    const t = s.trim();
    if (t.length >= 4) out.add(t);
  };
  try {
    const u = new URL(rawUrl);
    if (u.password) {
      add(u.password);
      add(decode(u.password));
    }
    const basic = basicAuthFromUrl(rawUrl);
    if (basic) add(basic.slice('Basic '.length));
  } catch {
    // Not a URL: mask whatever sits where userinfo would.
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/*([^/?#]*)@/.exec(rawUrl);
    if (m?.[1]) add(m[1]);
  }
  const withCredential = (v: string): void => {
    add(v);
    const scheme = /^[A-Za-z][A-Za-z0-9-]*\s+(\S.*)$/.exec(v.trim());
    if (scheme?.[1]) add(scheme[1]);
  };
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    // A line without a colon is malformed (and refused): mask all of it, e.g. "Bearer <token>".
    withCredential(colon < 0 ? line : line.slice(colon + 1));
  }
  return [...out];
}

/**
 * A Prometheus URL and its headers checked together, one rule for every shell: an http(s) URL, and
 * credentials given once (user:password in the URL, or an Authorization header, not both). Errors
 * are InputErrors naming `label`, never a credential. `basicAuth`: the URL holds user:password.
 */
export function checkPrometheusTarget(
  label: string,
  rawUrl: string,
  headers: Record<string, string>,
): { url: URL; basicAuth: boolean } {
  const url = parseHttpUrl(label, rawUrl);
  const basicAuth = Boolean(url.username || url.password);
  if (basicAuth && Object.keys(headers).some((k) => k.toLowerCase() === 'authorization'))
    throw new InputError(`${label} holds user:password and an Authorization header is given too: use one of them`);
  return { url, basicAuth };
}

export interface PrometheusClientOptions {
  /** Per request, body included. Default 10 s. */
  timeoutMs?: number;
  /** Sent with every request; an Authorization here wins over credentials in the URL. */
  headers?: Record<string, string>;
}

export class PrometheusClient {
  /** The base URL without credentials: the one fetched, and the one every message names. */
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;

  /** `options` as a number: the timeout in ms. */
  constructor(baseUrl: string, options: number | PrometheusClientOptions = {}) {
    const o = typeof options === 'number' ? { timeoutMs: options } : options;
    this.baseUrl = redactUrl(baseUrl);
    this.timeoutMs = o.timeoutMs ?? 10_000;
    const basic = basicAuthFromUrl(baseUrl);
    const explicitAuth = Object.keys(o.headers ?? {}).some((k) => k.toLowerCase() === 'authorization');
    this.headers = { ...(basic && !explicitAuth && { Authorization: basic }), ...o.headers };
  }

  /** `signal` lets a caller abort earlier than the client's own timeout (e.g. on SIGTERM). */
  private async get(
    path: string,
    params: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<NonNullable<ApiResponse['data']>> {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    let body: ApiResponse | undefined;
    try {
      res = await fetch(url, {
        headers: this.headers,
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
      // The body is read under the same signal: a server that stalls mid-body is a timeout too.
      body = (await res.json().catch((err: unknown) => {
        if (timeout.aborted || signal?.aborted) throw err;
        return undefined;
      })) as ApiResponse | undefined;
    } catch (err) {
      if (timeout.aborted) throw new PrometheusTimeoutError(this.baseUrl, this.timeoutMs);
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (signal?.aborted) throw new PrometheusError('aborted', `query to Prometheus at ${this.baseUrl} aborted`);
      // Without a cause fetch refused to build the request; its message may quote a header value.
      if (!e.cause)
        throw new PrometheusUnreachableError(this.baseUrl, 'the request could not be built: check the URL and headers');
      throw new PrometheusUnreachableError(this.baseUrl, e.cause.code ?? e.cause.message ?? e.message);
    }
    // Whatever the body: a proxy's 401 may well be JSON, but it is never the API's answer.
    if (res.status === 401 || res.status === 403)
      throw new PrometheusAuthError(this.baseUrl, res.status, Object.keys(this.headers).length > 0);
    if (body?.status === 'error' || (body?.status === 'success' && !body.data)) {
      throw new PrometheusApiError(this.baseUrl, res.status, body.errorType ?? 'error', body.error ?? 'no detail');
    }
    if (body?.status !== 'success' || !body.data) throw new PrometheusHttpError(this.baseUrl, res.status);
    return body.data;
  }

  /** Cheap reachability check, used before anything is deployed. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.get('api/v1/query', { query: '1' }, signal);
  }

  /** Instant query; `timeS` is a Unix time in seconds (default: the server's now). */
  async query(promql: string, timeS?: number, signal?: AbortSignal): Promise<VectorSample[]> {
    const data = await this.get(
      'api/v1/query',
      { query: promql, ...(timeS !== undefined && { time: String(timeS) }) },
      signal,
    );
    if (data.resultType !== 'vector') throw new PrometheusResultError('vector', data.resultType, promql);
    return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({
      metric: r.metric,
      value: Number(r.value[1]),
    }));
  }

  async queryRange(
    promql: string,
    startS: number,
    endS: number,
    stepS: number,
    signal?: AbortSignal,
  ): Promise<MatrixSeries[]> {
    const data = await this.get(
      'api/v1/query_range',
      { query: promql, start: String(startS), end: String(endS), step: String(stepS) },
      signal,
    );
    if (data.resultType !== 'matrix') throw new PrometheusResultError('matrix', data.resultType, promql);
    return (data.result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>).map((r) => ({
      metric: r.metric,
      values: r.values.map(([t, v]) => [t, Number(v)] as [number, number]),
    }));
  }
}
