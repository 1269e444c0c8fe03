/** The action kit (lib/kit): one spec read as inputs and as flags, the context from @actions/github, the recording host. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '#lib/inputs.js';
import { readActionConfig } from '#lib/kit/action.js';
import { parseCli, UsageError, usageLines } from '#lib/kit/cli.js';
import { readRunContext } from '#lib/kit/context.js';
import { recordingHost } from '#lib/kit/host.js';
import { camelName, snakeName, type ActionSpec } from '#lib/kit/spec.js';

const SPEC = {
  'max-p95-ms': { kind: 'number', description: 'Largest p95. In ms.', check: (v) => v > 0, expected: 'a number > 0' },
  'fail-on-regression': { kind: 'boolean', description: 'Fail on a regression.', default: 'false' },
  'history-size': { kind: 'number', description: 'Runs kept.', default: '100' },
  'prometheus-headers': { kind: 'lines', description: 'Headers.', raw: true, aliases: ['prometheus-header'] },
  'report-path': { kind: 'string', description: 'Report.', default: 'r.json', aliases: ['report'] },
  token: { kind: 'string', description: 'Token.', default: '${{ github.token }}', only: 'action' },
  json: { kind: 'boolean', description: 'JSON out.', switch: true, only: 'cli' },
} as const satisfies ActionSpec;

test('names: kebab for inputs and flags, camel in code, snake in JSON', () => {
  expect(camelName('latency-tolerance-ms')).toBe('latencyToleranceMs');
  expect(snakeName('latency-tolerance-ms')).toBe('latency_tolerance_ms');
});

test('action inputs: one typed config, defaults applied (not GitHub expressions), errors name the input', () => {
  const c = readActionConfig(SPEC, { 'max-p95-ms': ' 450 ', 'prometheus-headers': 'A: b\n\nC: d' });
  expect(c).toEqual({
    maxP95Ms: 450,
    failOnRegression: false,
    historySize: 100,
    prometheusHeaders: ['A: b', '', 'C: d'],
    reportPath: 'r.json',
    token: undefined,
  });
  expect(() => readActionConfig(SPEC, { 'max-p95-ms': '0' })).toThrow(
    new InputError('input max-p95-ms must be a number > 0, got "0"'),
  );
  expect(() => readActionConfig(SPEC, { 'fail-on-regression': 'maybe' })).toThrow(
    'input fail-on-regression must be true or false, got "maybe"',
  );
});

test('CLI flags from the same spec: aliases, repeatable lines, switches, errors name the flag', () => {
  const p = parseCli(SPEC, [
    '--report',
    'x.json',
    '--prometheus-header',
    'A: b',
    '--prometheus-header',
    'C: d',
    '--json',
  ]);
  expect(p.config).toMatchObject({ reportPath: 'x.json', prometheusHeaders: ['A: b', 'C: d'], json: true });
  expect(p.config).not.toHaveProperty('token');
  expect(() => parseCli(SPEC, ['--max-p95-ms', 'abc'])).toThrow('--max-p95-ms must be a number > 0, got "abc"');
  expect(() => parseCli(SPEC, ['--token', 't'])).toThrow(UsageError);
  expect(usageLines(SPEC).join('\n')).toMatch(/--prometheus-headers <value> +Headers\. \(repeatable\)/);
});

test('context: the event read by @actions/github, narrowed; an unreadable event is one input error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-context-'));
  const event = join(dir, 'event.json');
  writeFileSync(
    event,
    JSON.stringify({
      pull_request: { number: 7, head: { sha: 'h', ref: 'f' }, base: { ref: 'main', sha: 'b' } },
      repository: { default_branch: 'main' },
    }),
  );
  const env = {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event,
    GITHUB_REPOSITORY: 'acme/hotel',
    GITHUB_SHA: 's',
    GITHUB_REF: 'refs/pull/7/merge',
    GITHUB_WORKSPACE: dir,
    GITHUB_RUN_ID: '42',
  };
  const ctx = readRunContext(env);
  expect(ctx).toMatchObject({
    event: 'pull_request',
    repository: 'acme/hotel',
    workspace: dir,
    defaultBranch: 'main',
    pr: { number: 7, base: { ref: 'main' } },
    run: { id: '42', url: 'https://github.com/acme/hotel/actions/runs/42' },
  });
  expect(process.env.GITHUB_EVENT_PATH).not.toBe(event);
  writeFileSync(event, '{');
  expect(() => readRunContext(env)).toThrow(InputError);
});

test('recording host: the log as the runner shows it, commands escaped', () => {
  const h = recordingHost();
  h.mask('s3cret');
  h.info('plain');
  h.warning('50% done');
  h.fail('no\nway');
  expect(h.transcript()).toBe('::add-mask::s3cret\nplain\n::warning::50%25 done\n::error::no%0Away\n');
  expect(h.failed).toEqual(['no\nway']);
});
