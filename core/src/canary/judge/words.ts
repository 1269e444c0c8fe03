/** Plain-words number formats of the judge's reasons. */

/** Percentage points, for differences between two rates. */
export function pp(x: number): string {
  return `${x >= 0 ? '+' : '-'}${Math.abs(x * 100).toFixed(2)} pp`;
}
export function pct(x: number): string {
  return `${(x * 100).toFixed(x !== 0 && Math.abs(x) < 0.001 ? 3 : 2)}%`;
}
export function signedPct(x: number | null): string {
  return x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${pct(x)}`;
}
export function ms(x: number | null): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : `${x.toFixed(x < 10 ? 2 : 1)} ms`;
}
export function pval(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toPrecision(2);
}
export function ratio(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(3);
}
