import { join, resolve } from 'node:path';
import type { Budget } from '#core/budget.js';
import { loadBudget } from '#core/budget.js';
import type { HistoryEntry } from '#core/gate/history.js';
import { readK6Result } from '#core/k6/index.js';
import type { LoadResult } from '#core/load-result.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const fixtures = resolve(repoRoot, 'tests/fixtures/k6');

/** The project's real budget file (k6/budget.json). */
export function projectBudget(): Budget {
  return loadBudget(join(repoRoot, 'k6/budget.json'));
}

export async function fixture(name: string): Promise<LoadResult> {
  return readK6Result(join(fixtures, name));
}

/** The real k6 runs the gate tests judge: the passing run as a summary export and as NDJSON points, and a slow run. */
export async function realRuns(
  slowFixture: string,
): Promise<{ pass: LoadResult; slow: LoadResult; points: LoadResult }> {
  const [pass, slow, points] = await Promise.all(
    ['pass-summary-export.json', slowFixture, 'pass-points.ndjson'].map((f) => fixture(f)),
  );
  return { pass: pass!, slow: slow!, points: points! };
}

/** A run that recorded no HTTP request at all (what a reader yields for an empty NDJSON file). */
export function emptyRun(): LoadResult {
  return {
    source: { format: 'ndjson' },
    requests: 0,
    failed_requests: 0,
    error_rate: Number.NaN,
    latency_ms: { p95: Number.NaN },
    thresholds: [],
  };
}

/** A result with `failed` of its requests failed (keeps everything else of the real run). */
export function withFailures(r: LoadResult, failed: number): LoadResult {
  return { ...r, failed_requests: failed, error_rate: failed / r.requests };
}

export function sha(n: number): string {
  return n.toString(16).padStart(7, '0').padEnd(40, 'a');
}

export function entry(n: number, p95: number | null, over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    sha: sha(n),
    ref: 'refs/heads/main',
    time: new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString(),
    p95_ms: p95,
    error_rate: 0,
    requests: 500,
    verdict: 'pass',
    ...over,
  };
}
