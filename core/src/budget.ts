/**
 * The performance budget: one JSON file (`k6/budget.json` by default) read by the k6 scripts,
 * the smoke gate and the canary, so that a threshold is changed in exactly one place.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SmokeShape {
  /** Concurrent virtual users (connections for the built-in driver). */
  vus: number;
  /** Upper bound on the run's duration in seconds. */
  duration_s: number;
  /** Upper bound on the number of requests the built-in driver sends. */
  max_requests: number;
}

/** Limits for one endpoint (a k6 request name), stricter or looser than the run's. */
export interface EndpointBudget {
  p95_ms?: number;
  error_rate?: number;
}

export interface Budget {
  version: 1;
  /** Largest acceptable 95th percentile of `http_req_duration`, in milliseconds. */
  p95_ms: number;
  /** Largest acceptable share of failed requests, 0..1. */
  error_rate: number;
  /** Fewer requests than this and a run is `inconclusive`, never `pass` or `fail`. */
  min_requests: number;
  smoke: SmokeShape;
  /** Optional limits per endpoint (k6's `name` tag); the verdict stays on the whole run for the others. */
  endpoints?: Record<string, EndpointBudget>;
}

// The same module runs from core/src (sources), build/core/src (tsc output, one level deeper) and inside an
// action's ncc bundle, which carries a copy of the file beside its index.js (scripts/bundle.sh copies it). The
// path is built at run time, not written as `new URL('…', import.meta.url)`: webpack would rewrite such a URL.
const here = dirname(fileURLToPath(import.meta.url));
const budgetCandidates = [
  join(here, 'budget.json'),
  join(here, '..', '..', 'k6', 'budget.json'),
  join(here, '..', '..', '..', 'k6', 'budget.json'),
];
export const DEFAULT_BUDGET_PATH = budgetCandidates.find((p) => existsSync(p)) ?? budgetCandidates[0]!;

export class BudgetError extends Error {
  override name = 'BudgetError';
}

function positiveNumber(file: string, obj: Record<string, unknown>, key: string, max = Infinity): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) {
    throw new BudgetError(`${file}: "${key}" must be a number in (0, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Validates an already parsed budget object; `file` only names the source in error messages. */
export function parseBudget(raw: unknown, file = 'budget'): Budget {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BudgetError(`${file}: expected a JSON object with p95_ms, error_rate and min_requests`);
  }
  const o = raw as Record<string, unknown>;
  if (o.version !== 1)
    throw new BudgetError(`${file}: unsupported budget "version" ${JSON.stringify(o.version)} (expected 1)`);
  const smokeRaw = (o.smoke ?? {}) as Record<string, unknown>;
  const budget: Budget = {
    version: 1,
    p95_ms: positiveNumber(file, o, 'p95_ms'),
    error_rate: positiveNumber(file, o, 'error_rate', 1),
    min_requests: Math.ceil(positiveNumber(file, o, 'min_requests')),
    smoke: {
      vus: Math.ceil(positiveNumber(`${file} smoke`, { vus: 8, ...smokeRaw }, 'vus')),
      duration_s: positiveNumber(`${file} smoke`, { duration_s: 20, ...smokeRaw }, 'duration_s'),
      max_requests: Math.ceil(positiveNumber(`${file} smoke`, { max_requests: 4000, ...smokeRaw }, 'max_requests')),
    },
  };
  if (o.endpoints !== undefined) budget.endpoints = parseEndpoints(file, o.endpoints);
  return budget;
}

function parseEndpoints(file: string, raw: unknown): Record<string, EndpointBudget> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new BudgetError(`${file}: "endpoints" must be an object of request name -> {p95_ms, error_rate}`);
  const out: Record<string, EndpointBudget> = {};
  for (const [name, limits] of Object.entries(raw as Record<string, unknown>)) {
    const where = `${file} endpoints.${name}`;
    if (typeof limits !== 'object' || limits === null || Array.isArray(limits))
      throw new BudgetError(`${where}: expected an object with p95_ms and/or error_rate`);
    const l = limits as Record<string, unknown>;
    const unknown = Object.keys(l).filter((k) => k !== 'p95_ms' && k !== 'error_rate');
    if (unknown.length > 0 || Object.keys(l).length === 0)
      throw new BudgetError(`${where}: expected p95_ms and/or error_rate, got ${JSON.stringify(Object.keys(l))}`);
    const e: EndpointBudget = {};
    if (l.p95_ms !== undefined) e.p95_ms = positiveNumber(where, l, 'p95_ms');
    if (l.error_rate !== undefined) e.error_rate = positiveNumber(where, l, 'error_rate', 1);
    out[name] = e;
  }
  return out;
}

/** Reads and validates a budget file; errors name the file and what was expected. */
export function loadBudget(path: string = DEFAULT_BUDGET_PATH): Budget {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BudgetError(`cannot read budget file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BudgetError(`budget file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseBudget(raw, path);
}

/** Applies explicit overrides (action inputs, CLI flags) on top of the file; undefined keeps the file's value. */
export function withOverrides(
  budget: Budget,
  o: { p95_ms?: number | undefined; error_rate?: number | undefined; min_requests?: number | undefined },
): Budget {
  return parseBudget({
    ...budget,
    ...(o.p95_ms !== undefined && { p95_ms: o.p95_ms }),
    ...(o.error_rate !== undefined && { error_rate: o.error_rate }),
    ...(o.min_requests !== undefined && { min_requests: o.min_requests }),
  });
}
