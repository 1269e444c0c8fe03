/**
 * Runs the user's k6 scripts for the smoke gate (its `script` input): a path or a glob becomes a
 * list of scripts, each gets a command line (the user's flags, then the outputs the gate reads, in a
 * folder of their own per script), and they run one after another or several at once (bounded), with
 * fail-fast and a stop on SIGINT/SIGTERM. What the gate then reads is the NDJSON points of every run:
 * several files, one verdict (core/src/k6/combine.ts pools their samples exactly).
 *
 * Each k6 is started by `runK6` (lib/k6/run.ts), through the executor the caller passes (the action
 * passes one on `@actions/exec`).
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { resolveResultFiles, ResultsInputError } from '#core/k6/index.js';
import { InputError } from '../inputs.js';
import { findOnPath } from '../which.js';
import {
  displayCommand,
  K6_THRESHOLDS_CROSSED,
  k6Args,
  K6RunError,
  runK6,
  type K6Executor,
  type K6Outputs,
  type K6RunResult,
} from './run.js';

/** A usage error in the script inputs (or no k6 to run them): one line, exit status 2. */
export class K6ScriptsInputError extends InputError {
  override name = 'K6ScriptsInputError';
  readonly exitCode: number = 2;
}

/** A k6 run that did not complete (or fail-fast stopped the others): the step fails without a verdict, in one line. */
export class K6ScriptsRunError extends Error {
  override name = 'K6ScriptsRunError';
}

/** Flags the action sets itself per script: a user's copy would send the gate's input elsewhere. */
const OWN_FLAGS = ['--summary-export'];

/**
 * The `flags` input as an argument list, split the way a POSIX shell splits words, without running
 * one (no variables, no globbing, no command substitution): whitespace separates words; '...' is
 * literal; "..." keeps spaces and honours \" \\ \$ \`; a backslash outside quotes escapes the next
 * character; an unclosed quote is an error.
 */
export function parseK6Flags(text: string, label = 'input flags'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '\\') {
      if (i + 1 < text.length && text[i + 1] !== '\n') word += text[++i];
      else i++; // a line continuation, or a trailing backslash
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new K6ScriptsInputError(`${label} has an unclosed ' (at character ${i + 1})`);
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && '"\\$`'.includes(text[j + 1] ?? '')) j++;
        word += text[j];
      }
      if (j >= text.length) throw new K6ScriptsInputError(`${label} has an unclosed " (at character ${i + 1})`);
      i = j;
    } else word += c;
  }
  if (inWord) words.push(word);
  for (const w of words) {
    const own = OWN_FLAGS.find((f) => w === f || w.startsWith(`${f}=`));
    if (own)
      throw new K6ScriptsInputError(
        `${label}: ${own} is set by the action (one file per script, read by the gate); remove it`,
      );
  }
  return words;
}

/** The scripts named by the `script` input (a path, a glob, or one of either per line), relative to `cwd`. */
export function resolveScripts(inputs: readonly string[], cwd: string): string[] {
  let files: string[];
  try {
    files = resolveResultFiles(inputs, cwd, 'script');
  } catch (err) {
    if (err instanceof ResultsInputError) throw new K6ScriptsInputError(err.message);
    throw err;
  }
  for (const f of files)
    if (!existsSync(f) || !statSync(f).isFile())
      throw new K6ScriptsInputError(`script ${relative(cwd, f) || f} does not exist (relative to ${cwd})`);
  return files;
}

/** One k6 run: the script, where its outputs go, and its command line. */
export interface PlannedRun {
  script: string;
  /** Short name for the log and the output files (the script's path relative to the workspace). */
  name: string;
  flags: readonly string[];
  outputs: Required<K6Outputs>;
  /** The command line after `k6`, as it will run. */
  args: string[];
}

/** One output folder per script under `outDir`, named after the script's path (unique even for two `smoke.ts`). */
export function planK6Runs(
  scripts: readonly string[],
  flags: readonly string[],
  outDir: string,
  cwd: string,
): PlannedRun[] {
  const used = new Set<string>();
  return scripts.map((script) => {
    const rel = isAbsolute(script) ? relative(cwd, script) : script;
    const name = rel.startsWith('..') ? basename(script) : rel;
    let slug = name.slice(0, name.length - extname(name).length).replace(/[^A-Za-z0-9._-]+/g, '-');
    for (let n = 2; used.has(slug); n++) slug = `${slug.replace(/~\d+$/, '')}~${n}`;
    used.add(slug);
    const dir = join(outDir, slug);
    const outputs = { ndjson: join(dir, 'points.ndjson'), summaryExport: join(dir, 'summary-export.json') };
    return { script, name, flags, outputs, args: k6Args({ script, flags, outputs }) };
  });
}

/** How each planned run ended. */
export interface RunOutcome {
  run: PlannedRun;
  /** Undefined when fail-fast (or a stop) came before it started. */
  result?: K6RunResult;
  /** Stopped by us (fail-fast or SIGINT/SIGTERM), not by its own failure. */
  stopped: boolean;
}

export interface RunScriptsOptions {
  /** At most this many k6 processes at once (1 = one after another). */
  concurrency: number;
  failFast: boolean;
  cwd: string;
  env?: Record<string, string>;
  log: { info(line: string): void };
  exec?: K6Executor;
  k6?: string;
  /** Stops every run (as SIGINT/SIGTERM to this process do while the runs last). */
  signal?: AbortSignal;
}

/** A run fails when k6 exits non-zero: a crossed threshold (99) included, as k6 itself reports it. */
const failed = (r: K6RunResult): boolean => r.code !== 0;

/** Runs the plan with at most `concurrency` k6 at once; with fail-fast, the first failure stops the rest. */
export async function runK6Plan(plan: readonly PlannedRun[], opts: RunScriptsOptions): Promise<RunOutcome[]> {
  const stopAll = new AbortController();
  const onSignal = (): void => stopAll.abort();
  opts.signal?.addEventListener('abort', onSignal, { once: true });
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const outcomes: RunOutcome[] = plan.map((run) => ({ run, stopped: false }));
  const prefix = Math.min(opts.concurrency, plan.length) > 1;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.length && !stopAll.signal.aborted) {
      const outcome = outcomes[next++]!;
      const { run } = outcome;
      rmSync(join(run.outputs.ndjson, '..'), { recursive: true, force: true });
      mkdirSync(join(run.outputs.ndjson, '..'), { recursive: true });
      opts.log.info(displayCommand(['k6', ...run.args]));
      const r = await runK6({
        script: run.script,
        flags: run.flags,
        outputs: run.outputs,
        cwd: opts.cwd,
        log: { info: (l) => opts.log.info(prefix ? `[${run.name}] ${l}` : l) },
        signal: stopAll.signal,
        ...(opts.env && { env: opts.env }),
        ...(opts.exec && { exec: opts.exec }),
        ...(opts.k6 && { k6: opts.k6 }),
      });
      outcome.result = r;
      outcome.stopped = stopAll.signal.aborted;
      if (opts.failFast && failed(r) && !stopAll.signal.aborted) stopAll.abort();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, plan.length)) }, worker));
  } finally {
    opts.signal?.removeEventListener('abort', onSignal);
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  return outcomes;
}

function describeExit(r: K6RunResult): string {
  if (r.code === K6_THRESHOLDS_CROSSED) return 'exited with 99 (thresholds crossed)';
  return `exited with ${r.code ?? r.signal}`;
}

/** The runs' outcome in one line when the gate cannot judge them; undefined when every run completed. */
export function planFailure(outcomes: readonly RunOutcome[], failFast: boolean): string | undefined {
  const first = outcomes.find((o) => o.result && !o.stopped && failed(o.result));
  const stopped = outcomes.filter((o) => o.stopped).map((o) => o.run.name);
  const skipped = outcomes.filter((o) => !o.result).map((o) => o.run.name);
  const incomplete = outcomes.filter((o) => o.result && !o.stopped && !o.result.completed);
  const rest = [
    ...(stopped.length > 0 ? [`stopped ${stopped.join(', ')}`] : []),
    ...(skipped.length > 0 ? [`did not start ${skipped.join(', ')}`] : []),
  ].join('; ');
  if (failFast && first && (stopped.length > 0 || skipped.length > 0))
    return `fail-fast: k6 run of ${first.run.name} ${describeExit(first.result!)}; ${rest}`;
  if (incomplete.length > 0)
    return incomplete.map((o) => `k6 run of ${o.run.name} ${describeExit(o.result!)}`).join('; ');
  if (stopped.length > 0 || skipped.length > 0) return `k6 runs stopped by a signal: ${rest}`;
  return undefined;
}

/** The settings that decide what the gate judges (the smoke gate's spec, lib/smoke/spec.ts, read). */
export interface GateK6Settings {
  /** k6 outputs an earlier step wrote (paths or globs). */
  results: readonly string[];
  /** Or the scripts to run (paths or globs), with their flags, parallelism and fail-fast. */
  script: readonly string[];
  flags?: string | undefined;
  /** true, false or a number: true runs up to one k6 per CPU at once, a number at most that many. */
  parallel?: string | undefined;
  failFast?: boolean | undefined;
}

/** `parallel` as a bound on simultaneous k6 processes: false/empty 1, true one per CPU (at least 2), or N >= 1. */
export function parseParallel(raw: string, label = 'input parallel'): number {
  const v = raw.trim().toLowerCase();
  if (/^[1-9]\d*$/.test(v)) return Number(v);
  if (v === '' || v === 'false') return 1;
  if (v === 'true') return Math.max(2, availableParallelism());
  throw new K6ScriptsInputError(
    `${label} must be true, false or a number of k6 runs at once (>= 1), got ${JSON.stringify(raw)}`,
  );
}

export interface GateScriptsOptions {
  cwd: string;
  /** The folder under which each script's outputs go (one subfolder per script). */
  outDir: string;
  log: { info(line: string): void };
  exec?: K6Executor;
  signal?: AbortSignal;
}

/** Where the one-line advice about a missing k6 points: the action that installs it. */
export const K6_MISSING =
  'k6 is not on PATH: install it before this step, e.g. with grafana/setup-k6-action (uses: grafana/setup-k6-action@<sha> with k6-version)';

/**
 * The k6 outputs the gate judges: `results` as given, or the NDJSON points of the `script` runs
 * (resolve, plan, run). Throws K6ScriptsInputError (exit 2) on bad or conflicting inputs or a missing
 * k6, K6ScriptsRunError when a run did not complete.
 */
export async function gateResultFiles(settings: GateK6Settings, opts: GateScriptsOptions): Promise<string[]> {
  if (settings.script.length > 0 && settings.results.length > 0)
    throw new K6ScriptsInputError(
      'inputs script and results exclude each other: script runs k6 in this step, results reads what an earlier step wrote',
    );
  if (settings.script.length === 0) {
    const given = { flags: settings.flags, parallel: settings.parallel, 'fail-fast': settings.failFast };
    for (const [name, v] of Object.entries(given))
      if (v !== undefined && v !== '') throw new K6ScriptsInputError(`input ${name} needs the script input`);
    if (settings.results.length === 0) throw new K6ScriptsInputError('input results or script is required');
    return [...settings.results];
  }
  return runScripts(settings, opts);
}

async function runScripts(settings: GateK6Settings, opts: GateScriptsOptions): Promise<string[]> {
  const scripts = resolveScripts(settings.script, opts.cwd);
  const flags = parseK6Flags(settings.flags ?? '');
  const concurrency = parseParallel(settings.parallel ?? '');
  const failFast = settings.failFast ?? false;
  if (!findOnPath('k6')) throw new K6ScriptsInputError(K6_MISSING);
  const plan = planK6Runs(scripts, flags, resolve(opts.cwd, opts.outDir), opts.cwd);
  const at = Math.min(concurrency, plan.length);
  opts.log.info(
    `Running ${plan.length} k6 script${plan.length === 1 ? '' : 's'}${at > 1 ? `, up to ${at} at once` : ''}${failFast ? ', fail-fast' : ''}`,
  );
  let outcomes: RunOutcome[];
  try {
    outcomes = await runK6Plan(plan, { concurrency, failFast, cwd: opts.cwd, log: opts.log, ...pick(opts) });
  } catch (err) {
    if (err instanceof K6RunError && /not found/.test(err.message)) throw new K6ScriptsInputError(K6_MISSING);
    throw err;
  }
  const failure = planFailure(outcomes, failFast);
  if (failure) throw new K6ScriptsRunError(failure);
  return plan.map((r) => r.outputs.ndjson);
}

const pick = (o: GateScriptsOptions): Pick<RunScriptsOptions, 'exec' | 'signal'> => ({
  ...(o.exec && { exec: o.exec }),
  ...(o.signal && { signal: o.signal }),
});
