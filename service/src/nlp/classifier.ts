/**
 * Transparent intent classifier: sums the weights of lexicon phrases found in the folded message,
 * applies the two documented rules (`secondary`, `suppresses`), and turns the scores into a
 * confidence that is high only when the top intent is both strongly and clearly ahead:
 *   confidence = (1 - e^(-top / 1.5)) * top / (top + runner_up)
 * A single strong cue (weight 3) gives 0.86, a lone hint (weight 1) 0.49.
 */
import { INTENTS, LANGUAGE_HINTS, LEXICON, type Intent, type Lang } from './lexicon.js';
import { charCounts, countsDiffer, editDistance, tokenize } from './text.js';

export const DEFAULT_THRESHOLD = 0.5;
/**
 * Typo matching costs an edit distance against every lexicon word per message word: a 4 KB message of
 * unknown words took ~40 ms of CPU. Guests' questions are short, so only the first words are tried.
 */
export const FUZZY_TOKEN_LIMIT = 48;

export interface Classification {
  /** Best intent, or null when nothing matched at all. */
  intent: Intent | null;
  confidence: number;
  /** Intents with a positive score, best first. */
  ranked: { intent: Intent; score: number }[];
  /** Language the message is written in, when the words tell. */
  language: 'es' | 'en' | null;
  tokens: string[];
}

interface Pattern {
  intent: Intent;
  weight: number;
  lang: Lang;
  parts: { word: string; prefix: boolean }[];
}

const PATTERNS: Pattern[] = INTENTS.flatMap((intent) =>
  LEXICON[intent].entries.map(([phrase, weight, lang]) => ({
    intent,
    weight,
    lang,
    parts: phrase
      .split(' ')
      .map((w) => (w.endsWith('*') ? { word: w.slice(0, -1), prefix: true } : { word: w, prefix: false })),
  })),
);

/** Single whole words long enough for typo matching ("disponibilidda", "breakfats"). */
const FUZZY_WORDS = PATTERNS.filter((p) => p.parts.length === 1 && p.parts[0]!.word.length >= 5).map((p) => ({
  p,
  word: p.parts[0]!.word,
  counts: charCounts(p.parts[0]!.word),
}));

const HINTS = new Map<string, 'es' | 'en'>();
for (const lang of ['es', 'en'] as const) for (const w of LANGUAGE_HINTS[lang]) if (!HINTS.has(w)) HINTS.set(w, lang);

function partMatches(part: { word: string; prefix: boolean }, token: string | undefined): boolean {
  if (token === undefined) return false;
  return part.prefix ? token.startsWith(part.word) : token === part.word;
}

function matchesAt(p: Pattern, tokens: string[], i: number): boolean {
  for (let k = 0; k < p.parts.length; k++) if (!partMatches(p.parts[k]!, tokens[i + k])) return false;
  return true;
}

/** A stem such as `reserv` typed with one slip at the start of a longer word ("resevacion"). */
function fuzzyPrefix(token: string, stem: string): boolean {
  for (let len = stem.length - 1; len <= stem.length + 1; len++) {
    if (editDistance(token.slice(0, len), stem, 1) <= 1) return true;
  }
  return false;
}

export interface ClassifyOptions {
  /** Also count lexicon words within a small edit distance of a message word (the improved mode). */
  fuzzy?: boolean;
}

export function classify(text: string, opts: ClassifyOptions = {}): Classification {
  const tokens = tokenize(text);
  const scores = new Map<Intent, number>();
  const langScore = { es: 0, en: 0 };
  const matchedToken = new Uint8Array(tokens.length);
  for (const p of PATTERNS) {
    for (let i = 0; i < tokens.length; i++) {
      if (!matchesAt(p, tokens, i)) continue;
      scores.set(p.intent, (scores.get(p.intent) ?? 0) + p.weight);
      if (p.lang !== '*') langScore[p.lang] += p.weight;
      for (let k = 0; k < p.parts.length; k++) matchedToken[i + k] = 1;
      break; // each phrase counts once per message
    }
  }
  if (opts.fuzzy) {
    let budget = FUZZY_TOKEN_LIMIT;
    for (let i = 0; i < tokens.length && budget > 0; i++) {
      const t = tokens[i]!;
      if (matchedToken[i] || t.length < 5) continue;
      budget--;
      const max = t.length >= 8 ? 2 : 1;
      const counts = charCounts(t);
      for (const { p, word, counts: wordCounts } of FUZZY_WORDS) {
        const whole = !countsDiffer(counts, wordCounts, max) && editDistance(t, word, max) <= max;
        if (whole || (p.parts[0]!.prefix && fuzzyPrefix(t, word))) {
          scores.set(p.intent, (scores.get(p.intent) ?? 0) + p.weight * 0.8);
          if (p.lang !== '*') langScore[p.lang] += p.weight;
          break;
        }
      }
    }
  }
  for (const t of tokens) {
    const l = HINTS.get(t);
    if (l) langScore[l] += 0.5;
  }
  for (const intent of INTENTS) {
    if (!scores.has(intent)) continue;
    for (const s of LEXICON[intent].suppresses ?? []) scores.delete(s);
  }
  if (scores.size > 1) for (const intent of INTENTS) if (LEXICON[intent].secondary) scores.delete(intent);

  const ranked = [...scores].map(([intent, score]) => ({ intent, score })).sort((a, b) => b.score - a.score);
  const top = ranked[0]?.score ?? 0;
  const second = ranked[1]?.score ?? 0;
  const confidence = top === 0 ? 0 : (1 - Math.exp(-top / 1.5)) * (top / (top + second));
  const language = langScore.es > langScore.en ? 'es' : langScore.en > langScore.es ? 'en' : null;
  return {
    intent: ranked[0]?.intent ?? null,
    confidence: Math.round(confidence * 1000) / 1000,
    ranked,
    language,
    tokens,
  };
}
