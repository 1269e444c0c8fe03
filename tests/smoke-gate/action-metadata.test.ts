/** action.yml and the action's source agree: every input read is declared (with a description), and vice versa. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SMOKE_SPEC } from '#lib/smoke/spec.js';
import { repoRoot } from './run-action.js';

const dir = join(repoRoot, 'actions/smoke-gate');
interface ActionYml {
  name: string;
  description: string;
  branding: { icon: string; color: string };
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

test('action.yml declares what the action reads (its spec, lib/smoke/spec.ts) and src/main.ts writes', () => {
  const meta = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as ActionYml;
  const src = readFileSync(join(dir, 'src/main.ts'), 'utf8');
  const read = new Set(
    Object.entries(SMOKE_SPEC)
      .filter(([, s]) => !('only' in s) || s.only !== 'cli')
      .map(([n]) => n),
  );
  const written = new Set([...src.matchAll(/setOutput\('([a-z0-9-]+)'/g)].map((m) => m[1]!));
  expect(new Set(Object.keys(meta.inputs))).toEqual(read);
  expect(new Set(Object.keys(meta.outputs))).toEqual(written);
  for (const i of Object.values(meta.inputs)) expect(i.description.length).toBeGreaterThan(20);
  for (const o of Object.values(meta.outputs)) expect(o.description.length).toBeGreaterThan(5);
  expect(meta.inputs['github-token']!.default).toBe('${{ github.token }}');
  // results or script (the action runs k6), never both: neither can be required.
  expect(meta.inputs.results!.required).toBe(false);
  expect(meta.inputs.script!.required).toBe(false);
  expect(meta.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  expect(existsSync(join(dir, meta.runs.main))).toBe(true);
  expect(meta.branding.icon).toBeTruthy();
});
