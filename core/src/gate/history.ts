/**
 * The p95 history of the default branch (pure model; the shell stores it as JSON on a data
 * branch). The baseline of a pull request is the history entry of its merge base's NEAREST
 * RECORDED ANCESTOR, not merely the last stored run: the last run may be of a commit the PR does
 * not contain, which is what makes "last run" comparisons noisy and misleading.
 */
import type { Verdict } from './types.js';

export interface HistoryEntry {
  /** Full commit SHA (40 hex). */
  sha: string;
  /** Git ref the run was for, e.g. `refs/heads/main`. */
  ref: string;
  /** ISO-8601 time of the run. */
  time: string;
  /** null when the run had no requests. */
  p95_ms: number | null;
  error_rate: number | null;
  requests: number;
  verdict: Verdict;
  /** 95 % confidence interval of the p95, when the run had individual points. */
  p95_ci_ms?: [number, number];
}

export const HISTORY_VERSION = 1;
export const DEFAULT_HISTORY_MAX = 100;

export interface HistoryFile {
  version: typeof HISTORY_VERSION;
  /** Bound on `entries`; the oldest are dropped first. */
  max_entries: number;
  /** Oldest first. */
  entries: HistoryEntry[];
}

export class HistoryFormatError extends Error {
  override name = 'HistoryFormatError';
}

export function emptyHistory(max = DEFAULT_HISTORY_MAX): HistoryFile {
  return { version: HISTORY_VERSION, max_entries: max, entries: [] };
}

const SHA = /^[0-9a-f]{7,64}$/i;
const VERDICTS: readonly string[] = ['pass', 'fail', 'inconclusive'];

function finiteOrNull(v: unknown): v is number | null {
  return v === null || (typeof v === 'number' && Number.isFinite(v));
}

/** Validates one entry; `where` names it in errors. */
export function parseHistoryEntry(raw: unknown, where = 'history entry'): HistoryEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new HistoryFormatError(`${where}: expected an object`);
  const o = raw as Record<string, unknown>;
  if (typeof o.sha !== 'string' || !SHA.test(o.sha))
    throw new HistoryFormatError(`${where}: "sha" must be a hex commit SHA`);
  if (typeof o.ref !== 'string') throw new HistoryFormatError(`${where}: "ref" must be a string`);
  if (typeof o.time !== 'string' || Number.isNaN(Date.parse(o.time)))
    throw new HistoryFormatError(`${where}: "time" must be an ISO date`);
  if (!finiteOrNull(o.p95_ms)) throw new HistoryFormatError(`${where}: "p95_ms" must be a number or null`);
  if (!finiteOrNull(o.error_rate)) throw new HistoryFormatError(`${where}: "error_rate" must be a number or null`);
  if (typeof o.requests !== 'number' || !Number.isInteger(o.requests) || o.requests < 0) {
    throw new HistoryFormatError(`${where}: "requests" must be a non-negative integer`);
  }
  if (typeof o.verdict !== 'string' || !VERDICTS.includes(o.verdict))
    throw new HistoryFormatError(`${where}: "verdict" must be pass, fail or inconclusive`);
  const entry: HistoryEntry = {
    sha: o.sha.toLowerCase(),
    ref: o.ref,
    time: o.time,
    p95_ms: o.p95_ms,
    error_rate: o.error_rate,
    requests: o.requests,
    verdict: o.verdict as Verdict,
  };
  const ci = o.p95_ci_ms;
  if (Array.isArray(ci) && ci.length === 2 && ci.every((x) => typeof x === 'number' && Number.isFinite(x)))
    entry.p95_ci_ms = [ci[0], ci[1]];
  return entry;
}

/** Parses a history file (already JSON-parsed); unknown versions are refused rather than misread. */
export function parseHistoryFile(raw: unknown, file = 'history'): HistoryFile {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new HistoryFormatError(`${file}: expected a JSON object with version and entries`);
  const o = raw as Record<string, unknown>;
  if (o.version !== HISTORY_VERSION)
    throw new HistoryFormatError(
      `${file}: unsupported history version ${JSON.stringify(o.version)} (expected ${HISTORY_VERSION})`,
    );
  if (!Array.isArray(o.entries)) throw new HistoryFormatError(`${file}: "entries" must be an array`);
  const max =
    typeof o.max_entries === 'number' && Number.isInteger(o.max_entries) && o.max_entries > 0
      ? o.max_entries
      : DEFAULT_HISTORY_MAX;
  return {
    version: HISTORY_VERSION,
    max_entries: max,
    entries: o.entries.map((e, i) => parseHistoryEntry(e, `${file} entry ${i}`)),
  };
}

/**
 * Appends an entry (a re-run of the same commit replaces its earlier entry) and keeps the last
 * `max` entries. Returns a new array; the input is not modified.
 */
export function appendHistory(
  history: readonly HistoryEntry[],
  entry: HistoryEntry,
  max = DEFAULT_HISTORY_MAX,
): HistoryEntry[] {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`history max must be a positive integer, got ${max}`);
  const sha = entry.sha.toLowerCase();
  const next = history.filter((e) => e.sha.toLowerCase() !== sha);
  next.push({ ...entry, sha });
  return next.slice(-max);
}

/** Whether an entry can serve as a baseline: it measured a p95 on enough requests to be judged. */
export function isUsableBaseline(e: HistoryEntry): boolean {
  return e.p95_ms !== null && Number.isFinite(e.p95_ms) && e.p95_ms > 0 && e.verdict !== 'inconclusive';
}

/**
 * The history entry of the nearest recorded ancestor. `ancestors` is the merge base's
 * first-parent ancestry, nearest first (the merge base itself first). Entries that cannot serve
 * as a baseline (no p95, inconclusive) are skipped, so the next older recorded commit is used.
 */
export function nearestRecordedAncestor(
  history: readonly HistoryEntry[],
  ancestors: readonly string[],
): HistoryEntry | undefined {
  const bySha = new Map<string, HistoryEntry>();
  for (const e of history) if (isUsableBaseline(e)) bySha.set(e.sha.toLowerCase(), e); // later entries win
  for (const a of ancestors) {
    const hit = bySha.get(a.toLowerCase());
    if (hit) return hit;
  }
  return undefined;
}
