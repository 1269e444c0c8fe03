/**
 * The k6 format registry: one entry per output format this project reads, each with how it is
 * recognised from the content (`sniff`) and how it is read (`read`). Detection never looks at the
 * file name: k6 writes the same names in different shapes depending on version and flags.
 *
 * A file is opened only after `stat` shows a regular file (a FIFO would block the open forever),
 * and with O_NONBLOCK besides, so a file swapped for a FIFO in between cannot hang it either.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { K6Format, LoadResult } from '../load-result.js';
import type { K6Read } from './combine.js';
import { EXPECTED_FORMATS, K6FormatError } from './errors.js';
import { readNdjsonParallel, type ParallelOptions } from './ndjson-parallel.js';
import { isK6JsonRecord } from './points.js';
import {
  isHandleSummary,
  isMachineReadableSummary,
  isSummaryExport,
  readHandleSummary,
  readMachineReadableSummary,
  readSummaryExport,
} from './summary.js';

export type K6OutputFormat = Exclude<K6Format, 'builtin-driver'>;

/** What detection may look at: the first line (parsed) and, lazily, the whole document. */
export interface K6Probe {
  file: string;
  size: number;
  /** The first line parsed as JSON; undefined when it is not JSON (or longer than the head). */
  firstLine: unknown;
  /** The whole file parsed as one JSON document (read on first use); throws K6FormatError when it is not JSON. */
  document(): unknown;
}

export interface K6FormatEntry {
  format: K6OutputFormat;
  sniff(probe: K6Probe): boolean;
  /** The file's result; NDJSON also gives its samples, so several files combine exactly. */
  read(probe: K6Probe, opts?: ParallelOptions): Promise<K6Read>;
}

const summary =
  (reader: (doc: unknown, file: string) => LoadResult) =>
  async (p: K6Probe): Promise<K6Read> => ({ result: reader(p.document(), p.file) });

/** The document for the summary formats' sniffs; never parsed when the first line already says NDJSON. */
const summaryDocument = (p: K6Probe): unknown => (isK6JsonRecord(p.firstLine) ? undefined : p.document());

export const K6_FORMATS: readonly K6FormatEntry[] = [
  {
    format: 'ndjson',
    sniff: (p) => isK6JsonRecord(p.firstLine),
    read: (p, opts) => readNdjsonParallel(p.file, p.size, opts),
  },
  {
    format: 'machine-readable',
    sniff: (p) => isMachineReadableSummary(summaryDocument(p)),
    read: summary(readMachineReadableSummary),
  },
  {
    format: 'handle-summary',
    sniff: (p) => isHandleSummary(summaryDocument(p)),
    read: summary(readHandleSummary),
  },
  {
    format: 'summary-export',
    sniff: (p) => isSummaryExport(summaryDocument(p)),
    read: summary(readSummaryExport),
  },
];

const HEAD_BYTES = 64 * 1024;
/** k6 summaries are kilobytes; a single JSON document this large is not one. */
const MAX_SUMMARY_BYTES = 64 * 1024 * 1024;

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(err);
}

const KIND_OF = (st: import('node:fs').Stats): string =>
  st.isFIFO()
    ? 'a FIFO (named pipe)'
    : st.isSocket()
      ? 'a socket'
      : st.isCharacterDevice() || st.isBlockDevice()
        ? 'a device'
        : st.isDirectory()
          ? 'a directory'
          : 'not a regular file';

/** Refuses anything but a regular file, before opening it; returns its size. */
export function regularFileSize(file: string): number {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new K6FormatError(file, `cannot read file (${errnoText(err)})`);
  }
  if (!st.isFile()) throw new K6FormatError(file, `is ${KIND_OF(st)}, not a regular file: give the k6 output file`);
  return st.size;
}

function readHead(file: string): { head: string; size: number } {
  regularFileSize(file);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new K6FormatError(file, `cannot read file (${errnoText(err)})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new K6FormatError(file, `is ${KIND_OF(st)}, not a regular file: give the k6 output file`);
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
    const bytesRead = readSync(fd, buf, 0, buf.length, 0);
    return { head: buf.toString('utf8', 0, bytesRead), size: st.size };
  } catch (err) {
    if (err instanceof K6FormatError) throw err;
    throw new K6FormatError(file, `cannot read file (${errnoText(err)})`);
  } finally {
    closeSync(fd);
  }
}

/** Opens a probe on `file`: checks it is a non-blank regular file starting with a JSON object. */
export function probeK6File(file: string): K6Probe {
  const { head, size } = readHead(file);
  const text = head.replace(/^\uFEFF/, '');
  const start = text.search(/\S/);
  if (start < 0)
    throw new K6FormatError(
      file,
      size === 0 ? `file is empty; ${EXPECTED_FORMATS}` : `file is blank; ${EXPECTED_FORMATS}`,
    );
  if (text[start] !== '{') throw new K6FormatError(file, `does not start with a JSON object; ${EXPECTED_FORMATS}`);
  const nl = text.indexOf('\n', start);
  // Without a newline in the head, the first line is the whole file when the head is the whole file.
  const first = nl >= 0 ? text.slice(start, nl) : size <= HEAD_BYTES ? text.slice(start) : undefined;
  let firstLine: unknown;
  try {
    firstLine = first === undefined ? undefined : JSON.parse(first);
  } catch {
    // Not a one-line JSON object: a (pretty-printed) summary document, or not k6 output at all.
  }
  let doc: { value: unknown } | undefined;
  return {
    file,
    size,
    firstLine,
    document() {
      doc ??= { value: readJsonDocument(file, size) };
      return doc.value;
    },
  };
}

function readJsonDocument(file: string, size: number): unknown {
  if (size > MAX_SUMMARY_BYTES)
    throw new K6FormatError(file, `is ${size} bytes of non-NDJSON content; ${EXPECTED_FORMATS}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new K6FormatError(file, `cannot read file (${errnoText(err)})`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new K6FormatError(file, `is not valid JSON (${(err as Error).message}); ${EXPECTED_FORMATS}`);
  }
}

/** The registry entry whose format the probe's content has; throws K6FormatError when none fits. */
export function formatOf(probe: K6Probe): K6FormatEntry {
  const entry = K6_FORMATS.find((f) => f.sniff(probe));
  if (!entry) throw new K6FormatError(probe.file, `JSON of an unknown shape; ${EXPECTED_FORMATS}`);
  return entry;
}
