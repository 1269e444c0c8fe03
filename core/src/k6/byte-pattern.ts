/**
 * Fixed byte strings tested in place, four bytes at a time. The NDJSON scanner tests every line of a
 * file for k6's layout (`{"metric":"`, `","type":"Point"`, …): a byte loop spends most of its time
 * on the loop itself. Each pattern is compiled once into a chain of 32-bit compares through a
 * DataView against constants (the last word overlapping the one before when the length is not a
 * multiple of four), which measured 1.5× faster on the scanner's skip path than a loop over the
 * same words (bench/ndjson.bench.ts).
 */

/** Tests whether the pattern's bytes are at `at` in the view; the caller keeps `at + length` within the view. */
export type PatternTest = (view: DataView, at: number) => boolean;

export interface BytePattern {
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly at: PatternTest;
}

/** Compiles `value` (its UTF-8 bytes, or a byte array) into a BytePattern. */
export function bytePattern(value: string | Uint8Array): BytePattern {
  const bytes = typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'utf8')) : Uint8Array.from(value);
  const view = new DataView(bytes.buffer);
  const terms: string[] = [];
  if (bytes.length < 4) {
    for (let i = 0; i < bytes.length; i++) terms.push(`v.getUint8(a + ${i}) === ${bytes[i]}`);
  } else {
    const offsets: number[] = [];
    for (let o = 0; o + 4 <= bytes.length; o += 4) offsets.push(o);
    if (bytes.length % 4 !== 0) offsets.push(bytes.length - 4);
    for (const o of offsets) terms.push(`v.getInt32(a + ${o}, true) === ${view.getInt32(o, true)}`);
  }
  // Only numbers from the bytes above go into the source: no text of the caller's is evaluated.
  const at = new Function('v', 'a', `return ${terms.length > 0 ? terms.join(' && ') : 'true'};`) as PatternTest;
  return { bytes, length: bytes.length, at };
}
