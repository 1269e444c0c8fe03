/**
 * Each action's input spec (lib/<feature>/spec.ts) and its action.yml say the same: the same
 * inputs, word-for-word descriptions, the same defaults and required flags. The spec is what the
 * action reads and what the CLI's flags and usage come from, so the three cannot drift apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { CANARY_SPEC } from '#lib/canary/settings.js';
import { camelName, snakeName, type ActionSpec } from '#lib/kit/spec.js';
import { RELEASE_SPEC } from '#lib/release/spec.js';
import { SMOKE_SPEC } from '#lib/smoke/spec.js';

const repoRoot = resolve(import.meta.dirname, '../..');

const SPECS: Record<string, ActionSpec> = {
  'smoke-gate': SMOKE_SPEC,
  canary: CANARY_SPEC,
  'release-tag': RELEASE_SPEC,
};

interface ActionYml {
  inputs: Record<string, { description: string; required?: boolean; default?: unknown }>;
}

const actions = readdirSync(join(repoRoot, 'actions'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .filter((name) => name in SPECS);

test('every action with a spec is checked', () => {
  expect(actions.sort()).toEqual(Object.keys(SPECS).sort());
});

describe.each(actions)('%s', (name) => {
  const spec = SPECS[name]!;
  const meta = parse(readFileSync(join(repoRoot, 'actions', name, 'action.yml'), 'utf8')) as ActionYml;
  const inputs = Object.entries(spec).filter(([, s]) => s.only !== 'cli');

  test('the spec has exactly the inputs of action.yml', () => {
    expect(inputs.map(([n]) => n).sort()).toEqual(Object.keys(meta.inputs).sort());
  });

  test('descriptions, defaults and required flags are the same', () => {
    for (const [n, s] of inputs) {
      const yml = meta.inputs[n]!;
      expect({ n, description: s.description }).toEqual({ n, description: yml.description });
      const ymlDefault = yml.default === undefined || yml.default === '' ? undefined : String(yml.default);
      expect({ n, default: s.default }).toEqual({ n, default: ymlDefault });
      expect({ n, required: s.required === true }).toEqual({ n, required: yml.required === true });
    }
  });

  test('names are kebab-case; code and JSON names are derived from them', () => {
    for (const n of Object.keys(spec)) {
      expect(n).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(camelName(n).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).toBe(n);
      expect(snakeName(n)).toBe(n.replace(/-/g, '_'));
    }
  });
});
