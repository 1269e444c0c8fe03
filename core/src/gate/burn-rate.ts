/**
 * SLO burn-rate limits for the smoke gate (opt-in): how fast the service in production is burning
 * its error budget and its latency budget right now, judged over paired long and short windows as
 * in the multiwindow, multi-burn-rate alerts of Google's SRE workbook (chapter "Alerting on SLOs").
 *
 * Two SLOs, each a share of good requests:
 *   - error SLO (`slo`, e.g. 0.99): requests not answered with a 5xx (`tenant_request_*` counters);
 *   - latency SLO (`latency-slo`, default 0.95): requests answered at or under the budget's p95
 *     (450 ms), read from the histogram bucket `http_request_duration_seconds_bucket{le="0.45"}`.
 *
 *   burn rate = bad ratio observed over a window / (1 - SLO)
 *
 * 1 means the budget is spent exactly over the SLO period; 14.4 over an hour spends 2 % of a
 * 30-day budget in that hour. A pair of windows fires when both burn rates are above its factor
 * (the long window shows it is significant, the short one that it is still going on):
 *   - fast burn (page):   1 h and 5 min, above 14.4x;
 *   - slow burn (ticket): 6 h and 30 min, above 6x.
 *
 * Rules, per SLO:
 *   - fast burn, `burn-rate-action: tighten` (default): the SLO's allowance divided by the burn B
 *     (the smaller of the pair's two rates, the one both windows agree on), never looser than the
 *     budget file:
 *       error-rate limit = min(budget error_rate, (1 - slo) / B)
 *       p95 limit        = min(budget p95_ms,     budget p95_ms / B)
 *     The error SLO allows a rate of failures, (1 - slo); the latency SLO allows latencies up to the
 *     budget's p95. While production already burns B times faster than it may, a change gets 1/B
 *     of that allowance: the adaptive rule's "what is left", taken from the current burn instead
 *     of the spent share.
 *   - fast burn, `burn-rate-action: fail`: the gate fails (a change freeze while the service burns).
 *   - slow burn (and no fast burn): a warning; the limits stay.
 *   - neither, or not enough data to tell: the budget file limits.
 *
 * Worked example (budget file p95 450 ms and 1 % errors; SLO 99 %, latency SLO 95 %):
 *   - errors: 18 % of requests failed over the last hour and 25 % over the last 5 min -> burn 18x
 *     and 25x, both above 14.4x: fast burn, B = 18 -> error-rate limit min(1 %, 1 % / 18) = 0.056 %,
 *     so a 672-request smoke may fail no request;
 *   - latency: 80 % of requests slower than 450 ms over the hour and 90 % over 5 min -> 16x and 18x:
 *     fast burn, B = 16 -> p95 limit min(450 ms, 450 ms / 16) = 28.1 ms: a run at 5 ms passes, a
 *     change that brings the smoke's p95 to 40 ms fails;
 *   - 8 % errors over 6 h and 9 % over 30 min (8x, 9x; the hour at 8x is below 14.4x): slow burn,
 *     a warning, the limit stays 1 %.
 *
 * Pure: the windows' ratios are measured elsewhere (lib/smoke-burn-rate.ts queries Prometheus with
 * the PromQL built here) and handed over as a `BurnRateInput`.
 */
import { fmtMs, fmtPct } from './format.js';

export type SloKind = 'error' | 'latency';
export type BurnSeverity = 'fast' | 'slow';
export type BurnRateAction = 'tighten' | 'fail';
/** What a pair's burn did to the gate: tightened a limit, failed it, warned, or nothing. */
export type BurnRule = 'tighten' | 'fail' | 'warn' | 'none';

export const BURN_RATE_ACTIONS: readonly BurnRateAction[] = ['tighten', 'fail'];

export interface BurnWindowPair {
  severity: BurnSeverity;
  long_s: number;
  short_s: number;
  /** Both windows' burn rates must be above this for the pair to fire. */
  factor: number;
}

/** The SRE workbook's multiwindow, multi-burn-rate defaults for a 30-day SLO (page and ticket). */
export const SRE_WORKBOOK_WINDOWS: readonly BurnWindowPair[] = [
  { severity: 'fast', long_s: 3600, short_s: 300, factor: 14.4 },
  { severity: 'slow', long_s: 21_600, short_s: 1800, factor: 6 },
];

/** Share of requests answered at or under the budget's p95 (p95 <= 450 ms means 95 % are). */
export const DEFAULT_LATENCY_SLO = 0.95;

/** Probes and scrapes are not served traffic: the latency SLO leaves them out (as the canary does). */
export const SERVED_REQUESTS_MATCHER = 'route!~"/metrics|/health/.*"';

export class BurnRateError extends Error {
  override name = 'BurnRateError';
}

/** A PromQL range for a window in seconds, in the largest unit that divides it: 3600 -> `1h`, 300 -> `5m`. */
export function promRange(seconds: number): string {
  if (!(Number.isInteger(seconds) && seconds > 0))
    throw new BurnRateError(`a window must be a whole number of seconds > 0; got ${seconds}`);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/**
 * Label matchers added to every burn-rate query, e.g. `job="hotel"`; braces around them are
 * optional. Empty: all series of the metric.
 */
export function normalizeSelector(raw: string): string {
  let s = raw.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (/[{}]/.test(s))
    throw new BurnRateError(`a selector is label matchers such as job="hotel", env="prod"; got ${JSON.stringify(raw)}`);
  return s.replace(/,\s*$/, '');
}

const matchers = (...parts: string[]): string => {
  const inner = parts.filter(Boolean).join(',');
  return inner ? `{${inner}}` : '';
};

/** The histogram bucket bound of a latency in ms, as prom-client writes it: 450 -> `0.45`. */
export function bucketBound(ms: number): string {
  return String(ms / 1000);
}

/**
 * The service's error ratio over a PromQL range (`1h`, `30d`), all tenants, from its
 * `tenant_request_*` counters; `or vector(0)` because a service that never failed has no
 * `tenant_request_errors` series at all, which is 0 errors, not "no data". Also the adaptive
 * rule's default error-budget query.
 */
export function errorRatioQuery(range: string, selector = ''): string {
  const sel = matchers(normalizeSelector(selector));
  return `(sum(increase(tenant_request_errors${sel}[${range}])) or vector(0)) / sum(increase(tenant_request_total${sel}[${range}]))`;
}

/**
 * The bad ratio of one SLO over one window, as one PromQL expression (the only place it is built):
 *   error:   failed / all gateway requests (`errorRatioQuery`);
 *   latency: 1 - (served requests at or under the threshold) / (served requests).
 * No requests in the window: the query returns nothing (0 / 0 is no sample after `sum`), which the
 * caller reports as no data.
 */
export function burnRateQuery(
  slo: SloKind,
  windowS: number,
  opts: { selector?: string; latencyThresholdMs: number },
): string {
  const w = promRange(windowS);
  const sel = normalizeSelector(opts.selector ?? '');
  if (slo === 'error') return errorRatioQuery(w, sel);
  const served = (...more: string[]): string => matchers(...more, SERVED_REQUESTS_MATCHER, sel);
  const le = `le="${bucketBound(opts.latencyThresholdMs)}"`;
  return `1 - sum(increase(http_request_duration_seconds_bucket${served(le)}[${w}])) / sum(increase(http_request_duration_seconds_count${served()}[${w}]))`;
}

/** One window of one SLO as measured: its query and the bad ratio, or why there is none. */
export interface WindowMeasurement {
  slo: SloKind;
  window_s: number;
  query: string;
  /** Bad ratio in [0, 1]; null with `problem` when the window has no usable answer. */
  ratio: number | null;
  problem?: string;
}

/** What the gate is given: the settings and every window's measurement, or why none was made. */
export interface BurnRateInput {
  action: BurnRateAction;
  /** SLO targets (shares of good requests) and the latency SLO's threshold (the budget's p95). */
  slos: { error: number; latency: number; latency_threshold_ms: number };
  pairs: readonly BurnWindowPair[];
  /** One per SLO and distinct window of `pairs`. */
  measurements: WindowMeasurement[];
  /** Set when nothing could be measured (Prometheus unreachable, credentials refused...). */
  unavailable?: string;
}

/** The windows each SLO needs: every distinct long and short window of the pairs. */
export function windowsToMeasure(pairs: readonly BurnWindowPair[]): number[] {
  return [...new Set(pairs.flatMap((p) => [p.long_s, p.short_s]))];
}

export interface WindowBurn {
  window: string;
  window_s: number;
  query: string;
  ratio: number | null;
  burn_rate: number | null;
  problem?: string;
}

/** One row of the report: a pair of windows of one SLO and the rule it triggered. */
export interface BurnPairResult {
  slo: SloKind;
  /** The SLO's target share of good requests. */
  target: number;
  severity: BurnSeverity;
  factor: number;
  long: WindowBurn;
  short: WindowBurn;
  /** Both windows above the factor; null when the data cannot tell. */
  firing: boolean | null;
  rule: BurnRule;
  /** The rule in words, with the numbers (shown in the report's table). */
  why: string;
}

/** `budget.burn_rates` of the smoke report. */
export interface BurnRateReport {
  action: BurnRateAction;
  slos: BurnRateInput['slos'];
  /** The limits after the burn-rate rules (the budget file's when none tightened them). */
  limits: { error_rate: number; p95_ms: number };
  pairs: BurnPairResult[];
  unavailable?: string;
}

export interface BurnRateAssessment {
  report: BurnRateReport;
  /** Gate-failing reasons (`fail` action on a fast burn). */
  failReasons: string[];
  /** Slow burns, and what could not be judged. */
  warnings: string[];
  /** Why a limit was tightened, to quote when it is crossed; absent when that limit was not. */
  tightened: { error_rate?: string; p95_ms?: string };
}

/** `18x`, `14.4x`, `0.52x`: three significant digits at most. */
export function fmtBurn(v: number | null): string {
  return v === null ? 'n/a' : `${Number(v.toPrecision(3))}x`;
}

const SLO_NAME: Record<SloKind, string> = { error: 'error budget', latency: 'latency budget' };

function validate(input: BurnRateInput): void {
  const { error, latency, latency_threshold_ms } = input.slos;
  for (const [name, v] of [
    ['error SLO', error],
    ['latency SLO', latency],
  ] as const)
    if (!(v > 0 && v < 1)) throw new BurnRateError(`${name} must be a ratio in (0, 1), e.g. 0.99; got ${v}`);
  if (!(latency_threshold_ms > 0))
    throw new BurnRateError(`latency threshold must be > 0 ms; got ${latency_threshold_ms}`);
  if (!BURN_RATE_ACTIONS.includes(input.action))
    throw new BurnRateError(`burn-rate action must be tighten or fail; got ${JSON.stringify(input.action)}`);
  for (const p of input.pairs)
    if (!(p.factor > 0 && p.short_s > 0 && p.long_s > p.short_s))
      throw new BurnRateError(
        `a window pair needs a long window longer than its short one and a factor > 0; got ${JSON.stringify(p)}`,
      );
}

function windowBurn(input: BurnRateInput, slo: SloKind, windowS: number, target: number): WindowBurn {
  const m = input.measurements.find((x) => x.slo === slo && x.window_s === windowS);
  const out: WindowBurn = {
    window: promRange(windowS),
    window_s: windowS,
    query: m?.query ?? '',
    ratio: m?.ratio ?? null,
    burn_rate: m && m.ratio !== null ? m.ratio / (1 - target) : null,
  };
  if (!m) out.problem = input.unavailable ?? 'not measured';
  else if (m.ratio === null) out.problem = m.problem ?? 'no data';
  return out;
}

/** Both windows above the factor: true; one at or below it: false (whatever the other); else null. */
function pairFires(long: WindowBurn, short: WindowBurn, factor: number): boolean | null {
  const rates = [long.burn_rate, short.burn_rate];
  if (rates.some((b) => b !== null && !(b > factor))) return false;
  return rates.every((b) => b !== null) ? true : null;
}

const both = (p: { long: WindowBurn; short: WindowBurn }): string =>
  `${fmtBurn(p.long.burn_rate)} over ${p.long.window} and ${fmtBurn(p.short.burn_rate)} over ${p.short.window}`;

function noDataWhy(long: WindowBurn, short: WindowBurn): string {
  const missing = [long, short].filter((w) => w.burn_rate === null);
  const problems = [...new Set(missing.map((w) => w.problem))];
  return `not judged, no ratio over ${missing.map((w) => w.window).join(' and ')}: ${problems.join('; ')}`;
}

/**
 * The burn-rate rules applied to the budget file's limits. Never looser than `base`: every
 * tightened limit is a min with it. Throws BurnRateError on settings no rule can use.
 */
export function assessBurnRates(
  input: BurnRateInput,
  base: { error_rate: number; p95_ms: number },
): BurnRateAssessment {
  validate(input);
  const limits = { error_rate: base.error_rate, p95_ms: base.p95_ms };
  const failReasons: string[] = [];
  const warnings: string[] = [];
  const tightened: BurnRateAssessment['tightened'] = {};
  const pairs: BurnPairResult[] = [];

  for (const slo of ['error', 'latency'] as const) {
    const target = input.slos[slo];
    const rows = input.pairs.map((p): BurnPairResult => {
      const long = windowBurn(input, slo, p.long_s, target);
      const short = windowBurn(input, slo, p.short_s, target);
      const firing = pairFires(long, short, p.factor);
      const why =
        firing === null
          ? noDataWhy(long, short)
          : firing
            ? `${p.severity} burn: ${both({ long, short })}, both above ${fmtBurn(p.factor)}`
            : `no ${p.severity} burn: ${both({ long, short })}, not both above ${fmtBurn(p.factor)}`;
      return { slo, target, severity: p.severity, factor: p.factor, long, short, firing, rule: 'none', why };
    });
    const fast = rows.find((r) => r.severity === 'fast' && r.firing === true);
    const slow = rows.find((r) => r.severity === 'slow' && r.firing === true);
    const what = `${SLO_NAME[slo]} (SLO ${fmtPct(target)}${slo === 'latency' ? ` at or under ${fmtMs(input.slos.latency_threshold_ms)}` : ''})`;
    if (fast && input.action === 'fail') {
      fast.rule = 'fail';
      fast.why += ': the gate fails (burn-rate-action fail)';
      failReasons.push(
        `fast burn of the ${what}: ${both(fast)}, both above ${fmtBurn(fast.factor)}; burn-rate-action fail stops changes until it slows`,
      );
    } else if (fast) {
      fast.rule = 'tighten';
      // The rate both windows agree on.
      const burn = Math.min(fast.long.burn_rate!, fast.short.burn_rate!);
      const because = `by a fast burn of the ${SLO_NAME[slo]}: ${both(fast)}`;
      if (slo === 'error') {
        limits.error_rate = Math.min(base.error_rate, (1 - target) / burn);
        fast.why += `: error-rate limit min(${fmtPct(base.error_rate)}, ${fmtPct(1 - target)} / ${fmtBurn(burn)}) = ${fmtPct(limits.error_rate)}`;
        if (limits.error_rate < base.error_rate) tightened.error_rate = because;
      } else {
        limits.p95_ms = Math.min(base.p95_ms, base.p95_ms / burn);
        fast.why += `: p95 limit min(${fmtMs(base.p95_ms)}, ${fmtMs(base.p95_ms)} / ${fmtBurn(burn)}) = ${fmtMs(limits.p95_ms)}`;
        if (limits.p95_ms < base.p95_ms) tightened.p95_ms = because;
      }
    }
    if (slow && fast) slow.why += '; the fast burn rule applies';
    else if (slow) {
      slow.rule = 'warn';
      slow.why += ': a warning, the limits stay';
      warnings.push(
        `slow burn of the ${what}: ${both(slow)}, both above ${fmtBurn(slow.factor)}; the limits stay, worth a ticket`,
      );
    }
    const undecided = rows.filter((r) => r.firing === null);
    if (undecided.length > 0 && !input.unavailable)
      warnings.push(
        `${SLO_NAME[slo]} burn rate ${undecided.map((r) => `${r.severity} (${r.long.window}/${r.short.window}) ${r.why}`).join('; ')}`,
      );
    pairs.push(...rows);
  }
  if (input.unavailable) warnings.push(`${input.unavailable}; burn rates not measured: the budget file limits apply`);

  const report: BurnRateReport = { action: input.action, slos: { ...input.slos }, limits, pairs };
  if (input.unavailable !== undefined) report.unavailable = input.unavailable;
  return { report, failReasons, warnings, tightened };
}
