/** actions/release-tag/action.yml and src/main.ts agree: every input read and output set is declared, and vice versa. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { RELEASE_SPEC } from '#lib/release/spec.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../actions/release-tag');

interface ActionYml {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
}

test('action.yml declares exactly what the action reads (its spec, lib/release/spec.ts) and src/main.ts writes, with descriptions', () => {
  const meta = parse(readFileSync(path.join(dir, 'action.yml'), 'utf8')) as ActionYml;
  const src = readFileSync(path.join(dir, 'src/main.ts'), 'utf8');
  const read = Object.keys(RELEASE_SPEC);
  const written = [...src.matchAll(/setOutput\('([a-z0-9-]+)'/g)].map((m) => m[1]!);
  expect([...new Set(read)].sort()).toEqual(Object.keys(meta.inputs).sort());
  expect([...new Set(written)].sort()).toEqual(Object.keys(meta.outputs).sort());
  for (const entry of [...Object.values(meta.inputs), ...Object.values(meta.outputs)]) {
    expect(entry.description.length).toBeGreaterThan(10);
  }
  // Strict by default; the tag comes from release.json unless given.
  expect(meta.inputs['on-conflict']!.default).toBe('fail');
  expect(meta.inputs.tag!.default).toBe('');
  expect(meta.inputs['release-file']!.default).toBe('release.json');
});
