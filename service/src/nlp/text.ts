/** Text normalisation for the classifier: lower case, accents folded (ñ -> n, á -> a), punctuation dropped. */
const COMBINING = /[\u0300-\u036f]/g;
const APOSTROPHE = /['’`´]/g;
const NON_WORD = /[^a-z0-9]+/g;

export function fold(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(COMBINING, '').replace(APOSTROPHE, '');
}

export function tokenize(text: string): string[] {
  return fold(text).replace(NON_WORD, ' ').trim().split(' ').filter(Boolean);
}

// Three rows of the distance table, reused by every call: typo matching runs thousands of distances per
// message, and allocating rows for each was most of the webhook's CPU (and its garbage collection).
let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/** Damerau-Levenshtein (optimal string alignment) distance, stopping early once it exceeds `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (rows[0]!.length <= b.length) rows = rows.map(() => new Int32Array(b.length + 1));
  let [prev2, prev, cur] = rows as [Int32Array, Int32Array, Int32Array];
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1))
        v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length]!;
}

/** Letter and digit counts of a folded word (what `countsDiffer` compares). */
export function charCounts(word: string): Uint8Array {
  const counts = new Uint8Array(36);
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    const k = c >= 97 ? c - 97 : c - 48 + 26;
    if (k >= 0 && k < 36 && counts[k]! < 255) counts[k]!++;
  }
  return counts;
}

/**
 * A cheap lower bound of the edit distance: one edit changes the letter counts by at most 2 (a
 * substitution), so counts that differ by more than 2 * max mean a distance above max. Rules out
 * most lexicon words without filling a distance table.
 */
export function countsDiffer(a: Uint8Array, b: Uint8Array, max: number): boolean {
  let diff = 0;
  for (let k = 0; k < 36; k++) diff += Math.abs(a[k]! - b[k]!);
  return diff > 2 * max;
}
