/**
 * Every action has a README beside its action.yml whose inputs and outputs tables are the ones
 * `npm run docs:actions` generates from that action.yml: an input added, renamed or re-described
 * without regenerating fails here (the coordinator regenerates after merges with one command).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const script = path.join(root, 'build/scripts/action-readmes.js');
/** Every action of the repository: a folder of actions/ with an action.yml. */
const ACTIONS = readdirSync(path.join(root, 'actions'))
  .filter((name) => existsSync(path.join(root, 'actions', name, 'action.yml')))
  .sort();

/** The first column of the table between a generated section's markers. */
function tableNames(readme: string, section: 'inputs' | 'outputs'): string[] {
  const start = readme.indexOf(`<!-- action-docs:${section} start`);
  const end = readme.indexOf(`<!-- action-docs:${section} end -->`);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return readme
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => /^\| `([^`]+)`/.exec(line)?.[1] ?? '');
}

function run(args: string[]) {
  return spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8' });
}

/** A copy of the actions' metadata and READMEs (and the Prettier settings) to break on purpose. */
function copyTree(): string {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'action-readmes-'));
  cpSync(path.join(root, '.prettierrc.json'), path.join(tmp, '.prettierrc.json'));
  for (const name of ACTIONS) {
    for (const file of ['action.yml', 'README.md'])
      cpSync(path.join(root, 'actions', name, file), path.join(tmp, 'actions', name, file));
  }
  return tmp;
}

describe('action READMEs', () => {
  it.each(ACTIONS)('%s: the README lists exactly the inputs and outputs of action.yml, in order', (name) => {
    const meta = parse(readFileSync(path.join(root, 'actions', name, 'action.yml'), 'utf8')) as {
      inputs: Record<string, unknown>;
      outputs: Record<string, unknown>;
    };
    const readme = readFileSync(path.join(root, 'actions', name, 'README.md'), 'utf8');
    expect(tableNames(readme, 'inputs')).toEqual(Object.keys(meta.inputs));
    expect(tableNames(readme, 'outputs')).toEqual(Object.keys(meta.outputs));
  });

  it('docs:actions --check exits 0: the committed tables are the generated ones, word for word', () => {
    expect(existsSync(script)).toBe(true); // `npm run build` first (the test command does)
    const ok = run(['--check']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain(`match their action.yml (${ACTIONS.length} actions)`);
    expect(ACTIONS).toEqual(expect.arrayContaining(['canary', 'release-tag', 'smoke-gate']));
    expect(ok.status).toBe(0);
  });

  it('an input added to action.yml without regenerating fails --check naming the README; docs:actions fixes it', () => {
    const tmp = copyTree();
    try {
      const yml = path.join(tmp, 'actions/smoke-gate/action.yml');
      writeFileSync(
        yml,
        readFileSync(yml, 'utf8').replace(
          '\noutputs:\n',
          "\n  sample-input:\n    description: 'A new knob | with a pipe and <angle> brackets.'\n    required: false\n    default: 'x'\noutputs:\n",
        ),
      );
      const bad = run(['--check', '--root', tmp]);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/actions\/smoke-gate\/README\.md: differs at line \d+/);
      expect(bad.stderr).toMatch(/run 'npm run docs:actions'/);
      expect(bad.stderr).not.toMatch(/canary|release-tag/);

      const fix = run(['--root', tmp]);
      expect(fix.status).toBe(0);
      expect(fix.stdout).toBe('wrote actions/smoke-gate/README.md\n');
      const readme = readFileSync(path.join(tmp, 'actions/smoke-gate/README.md'), 'utf8');
      expect(tableNames(readme, 'inputs').at(-1)).toBe('sample-input');
      expect(readme).toMatch(
        /\| `sample-input` +\| no +\| `x` +\| A new knob \\\| with a pipe and &lt;angle> brackets\. +\|/,
      );
      // the hand-written prose around the tables is kept
      expect(readme.replace(/<!-- action-docs:inputs start[\s\S]*<!-- action-docs:inputs end -->/, '')).toBe(
        readFileSync(path.join(root, 'actions/smoke-gate/README.md'), 'utf8').replace(
          /<!-- action-docs:inputs start[\s\S]*<!-- action-docs:inputs end -->/,
          '',
        ),
      );
      expect(run(['--check', '--root', tmp]).status).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a README without the generated sections, or a missing README, is one line and exit 2', () => {
    const tmp = copyTree();
    try {
      const readme = path.join(tmp, 'actions/canary/README.md');
      writeFileSync(readme, '# Canary\n\nNo tables here.\n');
      const noMarkers = run(['--check', '--root', tmp]);
      expect(noMarkers.status).toBe(2);
      expect(noMarkers.stderr).toMatch(/^docs:actions: .*actions\/canary\/README\.md: no generated inputs section/);
      expect(noMarkers.stderr.trim().split('\n')).toHaveLength(1);

      rmSync(readme);
      const missing = run(['--root', tmp]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toBe(
        'docs:actions: actions/canary/README.md: missing (every action has a README beside its action.yml)\n',
      );
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
