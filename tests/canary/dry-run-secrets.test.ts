/**
 * Prometheus credentials never reach the printed plan: a dry run with basic auth in the URL and
 * secret headers shows the URL without its userinfo and the header names only, on the CLI (built)
 * and in the action (bundled; there GitHub also gets every value masked before anything is logged).
 * Malformed header lines and ambiguous credentials are one-line errors that echo no value.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, type Finished } from '../support/processes.js';
import { actionDist, actionEnv, cliBuild, repoRoot, runnerFiles } from './helpers.js';

const tracer = join(repoRoot, 'tests/canary/trace-effects.mjs');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'canary-dry-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `script` under the effects tracer (spawns and listens are recorded in `trace`). */
function traced(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<Finished & { trace: string[] }> {
  const traceFile = join(dir, 'trace.txt');
  writeFileSync(traceFile, '');
  const child = spawn(process.execPath, ['--import', tracer, script, ...args], {
    env: { ...env, TRACE_FILE: traceFile },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child).then((r) => ({ ...r, trace: readFileSync(traceFile, 'utf8').split('\n').filter(Boolean) }));
}

const cli = (...args: string[]): ReturnType<typeof traced> => traced(cliBuild, args, { PATH: process.env.PATH }, dir);

function planJson(stdout: string): { prometheus: Record<string, unknown> } {
  const lines = stdout.split('\n');
  const start = lines.indexOf('{');
  const end = lines.lastIndexOf('}');
  expect(start).toBeGreaterThanOrEqual(0);
  return JSON.parse(lines.slice(start, end + 1).join('\n')) as { prometheus: Record<string, unknown> };
}

function expectNoSecret(r: Finished, ...secrets: string[]): void {
  for (const s of secrets) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
}

test('CLI dry run: basic auth from the URL and a bearer token show as flags and names, never as values', async () => {
  const basic = await cli(
    '--dry-run',
    'staging',
    'abc1234',
    '--prometheus-url',
    'http://u:secretpw@127.0.0.1:9/',
    '--prometheus-header',
    'X-Scope-OrgID: tenant-tok777',
  );
  expect(basic.stderr).toBe('');
  expect(basic.code).toBe(0);
  expectNoSecret(basic, 'secretpw', 'tok777');
  expect(basic.stdout).toContain(
    'metrics:   Prometheus http://127.0.0.1:9 (basic auth from the URL; headers X-Scope-OrgID, values hidden), tracks by label track;',
  );
  expect(planJson(basic.stdout).prometheus).toMatchObject({
    url: 'http://127.0.0.1:9',
    basic_auth_from_url: true,
    header_names: ['X-Scope-OrgID'],
  });

  const bearer = await cli(
    '--dry-run',
    'staging',
    'abc1234',
    '--prometheus-url',
    'http://127.0.0.1:9/prom',
    '--prometheus-header',
    'Authorization: Bearer tok123',
    '--prometheus-header',
    'X-Scope-OrgID: hotel-tenant-5',
  );
  expect(bearer.stderr).toBe('');
  expect(bearer.code).toBe(0);
  expectNoSecret(bearer, 'tok123', 'hotel-tenant-5');
  expect(planJson(bearer.stdout).prometheus).toMatchObject({
    url: 'http://127.0.0.1:9/prom',
    basic_auth_from_url: false,
    header_names: ['Authorization', 'X-Scope-OrgID'],
  });
  expect([...basic.trace, ...bearer.trace]).toEqual([]);
  expect(readdirSync(dir)).toEqual(['trace.txt']);
});

test('CLI: credentials in the URL and an Authorization header together are refused, exit 2, no value echoed', async () => {
  const r = await cli(
    '--dry-run',
    'staging',
    'abc1234',
    '--prometheus-url',
    'http://u:secretpw@127.0.0.1:9/',
    '--prometheus-header',
    'Authorization: Bearer tok123',
  );
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toBe(
    'error: prometheus-url holds user:password and an Authorization header is given too: use one of them',
  );
  expectNoSecret(r, 'secretpw', 'tok123');
  expect(r.trace).toEqual([]);
});

test('CLI: a malformed --prometheus-header is exit 2 naming which one, never its text', async () => {
  const r = await cli(
    '--dry-run',
    'staging',
    'abc1234',
    '--prometheus-url',
    'http://127.0.0.1:9',
    '--prometheus-header',
    'X-Scope-OrgID: hotel',
    '--prometheus-header',
    'Authorization Bearer tok123',
  );
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe('canary: --prometheus-header value 2 is not a "Name: value" header (no colon)');
  expect(r.stdout).toBe('');
  expectNoSecret(r, 'tok123');
  expect(r.trace).toEqual([]);
});

test('CLI: a URL that does not parse is named without its credentials', async () => {
  const r = await cli('--dry-run', 'staging', 'abc1234', '--prometheus-url', 'http://u:secretpw@127.0.0.1:99999');
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toBe('error: prometheus-url is not a URL: "http://127.0.0.1:99999"');
  expectNoSecret(r, 'secretpw');
});

// Runs actions/canary/dist: needs `npm run bundle` after the change to pass.
test('action dry run: every value is masked before anything is logged, and only there does it appear', async () => {
  const workspace = join(dir, 'ws');
  mkdirSync(workspace);
  const files = runnerFiles();
  try {
    const inputs = {
      environment: 'staging',
      sha: 'abcdef1',
      'dry-run': 'true',
      'prometheus-url': 'https://grafana-user:secretpw@prom.example.com/api/prom',
      'prometheus-headers': '\nX-Scope-OrgID: tenant-tok777\n\nX-Api-Key: key-tok888\n',
    };
    const r = await traced(actionDist, [], actionEnv(inputs, files, workspace), workspace);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const masks = lines.filter((l) => l.startsWith('::add-mask::'));
    expect(masks).toEqual(
      expect.arrayContaining(['::add-mask::secretpw', '::add-mask::tenant-tok777', '::add-mask::key-tok888']),
    );
    // The masks come first: nothing was logged before them.
    expect(lines.slice(0, masks.length)).toEqual(masks);
    for (const l of lines.slice(masks.length))
      for (const s of ['secretpw', 'tok777', 'tok888']) expect(l).not.toContain(s);
    expect(planJson(r.stdout).prometheus).toMatchObject({
      url: 'https://prom.example.com/api/prom',
      basic_auth_from_url: true,
      header_names: ['X-Scope-OrgID', 'X-Api-Key'],
    });
    expect(readFileSync(files.output, 'utf8')).not.toMatch(/secretpw|tok777|tok888/);
    expect(r.trace).toEqual([]);

    // A malformed line: the step fails naming the line (as written, blank lines counted), not its text.
    const bad = await traced(
      actionDist,
      [],
      actionEnv({ ...inputs, 'prometheus-headers': 'X-Scope-OrgID: a\n\nBearer tok999' }, files, workspace),
      workspace,
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([
      '::error::input prometheus-headers line 3 is not a "Name: value" header (no colon)',
    ]);
    expect(
      bad.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain('tok999');
    expect(bad.trace).toEqual([]);
  } finally {
    files.cleanup();
  }
});
