/**
 * A big NDJSON file read by several threads. The file is cut into chunks of CHUNK_BYTES at line
 * starts; the calling thread and its workers each take the next chunk from a counter they share
 * (a SharedArrayBuffer) until none is left, so a thread that starts late, or runs on a busy core,
 * simply reads fewer chunks. Samples and counts do not depend on order and are combined exactly;
 * what does (line numbers of errors, the first and last point's time) is kept per chunk and put
 * back in file order. Exact samples come from one pool for the whole file.
 *
 * Workers run `ndjson-worker.js`, a small entry beside this module: in the compiled tree, and in an
 * action's dist/ (scripts/bundle.sh bundles it there), so a worker does not load the whole action.
 * TypeScript sources run by a test loader have no such file, and small files are not worth a thread:
 * the calling thread reads those alone. A compiled tree or bundle without it fails loudly (the worker
 * cannot start) rather than quietly reading on one thread.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LoadResult } from '../load-result.js';
import { SampleBudget } from '../stats/sample-store.js';
import { K6FormatError } from './errors.js';
import {
  MAX_EXACT_SAMPLES,
  ndjsonResult,
  scanNdjsonPartial,
  scanNdjsonRanges,
  type NdjsonPartial,
  type RangeInfo,
  type ScanOptions,
} from './ndjson.js';
import type { ScanRange } from './points.js';

/** Below this size one thread reads faster than starting workers. */
export const PARALLEL_MIN_BYTES = 64 << 20;
/** Bytes a thread takes at a time: small enough that threads finish together, large enough that taking one costs nothing. */
export const CHUNK_BYTES = 16 << 20;

export interface ParallelOptions extends ScanOptions {
  /** Threads to use (default: the CPUs, at most 4). */
  threads?: number;
  /** Files smaller than this are read on the calling thread (default PARALLEL_MIN_BYTES). */
  minBytes?: number;
  /** Bytes per chunk (default CHUNK_BYTES; tests make it small). */
  chunkBytes?: number;
}

/** What a worker is given: the file, its chunks' line-aligned cuts, and the shared counters (see Slot). */
export interface ChunkJob {
  file: string;
  cuts: number[];
  shared: SharedArrayBuffer;
}

/** Int32 slots of the shared buffer. */
const Slot = {
  /** Index of the next chunk to take. */
  Next: 0,
  /** Set once a thread met a format error: the others take no more chunks. */
  Stop: 1,
  /** Exact samples left in the file's pool. */
  Pool: 2,
} as const;

/** One thread's reply: its samples and counts, each chunk's RangeInfo, and the error that stopped it. */
export interface ThreadReply {
  partial: NdjsonPartial;
  ranges: [number, RangeInfo][];
  error?: { index: number; detail: string; line?: number };
}

/** Takes chunks from the shared counter and scans them: what the calling thread and every worker run. */
export function scanSharedChunks(job: ChunkJob): ThreadReply {
  const shared = new Int32Array(job.shared);
  const chunks = job.cuts.length - 1;
  const next = (): { index: number; range: ScanRange } | undefined => {
    if (Atomics.load(shared, Slot.Stop) !== 0) return undefined;
    const index = Atomics.add(shared, Slot.Next, 1);
    return index < chunks ? { index, range: { start: job.cuts[index]!, end: job.cuts[index + 1]! } } : undefined;
  };
  const { partial, ranges, error } = scanNdjsonRanges(job.file, next, new SampleBudget(0, shared, Slot.Pool));
  if (!error) return { partial, ranges };
  Atomics.store(shared, Slot.Stop, 1);
  const { detail, line } = error.error;
  return { partial, ranges, error: { index: error.index, detail, ...(line !== undefined && { line }) } };
}

/** The buffers of a reply's exact samples, to transfer rather than copy. */
export function replyBuffers(reply: ThreadReply): ArrayBuffer[] {
  return reply.partial.endpoints.flatMap((e) => (e.durations.runs ?? []).map((r) => r.buffer as ArrayBuffer));
}

/** Byte offsets that cut `file` into pieces of about `bytes`, each starting at a line start. */
function lineAlignedCuts(file: string, size: number, bytes: number): number[] {
  const cuts = [0];
  const fd = openSync(file, 'r');
  try {
    // A k6 line is a few hundred bytes: a small read finds the next line start (longer lines take more reads).
    const buf = Buffer.allocUnsafe(4 << 10);
    for (let nominal = bytes; nominal < size; nominal += bytes) {
      let pos = Math.max(cuts[cuts.length - 1]!, nominal);
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

// Built at run time, not written as `new URL('…', import.meta.url)`: webpack would rewrite such a URL.
const here = fileURLToPath(import.meta.url);
const workerFile = join(dirname(here), 'ndjson-worker.js');
/** Compiled JavaScript (a build or a bundle) has the worker entry beside it; TypeScript run by a test loader does not. */
const compiled = /\.(m?js|cjs)$/.test(here);

/** Starts one worker on the job: its reply, or a rejection when the thread dies. */
function startWorker(job: ChunkJob): Promise<ThreadReply> {
  const worker = new Worker(workerFile, { workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: ThreadReply) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`k6 reader thread exited with ${code}`));
    });
  });
}

/** The threads' replies in file order: partials with the file's first and last time, or the first error by line. */
function combineReplies(file: string, replies: ThreadReply[], chunks: number): NdjsonPartial[] {
  const byIndex: (RangeInfo | undefined)[] = new Array<RangeInfo | undefined>(chunks);
  for (const r of replies) for (const [i, info] of r.ranges) byIndex[i] = info;
  const errors = replies.flatMap((r) => (r.error ? [r.error] : [])).sort((a, b) => a.index - b.index);
  const first = errors[0];
  if (first) {
    // Every chunk before it was taken earlier, so it was read to its end: its lines are known.
    let before = 0;
    for (let i = 0; i < first.index; i++) before += byIndex[i]!.lines;
    throw new K6FormatError(file, first.detail, first.line !== undefined ? before + first.line : undefined);
  }
  const infos = byIndex as RangeInfo[];
  const partials: NdjsonPartial[] = replies.map((r) => ({ ...r.partial, firstTime: undefined, lastTime: undefined }));
  partials[0]!.firstTime = infos.find((i) => i.firstTime)?.firstTime;
  partials[partials.length - 1]!.lastTime = infos.findLast((i) => i.lastTime)?.lastTime;
  return partials;
}

/** Reads a k6 NDJSON file, split across threads when it is big: its result and its samples. */
export async function readNdjsonParallel(
  file: string,
  size: number,
  opts: ParallelOptions = {},
): Promise<{ result: LoadResult; partials: NdjsonPartial[] }> {
  const threads = Math.max(1, Math.min(opts.threads ?? Math.min(availableParallelism(), 4), 16));
  if (threads === 1 || size < (opts.minBytes ?? PARALLEL_MIN_BYTES) || !compiled) {
    const partials = [scanNdjsonPartial(file, opts)];
    return { result: ndjsonResult(partials, file), partials };
  }
  const cuts = lineAlignedCuts(file, size, Math.max(1, opts.chunkBytes ?? CHUNK_BYTES));
  const job: ChunkJob = { file, cuts, shared: new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT) };
  Atomics.store(
    new Int32Array(job.shared),
    Slot.Pool,
    Math.min(opts.maxExactSamples ?? MAX_EXACT_SAMPLES, 2 ** 31 - 1),
  );
  const workers = Array.from({ length: Math.min(threads, cuts.length - 1) - 1 }, () => startWorker(job));
  // The calling thread reads too, from the first chunk, while the workers start.
  const replies = [scanSharedChunks(job), ...(await Promise.all(workers))];
  const partials = combineReplies(file, replies, cuts.length - 1);
  return { result: ndjsonResult(partials, file), partials };
}
