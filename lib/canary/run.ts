/**
 * One canary run from a resolved plan, in phases: capture the baseline (Prometheus), deploy beside
 * the baseline, wait for readiness, drive the same traffic at both per analysis interval and judge
 * after each (stopping at a hard failure), add the Prometheus judgement when there is a Prometheus,
 * decide, promote or roll back, and assemble the report. Clean-up runs always: in `finally`, on
 * SIGTERM/SIGINT (one signal guard, signal-guard.ts), and (from the saved state) in the action's
 * post step. A signal ends the run with `CanaryInterrupted`; the shell exits with its status.
 */
import {
  buildCanaryReport,
  decideOutcome,
  finalVerdict,
  histogramFromBuckets,
  judge,
  shouldAbortEarly,
  type CanaryAction,
  type CanaryJudgement,
  type CanaryReport,
  type IntervalSamples as JudgeInterval,
  type LatencyHistogram,
  type Precondition,
  type PrometheusPart,
  type TrackSamples,
  type Verdict,
} from '#core/canary/index.js';
import type { Sample } from '../load/driver.js';
import { createDeployer, type Deployer, type Targets } from './deployer.js';
import type { BaselineCapture, CanaryTimings } from '#core/canary/plan.js';
import { servedSelector, type CanaryPlan, type PrometheusPlan } from '#core/canary/plan.js';
import type { CanarySecrets } from './plan.js';
import { encodeState } from './post.js';
import { PrometheusClient, PrometheusError } from './prometheus.js';
import type { ReadinessResult } from './readiness.js';
import { maskPlanCommands } from './shell.js';
import { identifySides, unreadSides } from './identity.js';
import type { ReportSides } from '#core/canary/sides.js';
import { CanaryInterrupted, SignalGuard } from './signal-guard.js';
import { builtinTraffic, k6Traffic, type TrafficSource } from './traffic.js';

export interface RunHooks {
  log(line: string): void;
  warn(line: string): void;
  /** Persist the clean-up state (action: core.saveState) for the post step. */
  saveState(encoded: string): void;
}

/** A run that could not start (nothing deployed): exit status 3, one line. */
export class CanaryRunError extends Error {
  override name = 'CanaryRunError';
}

export type { BaselineCapture } from '#core/canary/plan.js';
export { CanaryInterrupted, PROMOTE_SETTLE_MS } from './signal-guard.js';

export interface RunResult {
  report: CanaryReport;
  verdict: Verdict;
  reasons: string[];
  action: CanaryAction;
  baselineP95Ms: number | null;
  canaryP95Ms: number | null;
  /** Wall-clock of the phases, for logs and the bench. */
  timings_ms: CanaryTimings;
}

function toTrack(samples: Sample[]): TrackSamples {
  return {
    total: samples.length,
    errors: samples.reduce((n, s) => n + (s.ok ? 0 : 1), 0),
    latencies_ms: samples.filter((s) => Number.isFinite(s.latency_ms)).map((s) => s.latency_ms),
  };
}

const finiteOrNull = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

async function capturePrometheusBaseline(prom: PrometheusClient, plan: CanaryPlan): Promise<number | null> {
  const q = plan.prometheus!.queries.baseline_p95;
  const [first] = await prom.query(q);
  return first && Number.isFinite(first.value) ? first.value * 1000 : null;
}

/** Per-interval histograms of both tracks, each evaluated at the interval's end over its length. */
async function prometheusIntervals(
  prom: PrometheusClient,
  plan: CanaryPlan,
  bounds: Array<{ start: number; end: number }>,
): Promise<JudgeInterval[]> {
  const q = plan.prometheus!.queries;
  const track = async (which: 'stable' | 'canary', endS: number): Promise<TrackSamples> => {
    const [buckets, errors] = await Promise.all([
      prom.query(q.interval_buckets[which], endS),
      prom.query(q.interval_errors[which], endS),
    ]);
    const histogram: LatencyHistogram =
      buckets.length === 0
        ? { le_ms: [], cumulative: [0] }
        : histogramFromBuckets(
            buckets.map((b) => ({ le: b.metric.le ?? '', count: Number.isFinite(b.value) ? b.value : 0 })),
          );
    const total = histogram.cumulative[histogram.cumulative.length - 1] ?? 0;
    const errs = errors[0]?.value ?? 0;
    return {
      total: Math.round(total),
      errors: Math.min(Math.round(total), Math.round(Number.isFinite(errs) ? errs : 0)),
      histogram,
    };
  };
  const out: JudgeInterval[] = [];
  for (const [index, b] of bounds.entries()) {
    const endS = b.end / 1000;
    const [baseline, canary] = await Promise.all([track('stable', endS), track('canary', endS)]);
    out.push({ index, start: new Date(b.start).toISOString(), end: new Date(b.end).toISOString(), baseline, canary });
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The query that says Prometheus scrapes the canary's served-request series regularly: the most
 * samples any of them has in the last three scrape intervals. `up == 1` alone is not enough: it
 * holds after the first scrape, and a per-interval `increase(...[interval])` needs two samples
 * inside the interval, so a late second scrape left interval 1 without canary data.
 */
export function canaryScrapedQuery(p: PrometheusPlan): string {
  const windowS = Math.max(3, 3 * p.scrape_interval_s);
  return `max(count_over_time(http_request_duration_seconds_count${servedSelector(p.track_label, p.selector, 'canary')}[${windowS}s]))`;
}

/**
 * Service discovery and the first scrapes take a while (Prometheus batches discovery updates every
 * 5 s): judging intervals the canary's series do not cover would only produce "no data". Wait until
 * the canary's latency series exists and has been scraped at least twice, bounded; past the bound
 * the run goes on and its Prometheus judgement says why (intervals without data stay in it).
 */
export async function waitForCanaryScrape(
  prom: PrometheusClient,
  p: PrometheusPlan,
  signal: AbortSignal,
  hooks: Pick<RunHooks, 'log' | 'warn'>,
): Promise<{ seen: boolean; waited_ms: number }> {
  const query = canaryScrapedQuery(p);
  const start = Date.now();
  const until = start + Math.max(30, 3 * p.scrape_interval_s) * 1000;
  while (!signal.aborted && Date.now() < until) {
    try {
      const [v] = await prom.query(query);
      if (v !== undefined && v.value >= 2) {
        const waited_ms = Date.now() - start;
        hooks.log(`Prometheus scrapes the canary (waited ${waited_ms} ms)`);
        return { seen: true, waited_ms };
      }
    } catch {
      /* reported by the judgement's own queries */
    }
    await sleep(250);
  }
  hooks.warn(
    `Prometheus did not scrape the canary twice within ${Math.round((until - start) / 1000)} s (${query} >= 2); its judgement will lack data`,
  );
  return { seen: false, waited_ms: Date.now() - start };
}

/** What the phases share: the plan, the hooks, the deployer, the guard, and what has been recorded so far. */
interface RunState {
  plan: CanaryPlan;
  hooks: RunHooks;
  cwd: string;
  deployer: Deployer;
  guard: SignalGuard;
  prom: PrometheusClient | null;
  timings: CanaryTimings;
  preconditions: Precondition[];
}

const since = (t0: number): number => Date.now() - t0;

/** Before anything is deployed: is the metrics source there, and what is the baseline's p95 now? */
async function captureBaseline(
  prom: PrometheusClient | null,
  plan: CanaryPlan,
  hooks: RunHooks,
): Promise<number | null> {
  if (!prom) return null;
  let p95: number | null;
  try {
    await prom.ping();
    p95 = await capturePrometheusBaseline(prom, plan);
  } catch (err) {
    throw new CanaryRunError(`${(err as Error).message}; nothing was deployed`);
  }
  hooks.log(
    p95 === null
      ? 'baseline p95 from Prometheus: no data yet (will use the analysis window)'
      : `baseline p95 from Prometheus before the deploy: ${p95.toFixed(1)} ms`,
  );
  return p95;
}

/** Each side is who it claims to be (service_build_info), or nothing is judged: a failed precondition. */
async function identityPhase(st: RunState, targets: Targets): Promise<ReportSides> {
  const builds = st.deployer.builds ?? { baseline: null, canary: null };
  const id = await identifySides(st.plan, targets, builds, st.guard.abort.signal);
  st.preconditions.push(id.precondition);
  if (id.precondition.ok) st.hooks.log(`identity: ${id.precondition.reason}`);
  else st.hooks.warn(`identity: ${id.precondition.reason}`);
  return id.sides;
}

async function deployPhase(st: RunState): Promise<Targets | null> {
  const t0 = Date.now();
  try {
    const targets = await st.deployer.deploy(st.guard.abort.signal);
    st.preconditions.push({ step: 'deploy', ok: true, reason: `canary deployed at ${targets.canaryUrl}` });
    return targets;
  } catch (err) {
    st.preconditions.push({ step: 'deploy', ok: false, reason: `deploy failed: ${(err as Error).message}` });
    return null;
  } finally {
    st.hooks.saveState(encodeState(st.deployer.cleanupState(), false));
    st.timings.deploy = since(t0);
  }
}

async function readyPhase(st: RunState): Promise<ReadinessResult> {
  const t0 = Date.now();
  const { plan } = st;
  const readiness = await st.deployer.waitReady(st.guard.abort.signal);
  st.timings.readiness = since(t0);
  if (!readiness.ready) {
    st.preconditions.push({
      step: 'readiness',
      ok: false,
      reason: `the canary never became ready: ${readiness.attempts} probes of ${plan.readiness.path} over ${(readiness.elapsed_ms / 1000).toFixed(1)} s (timeout ${plan.readiness.timeout_s} s), last answer ${readiness.last}`,
    });
  } else {
    const reason = `canary ready after ${readiness.attempts} probe(s), ${readiness.elapsed_ms} ms`;
    st.preconditions.push({ step: 'readiness', ok: true, reason });
    st.hooks.log(reason);
  }
  return readiness;
}

interface TrafficOutcome {
  intervals: JudgeInterval[];
  bounds: Array<{ start: number; end: number }>;
  judgement: CanaryJudgement;
  metricsSeen: { seen: boolean; waited_ms: number } | null;
}

/** Warm-up, then per interval: the same traffic to both, judged after each; a hard failure stops it. */
async function trafficPhase(st: RunState, targets: Targets): Promise<TrafficOutcome> {
  const t0 = Date.now();
  const { plan, hooks, prom } = st;
  const signal = st.guard.abort.signal;
  const traffic: TrafficSource =
    plan.traffic.driver === 'k6'
      ? k6Traffic(plan, targets.baselineUrl, targets.canaryUrl, st.cwd)
      : builtinTraffic(plan, targets.baselineUrl, targets.canaryUrl);
  await traffic.warmup(signal);
  const metricsSeen = prom ? await waitForCanaryScrape(prom, plan.prometheus!, signal, hooks) : null;
  const out: TrafficOutcome = {
    intervals: [],
    bounds: [],
    judgement: judge([], plan.judge, plan.analysis.seed),
    metricsSeen,
  };
  for (let i = 0; i < plan.analysis.intervals && !signal.aborted; i++) {
    const start = Date.now();
    const s = await traffic.runInterval(signal);
    const end = Date.now();
    out.bounds.push({ start, end });
    out.intervals.push({
      index: i,
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      baseline: toTrack(s.baseline),
      canary: toTrack(s.canary),
    });
    out.judgement = judge(out.intervals, plan.judge, plan.analysis.seed);
    hooks.log(
      `interval ${i + 1}/${plan.analysis.intervals}: baseline ${s.baseline.length} req, canary ${s.canary.length} req, canary p95 ${out.judgement.canary.p95_ms?.toFixed(1) ?? '-'} ms -> ${out.judgement.verdict}`,
    );
    if (shouldAbortEarly(out.judgement)) {
      hooks.warn(
        `hard failure in interval ${i + 1}: ${out.judgement.early_abort.reason ?? out.judgement.reasons.join('; ')}; stopping early`,
      );
      break;
    }
  }
  st.timings.traffic = since(t0);
  return out;
}

interface PrometheusOutcome {
  part: Omit<PrometheusPart, 'judgement'>;
  judgement: CanaryJudgement | null;
}

/** The same intervals from Prometheus's histograms, judged alike; a failure makes this part inconclusive. */
async function prometheusPhase(
  st: RunState,
  prom: PrometheusClient,
  bounds: Array<{ start: number; end: number }>,
): Promise<PrometheusOutcome> {
  const t0 = Date.now();
  const { plan, hooks } = st;
  const q = plan.prometheus!.queries;
  const part: Omit<PrometheusPart, 'judgement'> = {
    queries: [q.interval_buckets.stable, q.interval_buckets.canary, q.interval_errors.stable, q.interval_errors.canary],
    intervals: [],
    error: null,
    baseline_p95_ms: null,
    canary_p95_ms: null,
  };
  let judgement: CanaryJudgement | null = null;
  // The last interval's samples reach Prometheus on its next scrape.
  await sleep((plan.prometheus!.scrape_interval_s + 1) * 1000);
  try {
    part.intervals = await prometheusIntervals(prom, plan, bounds);
    const endS = bounds[bounds.length - 1]!.end / 1000;
    const [[sb], [cb]] = await Promise.all([
      prom.query(q.window_p95.stable, endS),
      prom.query(q.window_p95.canary, endS),
    ]);
    part.baseline_p95_ms = sb && Number.isFinite(sb.value) ? sb.value * 1000 : null;
    part.canary_p95_ms = cb && Number.isFinite(cb.value) ? cb.value * 1000 : null;
    judgement = judge(part.intervals, plan.judge, plan.analysis.seed);
    hooks.log(
      `Prometheus judgement: ${judgement.verdict} (baseline p95 ${part.baseline_p95_ms?.toFixed(1) ?? '-'} ms, canary p95 ${part.canary_p95_ms?.toFixed(1) ?? '-'} ms)`,
    );
  } catch (err) {
    part.error =
      err instanceof PrometheusError ? err.message : `Prometheus judgement failed: ${(err as Error).message}`;
    hooks.warn(`Prometheus failed after the deploy: ${part.error}; its judgement counts as inconclusive`);
  }
  st.timings.prometheus = since(t0);
  return { part, judgement };
}

/** Promote, roll back or leave as is; a failed promote is rolled back and recorded as a failed precondition. */
async function outcomePhase(st: RunState, verdict: Verdict): Promise<{ action: CanaryAction; detail: string }> {
  const t0 = Date.now();
  const { deployer, guard, hooks } = st;
  let action = decideOutcome(verdict, st.plan.judge);
  let detail: string;
  try {
    if (action === 'promote') {
      const failed = await guard.promote(() => deployer.promote());
      await guard.checkpoint();
      if (failed) throw failed;
      guard.promoted = true;
      detail = 'promoted';
    } else if (action === 'rollback') {
      await deployer.rollback();
      detail = `rolled back (${verdict})`;
    } else {
      detail = `left as is: verdict ${verdict} and rollback-on-inconclusive is false`;
    }
  } catch (err) {
    if (err instanceof CanaryInterrupted) throw err;
    // A failed promote leaves the canary unpromoted: roll back what we can, report the failure.
    detail = `${action} failed: ${(err as Error).message}`;
    hooks.warn(detail);
    if (action === 'promote') {
      st.preconditions.push({ step: 'promote', ok: false, reason: detail });
      action = 'rollback';
      await deployer.rollback().catch((e: Error) => hooks.warn(`rollback failed: ${e.message}`));
    }
  }
  st.timings.outcome = since(t0);
  return { action, detail };
}

function baselineCaptureOf(
  plan: CanaryPlan,
  prom: PrometheusClient | null,
  before: number | null,
  promPart: PrometheusOutcome['part'] | null,
  judgement: CanaryJudgement,
): BaselineCapture {
  if (!prom)
    return {
      source: 'synthetic',
      p95_ms: finiteOrNull(judgement.baseline_p95_ms ?? undefined),
      window: 'analysis-window',
    };
  return before !== null
    ? { source: 'prometheus', p95_ms: before, query: plan.prometheus!.queries.baseline_p95, window: 'before-deploy' }
    : {
        source: 'prometheus',
        p95_ms: promPart?.baseline_p95_ms ?? null,
        query: plan.prometheus!.queries.window_p95.stable,
        window: 'analysis-window',
      };
}

/**
 * `secrets` (from resolvePlanAndSecrets) carries the Prometheus credentials the plan leaves out;
 * without it Prometheus is queried at the plan's URL with no credentials. Throws `CanaryRunError`
 * when the run could not start, `CanaryInterrupted` after a signal (rolled back and cleaned up).
 */
export async function runCanary(
  plan: CanaryPlan,
  hooks: RunHooks,
  cwd: string,
  secrets: CanarySecrets = { prometheus: null },
): Promise<RunResult> {
  const t0 = Date.now();
  const timings: CanaryTimings = {
    deploy: 0,
    readiness: 0,
    traffic: 0,
    prometheus: 0,
    outcome: 0,
    cleanup: 0,
    total: 0,
  };
  const prom = plan.prometheus
    ? new PrometheusClient(secrets.prometheus?.url ?? plan.prometheus.url, {
        headers: secrets.prometheus?.headers ?? {},
      })
    : null;
  const baselineBefore = await captureBaseline(prom, plan, hooks);

  const deployer: Deployer = createDeployer(plan, hooks.log, cwd);
  const saveState = (finished: boolean): void => hooks.saveState(encodeState(deployer.cleanupState(), finished));
  let cleanupP: Promise<void> | undefined;
  const cleanupOnce = (): Promise<void> =>
    (cleanupP ??= (async () => {
      const c0 = Date.now();
      let done = false;
      try {
        await deployer.cleanup();
        done = true;
      } finally {
        timings.cleanup = since(c0);
        // Not finished when the clean-up failed: the action's post step tries what is left once more.
        saveState(done);
      }
    })());
  const guard = new SignalGuard({ warn: hooks.warn, rollback: () => deployer.rollback(), cleanup: cleanupOnce });
  const st: RunState = { plan, hooks, cwd, deployer, guard, prom, timings, preconditions: [] };
  guard.install();

  let traffic: TrafficOutcome = {
    intervals: [],
    bounds: [],
    judgement: judge([], plan.judge, plan.analysis.seed),
    metricsSeen: null,
  };
  let readiness: ReadinessResult | null = null;
  let sides: ReportSides | undefined;
  let targets: Targets | null;
  let promOut: PrometheusOutcome | null = null;
  let outcome: { action: CanaryAction; detail: string };
  try {
    saveState(false);
    targets = await deployPhase(st);
    if (targets) readiness = await readyPhase(st);
    if (targets && readiness?.ready) sides = await identityPhase(st, targets);
    if (targets && readiness?.ready && st.preconditions.every((p) => p.ok)) {
      traffic = await trafficPhase(st, targets);
      if (prom && traffic.bounds.length > 0) promOut = await prometheusPhase(st, prom, traffic.bounds);
    }
    const { verdict } = finalVerdict({
      synthetic: traffic.judgement,
      prometheus: promOut && { judgement: promOut.judgement, error: promOut.part.error },
      preconditions: st.preconditions,
    });
    await guard.checkpoint();
    outcome = await outcomePhase(st, verdict);
  } catch (err) {
    await guard.checkpoint();
    if (!guard.promoted) await deployer.rollback().catch((e: Error) => hooks.warn(`rollback failed: ${e.message}`));
    throw err;
  } finally {
    if (guard.signalled) await guard.checkpoint().catch(() => undefined);
    else await cleanupOnce().catch((err: Error) => hooks.warn(`clean-up failed: ${err.message}`));
    guard.uninstall();
  }
  // The handler rolled back and cleaned up: the run ends here, whatever the phases were doing.
  if (guard.signalled) throw new CanaryInterrupted(guard.signalled);

  const baselineCapture = baselineCaptureOf(plan, prom, baselineBefore, promOut?.part ?? null, traffic.judgement);
  const canaryP95 = prom
    ? (promOut?.part.canary_p95_ms ?? traffic.judgement.canary_p95_ms)
    : traffic.judgement.canary_p95_ms;
  timings.total = since(t0);
  const report = buildCanaryReport({
    environment: plan.environment,
    sha: plan.sha,
    source: 'synthetic',
    plan: {
      ...maskPlanCommands(plan),
      run: {
        targets,
        readiness,
        prometheus_discovery: traffic.metricsSeen,
        baseline_capture: baselineCapture,
        timings_ms: timings,
      },
    },
    settings: plan.judge,
    seed: plan.analysis.seed,
    intervals: traffic.intervals,
    preconditions: st.preconditions,
    prometheus: promOut?.part ?? null,
    outcome: { action: outcome.action, detail: outcome.detail },
    sides: sides ?? unreadSides(plan, deployer.builds ?? { baseline: null, canary: null }),
  });
  return {
    report,
    verdict: report.verdict,
    reasons: report.reasons,
    action: outcome.action,
    baselineP95Ms: baselineCapture.p95_ms,
    canaryP95Ms: finiteOrNull(canaryP95 ?? undefined),
    timings_ms: timings,
  };
}
