/**
 * The smoke-gate action as GitHub runs it: the committed bundle as a child process, inputs and
 * context in the environment, GitHub API calls to the OpenAPI-checked fake server.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { commentMarker } from '#lib/github/index.js';
import { startFakeGitHub, type FakeGitHub } from '../support/github-api-server.js';
import { fixtures, runAction, schemaErrors, type ActionRun } from './run-action.js';

const PASS = join(fixtures, 'pass-summary-export.json');
const SLOW = join(fixtures, 'slow-summary-export.json');
const MARKER = commentMarker('smoke-gate');

let gh: FakeGitHub;
beforeEach(async () => {
  gh = await startFakeGitHub({ owner: 'acme', repo: 'hotel', readOnlyTokens: ['ro-token'] });
});
afterEach(async () => {
  expect(gh.violations).toEqual([]);
  await gh.close();
});

function prEvent(number: number, headSha: string, opts: { fork?: boolean } = {}) {
  return {
    name: 'pull_request',
    payload: {
      action: 'synchronize',
      number,
      pull_request: {
        number,
        head: {
          sha: headSha,
          ref: `feature-${number}`,
          repo: { fork: opts.fork ?? false, full_name: opts.fork ? 'someone/hotel' : 'acme/hotel' },
        },
        base: { ref: 'main', sha: gh.state.refs.get('heads/main'), repo: { full_name: 'acme/hotel' } },
      },
      repository: { full_name: 'acme/hotel', default_branch: 'main' },
    },
  };
}

/** A PR: a feature branch of one commit on top of main's head. */
function openPr(number: number, fork = false) {
  const [head] = gh.state.commitOn(`feature-${number}`, 1, 'feature');
  gh.state.addPull({ number, head_sha: head!, head_ref: `feature-${number}`, fork });
  return { head: head!, event: prEvent(number, head!, { fork }) };
}

function ghEnv(extra: Record<string, string> = {}) {
  return { GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: 'acme/hotel', ...extra };
}

function ghInputs(extra: Record<string, string> = {}, token = 'rw-token') {
  return { 'github-token': token, ...extra };
}

function errorLines(r: ActionRun): string[] {
  return r.stdout.split('\n').filter((l) => l.startsWith('::error::'));
}

test('pass: outputs, report, job summary and a PR comment (the committed dist/, as GitHub runs it)', async () => {
  const pr = openPr(12);
  const r = await runAction({
    dist: true,
    inputs: ghInputs({ results: PASS }),
    event: pr.event,
    env: { ...ghEnv(), GITHUB_REF: 'refs/pull/12/merge', GITHUB_SHA: 'f'.repeat(40) },
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.outputs).toMatchObject({ passed: 'true', verdict: 'pass' });
  expect(r.outputs['p95-ms']).toBe('5.1846222');
  expect(r.outputs['error-rate']).toBe('0');
  expect(r.outputs.requests).toBe('672');
  expect(r.outputs['summary-path']).toBe(r.reportPath);
  expect(r.report).toMatchObject({
    schema_version: 1,
    kind: 'smoke',
    commit: pr.head,
    ref: 'refs/pull/12/merge',
    verdict: 'pass',
    passed: true,
    reasons: [],
    budget: { p95_ms: 450, error_rate: 0.01, min_requests: 200 },
    measured: { requests: 672, p95_ms: 5.1846222, error_rate: 0 },
    run: { event: 'pull_request', pr_number: 12, id: '4242' },
  });
  expect(schemaErrors('report', r.report)).toEqual([]);
  expect(r.summary).toContain('Performance smoke gate: **PASS**');
  const comments = gh.state.commentsOn(12);
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body.startsWith(`${MARKER}\n`)).toBe(true);
  expect(comments[0]!.body).toContain('**PASS**');
  expect(errorLines(r)).toEqual([]);
});

test('fail: one readable error line, exit 1, passed=false', async () => {
  const pr = openPr(13);
  const r = await runAction({ inputs: ghInputs({ results: PASS, 'max-p95-ms': '3' }), event: pr.event, env: ghEnv() });
  expect(r.code).toBe(1);
  expect(r.outputs).toMatchObject({ passed: 'false', verdict: 'fail' });
  const errors = errorLines(r);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(
    /^::error::Performance smoke gate failed: p95 latency 5\.18 ms is above the limit of 3(\.0+)? ms$/,
  );
  expect(r.report).toMatchObject({ verdict: 'fail', passed: false, budget: { p95_ms: 3 } });
  expect(gh.state.commentsOn(13)[0]!.body).toContain('**FAIL**');
  expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
});

test('a crossed k6 threshold fails unless fail-on-k6-thresholds is false', async () => {
  const strict = await runAction({ inputs: { results: SLOW, 'github-token': '' } });
  expect(strict.code).toBe(1);
  expect(errorLines(strict)[0]).toMatch(/k6 threshold crossed: http_req_duration p\(95\)<25/);
  const lenient = await runAction({ inputs: { results: SLOW, 'github-token': '', 'fail-on-k6-thresholds': 'false' } });
  expect(lenient.code).toBe(0);
  expect(lenient.outputs.verdict).toBe('pass');
  expect(lenient.stdout).toMatch(/::warning::k6 threshold crossed: .*ignored by configuration/);
});

test('inconclusive: too few requests is a warning, not a failure', async () => {
  const r = await runAction({
    inputs: ghInputs({ results: PASS, 'min-requests': '1000' }),
    event: openPr(14).event,
    env: ghEnv(),
  });
  expect(r.code).toBe(0);
  expect(r.outputs).toMatchObject({ passed: 'false', verdict: 'inconclusive', requests: '672' });
  expect(r.stdout).toMatch(
    /::warning::Performance smoke gate inconclusive: only 672 requests were made; at least 1000/,
  );
  expect(r.report).toMatchObject({ verdict: 'inconclusive' });
  expect(gh.state.commentsOn(14)[0]!.body).toContain('**INCONCLUSIVE**');
});

test('the PR comment is created, then updated in place on the next run', async () => {
  const pr = openPr(15);
  await runAction({ inputs: ghInputs({ results: PASS }), event: pr.event, env: ghEnv() });
  const first = gh.state.commentsOn(15);
  expect(first).toHaveLength(1);
  const id = first[0]!.id;
  const again = await runAction({
    inputs: ghInputs({ results: PASS, 'max-p95-ms': '3' }),
    event: pr.event,
    env: ghEnv(),
  });
  expect(again.code).toBe(1);
  const after = gh.state.commentsOn(15);
  expect(after).toHaveLength(1);
  expect(after[0]!.id).toBe(id);
  expect(after[0]!.body).toContain('**FAIL**');
  expect(gh.requests.filter((q) => q.operationId === 'issues/create-comment')).toHaveLength(1);
  expect(gh.requests.filter((q) => q.operationId === 'issues/update-comment')).toHaveLength(1);
});

test('fork PR with a read-only token: summary and report, a warning, exit per verdict', async () => {
  const pr = openPr(16, true);
  const r = await runAction({
    inputs: ghInputs({ results: PASS }, 'ro-token'),
    event: pr.event,
    env: ghEnv(),
  });
  expect(r.code).toBe(0);
  expect(r.outputs.verdict).toBe('pass');
  expect(r.summary).toContain('**PASS**');
  expect(r.report).toMatchObject({ verdict: 'pass' });
  expect(r.stdout).toMatch(/::warning::Commenting on pull request #16 skipped: GitHub answered 403/);
  expect(gh.state.commentsOn(16)).toHaveLength(0);
  expect(gh.requests.some((q) => q.operationId === 'issues/create-comment' && q.status === 403)).toBe(true);

  const failing = await runAction({
    inputs: ghInputs({ results: PASS, 'max-p95-ms': '3' }, 'ro-token'),
    event: pr.event,
    env: ghEnv(),
  });
  expect(failing.code).toBe(1);
  expect(errorLines(failing)).toHaveLength(1);
});

test('a 500 from GitHub is retried and the comment still lands', async () => {
  const pr = openPr(17);
  gh.failNext('GET', /\/issues\/17\/comments$/, 500, 1);
  gh.failNext('POST', /\/issues\/17\/comments$/, 502, 1);
  const r = await runAction({ inputs: ghInputs({ results: PASS }), event: pr.event, env: ghEnv() });
  expect(r.code).toBe(0);
  expect(
    gh.requests.filter((q) => q.path.endsWith('/issues/17/comments')).map((q) => `${q.method} ${q.status}`),
  ).toEqual(['GET 500', 'GET 200', 'POST 502', 'GET 200', 'POST 201']);
  expect(gh.state.commentsOn(17)).toHaveLength(1);
  expect(r.stdout).not.toMatch(/::warning::Commenting/);
});

test('the PR comment names the release tag passed in (the release.json tag perf-smoke reads)', async () => {
  const pr = openPr(19);
  const r = await runAction({
    inputs: ghInputs({ results: PASS, 'release-tag': 'v0.6.0' }),
    event: pr.event,
    env: ghEnv(),
  });
  expect(r.code).toBe(0);
  expect(r.report!.next_release_tag).toBe('v0.6.0');
  expect(gh.state.commentsOn(19)[0]!.body).toContain('Next release tag: <code>v0.6.0</code>');
});

test('a comment GitHub created before answering 500 is not created twice', async () => {
  const pr = openPr(18);
  gh.failAfterNext('POST', /\/issues\/18\/comments$/, 500, 1);
  const r = await runAction({ inputs: ghInputs({ results: PASS }), event: pr.event, env: ghEnv() });
  expect(r.code).toBe(0);
  expect(
    gh.requests.filter((q) => q.path.endsWith('/issues/18/comments')).map((q) => `${q.method} ${q.status}`),
  ).toEqual(['GET 200', 'POST 500', 'GET 200']);
  expect(gh.state.commentsOn(18)).toHaveLength(1);
  expect(gh.state.commentsOn(18)[0]!.body).toContain('<!-- hotel-perf:');
});

test('pushes to the default branch append to the history; a PR compares with its merge base and charts the trend', async () => {
  const pushEvent = {
    name: 'push',
    payload: { ref: 'refs/heads/main', repository: { full_name: 'acme/hotel', default_branch: 'main' } },
  };
  const mains = gh.state.commitOn('main', 3, 'main');
  const p95s: number[] = [];
  for (const [i, sha] of mains.entries()) {
    const r = await runAction({
      inputs: ghInputs({
        results: i === 2 ? join(fixtures, 'slow-summary-export.json') : PASS,
        'fail-on-k6-thresholds': 'false',
      }),
      event: pushEvent,
      env: ghEnv({ GITHUB_REF: 'refs/heads/main', GITHUB_SHA: sha }),
    });
    expect(r.code).toBe(0);
    p95s.push(Number(r.outputs['p95-ms']));
    if (i > 0) expect((r.report!.baseline as { sha: string }).sha).toBe(mains[i - 1]);
  }
  const file = gh.state.getFile('perf-data', 'smoke-history/main.json');
  expect(file).toBeDefined();
  const history = JSON.parse(file!.content.toString('utf8')) as {
    version: number;
    max_entries: number;
    entries: { sha: string; p95_ms: number }[];
  };
  expect(history.version).toBe(1);
  expect(schemaErrors('history', history)).toEqual([]);
  expect(history.entries.map((e) => e.sha)).toEqual(mains);
  expect(history.entries.map((e) => e.p95_ms)).toEqual(p95s);

  // A pull request branched off the second commit: its baseline is that commit, not main's latest run.
  gh.state.setBranch('feature-20', mains[1]!);
  const [head] = gh.state.commitOn('feature-20', 1);
  gh.state.addPull({ number: 20, head_sha: head!, head_ref: 'feature-20' });
  const pr = await runAction({ inputs: ghInputs({ results: PASS }), event: prEvent(20, head!), env: ghEnv() });
  expect(pr.code).toBe(0);
  expect(pr.report!.baseline).toMatchObject({ sha: mains[1], base_p95_ms: p95s[1] });
  expect(schemaErrors('report', pr.report)).toEqual([]);
  expect(pr.summary).toContain('xychart-beta');
  expect(gh.state.commentsOn(20)[0]!.body).toContain('xychart-beta');
  // PR runs never write the history
  expect(
    JSON.parse(gh.state.getFile('perf-data', 'smoke-history/main.json')!.content.toString('utf8')).entries,
  ).toHaveLength(3);

  // history-size bounds the stored runs
  const [next] = gh.state.commitOn('main', 1);
  await runAction({
    inputs: ghInputs({ results: PASS, 'history-size': '2' }),
    event: pushEvent,
    env: ghEnv({ GITHUB_REF: 'refs/heads/main', GITHUB_SHA: next! }),
  });
  const bounded = JSON.parse(gh.state.getFile('perf-data', 'smoke-history/main.json')!.content.toString('utf8')) as {
    entries: { sha: string }[];
  };
  expect(bounded.entries.map((e) => e.sha)).toEqual([mains[2], next]);
});

test('malformed results: one clear error line, exit 1, the previous report left untouched', async () => {
  const r0 = await runAction({ inputs: { results: PASS, 'github-token': '' } });
  const ws = r0.workspace;
  const before = readFileSync(r0.reportPath, 'utf8');
  const reportDir = dirname(r0.reportPath);
  for (const [name, content] of [
    ['truncated.json', '{"metrics": {"http_req_duration": {"avg": 1,'],
    ['empty.json', ''],
    ['other.json', '{"hello": "world"}'],
  ] as const) {
    const bad = join(ws, name);
    writeFileSync(bad, content);
    const r = await runAction({ inputs: { results: bad, 'github-token': '' }, workspace: ws });
    expect(r.code).toBe(1);
    const errors = errorLines(r);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(bad);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\bat .+:\d+:\d+/);
    expect(r.outputs).toEqual({});
    expect(r.summary).toBe('');
  }
  const missing = await runAction({ inputs: { results: 'nope.json', 'github-token': '' }, workspace: ws });
  expect(missing.code).toBe(1);
  expect(errorLines(missing)[0]).toMatch(/nope\.json/);
  const badInput = await runAction({
    inputs: { results: PASS, 'github-token': '', 'max-error-rate': '5%' },
    workspace: ws,
  });
  expect(badInput.code).toBe(1);
  // '%' is escaped as %25 in workflow commands; GitHub shows it as '%'
  expect(errorLines(badInput)).toEqual([
    '::error::input max-error-rate must be a ratio in (0, 1], e.g. 0.01, got "5%25"',
  ]);
  expect(readFileSync(r0.reportPath, 'utf8')).toBe(before);
  expect(readdirSync(reportDir)).toEqual(['smoke-summary.json']);
});

test('adaptive error budget: the limit tightens as the budget is spent', async () => {
  const dir = (await runAction({ inputs: { results: PASS, 'github-token': '' } })).workspace;
  const failing = join(dir, 'errors.json');
  // the pass run with 4 of 672 requests failed (0.6 %): within the 1 % budget file limit
  const doc = JSON.parse(readFileSync(PASS, 'utf8')) as { metrics: Record<string, Record<string, number>> };
  doc.metrics.http_req_failed = { ...doc.metrics.http_req_failed, passes: 4, fails: 668, value: 4 / 672 };
  writeFileSync(failing, JSON.stringify(doc));
  const plain = await runAction({ inputs: { results: failing, 'github-token': '' }, workspace: dir });
  expect(plain.outputs.verdict).toBe('pass');
  const adaptive = await runAction({
    inputs: { results: failing, 'github-token': '', slo: '0.99', 'error-budget-spent': '0.5' },
    workspace: dir,
  });
  expect(adaptive.code).toBe(1);
  const budget = adaptive.report!.budget as { error_rate: number; error_rate_limit: number };
  expect(budget.error_rate).toBe(0.01);
  expect(budget.error_rate_limit).toBeCloseTo(0.005, 12);
  expect(errorLines(adaptive)[0]).toMatch(/error rate .* is above the limit of 0\.5 %/);
});

test('no token: report and job summary only, one warning, no GitHub call', async () => {
  const r = await runAction({ inputs: { results: PASS, 'github-token': '' }, event: openPr(30).event, env: ghEnv() });
  expect(r.code).toBe(0);
  expect(r.summary).toContain('**PASS**');
  expect(r.report).toMatchObject({ verdict: 'pass' });
  expect(r.stdout).toMatch(/::warning::No github-token/);
  expect(gh.requests).toEqual([]);
});

test('push with a read-only token: the history append degrades to a warning', async () => {
  const [sha] = gh.state.commitOn('main', 1);
  const r = await runAction({
    inputs: ghInputs({ results: PASS }, 'ro-token'),
    event: {
      name: 'push',
      payload: { ref: 'refs/heads/main', repository: { full_name: 'acme/hotel', default_branch: 'main' } },
    },
    env: ghEnv({ GITHUB_REF: 'refs/heads/main', GITHUB_SHA: sha! }),
  });
  expect(r.code).toBe(0);
  expect(r.outputs.verdict).toBe('pass');
  expect(r.stdout).toMatch(/::warning::Appending to the p95 history skipped: GitHub answered 403/);
  expect(gh.state.refs.has('heads/perf-data')).toBe(false);
});
