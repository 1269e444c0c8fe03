/**
 * Hours of service metrics for a real Prometheus, written as OpenMetrics text with timestamps for
 * `promtool tsdb create-blocks-from openmetrics` (startPrometheusWith({ backfill })): the counters
 * and histogram the service exports (`tenant_request_total`, `tenant_request_errors`,
 * `http_request_duration_seconds` with its bucket at 450 ms), as if scraped every `stepS` seconds,
 * in phases of constant error and slow-request ratios. `trueRatio` says what a window of that
 * history holds, so a test compares what Prometheus answers with what was written, not with a
 * number typed in.
 *
 * Each scenario carries its own `scenario` label, so one Prometheus holds them all and a query
 * picks one with a selector. Every scrape also counts /metrics requests, all fast, which the
 * latency SLO must leave out.
 */

/** A stretch of constant traffic; phases run back to back and the last one ends at `end`. */
export interface Phase {
  durationS: number;
  /** Share of requests answered with a 5xx. */
  errorRatio: number;
  /** Share of served requests slower than 450 ms. */
  slowRatio: number;
}

export interface Scenario {
  name: string;
  /** Oldest first. */
  phases: Phase[];
}

export interface HistoryShape {
  /** Unix seconds of the last sample; a multiple of `stepS`. */
  end: number;
  stepS: number;
  /** Served requests per scrape interval (each phase's ratios times this are whole numbers). */
  requestsPerStep: number;
}

/** Scrapes of /metrics per interval: fast requests a latency query must not count. */
const SCRAPES_PER_STEP = 1;

function phaseAt(s: Scenario, shape: HistoryShape, t: number): Phase | undefined {
  let start = shape.end - s.phases.reduce((a, p) => a + p.durationS, 0);
  for (const p of s.phases) {
    if (t > start && t <= start + p.durationS) return p;
    start += p.durationS;
  }
  return undefined;
}

function counts(p: Phase, shape: HistoryShape): { errors: number; slow: number } {
  const errors = p.errorRatio * shape.requestsPerStep;
  const slow = p.slowRatio * shape.requestsPerStep;
  if (!Number.isInteger(Math.round(errors * 1e9) / 1e9) || !Number.isInteger(Math.round(slow * 1e9) / 1e9))
    throw new Error(`phase ${JSON.stringify(p)}: ratios times ${shape.requestsPerStep} must be whole requests`);
  return { errors: Math.round(errors), slow: Math.round(slow) };
}

/** The OpenMetrics document of all scenarios' histories (one sample per series per step). */
export function openMetricsHistory(scenarios: readonly Scenario[], shape: HistoryShape): string {
  const families: Record<string, string[]> = {
    tenant_request: ['# TYPE tenant_request counter'],
    tenant_request_errors: ['# TYPE tenant_request_errors unknown'],
    http_request_duration_seconds: ['# TYPE http_request_duration_seconds histogram'],
  };
  for (const s of scenarios) {
    const total = s.phases.reduce((a, p) => a + p.durationS, 0);
    const start = shape.end - total;
    let requests = 0;
    let errors = 0;
    let fast = 0;
    let scrapes = 0;
    const served = `method="POST",route="/webhook/whatsapp",scenario="${s.name}"`;
    const scrape = `method="GET",route="/metrics",scenario="${s.name}"`;
    for (let t = start; t <= shape.end; t += shape.stepS) {
      const p = phaseAt(s, shape, t);
      if (p) {
        const c = counts(p, shape);
        requests += shape.requestsPerStep;
        errors += c.errors;
        fast += shape.requestsPerStep - c.slow;
        scrapes += SCRAPES_PER_STEP;
      }
      families.tenant_request!.push(`tenant_request_total{tenant_id="default",scenario="${s.name}"} ${requests} ${t}`);
      families.tenant_request_errors!.push(
        `tenant_request_errors{tenant_id="default",scenario="${s.name}"} ${errors} ${t}`,
      );
      const h = families.http_request_duration_seconds!;
      h.push(
        `http_request_duration_seconds_bucket{${served},le="0.45"} ${fast} ${t}`,
        `http_request_duration_seconds_bucket{${served},le="+Inf"} ${requests} ${t}`,
        `http_request_duration_seconds_count{${served}} ${requests} ${t}`,
        `http_request_duration_seconds_bucket{${scrape},le="0.45"} ${scrapes} ${t}`,
        `http_request_duration_seconds_bucket{${scrape},le="+Inf"} ${scrapes} ${t}`,
        `http_request_duration_seconds_count{${scrape}} ${scrapes} ${t}`,
      );
    }
  }
  return `${Object.values(families)
    .map((lines) => lines.join('\n'))
    .join('\n')}\n# EOF\n`;
}

/**
 * The bad ratio of a window ending at `at` (a sample time), as the history was written: errors (or
 * slow served requests) over requests of the scrape intervals inside it. Prometheus's increase()
 * over the same samples extrapolates numerator and denominator alike, so its ratio is this one.
 */
export function trueRatio(
  s: Scenario,
  shape: HistoryShape,
  slo: 'error' | 'latency',
  windowS: number,
  at = shape.end,
): number {
  let bad = 0;
  let all = 0;
  for (let t = at - windowS + shape.stepS; t <= at; t += shape.stepS) {
    const p = phaseAt(s, shape, t);
    if (!p) continue;
    const c = counts(p, shape);
    bad += slo === 'error' ? c.errors : c.slow;
    all += shape.requestsPerStep;
  }
  return bad / all;
}
