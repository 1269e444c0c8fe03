/**
 * A declarative input spec per action: one entry per setting (kind, default, description), from
 * which come the action's typed config (`readConfig`), the CLI's flags (`cliOptions`) and usage
 * text (`usageLines`), and the check against `action.yml` (tests/actions/spec.test.ts).
 *
 * Naming rule, one name per setting, mechanically derived: the spec key is kebab-case, and it is
 * the action input and the CLI flag as written (`latency-tolerance`, `--latency-tolerance`); code
 * uses its camelCase (`latencyTolerance`, `camelName`); JSON files (plan, report, config file) use
 * its snake_case (`latency_tolerance`, `snakeName`). See docs/action-kit.md.
 */
import { InputError, parseBool, parseNumber } from '../inputs.js';

export type InputKind = 'string' | 'number' | 'boolean' | 'lines';

export interface InputSpec {
  kind: InputKind;
  /** The description in action.yml, word for word (checked by a test). */
  description: string;
  /** The default in action.yml; applied by readConfig when the value is empty (GitHub expressions excepted). */
  default?: string;
  /** action.yml's `required`: enforced for the action only. */
  required?: boolean;
  /** number: the accepted values, and how an error describes them. */
  check?: (v: number) => boolean;
  expected?: string;
  /** 'lines' whose blank lines and spaces matter (line numbers in errors): not trimmed. */
  raw?: boolean;
  /** Only an action input, or only a CLI flag. Default: both. */
  only?: 'action' | 'cli';
  /** CLI: other spellings of the flag, kept working (`--report` for `--report-path`). */
  aliases?: readonly string[];
  /** CLI: a boolean given by presence (`--json`), not by value. */
  switch?: boolean;
  /** CLI: the usage line's text, when shorter than the description's first sentence. */
  usage?: string;
}

export type ActionSpec = Record<string, InputSpec>;

/** `latency-tolerance` -> `latencyTolerance`. */
export type CamelName<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelName<T>>}` : S;

export const camelName = (kebab: string): string => kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const snakeName = (kebab: string): string => kebab.replace(/-/g, '_');

type ValueOf<I extends InputSpec> = I['kind'] extends 'number'
  ? number
  : I['kind'] extends 'boolean'
    ? boolean
    : I['kind'] extends 'lines'
      ? string[]
      : string;
type HasValue<I extends InputSpec> = I extends { default: string } ? true : I extends { required: true } ? true : false;

/** The typed config of a spec: camelCase keys; a setting without default or `required` may be undefined. */
export type ConfigOf<S extends ActionSpec> = {
  [K in keyof S & string as CamelName<K>]: HasValue<S[K]> extends true
    ? ValueOf<S[K]>
    : S[K]['kind'] extends 'lines'
      ? string[]
      : ValueOf<S[K]> | undefined;
};

/** Reads one raw value: an action input (`core.getInput`) or a CLI flag (several values for a repeated flag). */
export type RawReader = (name: string, spec: InputSpec) => string | string[] | undefined;

const isExpression = (v: string): boolean => v.includes('${{');

/**
 * The typed config of `spec`: each value read by `read`, parsed by its kind, its default applied
 * when empty, each error a one-line InputError naming the setting as `label(name)` shows it.
 */
export function readConfig<S extends ActionSpec>(
  spec: S,
  read: RawReader,
  label: (name: string) => string,
  where: 'action' | 'cli',
  opts: { defaults?: boolean } = {},
): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) {
    if (s.only && s.only !== where) continue;
    const got = read(name, s);
    const dflt = opts.defaults !== false && s.default !== undefined && !isExpression(s.default) ? s.default : undefined;
    let value: unknown;
    if (s.kind === 'lines') {
      const lines = Array.isArray(got) ? got : (got ?? '').split(/\r?\n/);
      value = s.raw ? lines : lines.map((l) => l.trim()).filter((l) => l !== '');
      if (!Array.isArray(got) && (got ?? '') === '') value = [];
    } else {
      const text = Array.isArray(got) ? got.at(-1) : got;
      const given = (text ?? '').trim() === '' ? dflt : text;
      if (s.kind === 'number') value = parseNumber(label(name), given, s.check, s.expected);
      else if (s.kind === 'boolean') value = parseBool(label(name), given);
      else value = given === undefined ? undefined : given.trim();
    }
    // `required` is action.yml's: a CLI may have other ways to the value (the smoke CLI runs load).
    if (
      s.required &&
      where === 'action' &&
      (value === undefined || value === '' || (Array.isArray(value) && value.length === 0))
    )
      throw new InputError(`${label(name)} is required`);
    out[camelName(name)] = value;
  }
  return out as ConfigOf<S>;
}

/** The spec's names in the form `label` shows them: for a message that names several. */
export const inputLabel = (name: string): string => `input ${name}`;
/** A flag as the user types it: a repeatable one by its singular alias (`--prometheus-header`), one value each. */
export const flagLabel =
  (spec: ActionSpec) =>
  (name: string): string => {
    const s = spec[name];
    return `--${s?.kind === 'lines' && s.aliases?.[0] ? s.aliases[0] : name}`;
  };
