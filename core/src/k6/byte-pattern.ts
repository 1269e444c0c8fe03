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

/**
 * Compiled patterns by their bytes (latin1): one function per pattern in the process, so each is
 * optimised once, not again by every scanner (every chunk of a file) that uses it.
 */
const compiled = new Map<string, BytePattern>();

/** The BytePattern of `value` (its UTF-8 bytes). */
export function bytePattern(value: string): BytePattern {
  const bytes = new Uint8Array(Buffer.from(value, 'utf8'));
  const key = Buffer.from(bytes).toString('latin1');
  let pattern = compiled.get(key);
  if (!pattern) {
    pattern = compile(bytes);
    // Bounded: tag names come from the caller's code, but a long-running process should not grow forever.
    if (compiled.size >= 1024) compiled.clear();
    compiled.set(key, pattern);
  }
  return pattern;
}

function compile(bytes: Uint8Array): BytePattern {
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

/** Flags the zero bytes of a 32-bit word (the has-zero-byte test): its lowest flag is exact, higher ones may not be. */
const zeroBytes = (x: number): number => (x - 0x01010101) & ~x & 0x80808080;

/**
 * The index of the first byte equal to `a` or `b` in [from, end) of the view, or `end`: four bytes at
 * a time (bytes equal to `a` become zero bytes after an XOR with `a` spread over the word), then one by
 * one for the last few. `buf` is the view's bytes.
 */
export function indexOfEither(
  view: DataView,
  buf: Uint8Array,
  a: number,
  b: number,
  from: number,
  end: number,
): number {
  const spreadA = Math.imul(a, 0x01010101);
  const spreadB = Math.imul(b, 0x01010101);
  let i = from;
  for (; i + 4 <= end; i += 4) {
    const x = view.getInt32(i, true);
    const flags = zeroBytes(x ^ spreadA) | zeroBytes(x ^ spreadB);
    if (flags !== 0) return i + ((31 - Math.clz32(flags & -flags)) >> 3);
  }
  while (i < end && buf[i] !== a && buf[i] !== b) i++;
  return i;
}

/** Whether bytes [at, at + bytes.length) of the view equal `bytes` (whose own view is `bytesView`): four at a time. */
export function equalBytes(view: DataView, at: number, bytes: Uint8Array, bytesView: DataView): boolean {
  const n = bytes.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) if (view.getInt32(at + i, true) !== bytesView.getInt32(i, true)) return false;
  for (; i < n; i++) if (view.getUint8(at + i) !== bytes[i]) return false;
  return true;
}
