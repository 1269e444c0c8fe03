/**
 * A small client for the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`): enough
 * for the canary's instant p95 and its per-interval histogram bucket increases. Errors come back
 * as one readable line naming the server and the reason.
 */
export class PrometheusError extends Error {
  override name = 'PrometheusError';
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
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown[] };
  errorType?: string;
  error?: string;
}

export class PrometheusClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private async get(path: string, params: Record<string, string>): Promise<ApiResponse['data']> {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.cause?.code ?? e.cause?.message ?? e.message;
      throw new PrometheusError(`Prometheus at ${this.baseUrl} is unreachable (${why})`);
    }
    let body: ApiResponse;
    try {
      body = (await res.json()) as ApiResponse;
    } catch {
      throw new PrometheusError(
        `Prometheus at ${this.baseUrl} answered HTTP ${res.status} with a body that is not JSON`,
      );
    }
    if (body.status !== 'success' || !body.data) {
      throw new PrometheusError(
        `Prometheus at ${this.baseUrl} rejected the query (HTTP ${res.status}, ${body.errorType ?? 'error'}: ${body.error ?? 'no detail'})`,
      );
    }
    return body.data;
  }

  /** Cheap reachability check, used before anything is deployed. */
  async ping(): Promise<void> {
    await this.get('api/v1/query', { query: '1' });
  }

  async query(promql: string, timeS?: number): Promise<VectorSample[]> {
    const data = await this.get('api/v1/query', { query: promql, ...(timeS !== undefined && { time: String(timeS) }) });
    if (!data || data.resultType !== 'vector') {
      throw new PrometheusError(`Prometheus query did not return a vector: ${promql}`);
    }
    return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({
      metric: r.metric,
      value: Number(r.value[1]),
    }));
  }

  async queryRange(promql: string, startS: number, endS: number, stepS: number): Promise<MatrixSeries[]> {
    const data = await this.get('api/v1/query_range', {
      query: promql,
      start: String(startS),
      end: String(endS),
      step: String(stepS),
    });
    if (!data || data.resultType !== 'matrix') {
      throw new PrometheusError(`Prometheus range query did not return a matrix: ${promql}`);
    }
    return (data.result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>).map((r) => ({
      metric: r.metric,
      values: r.values.map(([t, v]) => [t, Number(v)] as [number, number]),
    }));
  }
}
