/**
 * A CLI's flags and usage text from an action's spec: each setting is `--<name>` (kebab-case, as
 * the input), `lines` settings repeat, booleans marked `switch` take no value. Aliases keep older
 * flag spellings working.
 */
import { parseArgs } from 'node:util';
import { InputError } from '../inputs.js';
import { flagLabel, readConfig, type ActionSpec, type ConfigOf, type InputSpec } from './spec.js';

/** A mistake in the command line: the shell prints it with the usage and exits 2. */
export class UsageError extends InputError {
  override name = 'UsageError';
}

const flagsOf = (name: string, s: InputSpec): string[] => [name, ...(s.aliases ?? [])];

export interface ParsedCli<S extends ActionSpec> {
  config: ConfigOf<S>;
  positionals: string[];
  help: boolean;
  /** The flags given on the command line (canonical names). */
  given: Set<string>;
}

export function parseCli<S extends ActionSpec>(
  spec: S,
  argv: string[],
  opts: { positionals?: boolean; defaults?: boolean } = {},
): ParsedCli<S> {
  const allowPositionals = opts.positionals ?? false;
  type Opt = { type: 'string' | 'boolean'; multiple?: boolean };
  const options: Record<string, Opt> = { help: { type: 'boolean', short: 'h' } as Opt };
  for (const [name, s] of Object.entries(spec)) {
    if (s.only === 'action') continue;
    const opt: Opt = s.switch === true ? { type: 'boolean' } : { type: 'string', multiple: s.kind === 'lines' };
    for (const f of flagsOf(name, s)) options[f] = opt;
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const given = new Set<string>();
  const read = (name: string, s: InputSpec): string | string[] | undefined => {
    const all = flagsOf(name, s).flatMap((f) => {
      const v = values[f];
      return v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String);
    });
    if (all.length === 0) return undefined;
    given.add(name);
    return s.kind === 'lines' ? all : all.at(-1);
  };
  const config = readConfig(spec, read, flagLabel(spec), 'cli', opts);
  return { config, positionals, help: values.help === true, given };
}

/** Usage lines for the spec's flags: `--name <value>` and the help text (its `usage`, else the description's first sentence). */
export function usageLines(spec: ActionSpec, names: readonly string[] = Object.keys(spec)): string[] {
  const rows = names
    .filter((n) => spec[n] && spec[n].only !== 'action')
    .map((n) => {
      const s = spec[n]!;
      const value = s.switch ? '' : s.kind === 'number' ? ' <n>' : s.kind === 'boolean' ? ' true|false' : ' <value>';
      const text = s.usage ?? s.description.split(/(?<=\.)\s/)[0]!;
      return [`--${n}${value}`, s.kind === 'lines' ? `${text} (repeatable)` : text] as const;
    });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, t]) => `  ${f.padEnd(width)}  ${t}`);
}
