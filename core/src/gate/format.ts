/** Number formatting shared by gate reasons and the markdown rendering, so both say the same numbers. */

/** Milliseconds with precision that fits their size: 5.18 ms, 48.7 ms, 452 ms. */
export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  return `${a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2)} ms`;
}

/** A 0..1 ratio as a percentage with at most two decimals: 0.0125 -> "1.25 %", 0.1 -> "10 %". */
export function fmtPct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  return `${Number((v * 100).toFixed(2))} %`;
}

/** A signed relative change: 0.123 -> "+12.3 %". */
export function fmtChange(v: number): string {
  const s = Number((v * 100).toFixed(1));
  return `${s > 0 ? '+' : ''}${s} %`;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
