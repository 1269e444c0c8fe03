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

/**
 * `raw` for display: the URL without its userinfo (`https://user:pass@host/x` -> `https://host/x`),
 * otherwise as written. Also for strings that are not URLs, so an error about one never leaks a password.
 */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return raw.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/*)[^/?#]*@/, '$1');
  }
  if (!u.username && !u.password) return raw;
  u.username = '';
  u.password = '';
  // Keep the shape the user wrote: no slash added to a bare host.
  return u.pathname === '/' && !u.search && !u.hash && !raw.endsWith('/') ? u.href.slice(0, -1) : u.href;
}

/** An http(s) URL; the error names the input and shows the URL without its credentials. */
export function parseHttpUrl(label: string, raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InputError(`${label} is not a URL: ${JSON.stringify(redactUrl(raw))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new InputError(`${label} must be an http(s) URL, got ${JSON.stringify(redactUrl(raw))}`);
  return u;
}
