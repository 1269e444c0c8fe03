/**
 * `--dry-run` / input dry-run: the plan is printed (words and JSON), exit 0, and nothing is
 * started (no process spawned, no socket listening: traced inside the process under test) and
 * nothing written (the workspace stays empty, no report). Run as GitHub and a developer run them.
 * Prometheus credentials never reach the printed plan: the URL is shown without its userinfo and
 * headers by name only; malformed header lines and ambiguous credentials are one-line errors that
 * echo no value.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Finished } from '../support/processes.js';
import { actionDist, actionEnv, cliBuild, planJson, repoRoot, runnerFiles, tracedRun } from './helpers.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'canary-dry-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function traced(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<Finished & { trace: string[] }> {
  return tracedRun(dir, script, args, env, cwd);
}

/** The CLI as a developer runs it in the test's directory, with nothing but PATH set. */
const tracedCli = (...args: string[]): ReturnType<typeof traced> =>
  traced(cliBuild, args, { PATH: process.env.PATH }, dir);

test('the tracer does record a spawn and a listen (so an empty trace means something)', async () => {
  const script = join(dir, 'effects.mjs');
  writeFileSync(
    script,
    "import { spawnSync } from 'node:child_process'; import { createServer } from 'node:net';\n" +
      "spawnSync('true'); const s = createServer(); s.listen(0, '127.0.0.1', () => s.close());\n",
  );
  const r = await traced(script, [], { PATH: process.env.PATH }, dir);
  expect(r.code).toBe(0);
  expect(r.trace).toEqual([expect.stringMatching(/^spawnSync true/), expect.stringMatching(/^listen 0/)]);
});

test('action dry run prints the plan, starts nothing, writes nothing', async () => {
  const workspace = join(dir, 'ws');
  mkdirSync(workspace);
  const files = runnerFiles();
  try {
    const env = actionEnv(
      { environment: 'staging', sha: 'ABCDEF1234567', 'dry-run': 'true', intervals: '4', rate: '25' },
      files,
      workspace,
    );
    const r = await traced(actionDist, [], env, workspace);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Canary plan for staging at abcdef1234567');
    const plan = planJson(r.stdout);
    expect(plan).toMatchObject({
      environment: 'staging',
      sha: 'abcdef1234567',
      deployer: { kind: 'local', baseline_url: null },
      analysis: { intervals: 4, interval_s: 10 },
      traffic: { rate_per_s: 25, driver: 'builtin' },
      budget: { p95_ms: 450, error_rate: 0.01 },
      judge: { intervals: 4, maxP95Ms: 450 },
      report_path: join(workspace, 'reports/performance/canary-staging-abcdef1234567.json'),
    });
    expect(r.trace).toEqual([]);
    expect(readdirSync(workspace)).toEqual([]);
    // No report is written, so none is named: a later upload step must not look for it.
    expect(files.outputs()).toEqual({ verdict: 'dry-run', 'report-path': '' });
  } finally {
    files.cleanup();
  }
});

test('action inputs follow the smoke gate rule: "yes" is true, a bad number is one error line naming the input', async () => {
  const workspace = join(dir, 'ws-inputs');
  mkdirSync(workspace);
  const files = runnerFiles();
  try {
    const base = { environment: 'staging', sha: 'abcdef1', 'rollback-on-inconclusive': 'no' };
    const yes = await traced(actionDist, [], actionEnv({ ...base, 'dry-run': 'Yes' }, files, workspace), workspace);
    expect(yes.stderr).toBe('');
    expect(yes.code).toBe(0);
    expect(planJson(yes.stdout)).toMatchObject({ judge: { inconclusiveIsFailure: false } });
    expect(yes.trace).toEqual([]);

    const bad = await traced(
      actionDist,
      [],
      actionEnv({ ...base, 'dry-run': 'true', rate: 'fast' }, files, workspace),
      workspace,
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([
      '::error::input rate must be a number, got "fast"',
    ]);
    expect(bad.trace).toEqual([]);
    expect(readdirSync(workspace)).toEqual([]);
  } finally {
    files.cleanup();
  }
});

test('CLI dry run of the command deployer shows the commands and PromQL but runs none of them', async () => {
  const marker = join(dir, 'deployed');
  const r = await traced(
    cliBuild,
    [
      '--dry-run',
      'production',
      '1a2b3c4',
      '--deployer',
      'command',
      '--deploy-command',
      `touch ${marker}`,
      '--cleanup-command',
      `touch ${marker}.cleanup`,
      '--baseline-url',
      'http://127.0.0.1:9',
      '--prometheus-url',
      'http://127.0.0.1:9',
      '--prometheus-scrape-interval-seconds',
      '7',
    ],
    { PATH: process.env.PATH, HOME: process.env.HOME },
    dir,
  );
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`deploy:    command \`touch ${marker}\``);
  const plan = planJson(r.stdout) as {
    report_path: string;
    prometheus: { scrape_interval_s: number; queries: { baseline_p95: string; interval_buckets: { canary: string } } };
  };
  expect(plan.prometheus.scrape_interval_s).toBe(7); // the action's prometheus-scrape-interval-seconds, as a flag
  expect(plan.prometheus.queries.baseline_p95).toBe(
    'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{track="stable",route!~"/metrics|/health/.*"}[300s])))',
  );
  expect(plan.prometheus.queries.interval_buckets.canary).toBe(
    'sum by (le) (increase(http_request_duration_seconds_bucket{track="canary",route!~"/metrics|/health/.*"}[10s]))',
  );
  expect(r.trace).toEqual([]);
  expect(existsSync(marker)).toBe(false);
  expect(readdirSync(dir).sort()).toEqual(['trace.txt']);
  expect(r.stdout.split('\n').filter((l) => l.startsWith('report-path='))).toEqual(['report-path=']);
  expect(plan.report_path).toBe(join(dir, 'reports/performance/canary-production-1a2b3c4.json'));
});

test('an unknown environment is a one-line error with exit 2, nothing started', async () => {
  const r = await tracedCli('--dry-run', 'qa', 'abc1234');
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toBe(
    'error: unknown environment "qa" (configured in embedded defaults: production, staging)',
  );
  expect(r.trace).toEqual([]);
});

test('environments come from canary.config.json in the workspace when it exists', async () => {
  writeFileSync(
    join(dir, 'canary.config.json'),
    JSON.stringify({ environments: { qa: { intervals: 2, interval_seconds: 3, rate: 7 } } }),
  );
  const r = await tracedCli('--dry-run', 'qa', 'abc1234');
  expect(r.code).toBe(0);
  expect(planJson(r.stdout)).toMatchObject({
    environment: 'qa',
    analysis: { intervals: 2, interval_s: 3 },
    traffic: { rate_per_s: 7 },
  });
  const staging = await tracedCli('--dry-run', 'staging', 'abc1234');
  expect(staging.code).toBe(2);
  expect(staging.stderr).toContain('unknown environment "staging"');
});

test('the defaults action.yml declares (GitHub passes them as inputs) do not override canary.config.json', async () => {
  const workspace = join(dir, 'ws-defaults');
  mkdirSync(workspace);
  writeFileSync(
    join(workspace, 'canary.config.json'),
    JSON.stringify({ environments: { qa: { rollback_on_inconclusive: false, intervals: 2 } } }),
  );
  const meta = parseYaml(readFileSync(join(repoRoot, 'actions/canary/action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  const defaults: Record<string, string> = {};
  for (const [name, i] of Object.entries(meta.inputs))
    if (i.default !== undefined && !i.default.includes('${{')) defaults[name] = i.default;
  const files = runnerFiles();
  try {
    const env = actionEnv({ ...defaults, environment: 'qa', sha: 'abcdef1', 'dry-run': 'true' }, files, workspace);
    const r = await traced(actionDist, [], env, workspace);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(planJson(r.stdout)).toMatchObject({
      analysis: { intervals: 2 },
      judge: { inconclusiveIsFailure: false },
    });
  } finally {
    files.cleanup();
  }
});

test('canary-port fixes the local canary port in the plan; PORT in canary-env is refused', async () => {
  const r = await tracedCli('--dry-run', 'staging', 'abc1234', '--canary-port', '45678');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('local process, SERVICE_TRACK=canary on port 45678;');
  expect(planJson(r.stdout)).toMatchObject({ deployer: { kind: 'local', canary_port: 45678 } });
  const bad = await tracedCli('--dry-run', 'staging', 'abc1234', '--canary-env', 'PORT=45678');
  expect(bad.code).toBe(2);
  expect(bad.stderr.trim()).toBe("error: set the local canary's port with canary-port, not PORT in canary-env");
  expect([...r.trace, ...bad.trace]).toEqual([]);
});

test('warm-up and tolerances: config file, then flags; a bad tolerance is one error naming it', async () => {
  writeFileSync(
    join(dir, 'canary.config.json'),
    JSON.stringify({
      environments: { qa: { warmup_requests: 500, latency_tolerance: 0.2, latency_tolerance_ms: 10 } },
    }),
  );
  const fromFile = await tracedCli('--dry-run', 'qa', 'abc1234');
  expect(fromFile.code).toBe(0);
  expect(fromFile.stdout).toContain('after 500 unjudged warm-up requests (at most 10 s)');
  expect(fromFile.stdout).toContain('latency tolerance +20 % or +10 ms (the larger), error tolerance +0.5 pt');
  expect(planJson(fromFile.stdout)).toMatchObject({
    traffic: { warmup_requests: 500 },
    judge: { latencyTolerance: 0.2, latencyToleranceMs: 10, errorRateTolerance: 0.005 },
  });

  const flags = await tracedCli(
    '--dry-run',
    'qa',
    'abc1234',
    '--latency-tolerance-ms',
    '0',
    '--error-rate-tolerance',
    '0.01',
    '--warmup-requests',
    '0',
  );
  expect(flags.code).toBe(0);
  expect(planJson(flags.stdout)).toMatchObject({
    traffic: { warmup_requests: 0 },
    judge: { latencyTolerance: 0.2, latencyToleranceMs: 0, errorRateTolerance: 0.01 },
  });

  // Without either, the absolute tolerance follows the budget: 1 % of its p95.
  rmSync(join(dir, 'canary.config.json'));
  writeFileSync(
    join(dir, 'budget.json'),
    JSON.stringify({
      version: 1,
      p95_ms: 200,
      error_rate: 0.01,
      min_requests: 200,
      smoke: { vus: 1, duration_s: 1, max_requests: 10 },
    }),
  );
  const tight = await tracedCli('--dry-run', 'staging', 'abc1234', '--budget', 'budget.json');
  expect(tight.code).toBe(0);
  expect(planJson(tight.stdout)).toMatchObject({ judge: { maxP95Ms: 200, latencyToleranceMs: 2 } });

  const bad = await tracedCli('--dry-run', 'staging', 'abc1234', '--error-rate-tolerance', '0.7');
  expect(bad.code).toBe(2);
  expect(bad.stderr.split('\n')[0]).toBe('error: error-rate-tolerance must be a number in [0, 0.5], got 0.7');
  expect([...fromFile.trace, ...flags.trace, ...tight.trace, ...bad.trace]).toEqual([]);
});

// Prometheus credentials in a dry run.

/** A staging dry run with this Prometheus URL and these `--prometheus-header` lines. */
const dryRunWithPrometheus = (url: string, ...headers: string[]): ReturnType<typeof tracedCli> =>
  tracedCli(
    '--dry-run',
    'staging',
    'abc1234',
    '--prometheus-url',
    url,
    ...headers.flatMap((h) => ['--prometheus-header', h]),
  );

function expectNoSecret(r: Finished, ...secrets: string[]): void {
  for (const s of secrets) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
}

test('CLI dry run: basic auth from the URL and a bearer token show as flags and names, never as values', async () => {
  const basic = await dryRunWithPrometheus('http://u:secretpw@127.0.0.1:9/', 'X-Scope-OrgID: tenant-tok777');
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

  const bearer = await dryRunWithPrometheus(
    'http://127.0.0.1:9/prom',
    'Authorization: Bearer tok123',
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
  const r = await dryRunWithPrometheus('http://u:secretpw@127.0.0.1:9/', 'Authorization: Bearer tok123');
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toBe(
    'error: prometheus-url holds user:password and an Authorization header is given too: use one of them',
  );
  expectNoSecret(r, 'secretpw', 'tok123');
  expect(r.trace).toEqual([]);
});

test('CLI: a malformed --prometheus-header is exit 2 naming which one, never its text', async () => {
  const r = await dryRunWithPrometheus('http://127.0.0.1:9', 'X-Scope-OrgID: hotel', 'Authorization Bearer tok123');
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe('canary: --prometheus-header value 2 is not a "Name: value" header (no colon)');
  expect(r.stdout).toBe('');
  expectNoSecret(r, 'tok123');
  expect(r.trace).toEqual([]);
});

test('CLI: a URL that does not parse is named without its credentials', async () => {
  const r = await dryRunWithPrometheus('http://u:secretpw@127.0.0.1:99999');
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
