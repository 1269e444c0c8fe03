/**
 * `readK6Result(path)`: any k6 output this project understands -> LoadResult, the format told by
 * content. The head of the file decides: a first line that is a k6 `Metric`/`Point` record means
 * NDJSON (streamed); otherwise the whole file must be one JSON summary document.
 */
import { open, readFile } from 'node:fs/promises';
import type { K6Format, LoadResult } from '../load-result.js';
import { EXPECTED_FORMATS, K6FormatError } from './errors.js';
import { isK6JsonRecord, readK6Ndjson } from './ndjson.js';
import { detectSummaryFormat, loadResultFromSummary } from './summary.js';

export { K6FormatError, EXPECTED_FORMATS } from './errors.js';
export { readK6Ndjson } from './ndjson.js';
export { detectSummaryFormat, loadResultFromSummary } from './summary.js';

const HEAD_BYTES = 64 * 1024;
/** k6 summaries are kilobytes; a single JSON document this large is not one. */
const MAX_SUMMARY_BYTES = 64 * 1024 * 1024;

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(err);
}

async function readHead(path: string): Promise<{ head: string; size: number }> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new K6FormatError(path, `cannot read file (${errnoText(err)})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new K6FormatError(path, 'is not a regular file');
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { head: buf.toString('utf8', 0, bytesRead), size: st.size };
  } catch (err) {
    if (err instanceof K6FormatError) throw err;
    throw new K6FormatError(path, `cannot read file (${errnoText(err)})`);
  } finally {
    await fh.close();
  }
}

type Sniffed = { format: 'ndjson' } | { format: Exclude<K6Format, 'builtin-driver' | 'ndjson'>; doc: unknown };

async function sniff(path: string): Promise<Sniffed> {
  const { head, size } = await readHead(path);
  const text = head.replace(/^\uFEFF/, '');
  const start = text.search(/\S/);
  if (start < 0)
    throw new K6FormatError(
      path,
      size === 0 ? `file is empty; ${EXPECTED_FORMATS}` : `file is blank; ${EXPECTED_FORMATS}`,
    );
  if (text[start] !== '{') throw new K6FormatError(path, `does not start with a JSON object; ${EXPECTED_FORMATS}`);
  const nl = text.indexOf('\n', start);
  if (nl > 0) {
    try {
      if (isK6JsonRecord(JSON.parse(text.slice(start, nl)))) return { format: 'ndjson' };
    } catch {
      // Not a one-line JSON object: a (pretty-printed) summary document, checked below.
    }
  }
  const doc = await readJsonDocument(path, size);
  const format = detectSummaryFormat(doc);
  if (format) return { format, doc };
  // A one-line NDJSON file without a trailing newline.
  if (isK6JsonRecord(doc)) return { format: 'ndjson' };
  throw new K6FormatError(path, `JSON of an unknown shape; ${EXPECTED_FORMATS}`);
}

async function readJsonDocument(path: string, size: number): Promise<unknown> {
  if (size > MAX_SUMMARY_BYTES)
    throw new K6FormatError(path, `is ${size} bytes of non-NDJSON content; ${EXPECTED_FORMATS}`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new K6FormatError(path, `cannot read file (${errnoText(err)})`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new K6FormatError(path, `is not valid JSON (${(err as Error).message}); ${EXPECTED_FORMATS}`);
  }
}

/** Which k6 format a file holds, from its content; throws K6FormatError when none fits. */
export async function detectK6Format(path: string): Promise<Exclude<K6Format, 'builtin-driver'>> {
  return (await sniff(path)).format;
}

/** Reads any supported k6 output file and reduces it to a LoadResult. */
export async function readK6Result(path: string): Promise<LoadResult> {
  const s = await sniff(path);
  if (s.format === 'ndjson') return readK6Ndjson(path);
  return loadResultFromSummary(s.doc, path);
}
