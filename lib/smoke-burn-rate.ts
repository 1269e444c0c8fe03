/**
 * The smoke gate's SLO burn rates measured in Prometheus: the settings read by one rule for the
 * action's inputs and the CLI's flags, and every window's bad ratio queried through the shared
 * client (auth, headers, redaction). Prometheus trouble never fails the gate: the input then says
 * why nothing was measured, and the gate warns and keeps the budget file limits.
 */
import { ratioFromSamples } from '#core/gate/adaptive.js';
import {
  BURN_RATE_ACTIONS,
  BurnRateError,
  burnRateQuery,
  DEFAULT_LATENCY_SLO,
  normalizeSelector,
  SRE_WORKBOOK_WINDOWS,
  windowsToMeasure,
  type BurnRateAction,
  type BurnRateInput,
  type BurnWindowPair,
  type SloKind,
  type WindowMeasurement,
} from '#core/gate/burn-rate.js';
import { InputError, parseNumber } from './inputs.js';
import { PrometheusError, type PrometheusClient } from './prometheus.js';

export interface BurnRateSettings {
  action: BurnRateAction;
  /** Error SLO (the `slo` input), e.g. 0.99. */
  errorSlo: number;
  /** Share of requests at or under the budget's p95. */
  latencySlo: number;
  /** Label matchers added to every query; '' for none. */
  selector: string;
  pairs: readonly BurnWindowPair[];
}

/** The raw texts of the burn-rate inputs (action) or flags (CLI); empty or undefined = not given. */
export interface BurnRateRaw {
  action?: string | undefined;
  latencySlo?: string | undefined;
  selector?: string | undefined;
}

/**
 * Burn rates are on when `burn-rate-action` is given; they need the error SLO and a Prometheus.
 * `label(name)` spells an input or flag as the user wrote it (`input slo`, `--slo`). Undefined when
 * off; an InputError (one line) on anything unusable.
 */
export function parseBurnRateSettings(
  raw: BurnRateRaw,
  ctx: { slo: number | undefined; prometheus: boolean; label: (name: string) => string },
): BurnRateSettings | undefined {
  const { label } = ctx;
  const action = (raw.action ?? '').trim();
  const latencyText = (raw.latencySlo ?? '').trim();
  const selectorText = (raw.selector ?? '').trim();
  if (action === '') {
    const stray = latencyText ? 'latency-slo' : selectorText ? 'burn-rate-selector' : undefined;
    if (stray) throw new InputError(`${label(stray)} needs ${label('burn-rate-action')} (tighten or fail)`);
    return undefined;
  }
  if (!(BURN_RATE_ACTIONS as readonly string[]).includes(action))
    throw new InputError(`${label('burn-rate-action')} must be tighten or fail, got ${JSON.stringify(raw.action)}`);
  if (ctx.slo === undefined)
    throw new InputError(`${label('burn-rate-action')} needs ${label('slo')}, the error SLO (e.g. 0.99)`);
  if (!ctx.prometheus) throw new InputError(`${label('burn-rate-action')} needs ${label('prometheus-url')}`);
  const latencySlo =
    parseNumber(label('latency-slo'), latencyText, (v) => v > 0 && v < 1, 'a ratio in (0, 1), e.g. 0.95') ??
    DEFAULT_LATENCY_SLO;
  let selector: string;
  try {
    selector = normalizeSelector(selectorText);
  } catch (err) {
    if (err instanceof BurnRateError) throw new InputError(`${label('burn-rate-selector')}: ${err.message}`);
    throw err;
  }
  return { action: action as BurnRateAction, errorSlo: ctx.slo, latencySlo, selector, pairs: SRE_WORKBOOK_WINDOWS };
}

const RATIO_NAME: Record<SloKind, string> = { error: 'an error ratio', latency: 'a ratio of slow requests' };

/**
 * Every window of both SLOs, queried at once (instant queries at `timeS`, default the server's
 * now). The latency SLO counts requests at or under `latencyThresholdMs` (the budget's p95).
 */
export async function measureBurnRates(
  client: Pick<PrometheusClient, 'query'>,
  settings: BurnRateSettings,
  latencyThresholdMs: number,
  opts: { timeS?: number; signal?: AbortSignal } = {},
): Promise<BurnRateInput> {
  const base = {
    action: settings.action,
    slos: { error: settings.errorSlo, latency: settings.latencySlo, latency_threshold_ms: latencyThresholdMs },
    pairs: settings.pairs,
  };
  const planned = (['error', 'latency'] as const).flatMap((slo) =>
    windowsToMeasure(settings.pairs).map((window_s) => ({
      slo,
      window_s,
      query: burnRateQuery(slo, window_s, { selector: settings.selector, latencyThresholdMs }),
    })),
  );
  try {
    const measurements = await Promise.all(
      planned.map(async (m): Promise<WindowMeasurement> => {
        const r = ratioFromSamples(await client.query(m.query, opts.timeS, opts.signal), RATIO_NAME[m.slo]);
        return 'ratio' in r ? { ...m, ratio: r.ratio } : { ...m, ratio: null, problem: r.problem };
      }),
    );
    return { ...base, measurements };
  } catch (err) {
    if (!(err instanceof PrometheusError)) throw err;
    return {
      ...base,
      measurements: planned.map((m) => ({ ...m, ratio: null, problem: err.message })),
      unavailable: err.message,
    };
  }
}
