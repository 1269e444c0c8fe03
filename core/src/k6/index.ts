/**
 * `readK6Result(path)`: any k6 output this project understands -> LoadResult, the format told by
 * content through the format registry (formats.ts).
 */
import type { LoadResult } from '../load-result.js';
import { formatOf, probeK6File, type K6OutputFormat } from './formats.js';
import type { ParallelOptions } from './ndjson-parallel.js';

export { K6FormatError, EXPECTED_FORMATS } from './errors.js';
export {
  K6_FORMATS,
  formatOf,
  probeK6File,
  regularFileSize,
  type K6FormatEntry,
  type K6OutputFormat,
  type K6Probe,
} from './formats.js';
export { readK6Ndjson, MAX_EXACT_SAMPLES } from './ndjson.js';
export { readNdjsonParallel, PARALLEL_MIN_BYTES, type ParallelOptions } from './ndjson-parallel.js';
export { HISTOGRAM_ERROR_BOUND } from '../stats/sample-store.js';
export {
  combineK6Reads,
  readK6File,
  readK6Results,
  resolveResultFiles,
  splitResultsInput,
  ResultsInputError,
  type K6Read,
} from './combine.js';
export { scanK6Points, isK6JsonRecord, type K6Point, type PointMetric } from './points.js';

/** Which k6 format a file holds, from its content; throws K6FormatError when none fits. */
export async function detectK6Format(path: string): Promise<K6OutputFormat> {
  return formatOf(probeK6File(path)).format;
}

/** Reads any supported k6 output file and reduces it to a LoadResult. */
export async function readK6Result(path: string, opts?: ParallelOptions): Promise<LoadResult> {
  const probe = probeK6File(path);
  return (await formatOf(probe).read(probe, opts)).result;
}
