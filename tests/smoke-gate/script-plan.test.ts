/** The pure parts of lib/k6/scripts.ts: how `flags` is split and where each script's outputs go. */
import { join } from 'node:path';
import { K6ScriptsInputError, parseK6Flags, parseParallel, planK6Runs } from '#lib/k6/scripts.js';

test('flags split like shell words, without a shell', () => {
  expect(parseK6Flags(`--vus 10  --duration=30s\n-e 'A=x y' -e "B=say \\"hi\\" \\$HOME" C\\ D 'it'"'"'s'`)).toEqual([
    '--vus',
    '10',
    '--duration=30s',
    '-e',
    'A=x y',
    '-e',
    'B=say "hi" $HOME',
    'C D',
    "it's",
  ]);
  // No expansion: variables and globs stay literal; a line continuation joins; empty quotes are a word.
  expect(parseK6Flags('-e P=$PATH k6/*.ts --a \\\n--b ""')).toEqual(['-e', 'P=$PATH', 'k6/*.ts', '--a', '--b', '']);
  expect(parseK6Flags('   ')).toEqual([]);
  expect(() => parseK6Flags('-e "A=b')).toThrow(
    new K6ScriptsInputError('input flags has an unclosed " (at character 4)'),
  );
  expect(() => parseK6Flags('--summary-export out.json')).toThrow(K6ScriptsInputError);
  // --out is the user's to add: k6 writes to several outputs.
  expect(parseK6Flags('--out csv=x.csv')).toEqual(['--out', 'csv=x.csv']);
});

test('parallel: false, true (one per CPU, at least 2) or a bound', () => {
  expect(parseParallel('')).toBe(1);
  expect(parseParallel('false')).toBe(1);
  expect(parseParallel('true')).toBeGreaterThanOrEqual(2);
  expect(parseParallel('3')).toBe(3);
  expect(() => parseParallel('0')).toThrow(K6ScriptsInputError);
  expect(() => parseParallel('-1')).toThrow(K6ScriptsInputError);
});

test('one output folder per script, unique, and the command line k6 gets', () => {
  const ws = '/w';
  const plan = planK6Runs(
    ['/w/k6/smoke.ts', '/w/other/smoke.ts', '/w/a-b/x.ts', '/w/a/b/x.ts'],
    ['--quiet'],
    '/w/out',
    ws,
  );
  expect(plan.map((p) => [p.name, p.outputs.ndjson])).toEqual([
    ['k6/smoke.ts', '/w/out/k6-smoke/points.ndjson'],
    ['other/smoke.ts', '/w/out/other-smoke/points.ndjson'],
    ['a-b/x.ts', '/w/out/a-b-x/points.ndjson'],
    ['a/b/x.ts', '/w/out/a-b-x~2/points.ndjson'],
  ]);
  expect(plan[0]!.args).toEqual([
    'run',
    '--quiet',
    `--summary-export=${join('/w/out/k6-smoke', 'summary-export.json')}`,
    '--out',
    'json=/w/out/k6-smoke/points.ndjson',
    '/w/k6/smoke.ts',
  ]);
});
