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

/** Damerau-Levenshtein (optimal string alignment) distance, stopping early once it exceeds `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}
