/**
 * Values of action inputs and CLI flags, parsed by one rule in every shell (smoke gate, canary,
 * their CLIs), each failure a one-line InputError naming the input. Pure: a shell passes
 * `core.getInput(name)` or a flag's value, and `label` says how the user spelt it
 * (`input rate`, `--rate`).
 */
export class InputError extends Error {
  override name = 'InputError';
}

const TRUE = ['true', 'yes', '1'];
const FALSE = ['false', 'no', '0'];

/** undefined when empty (the caller's default applies). */
export function parseBool(label: string, raw: string | undefined): boolean | undefined {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '') return undefined;
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw new InputError(`${label} must be true or false, got ${JSON.stringify(raw)}`);
}

/** undefined when empty; `expected` describes the accepted range in the error. */
export function parseNumber(
  label: string,
  raw: string | undefined,
  check: (v: number) => boolean = () => true,
  expected = 'a number',
): number | undefined {
  const v = (raw ?? '').trim();
  if (v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n))
    throw new InputError(`${label} must be ${expected}, got ${JSON.stringify(raw)}`);
  return n;
}

/** `KEY=VALUE` entries (one per line or per repeated flag); the value may hold `=`. */
export function parseKeyValues(label: string, entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i <= 0 || e.slice(0, i).trim() === '')
      throw new InputError(`${label}: expected KEY=VALUE, got ${JSON.stringify(e)}`);
    out[e.slice(0, i).trim()] = e.slice(i + 1);
  }
  return out;
}
