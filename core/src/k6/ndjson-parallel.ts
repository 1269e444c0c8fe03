/**
 * A big NDJSON file read by several threads: the file is cut into byte ranges at line starts, each
 * range scanned by a worker thread with the one point reader, and the partial results combined
 * exactly (samples are sent, not copied: their buffers are transferred). Small files, and code that
 * runs from TypeScript sources (tests), are read on the calling thread.
 *
 * The worker runs this same module: from the compiled tree, or from inside the action's ncc bundle
 * (where this module is the bundle). It is started as `import(<this module>)` with argv[1] cleared,
 * so an entry point that runs when it is the main script (`node dist/index.js`) does not run again.
 */
import { availableParallelism } from 'node:os';
import { closeSync, openSync, readSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { LoadResult } from '../load-result.js';
import { K6FormatError } from './errors.js';
import { MAX_EXACT_SAMPLES, ndjsonResult, scanNdjsonPartial, type NdjsonPartial, type ScanOptions } from './ndjson.js';
import type { ScanRange } from './points.js';

/** Below this size one thread reads faster than starting workers. */
export const PARALLEL_MIN_BYTES = 64 << 20;
const WORKER_FLAG = 'hotelPerfK6ScanWorker';

export interface ParallelOptions extends ScanOptions {
  /** Threads to use (default: the CPUs, at most 4). */
  threads?: number;
  /** Files smaller than this are read on the calling thread (default PARALLEL_MIN_BYTES). */
  minBytes?: number;
}

interface WorkerJob {
  [WORKER_FLAG]: true;
  file: string;
  range: ScanRange;
  opts: ScanOptions;
}

type WorkerReply = { partial: NdjsonPartial } | { error: { detail: string; line?: number; message: string } };

/** Scans one range on this thread: its partial result, or its error as plain data (a worker sends either). */
function scanHere(file: string, range: ScanRange, opts: ScanOptions): WorkerReply {
  try {
    return { partial: scanNdjsonPartial(file, range, opts) };
  } catch (err) {
    const e = err as Partial<K6FormatError> & Error;
    return {
      error: { detail: e.detail ?? e.message, message: e.message, ...(e.line !== undefined && { line: e.line }) },
    };
  }
}

// In a worker started by readNdjsonParallel: scan the range, send the result, end.
if (!isMainThread && (workerData as Partial<WorkerJob> | null)?.[WORKER_FLAG] && parentPort) {
  const job = workerData as WorkerJob;
  const reply = scanHere(job.file, job.range, job.opts);
  const transfer: ArrayBuffer[] = [];
  if ('partial' in reply)
    for (const e of reply.partial.endpoints)
      for (const r of e.durations.runs ?? []) transfer.push(r.buffer as ArrayBuffer);
  parentPort.postMessage(reply, transfer);
}

/** Byte offsets that cut `file` into about `n` ranges, each starting at a line start. */
function lineAlignedCuts(file: string, size: number, n: number): number[] {
  const cuts = [0];
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 << 10);
    for (let i = 1; i < n; i++) {
      let pos = Math.max(cuts[cuts.length - 1]!, Math.floor((size * i) / n));
      for (;;) {
        const got = readSync(fd, buf, 0, buf.length, pos);
        if (got === 0) return [...cuts, size];
        const nl = buf.subarray(0, got).indexOf(10);
        if (nl >= 0) {
          pos += nl + 1;
          break;
        }
        pos += got;
      }
      if (pos < size && pos > cuts[cuts.length - 1]!) cuts.push(pos);
    }
  } finally {
    closeSync(fd);
  }
  return [...cuts, size];
}

/** Scans one range in a worker thread of its own. */
function scanRange(file: string, range: ScanRange, opts: ScanOptions): Promise<WorkerReply> {
  const job: WorkerJob = { [WORKER_FLAG]: true, file, range, opts };
  const code = `process.argv[1] = ''; import(${JSON.stringify(import.meta.url)}).catch((e) => { throw e; });`;
  const worker = new Worker(code, { eval: true, workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: WorkerReply) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`k6 reader thread exited with ${code}`));
    });
  });
}

/** Whether this module can run in a worker (compiled JavaScript, not TypeScript run by a test loader). */
const canRunWorkers = (): boolean => /\.(m?js|cjs)$/.test(new URL(import.meta.url).pathname);

/** Reads a k6 NDJSON file, split across threads when it is big: its result and its samples. */
export async function readNdjsonParallel(
  file: string,
  size: number,
  opts: ParallelOptions = {},
): Promise<{ result: LoadResult; partials: NdjsonPartial[] }> {
  const threads = Math.max(1, Math.min(opts.threads ?? Math.min(availableParallelism(), 4), 16));
  // The exact-sample budget is the file's, not each thread's: memory does not grow with the CPUs.
  const scanOpts: ScanOptions = { maxExactSamples: Math.ceil((opts.maxExactSamples ?? MAX_EXACT_SAMPLES) / threads) };
  if (threads === 1 || size < (opts.minBytes ?? PARALLEL_MIN_BYTES) || !canRunWorkers()) {
    const partials = [scanNdjsonPartial(file, undefined, opts)];
    return { result: ndjsonResult(partials, file), partials };
  }
  const cuts = lineAlignedCuts(file, size, threads);
  const ranges = cuts.slice(0, -1).map((start, i) => ({ start, end: cuts[i + 1]!, firstLine: 1 }));
  // The calling thread reads the first range itself while workers read the others: one thread fewer
  // to start (each loads this module again), and the calling thread would only wait otherwise.
  const others = ranges.slice(1).map((r) => scanRange(file, r, scanOpts));
  const replies = [scanHere(file, ranges[0]!, scanOpts), ...(await Promise.all(others))];
  const partials: NdjsonPartial[] = [];
  let linesBefore = 0;
  for (const reply of replies) {
    // The first error in file order, its line counted from the start of the file.
    if ('error' in reply) {
      const { detail, line } = reply.error;
      throw new K6FormatError(file, detail, line !== undefined ? linesBefore + line : undefined);
    }
    partials.push(reply.partial);
    linesBefore += reply.partial.lines;
  }
  return { result: ndjsonResult(partials, file), partials };
}
