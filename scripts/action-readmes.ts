/**
 * Writes the inputs and outputs tables of every `actions/<name>/README.md` from its `action.yml`
 * (`npm run docs:actions`), between generated-section markers; the prose around them is hand-written.
 * `--check` writes nothing and exits 1 naming each README whose tables differ from its action.yml,
 * so an input added to action.yml without regenerating is caught (tests/docs/action-readmes.test.ts).
 * `--root DIR` works on another checkout (used by the tests). Exit 2: an action.yml or a README that
 * cannot be used (unreadable, no markers), with one line naming it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { parse } from 'yaml';
import { writeFileAtomic } from '#lib/atomic-write.js';
import { findRoot, firstDifference } from '../workflows/generate.js';

/** The parts of action.yml the tables show. */
export interface ActionMetadata {
  inputs: Array<{ name: string; description: string; required: boolean; default?: string }>;
  outputs: Array<{ name: string; description: string }>;
}

/** A README or action.yml that cannot be used as it is: reported as one line, exit 2. */
export class ActionDocsError extends Error {}

const SECTIONS = ['inputs', 'outputs'] as const;
type Section = (typeof SECTIONS)[number];
const startMarker = (section: Section) =>
  `<!-- action-docs:${section} start: generated from action.yml by npm run docs:actions, do not edit -->`;
const endMarker = (section: Section) => `<!-- action-docs:${section} end -->`;

export function parseActionMetadata(yamlText: string, source: string): ActionMetadata {
  let doc: unknown;
  try {
    doc = parse(yamlText);
  } catch (err) {
    throw new ActionDocsError(`${source}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (!isRecord(doc)) throw new ActionDocsError(`${source}: expected a mapping with inputs and outputs`);
  const entries = (key: string) => {
    const value = doc[key] ?? {};
    if (!isRecord(value)) throw new ActionDocsError(`${source}: ${key} must be a mapping`);
    return Object.entries(value).map(([name, spec]) => {
      if (!isRecord(spec) || typeof spec.description !== 'string')
        throw new ActionDocsError(`${source}: ${key}.${name} has no description`);
      return { name, spec, description: spec.description };
    });
  };
  return {
    inputs: entries('inputs').map(({ name, spec, description }) => ({
      name,
      description,
      required: spec.required === true || spec.required === 'true',
      ...(spec.default === undefined || spec.default === null ? {} : { default: String(spec.default) }),
    })),
    outputs: entries('outputs').map(({ name, description }) => ({ name, description })),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of action.yml in a table cell: one line, no cell breaks, no accidental HTML or emphasis. */
function cell(text: string): string {
  return text
    .trim()
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\*/g, '\\*')
    .replace(/</g, '&lt;');
}

/** A code span that survives a table cell, even around a backtick or a pipe. */
function code(text: string): string {
  const body = text.replace(/\|/g, '\\|');
  return body.includes('`') ? `\`\` ${body} \`\`` : `\`${body}\``;
}

export function renderTable(section: Section, meta: ActionMetadata): string {
  if (section === 'inputs') {
    const rows = meta.inputs.map(
      (i) =>
        `| ${code(i.name)} | ${i.required ? 'yes' : 'no'} | ${i.default ? code(i.default) : ''} | ${cell(i.description)} |`,
    );
    return ['| input | required | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n');
  }
  const rows = meta.outputs.map((o) => `| ${code(o.name)} | ${cell(o.description)} |`);
  return ['| output | description |', '| --- | --- |', ...rows].join('\n');
}

/** The README with each generated section replaced by the table from `meta`, formatted as Prettier would. */
export async function renderReadme(readme: string, meta: ActionMetadata, source: string): Promise<string> {
  let text = readme;
  for (const section of SECTIONS) {
    const start = text.indexOf(startMarker(section));
    const end = text.indexOf(endMarker(section));
    if (start < 0 || end < start)
      throw new ActionDocsError(
        `${source}: no generated ${section} section (a line '${startMarker(section)}' followed by '${endMarker(section)}')`,
      );
    const head = text.slice(0, start + startMarker(section).length);
    text = `${head}\n\n${renderTable(section, meta)}\n\n${text.slice(end)}`;
  }
  const options = (await prettier.resolveConfig(source)) ?? {};
  return prettier.format(text, { ...options, filepath: source });
}

/** Every action folder holding an action.yml, by name. */
export function actionNames(root: string): string[] {
  const dir = path.join(root, 'actions');
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'action.yml')))
    .map((e) => e.name)
    .sort();
}

/** README path (relative to root) -> [committed text, text with current tables]. */
export async function renderAllReadmes(root: string): Promise<Map<string, [string, string]>> {
  const result = new Map<string, [string, string]>();
  for (const name of actionNames(root)) {
    const yamlFile = path.join(root, 'actions', name, 'action.yml');
    const readmeRel = `actions/${name}/README.md`;
    const readmeFile = path.join(root, readmeRel);
    if (!existsSync(readmeFile))
      throw new ActionDocsError(`${readmeRel}: missing (every action has a README beside its action.yml)`);
    const meta = parseActionMetadata(readFileSync(yamlFile, 'utf8'), `actions/${name}/action.yml`);
    const committed = readFileSync(readmeFile, 'utf8');
    result.set(readmeRel, [committed, await renderReadme(committed, meta, readmeFile)]);
  }
  return result;
}

/** Returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const rootArg = argv.indexOf('--root');
  const root =
    rootArg >= 0 ? path.resolve(argv[rootArg + 1] ?? '.') : findRoot(path.dirname(fileURLToPath(import.meta.url)));
  let readmes: Map<string, [string, string]>;
  try {
    readmes = await renderAllReadmes(root);
  } catch (err) {
    if (!(err instanceof ActionDocsError)) throw err;
    console.error(`docs:actions: ${err.message}`);
    return 2;
  }
  const stale: string[] = [];
  for (const [file, [committed, generated]] of readmes) {
    if (committed === generated) continue;
    if (check) stale.push(`${file}: differs at ${firstDifference(committed, generated)}`);
    else {
      writeFileAtomic(path.join(root, file), generated);
      console.log(`wrote ${file}`);
    }
  }
  if (stale.length) {
    console.error(
      `action README drift: tables differ from action.yml; run 'npm run docs:actions' and commit\n  ${stale.join('\n  ')}`,
    );
    return 1;
  }
  if (check) console.log(`action READMEs match their action.yml (${readmes.size} actions)`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
