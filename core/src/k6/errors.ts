/** Thrown for any file that is not a k6 output this project understands; the message is one user-facing line. */
export class K6FormatError extends Error {
  override name = 'K6FormatError';
  constructor(
    readonly file: string,
    /** What is wrong, without the file and line. */
    readonly detail: string,
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`);
  }
}

/** What a reader accepts, for error messages. */
export const EXPECTED_FORMATS =
  'expected k6 output: --summary-export JSON, handleSummary data JSON, --out json NDJSON, or the machine-readable summary (version 1.x)';
