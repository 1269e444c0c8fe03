/**
 * A small client for the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), shared by
 * the canary (instant p95, per-interval histogram increases) and the smoke gate (error budget
 * spent over the SLO window). Every failure is a `PrometheusError` subclass whose message is one
 * readable line naming the server and the reason, so callers can print it as is.
 */
export type PrometheusErrorKind = 'unreachable' | 'timeout' | 'aborted' | 'http' | 'api' | 'result';

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

export class PrometheusClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

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
      res = await fetch(url, { signal: signal ? AbortSignal.any([timeout, signal]) : timeout });
      // The body is read under the same signal: a server that stalls mid-body is a timeout too.
      body = (await res.json().catch((err: unknown) => {
        if (timeout.aborted || signal?.aborted) throw err;
        return undefined;
      })) as ApiResponse | undefined;
    } catch (err) {
      if (timeout.aborted) throw new PrometheusTimeoutError(this.baseUrl, this.timeoutMs);
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (signal?.aborted) throw new PrometheusError('aborted', `query to Prometheus at ${this.baseUrl} aborted`);
      throw new PrometheusUnreachableError(this.baseUrl, e.cause?.code ?? e.cause?.message ?? e.message);
    }
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
