/**
 * Issue 11 row 13: a deploy command with `--token=…` inline was printed verbatim in the plan and
 * the log. Secret-looking flags, inline secret assignments, auth headers, URL credentials and the
 * values of secret-named environment variables are masked wherever a command line is shown (the
 * plan, `--dry-run`'s JSON, the log, the report), while the command still runs as written.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskCommandLine } from '#lib/canary/shell.js';
import { expectExit, runNode } from '../support/processes.js';
import { cliBuild } from '../canary/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'faults-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRETS = [
  'flagtok3n',
  'spacepassw0rd',
  'k3yvalue',
  'inl1nesecret',
  'b3arervalue',
  'urlpassw0rd',
  'env-registered-s3cret',
];
const deploy =
  `sh ${join(dir, 'deploy.sh')} --token=flagtok3n --password spacepassw0rd --api-key="k3yvalue" ` +
  `&& DEPLOY_TOKEN=inl1nesecret true && curl -H "Authorization: Bearer b3arervalue" https://ci:urlpassw0rd@example.test/ ` +
  `--note env-registered-s3cret --replicas 3`;
const env = { PATH: process.env.PATH, HOME: process.env.HOME, MY_DEPLOY_SECRET: 'env-registered-s3cret' };

test('maskCommandLine hides each kind of secret and keeps the rest of the command readable', () => {
  const shown = maskCommandLine(deploy, env);
  for (const s of SECRETS) expect(shown).not.toContain(s);
  expect(shown).toContain('--token=***');
  expect(shown).toContain('--password ***');
  expect(shown).toContain('DEPLOY_TOKEN=***');
  expect(shown).toContain('Authorization: Bearer ***');
  expect(shown).toContain('https://***@example.test/');
  expect(shown).toContain('--replicas 3');
});

test('--dry-run: the plan in words and its JSON show no secret', async () => {
  const r = await runNode(
    cliBuild,
    [
      '--dry-run',
      '--deployer',
      'command',
      '--deploy-command',
      deploy,
      '--baseline-url',
      'http://127.0.0.1:9',
      'staging',
      'abc1234',
    ],
    env,
    dir,
  ).done;
  expectExit(r, 0);
  expect(r.stdout).toContain('--token=***');
  for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
});

test('a real run: the log and the report are masked, the command receives the real token', async () => {
  const argsFile = join(dir, 'args.txt');
  // Records its arguments, then fails: the run ends at the deploy precondition with a report.
  writeFileSync(join(dir, 'deploy.sh'), `printf '%s\\n' "$@" > ${argsFile}\nexit 1\n`);
  const r = await runNode(
    cliBuild,
    ['--deployer', 'command', '--deploy-command', deploy, '--baseline-url', 'http://127.0.0.1:9', 'staging', 'abc1234'],
    env,
    dir,
  ).done;
  expectExit(r, 1);
  expect(r.stdout).toContain('deploy: running `sh ');
  const reportPath = /^report-path=(.+)$/m.exec(r.stdout)![1]!;
  const report = readFileSync(reportPath, 'utf8');
  for (const s of SECRETS) {
    expect(r.stdout + r.stderr).not.toContain(s);
    expect(report).not.toContain(s);
  }
  expect(readFileSync(argsFile, 'utf8').split('\n')).toContain('--token=flagtok3n');
});
