/**
 * The smoke gate's SLO-driven limits: the adaptive error-rate limit (error budget spent, from a
 * setting, Prometheus or the recorded runs) and the opt-in burn rates. Monitoring trouble never
 * fails the gate: it is a warning and the next source.
 */
import {
  budgetSpentFromErrorRatio,
  budgetSpentFromHistory,
  defaultErrorBudgetQuery,
  errorRatioFromSamples,
  type ErrorBudgetInput,
} from '#core/gate/adaptive.js';
import type { Budget } from '#core/budget.js';
import type { BurnRateInput } from '#core/gate/burn-rate.js';
import { fmtPct } from '#core/gate/format.js';
import type { HistoryFile } from '#core/gate/history.js';
import { InputError } from '../inputs.js';
import type { Logger } from '../kit/host.js';
import {
  checkPrometheusTarget,
  parseHeaderLines,
  PrometheusClient,
  PrometheusError,
  prometheusSecrets,
  redactUrl,
} from '../prometheus.js';
import { measureBurnRates, parseBurnRateSettings, type BurnRateSettings } from '../smoke-burn-rate.js';
import type { SmokeConfig } from './config.js';

type Label = (name: string) => string;

export interface PrometheusSource {
  /** As given: may hold user:password (basic auth). Show `redactUrl(url)`, never this. */
  url: string;
  headers: Record<string, string>;
  query: string;
}

/** The URL's password and every header value: to mask before anything is logged. */
export function smokeSecrets(config: Pick<SmokeConfig, 'prometheusUrl' | 'prometheusHeaders'>): string[] {
  return prometheusSecrets(config.prometheusUrl ?? '', config.prometheusHeaders);
}

/** The SLO settings checked together, before any load or GitHub call. */
export interface SloPlan {
  slo?: number;
  spentInput?: number;
  windowDays: number;
  prometheus?: PrometheusSource;
  burnRates?: BurnRateSettings;
}

export function planSlo(config: SmokeConfig, label: Label): SloPlan {
  const headerLabel = label('prometheus-headers');
  const headers = parseHeaderLines(
    headerLabel,
    config.prometheusHeaders,
    headerLabel.startsWith('--') ? 'value' : 'line',
  );
  const url = config.prometheusUrl;
  let prometheus: PrometheusSource | undefined;
  if (!url) {
    if (config.errorBudgetQuery) throw new InputError(`${label('error-budget-query')} needs the prometheus-url input`);
    if (Object.keys(headers).length > 0)
      throw new InputError(`${label('prometheus-headers')} needs the prometheus-url input`);
  } else {
    checkPrometheusTarget(label('prometheus-url'), url, headers);
    prometheus = { url, headers, query: config.errorBudgetQuery || defaultErrorBudgetQuery(config.sloWindowDays) };
  }
  const burnRates = parseBurnRateSettings(
    { action: config.burnRateAction, latencySlo: config.latencySlo, selector: config.burnRateSelector },
    { slo: config.slo, prometheus: prometheus !== undefined, label },
  );
  if (config.slo === undefined) {
    if (config.errorBudgetSpent !== undefined)
      throw new InputError(`${label('error-budget-spent')} needs the slo input (e.g. slo: 0.99)`);
    if (prometheus) throw new InputError(`${label('prometheus-url')} needs the slo input (e.g. slo: 0.99)`);
  }
  return {
    windowDays: config.sloWindowDays,
    ...(config.slo !== undefined && { slo: config.slo }),
    ...(config.errorBudgetSpent !== undefined && { spentInput: config.errorBudgetSpent }),
    ...(prometheus && { prometheus }),
    ...(burnRates && { burnRates }),
  };
}

/** Burn rates measured on the plan's Prometheus; undefined when off. */
export async function burnRatesFor(plan: SloPlan, budget: Budget): Promise<BurnRateInput | undefined> {
  if (!plan.burnRates || !plan.prometheus) return undefined;
  const client = new PrometheusClient(plan.prometheus.url, { headers: plan.prometheus.headers });
  return measureBurnRates(client, plan.burnRates, budget.p95_ms);
}

/**
 * The error budget spent, by precedence: the error-budget-spent setting, then Prometheus, then the
 * recorded runs. Undefined without an slo or when nothing knows (a warning in `warnings`).
 */
export async function errorBudgetFor(
  plan: SloPlan,
  history: HistoryFile['entries'],
  warnings: string[],
  log: Pick<Logger, 'info'>,
  now = new Date(),
): Promise<ErrorBudgetInput | undefined> {
  const { slo, windowDays, prometheus } = plan;
  if (slo === undefined) return undefined;
  const base = { slo, windowDays };
  if (plan.spentInput !== undefined) {
    if (prometheus) log.info('error-budget-spent is set: Prometheus is not queried for the error budget');
    return { ...base, budgetSpent: plan.spentInput, source: 'input' };
  }
  let fallbackReason: string | undefined;
  if (prometheus) {
    try {
      const samples = await new PrometheusClient(prometheus.url, { headers: prometheus.headers }).query(
        prometheus.query,
      );
      const r = errorRatioFromSamples(samples);
      if ('ratio' in r) {
        const budgetSpent = budgetSpentFromErrorRatio(r.ratio, slo);
        log.info(`error budget: ${fmtPct(r.ratio)} errors over the window in Prometheus, ${fmtPct(budgetSpent)} spent`);
        return { ...base, budgetSpent, source: 'prometheus', query: prometheus.query, observedErrorRatio: r.ratio };
      }
      fallbackReason = `the error-budget query on Prometheus at ${redactUrl(prometheus.url)} ${r.problem}`;
    } catch (err) {
      if (!(err instanceof PrometheusError)) throw err;
      fallbackReason = err.message;
    }
  }
  const fromHistory = budgetSpentFromHistory(history, { slo, windowDays, now });
  if (fromHistory) {
    if (fallbackReason) {
      fallbackReason += `; error budget spent taken from the ${fromHistory.runs} recorded runs in the window instead`;
      warnings.push(fallbackReason);
    }
    return {
      ...base,
      budgetSpent: fromHistory.spent,
      source: 'history',
      ...(fallbackReason !== undefined && { fallbackReason }),
    };
  }
  warnings.push(
    fallbackReason
      ? `${fallbackReason}; no recorded runs in the window either: the budget file error-rate limit applies`
      : 'slo is set but the error budget spent is unknown (no error-budget-spent input, no prometheus-url, no recorded runs in the window): the budget file limit applies.',
  );
  return undefined;
}
