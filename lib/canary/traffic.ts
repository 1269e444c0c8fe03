/**
 * Synthetic traffic for one analysis interval: the same request mix at the same rate to baseline
 * and canary at once, bounded in count and time. Built-in driver: two drive() calls side by side;
 * k6 (when on PATH; v0.57+ runs TypeScript): k6/canary.ts, whose NDJSON points are split by their `target` tag.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanK6Points, type PointMetric } from '#core/k6/points.js';
import { drive, smokeRequests, type Sample } from '../load/driver.js';
import { repoFile } from '../load/scenario.js';
import type { CanaryPlan } from '#core/canary/plan.js';
import { k6Failure, runK6 } from '../k6/run.js';

const CANARY_METRICS: readonly PointMetric[] = [{ name: 'http_req_duration', values: 'duration' }];

export interface IntervalSamples {
  baseline: Sample[];
  canary: Sample[];
}

export interface TrafficSource {
  /** Unjudged requests to both, so a cold canary (JIT, connection pools) is not compared with a warm baseline. */
  warmup(signal?: AbortSignal): Promise<void>;
  runInterval(signal?: AbortSignal): Promise<IntervalSamples>;
}

/**
 * Hosts the user named, which the built-in driver may load besides loopback: the baseline URL given,
 * and the canary URL the user's deploy command reported. A local canary stays on loopback.
 */
export function namedHosts(plan: CanaryPlan, canaryUrl: string): string[] {
  const hosts: string[] = [];
  if (plan.deployer.baseline_url) hosts.push(new URL(plan.deployer.baseline_url).hostname.toLowerCase());
  if (plan.deployer.kind === 'command') hosts.push(new URL(canaryUrl).hostname.toLowerCase());
  return hosts;
}

export function builtinTraffic(plan: CanaryPlan, baselineUrl: string, canaryUrl: string): TrafficSource {
  const requests = smokeRequests();
  const t = plan.traffic;
  const hosts = namedHosts(plan, canaryUrl);
  const shape = {
    namedHosts: hosts,
    requests,
    connections: t.connections,
    durationS: t.interval_s,
    maxRequests: t.max_requests_per_interval,
    ratePerSecond: t.rate_per_s,
  };
  return {
    async warmup(signal) {
      const w = {
        namedHosts: hosts,
        requests,
        connections: t.connections,
        durationS: t.warmup_max_s,
        maxRequests: t.warmup_requests,
      };
      if (t.warmup_requests > 0)
        await Promise.all([drive({ ...w, baseUrl: baselineUrl }, signal), drive({ ...w, baseUrl: canaryUrl }, signal)]);
    },
    async runInterval(signal) {
      const [baseline, canary] = await Promise.all([
        drive({ ...shape, baseUrl: baselineUrl }, signal),
        drive({ ...shape, baseUrl: canaryUrl }, signal),
      ]);
      return { baseline, canary };
    },
  };
}

/** Reads k6 `--out json` points into samples per `target` tag; time is relative to the first point. */
export function readK6CanaryPoints(file: string): IntervalSamples {
  const out: IntervalSamples = { baseline: [], canary: [] };
  let t0: number | undefined;
  scanK6Points(file, CANARY_METRICS, (p) => {
    const target = p.tag('target');
    if (target !== 'baseline' && target !== 'canary') return;
    const t = Date.parse(p.time());
    t0 ??= t;
    const status = Number(p.tag('status') ?? 0);
    out[target].push({
      t_ms: t - t0,
      latency_ms: status === 0 ? Number.NaN : p.value,
      status,
      ok: status > 0 && status < 400,
      name: p.tag('name') ?? '',
    });
  });
  return out;
}

export function k6Traffic(plan: CanaryPlan, baselineUrl: string, canaryUrl: string, cwd: string): TrafficSource {
  const script = repoFile('k6/canary.ts');
  const t = plan.traffic;
  return {
    // k6 ramps its own VUs; the built-in warm-up is what keeps the two drivers' first interval comparable.
    async warmup(signal) {
      if (t.warmup_requests > 0) await builtinTraffic(plan, baselineUrl, canaryUrl).warmup(signal);
    },
    async runInterval(signal) {
      const dir = mkdtempSync(join(tmpdir(), 'canary-k6-'));
      try {
        const points = join(dir, 'points.ndjson');
        let last = '';
        const r = await runK6({
          script,
          flags: ['--quiet'],
          outputs: { ndjson: points },
          env: {
            BASELINE_URL: baselineUrl,
            CANARY_URL: canaryUrl,
            RATE: String(t.rate_per_s),
            DURATION_S: String(t.interval_s),
            VUS: String(t.connections),
          },
          timeoutMs: (t.interval_s + 30) * 1000,
          cwd,
          log: { info: (line) => (last = line.trim() || last) },
          ...(signal && { signal }),
        });
        // k6 exits 99 when a threshold is crossed: the points are still complete, the judge decides.
        const failure = k6Failure(r);
        if (failure) throw new Error(`${failure}: ${last}`);
        return readK6CanaryPoints(points);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
