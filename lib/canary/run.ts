/**
 * One canary run from a resolved plan: deploy beside the baseline, wait for readiness, drive the
 * same traffic at both per analysis interval and judge after each (stopping at a hard failure),
 * add the Prometheus judgement when there is a Prometheus, then promote or roll back. Clean-up runs
 * always: in `finally`, on SIGTERM/SIGINT, and (from the saved state) in the action's post step.
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
} from '../../core/src/canary/index.js';
import type { Sample } from '../load/driver.js';
import { createDeployer, type Deployer, type Targets } from './deployer.js';
import type { BaselineCapture, CanaryTimings } from '../../core/src/canary/plan.js';
import { servedSelector, type CanaryPlan, type CanarySecrets, type PrometheusPlan } from './plan.js';
import { encodeState } from './post.js';
import { PrometheusClient, PrometheusError } from './prometheus.js';
import type { ReadinessResult } from './readiness.js';
import { killLiveCommands, maskPlanCommands } from './shell.js';
import { identifySides, unreadSides } from './identity.js';
import type { ReportSides } from '../../core/src/canary/sides.js';
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

export type { BaselineCapture } from '../../core/src/canary/plan.js';

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
 * How long a SIGTERM/SIGINT waits for a promote already in flight. Killing it halfway and rolling
 * back at the same time could leave the environment half promoted; waiting without bound could
 * outlast the runner's grace period (it kills the step some seconds after the signal) and skip
 * the clean-up.
 */
export const PROMOTE_SETTLE_MS = 5000;

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

/**
 * `secrets` (from resolvePlanAndSecrets) carries the Prometheus credentials the plan leaves out;
 * without it Prometheus is queried at the plan's URL with no credentials.
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

  // Before anything is deployed: is the metrics source there, and what is the baseline's p95 now?
  let baselineBefore: number | null = null;
  if (prom) {
    try {
      await prom.ping();
      baselineBefore = await capturePrometheusBaseline(prom, plan);
    } catch (err) {
      throw new CanaryRunError(`${(err as Error).message}; nothing was deployed`);
    }
    hooks.log(
      baselineBefore === null
        ? 'baseline p95 from Prometheus: no data yet (will use the analysis window)'
        : `baseline p95 from Prometheus before the deploy: ${baselineBefore.toFixed(1)} ms`,
    );
  }

  const deployer: Deployer = createDeployer(plan, hooks.log, cwd);
  const ac = new AbortController();
  let promoted = false;
  /** The promote in flight or done: resolves to its error, or null when it succeeded. */
  let promoting: Promise<Error | null> | null = null;
  let promoteSettled = false;
  /** The signal handler's work; it ends the process, so it never resolves. */
  let signalExit: Promise<never> | null = null;
  let cleanupP: Promise<void> | undefined;
  const saveState = (finished: boolean): void => hooks.saveState(encodeState(deployer.cleanupState(), finished));
  const cleanupOnce = (): Promise<void> =>
    (cleanupP ??= (async () => {
      const c0 = Date.now();
      let done = false;
      try {
        await deployer.cleanup();
        done = true;
      } finally {
        timings.cleanup = Date.now() - c0;
        // Not finished when the clean-up failed: the action's post step tries what is left once more.
        saveState(done);
      }
    })());

  /**
   * A signal during the promote: let it settle (bounded), keep a promote that succeeded, roll back
   * one that failed or did not finish in time (stopped first, so the two never run at once).
   */
  const settlePromote = async (sig: NodeJS.Signals, p: Promise<Error | null>): Promise<boolean> => {
    hooks.warn(`${sig} arrived during the promote: waiting up to ${PROMOTE_SETTLE_MS / 1000} s for it to finish`);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), PROMOTE_SETTLE_MS)));
    const r = await Promise.race([p, late]);
    clearTimeout(timer);
    if (r === null) {
      hooks.warn('the promote finished: keeping it, no rollback');
      return false;
    }
    if (r === 'late') {
      killLiveCommands();
      hooks.warn(`the promote did not finish within ${PROMOTE_SETTLE_MS / 1000} s: stopped it, rolling back`);
    } else hooks.warn(`the promote failed (${r.message}): rolling back`);
    return true;
  };

  // SIGTERM/SIGINT (a cancelled job, Ctrl-C): stop the traffic, undo the canary, then exit.
  let signalled: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = sig;
    hooks.warn(`received ${sig}: stopping the canary run, rolling back and cleaning up`);
    ac.abort();
    signalExit = (async (): Promise<never> => {
      try {
        const rollBack = promoting && !promoteSettled ? await settlePromote(sig, promoting) : !promoted;
        if (rollBack) await deployer.rollback();
      } catch (err) {
        hooks.warn(`rollback after ${sig} failed: ${(err as Error).message}`);
      }
      try {
        await cleanupOnce();
      } catch (err) {
        hooks.warn(`clean-up after ${sig} failed: ${(err as Error).message}`);
      }
      killLiveCommands();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    })();
  };
  /** After a signal the handler decides the outcome and exits: the run stops where it is. */
  const yieldToSignal = async (): Promise<void> => {
    if (signalExit) await signalExit;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const intervals: JudgeInterval[] = [];
  const bounds: Array<{ start: number; end: number }> = [];
  let judgement: CanaryJudgement = judge([], plan.judge, plan.analysis.seed);
  const preconditions: Precondition[] = [];
  let targets: Targets | null = null;
  let readiness: ReadinessResult | null = null;
  let promPart: Omit<PrometheusPart, 'judgement'> | null = null;
  let promJudgement: CanaryJudgement | null = null;
  let metricsSeen: { seen: boolean; waited_ms: number } | null = null;
  let sides: ReportSides | undefined;
  let identityOk = true;
  let action: CanaryAction;
  let outcomeDetail: string;
  let verdict: Verdict;
  try {
    let p0 = Date.now();
    saveState(false);
    try {
      targets = await deployer.deploy(ac.signal);
      preconditions.push({ step: 'deploy', ok: true, reason: `canary deployed at ${targets.canaryUrl}` });
    } catch (err) {
      preconditions.push({ step: 'deploy', ok: false, reason: `deploy failed: ${(err as Error).message}` });
    } finally {
      saveState(false);
      timings.deploy = Date.now() - p0;
    }

    if (targets) {
      p0 = Date.now();
      readiness = await deployer.waitReady(ac.signal);
      timings.readiness = Date.now() - p0;
      if (!readiness.ready) {
        preconditions.push({
          step: 'readiness',
          ok: false,
          reason: `the canary never became ready: ${readiness.attempts} probes of ${plan.readiness.path} over ${(readiness.elapsed_ms / 1000).toFixed(1)} s (timeout ${plan.readiness.timeout_s} s), last answer ${readiness.last}`,
        });
      } else {
        const reason = `canary ready after ${readiness.attempts} probe(s), ${readiness.elapsed_ms} ms`;
        preconditions.push({ step: 'readiness', ok: true, reason });
        hooks.log(reason);
      }
    }

    if (targets && readiness?.ready) {
      // Each side is who it claims to be (service_build_info), or nothing is judged.
      const id = await identifySides(plan, targets, deployer.builds ?? { baseline: null, canary: null }, ac.signal);
      sides = id.sides;
      identityOk = id.precondition.ok;
      preconditions.push(id.precondition);
      if (identityOk) hooks.log(`identity: ${id.precondition.reason}`);
      else hooks.warn(`identity: ${id.precondition.reason}`);
    }

    if (targets && readiness?.ready && identityOk) {
      p0 = Date.now();
      const traffic: TrafficSource =
        plan.traffic.driver === 'k6'
          ? k6Traffic(plan, targets.baselineUrl, targets.canaryUrl, cwd)
          : builtinTraffic(plan, targets.baselineUrl, targets.canaryUrl);
      await traffic.warmup(ac.signal);
      if (prom) metricsSeen = await waitForCanaryScrape(prom, plan.prometheus!, ac.signal, hooks);
      for (let i = 0; i < plan.analysis.intervals && !ac.signal.aborted; i++) {
        const start = Date.now();
        const s = await traffic.runInterval(ac.signal);
        const end = Date.now();
        bounds.push({ start, end });
        intervals.push({
          index: i,
          start: new Date(start).toISOString(),
          end: new Date(end).toISOString(),
          baseline: toTrack(s.baseline),
          canary: toTrack(s.canary),
        });
        judgement = judge(intervals, plan.judge, plan.analysis.seed);
        const c = judgement.canary;
        hooks.log(
          `interval ${i + 1}/${plan.analysis.intervals}: baseline ${s.baseline.length} req, canary ${s.canary.length} req, canary p95 ${c.p95_ms?.toFixed(1) ?? '-'} ms -> ${judgement.verdict}`,
        );
        if (shouldAbortEarly(judgement)) {
          hooks.warn(
            `hard failure in interval ${i + 1}: ${judgement.early_abort.reason ?? judgement.reasons.join('; ')}; stopping early`,
          );
          break;
        }
      }
      timings.traffic = Date.now() - p0;

      if (prom && bounds.length > 0) {
        p0 = Date.now();
        const q = plan.prometheus!.queries;
        const queries = [
          q.interval_buckets.stable,
          q.interval_buckets.canary,
          q.interval_errors.stable,
          q.interval_errors.canary,
        ];
        const part: Omit<PrometheusPart, 'judgement'> = {
          queries,
          intervals: [],
          error: null,
          baseline_p95_ms: null,
          canary_p95_ms: null,
        };
        promPart = part;
        // The last interval's samples reach Prometheus on its next scrape.
        await sleep((plan.prometheus!.scrape_interval_s + 1) * 1000);
        try {
          part.intervals = await prometheusIntervals(prom, plan, bounds);
          const endS = bounds[bounds.length - 1]!.end / 1000;
          const windowQ = plan.prometheus!.queries.window_p95;
          const [[sb], [cb]] = await Promise.all([prom.query(windowQ.stable, endS), prom.query(windowQ.canary, endS)]);
          part.baseline_p95_ms = sb && Number.isFinite(sb.value) ? sb.value * 1000 : null;
          part.canary_p95_ms = cb && Number.isFinite(cb.value) ? cb.value * 1000 : null;
          promJudgement = judge(part.intervals, plan.judge, plan.analysis.seed);
          hooks.log(
            `Prometheus judgement: ${promJudgement.verdict} (baseline p95 ${part.baseline_p95_ms?.toFixed(1) ?? '-'} ms, canary p95 ${part.canary_p95_ms?.toFixed(1) ?? '-'} ms)`,
          );
        } catch (err) {
          part.error =
            err instanceof PrometheusError ? err.message : `Prometheus judgement failed: ${(err as Error).message}`;
          hooks.warn(`Prometheus failed after the deploy: ${part.error}; its judgement counts as inconclusive`);
        }
        timings.prometheus = Date.now() - p0;
      }
    }

    ({ verdict } = finalVerdict({
      synthetic: judgement,
      prometheus: promPart && { judgement: promJudgement, error: promPart.error },
      preconditions,
    }));
    if (ac.signal.aborted) throw new CanaryRunError(`interrupted by ${signalled ?? 'abort'}`);

    p0 = Date.now();
    action = decideOutcome(verdict, plan.judge);
    try {
      if (action === 'promote') {
        promoting = deployer.promote().then(
          () => null,
          (err: Error) => err,
        );
        const failed = await promoting;
        promoteSettled = true;
        await yieldToSignal();
        if (failed) throw failed;
        promoted = true;
        outcomeDetail = 'promoted';
      } else if (action === 'rollback') {
        await deployer.rollback();
        outcomeDetail = `rolled back (${verdict})`;
      } else {
        outcomeDetail = `left as is: verdict ${verdict} and rollback-on-inconclusive is false`;
      }
    } catch (err) {
      // A failed promote leaves the canary unpromoted: roll back what we can, report the failure.
      outcomeDetail = `${action} failed: ${(err as Error).message}`;
      hooks.warn(outcomeDetail);
      if (action === 'promote') {
        preconditions.push({ step: 'promote', ok: false, reason: outcomeDetail });
        action = 'rollback';
        await deployer.rollback().catch((e: Error) => hooks.warn(`rollback failed: ${e.message}`));
      }
    }
    timings.outcome = Date.now() - p0;
  } catch (err) {
    await yieldToSignal();
    if (!promoted) await deployer.rollback().catch((e: Error) => hooks.warn(`rollback failed: ${e.message}`));
    throw err;
  } finally {
    await yieldToSignal();
    try {
      await cleanupOnce();
    } catch (err) {
      hooks.warn(`clean-up failed: ${(err as Error).message}`);
    }
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }

  const baselineCapture: BaselineCapture = prom
    ? baselineBefore !== null
      ? {
          source: 'prometheus',
          p95_ms: baselineBefore,
          query: plan.prometheus!.queries.baseline_p95,
          window: 'before-deploy',
        }
      : {
          source: 'prometheus',
          p95_ms: promPart?.baseline_p95_ms ?? null,
          query: plan.prometheus!.queries.window_p95.stable,
          window: 'analysis-window',
        }
    : { source: 'synthetic', p95_ms: finiteOrNull(judgement.baseline_p95_ms ?? undefined), window: 'analysis-window' };
  const canaryP95 = prom ? (promPart?.canary_p95_ms ?? judgement.canary_p95_ms) : judgement.canary_p95_ms;

  timings.total = Date.now() - t0;
  const report = buildCanaryReport({
    environment: plan.environment,
    sha: plan.sha,
    source: 'synthetic',
    plan: {
      ...maskPlanCommands(plan),
      run: {
        targets,
        readiness,
        prometheus_discovery: metricsSeen,
        baseline_capture: baselineCapture,
        timings_ms: timings,
      },
    },
    settings: plan.judge,
    seed: plan.analysis.seed,
    intervals,
    preconditions,
    prometheus: promPart,
    outcome: { action, detail: outcomeDetail },
    sides: sides ?? unreadSides(plan, deployer.builds ?? { baseline: null, canary: null }),
  });
  return {
    report,
    verdict: report.verdict,
    reasons: report.reasons,
    action,
    baselineP95Ms: baselineCapture.p95_ms,
    canaryP95Ms: finiteOrNull(canaryP95 ?? undefined),
    timings_ms: timings,
  };
}
