/**
 * Several k6 outputs of one run, one LoadResult: the outputs of parallel scripts, or of each
 * k6-operator runner. What can be combined exactly is; what cannot is stated.
 *
 * - All NDJSON: the samples of every file are one population: the p95 is k6's rule over all of them,
 *   with its confidence interval, and the error rate is exact.
 * - Any summary among them: requests, failures and checks add up exactly, but a p95 of the union
 *   cannot be derived from the parts' p95s; it lies between the smallest and the largest of them
 *   (`p95_range_ms`), and the gate judges on that interval. Max, min and the mean combine exactly.
 */
import { globSync, isDynamicPattern } from 'tinyglobby';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { EndpointResult, LoadResult, ResultPart } from '../load-result.js';
import { formatOf, probeK6File, type K6OutputFormat } from './formats.js';
import { ndjsonResult, type NdjsonPartial } from './ndjson.js';
import type { ParallelOptions } from './ndjson-parallel.js';

/** A `results` input that names no file: one user-facing line. */
export class ResultsInputError extends Error {
  override name = 'ResultsInputError';
}

/** One input per line (the action's multi-line `results`), blank lines and surrounding spaces ignored. */
export function splitResultsInput(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A glob's brackets and braces must close: tinyglobby would silently match nothing (or treat it as a path). */
function patternProblem(pattern: string): string | undefined {
  const stack: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') i++;
    else if (c === '[' || c === '{') stack.push(c);
    else if (c === ']' || c === '}') {
      const open = stack.pop();
      if (open !== (c === ']' ? '[' : '{')) return `unmatched ${c}`;
    }
  }
  return stack.length > 0 ? `unclosed ${stack.at(-1)}` : undefined;
}

/**
 * The files named by paths and globs (relative to `cwd`), deduplicated, in a stable order: plain
 * paths as given, each glob's matches sorted. A glob matching nothing is an error naming it, as
 * `what` (the input's name: `results`, or `script` for the k6 scripts the smoke gate runs).
 */
export function resolveResultFiles(inputs: readonly string[], cwd: string, what = 'results'): string[] {
  if (inputs.length === 0) throw new ResultsInputError(`no k6 ${what} given: name a file, several, or a glob`);
  const files: string[] = [];
  for (const input of inputs) {
    const literal = isAbsolute(input) ? input : resolve(cwd, input);
    // A path that exists is taken as it is, even with glob characters in its name.
    if (existsSync(literal)) {
      files.push(literal);
      continue;
    }
    const problem = /[*?[\]{}]/.test(input) ? patternProblem(input) : undefined;
    if (problem)
      throw new ResultsInputError(`${what} glob ${JSON.stringify(input)} is not a valid pattern: ${problem}`);
    if (!isDynamicPattern(input)) {
      files.push(literal);
      continue;
    }
    let matches: string[];
    try {
      matches = globSync(input, { cwd, absolute: true, onlyFiles: true, dot: true, expandDirectories: false });
    } catch (err) {
      throw new ResultsInputError(
        `${what} glob ${JSON.stringify(input)} is not a valid pattern: ${(err as Error).message}`,
      );
    }
    if (matches.length === 0)
      throw new ResultsInputError(`${what} glob ${JSON.stringify(input)} matches no file (relative to ${cwd})`);
    files.push(...matches.sort());
  }
  return [...new Set(files)];
}

/** What reading one file gives: its result and, for NDJSON, its samples (for an exact union). */
export interface K6Read {
  result: LoadResult;
  partials?: readonly NdjsonPartial[];
}

/** Reads one file through the format registry. */
export async function readK6File(file: string, opts?: ParallelOptions): Promise<K6Read> {
  const probe = probeK6File(file);
  return formatOf(probe).read(probe, opts);
}

function partOf(r: LoadResult): ResultPart {
  const part: ResultPart = {
    file: r.source.file ?? '',
    format: r.source.format as K6OutputFormat,
    requests: r.requests,
    failed_requests: r.failed_requests,
    p95_ms: r.latency_ms.p95,
  };
  if (r.duration_s !== undefined) part.duration_s = r.duration_s;
  return part;
}

const minOf = (xs: number[]): number => xs.reduce((m, x) => Math.min(m, x), Number.POSITIVE_INFINITY);
const maxOf = (xs: number[]): number => xs.reduce((m, x) => Math.max(m, x), Number.NEGATIVE_INFINITY);

function formatsText(parts: readonly ResultPart[]): string {
  const counts = new Map<string, number>();
  for (const p of parts) counts.set(p.format, (counts.get(p.format) ?? 0) + 1);
  return [...counts].map(([f, n]) => `${n} ${f}`).join(', ');
}

/** The interval of several p95s, or an exact value when they coincide or only one is known. */
function p95Interval(values: number[]): { p95: number; range?: [number, number] } {
  const known = values.filter(Number.isFinite);
  if (known.length === 0) return { p95: Number.NaN };
  const lo = minOf(known);
  const hi = maxOf(known);
  return lo === hi && known.length === values.length ? { p95: lo } : { p95: Number.NaN, range: [lo, hi] };
}

/** Endpoint rows of several summaries: counts add where every part counts them; p95 as an interval. */
function combinedEndpoints(results: readonly LoadResult[]): EndpointResult[] | undefined {
  const byName = new Map<string, EndpointResult[]>();
  for (const r of results) for (const e of r.endpoints ?? []) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
  if (byName.size === 0) return undefined;
  return [...byName].map(([name, rows]) => {
    const { p95, range } = p95Interval(rows.map((e) => e.p95_ms));
    const row: EndpointResult = { name, p95_ms: p95 };
    if (range) row.p95_range_ms = range;
    if (rows.length === results.length && rows.every((e) => e.requests !== undefined)) {
      row.requests = rows.reduce((s, e) => s + e.requests!, 0);
      if (rows.every((e) => e.failed_requests !== undefined)) {
        row.failed_requests = rows.reduce((s, e) => s + e.failed_requests!, 0);
        row.error_rate = row.requests > 0 ? row.failed_requests / row.requests : Number.NaN;
      }
    }
    return row;
  });
}

/** Counts add up; the p95 is an interval (or exact when the parts agree); max, min and mean combine exactly. */
function combineSummaries(reads: readonly K6Read[], parts: ResultPart[]): LoadResult {
  const results = reads.map((r) => r.result);
  const requests = results.reduce((s, r) => s + r.requests, 0);
  const failed = results.reduce((s, r) => s + r.failed_requests, 0);
  const { p95, range } = p95Interval(results.filter((r) => r.requests > 0).map((r) => r.latency_ms.p95));
  const latency: LoadResult['latency_ms'] = { p95 };
  const withLatency = results.filter((r) => r.requests > 0);
  const all = <K extends 'min' | 'max' | 'avg'>(k: K): number[] | undefined => {
    const xs = withLatency.map((r) => r.latency_ms[k]);
    return xs.length > 0 && xs.every((x) => x !== undefined && Number.isFinite(x)) ? (xs as number[]) : undefined;
  };
  const mins = all('min');
  const maxes = all('max');
  const avgs = all('avg');
  if (mins) latency.min = minOf(mins);
  if (maxes) latency.max = maxOf(maxes);
  if (avgs && requests > 0) latency.avg = avgs.reduce((s, a, i) => s + a * withLatency[i]!.requests, 0) / requests;
  const formats = new Set(parts.map((p) => p.format));
  const out: LoadResult = {
    source: { format: formats.size === 1 ? parts[0]!.format : 'mixed' },
    requests,
    failed_requests: failed,
    error_rate: requests > 0 ? failed / requests : Number.NaN,
    latency_ms: latency,
    thresholds: results.flatMap((r) => r.thresholds.map((t) => ({ ...t, file: r.source.file ?? '' }))),
    parts,
    combination: range
      ? `${parts.length} files (${formatsText(parts)}): requests and failures add up exactly; the p95 of all requests is not in the summaries, only that it lies between the smallest and the largest file's p95`
      : `${parts.length} files (${formatsText(parts)}): requests and failures add up exactly; every file has the same p95`,
  };
  if (range) out.p95_range_ms = range;
  const checked = results.filter((r) => r.checks);
  if (checked.length > 0) {
    const passes = checked.reduce((s, r) => s + r.checks!.passes, 0);
    const fails = checked.reduce((s, r) => s + r.checks!.fails, 0);
    if (passes + fails > 0) out.checks = { passes, fails, rate: passes / (passes + fails) };
  }
  const durations = results.map((r) => r.duration_s).filter((d): d is number => d !== undefined);
  if (durations.length > 0) out.duration_s = maxOf(durations);
  const endpoints = combinedEndpoints(results);
  if (endpoints) out.endpoints = endpoints;
  return out;
}

/** One LoadResult from already read files (see the module comment for the rules). */
export function combineK6Reads(reads: readonly K6Read[]): LoadResult {
  if (reads.length === 1) return reads[0]!.result;
  const parts = reads.map((r) => partOf(r.result));
  if (reads.every((r) => r.partials)) {
    const union = ndjsonResult(
      reads.flatMap((r) => r.partials!),
      parts.map((p) => p.file).join(', '),
    );
    delete union.source.file;
    union.parts = parts;
    union.combination = `${parts.length} NDJSON files: the p95 and the error rate are computed over the samples of all of them (k6's rule), exactly`;
    return union;
  }
  return combineSummaries(reads, parts);
}

/** Reads every file named by `inputs` (paths or globs relative to `cwd`) into one LoadResult. */
export async function readK6Results(
  inputs: readonly string[],
  cwd: string,
  opts?: ParallelOptions,
): Promise<LoadResult> {
  const files = resolveResultFiles(inputs, cwd);
  const reads: K6Read[] = [];
  for (const f of files) reads.push(await readK6File(f, opts));
  return combineK6Reads(reads);
}
