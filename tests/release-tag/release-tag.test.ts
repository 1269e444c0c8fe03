/**
 * The release-tag action as GitHub runs it: `node actions/release-tag/dist/index.js` in a child
 * process, inputs and context in the environment, GITHUB_API_URL pointing at the local
 * OpenAPI-checked GitHub server.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBudget } from '#core/budget.js';
import { DEFAULT_JUDGE_SETTINGS } from '#core/canary/defaults.js';
import type { CanaryReport } from '#core/canary/types.js';
import { evaluateGate } from '#core/gate/evaluate.js';
import { fmtMs, fmtPct } from '#core/gate/format.js';
import { buildSmokeReport, type SmokeReport } from '#core/gate/report.js';
import type { LoadResult } from '#core/load-result.js';
import { DEFAULT_RELEASE_TAG } from '#core/release/notes.js';
import { startFakeGitHub, type FakeGitHub } from '../support/github-api-server.js';
import { run } from '../../actions/release-tag/src/main.js';
import { recordingHost } from '#lib/kit/host.js';
import { parseCommandFile } from '../support/github-runner.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(root, 'actions/release-tag/dist/index.js');
const TAG = DEFAULT_RELEASE_TAG;
const MARKER = '<!-- hotel-perf:release -->';

interface RunResult {
  code: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

function smokeResult(): LoadResult {
  // A healthy run: 500 requests, well under the budget in k6/budget.json.
  return {
    source: { format: 'summary-export' },
    requests: 500,
    failed_requests: 1,
    error_rate: 1 / 500,
    latency_ms: { p95: 87.25, p90: 70.5, med: 31.2, avg: 38.9, min: 2.1, max: 140.7 },
    thresholds: [{ metric: 'http_req_duration', expression: 'p(95)<450', ok: true }],
    duration_s: 20,
  };
}

function smokeReport(commit: string, result = smokeResult()): SmokeReport {
  const budget = loadBudget(path.join(root, 'k6/budget.json'));
  const gate = evaluateGate({ result, budget });
  return buildSmokeReport({
    result,
    gate,
    budget,
    commit,
    ref: 'refs/heads/main',
    run: { id: '42', url: 'https://github.com/hotel-org/hotel-perf/actions/runs/42' },
  });
}

describe('release-tag action (node dist/index.js against the fake GitHub)', () => {
  let gh: FakeGitHub;
  let tmp: string;
  let merge: string;
  let other: string;

  beforeEach(async () => {
    gh = await startFakeGitHub({ readOnlyTokens: ['read-only-token'] });
    tmp = mkdtempSync(path.join(os.tmpdir(), 'release-tag-'));
    const s = gh.state;
    const feature = s.commitOn('feature', 1, 'faster replies')[0]!;
    other = s.commitOn('main', 1, 'unrelated')[0]!;
    merge = s.addCommit({ parents: [other, feature], message: 'Merge pull request #7' });
    s.setBranch('main', merge);
    s.addPull({ number: 7, head_sha: feature, head_ref: 'feature', merged: true, merge_commit_sha: merge });
    s.addComment(7, 'LGTM', 'reviewer'); // someone else's comment must stay untouched
    writeFileSync(path.join(tmp, 'smoke-summary.json'), JSON.stringify(smokeReport(merge)));
    writeFileSync(
      path.join(tmp, 'event.json'),
      JSON.stringify({ workflow_run: { head_sha: merge, event: 'push', head_branch: 'main' } }),
    );
  });

  afterEach(async () => {
    await gh.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * The action in-process (src/main.ts's run() with a recording host, short GitHub retries); with
   * `unset` runner variables, the committed dist/ as GitHub runs it, in a child process.
   */
  async function runAction(
    inputs: Record<string, string> = {},
    token = 'write-token',
    unset: string[] = [],
  ): Promise<RunResult> {
    const outputFile = path.join(tmp, `output-${Date.now()}-${Math.random()}`);
    const summaryFile = path.join(tmp, `summary-${Date.now()}-${Math.random()}`);
    writeFileSync(outputFile, '');
    writeFileSync(summaryFile, '');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GITHUB_API_URL: gh.url,
      GITHUB_REPOSITORY: 'hotel-org/hotel-perf',
      GITHUB_EVENT_NAME: 'workflow_run',
      GITHUB_EVENT_PATH: path.join(tmp, 'event.json'),
      GITHUB_SHA: other, // the workflow_run event's head_sha wins over the run's own sha
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
    };
    const allInputs: Record<string, string> = {
      'github-token': token,
      'smoke-report': path.join(tmp, 'smoke-summary.json'),
      tag: TAG,
      ...inputs,
    };
    for (const k of unset) delete env[k];
    if (unset.length === 0) {
      const host = recordingHost();
      await run(host, { inputs: allInputs, env, retryBaseMs: 5 });
      return {
        code: host.failed.length > 0 ? 1 : 0,
        stdout: host.transcript(),
        outputs: host.outputs,
        summary: host.summaries.join(''),
      };
    }
    for (const [k, v] of Object.entries(allInputs)) env[`INPUT_${k.toUpperCase()}`] = v;
    return new Promise((resolve) => {
      execFile(process.execPath, [DIST], { env, cwd: tmp, timeout: 30_000 }, (err, stdout) => {
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout,
          outputs: parseCommandFile(readFileSync(outputFile, 'utf8')),
          summary: readFileSync(summaryFile, 'utf8'),
        });
      });
    });
  }

  const writes = (from = 0) => gh.requests.slice(from).filter((r) => r.method !== 'GET');
  const tagCommit = () => gh.state.peel(gh.state.refs.get(`tags/${TAG}`)!);

  it('creates an annotated tag, a release with the measured numbers and a PR comment; a rerun changes nothing', async () => {
    const first = await runAction();
    expect(first.stdout).not.toMatch(/::error::/);
    expect(first.code).toBe(0);
    expect(first.outputs).toMatchObject({ tag: TAG, sha: merge, created: 'true' });

    const ref = gh.state.refs.get(`tags/${TAG}`)!;
    const tagObject = gh.state.tagObjects.get(ref);
    expect(tagObject).toMatchObject({ tag: TAG, object: { sha: merge, type: 'commit' } });

    const report = smokeReport(merge);
    expect(gh.state.releases).toHaveLength(1);
    const release = gh.state.releases[0]!;
    expect(release).toMatchObject({ tag_name: TAG, name: TAG, target_commitish: merge, draft: false });
    expect(release.body).toContain(
      `| p95 latency | ${fmtMs(report.measured.p95_ms)} | ≤ ${fmtMs(report.budget.p95_ms)} |`,
    );
    expect(release.body).toContain(`| error rate | ${fmtPct(report.measured.error_rate)} |`);
    expect(release.body).toContain('| smoke verdict | **pass** |');
    expect(first.outputs['release-url']).toMatch(new RegExp(`/releases/tag/${TAG}$`));

    const comments = gh.state.commentsOn(7);
    expect(comments.map((c) => c.user)).toEqual(['reviewer', 'github-actions[bot]']);
    expect(comments[1]!.body.startsWith(MARKER)).toBe(true);
    expect(comments[1]!.body).toContain(first.outputs['release-url']);
    expect(first.summary).toContain(`Tagged \`${TAG}\``);

    const before = gh.requests.length;
    const second = await runAction();
    expect(second.code).toBe(0);
    expect(second.outputs).toMatchObject({
      tag: TAG,
      sha: merge,
      created: 'false',
      'release-url': first.outputs['release-url'],
    });
    expect(writes(before)).toEqual([]);
    expect(gh.state.refs.get(`tags/${TAG}`)).toBe(ref);
    expect(gh.state.commentsOn(7)).toHaveLength(2);
    expect(gh.requests.filter((r) => !r.operationId)).toEqual([]);
    expect(new Set(gh.requests.map((r) => r.operationId))).toEqual(
      new Set([
        'git/get-ref',
        'git/get-tag',
        'git/create-tag',
        'git/create-ref',
        'repos/get-release-by-tag',
        'repos/create-release',
        'repos/list-pull-requests-associated-with-commit',
        'issues/list-comments',
        'issues/create-comment',
      ]),
    );
    expect(gh.violations).toEqual([]);
  });

  it('masks the token before any call and, without a job summary file (not on a runner), still ends green', async () => {
    const token = 'write-token-s3cr3t';
    const res = await runAction({}, token, ['GITHUB_STEP_SUMMARY']);
    expect(res.stdout.split('\n')[0]).toBe(`::add-mask::${token}`);
    expect(res.stdout).not.toMatch(/::error::/);
    expect(res.code).toBe(0);
    expect(res.outputs).toMatchObject({ tag: TAG, sha: merge, created: 'true' });
    expect(res.summary).toBe('');
  });

  it('refuses to move a tag that points at another commit', async () => {
    gh.state.refs.set(`tags/${TAG}`, other);
    const res = await runAction();
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(
      new RegExp(
        `::error::tag ${TAG} already points at ${other.slice(0, 7)}, not ${merge.slice(0, 7)}; tags are never moved`,
      ),
    );
    expect(res.stdout).not.toMatch(/\n\s+at /); // one line, no stack trace
    expect(gh.state.refs.get(`tags/${TAG}`)).toBe(other);
    expect(gh.state.releases).toEqual([]);
    expect(writes()).toEqual([]);
    expect(gh.violations).toEqual([]);
  });

  it('with on-conflict "skip", a merge after the release ends green with a notice and moves nothing', async () => {
    // The first release, at the older commit, from its own release.json.
    gh.state.setFile(other, 'release.json', JSON.stringify({ tag: TAG }));
    gh.state.setFile(merge, 'release.json', JSON.stringify({ tag: TAG }));
    writeFileSync(path.join(tmp, 'smoke-other.json'), JSON.stringify(smokeReport(other)));
    const first = await runAction({ tag: '', sha: other, 'smoke-report': path.join(tmp, 'smoke-other.json') });
    expect(first.code).toBe(0);
    expect(first.outputs).toMatchObject({ tag: TAG, sha: other, created: 'true', skipped: 'false' });
    const ref = gh.state.refs.get(`tags/${TAG}`)!;

    // A later merge that did not bump release.json.
    const before = gh.requests.length;
    const later = await runAction({ tag: '', 'on-conflict': 'skip' });
    expect(later.code).toBe(0);
    expect(later.stdout).toContain(
      `::notice::${TAG} already released at ${other.slice(0, 7)}; bump release.json to release this commit (${merge.slice(0, 7)})`,
    );
    expect(later.stdout).not.toMatch(/::error::/);
    expect(later.outputs).toMatchObject({
      tag: TAG,
      sha: merge,
      created: 'false',
      skipped: 'true',
      'release-url': first.outputs['release-url'],
    });
    expect(later.summary).toContain('Release skipped');
    expect(writes(before)).toEqual([]);
    expect(gh.state.refs.get(`tags/${TAG}`)).toBe(ref);
    expect(tagCommit()).toBe(other);
    expect(gh.state.releases).toHaveLength(1);
    expect(gh.state.commentsOn(7).map((c) => c.user)).toEqual(['reviewer']); // the merged PR was not released
    expect(gh.violations).toEqual([]);
  });

  it('keeps "fail" as the default on a conflict, naming release.json as the way out', async () => {
    gh.state.refs.set(`tags/${TAG}`, other);
    gh.state.setFile(merge, 'release.json', JSON.stringify({ tag: TAG }));
    const res = await runAction({ tag: '' });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(
      new RegExp(
        `::error::tag ${TAG} already points at ${other.slice(0, 7)}, not ${merge.slice(0, 7)}; tags are never moved \\(bump release\\.json`,
      ),
    );
    expect(gh.state.refs.get(`tags/${TAG}`)).toBe(other);
    expect(writes()).toEqual([]);

    const bad = await runAction({ 'on-conflict': 'move' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/::error::on-conflict must be "fail" or "skip", got "move"/);
  });

  it('releases the tag the commit itself declares in release.json, not the one main declares later', async () => {
    gh.state.setFile(merge, 'release.json', JSON.stringify({ tag: 'v0.6.0' }));
    const bump = gh.state.commitOn('main', 1, 'bump release.json')[0]!;
    gh.state.setFile(bump, 'release.json', JSON.stringify({ tag: 'v0.7.0' }));
    gh.state.setFile('main', 'release.json', JSON.stringify({ tag: 'v0.7.0' }));
    const res = await runAction({ tag: '', 'on-conflict': 'skip' });
    expect(res.code).toBe(0);
    expect(res.outputs).toMatchObject({ tag: 'v0.6.0', sha: merge, created: 'true', skipped: 'false' });
    expect(res.stdout).toContain(`release tag v0.6.0 declared in release.json at ${merge.slice(0, 7)}`);
    expect(gh.state.peel(gh.state.refs.get('tags/v0.6.0')!)).toBe(merge);
    expect(gh.state.refs.has('tags/v0.7.0')).toBe(false);
    const read = gh.requests.filter((r) => r.operationId === 'repos/get-content');
    expect(read.map((r) => [r.path.endsWith('/contents/release.json'), r.query.ref])).toEqual([[true, merge]]);
    expect(gh.violations).toEqual([]);
  });

  it('falls back to the default tag without release.json, and refuses a malformed one before writing', async () => {
    const none = await runAction({ tag: '' });
    expect(none.code).toBe(0);
    expect(none.outputs).toMatchObject({ tag: TAG, created: 'true' });
    expect(none.stdout).toContain(`no release.json at ${merge.slice(0, 7)}: releasing the default tag ${TAG}`);

    const before = gh.requests.length;
    gh.state.setFile(merge, 'config/release.json', '{"tag": ["v1"]}');
    const bad = await runAction({ tag: '', 'release-file': 'config/release.json' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      new RegExp(`::error::config/release\\.json at ${merge.slice(0, 7)} must be a JSON object with a string "tag"`),
    );
    expect(bad.stdout).not.toMatch(/\n\s+at /);
    expect(writes(before)).toEqual([]);
    expect(gh.violations).toEqual([]);
  });

  it('accepts an existing annotated tag on the same commit and creates the missing release', async () => {
    const tagSha = 'ab'.repeat(20);
    gh.state.tagObjects.set(tagSha, {
      sha: tagSha,
      tag: TAG,
      message: 'by hand',
      object: { sha: merge, type: 'commit' },
    });
    gh.state.refs.set(`tags/${TAG}`, tagSha);
    const res = await runAction();
    expect(res.code).toBe(0);
    expect(res.outputs.created).toBe('false');
    expect(gh.state.refs.get(`tags/${TAG}`)).toBe(tagSha);
    expect(gh.state.releases.map((r) => r.tag_name)).toEqual([TAG]);
    expect(gh.violations).toEqual([]);
  });

  it('retries 5xx and 429 answers and still converges', async () => {
    gh.failNext('GET', /\/git\/ref\//, 503, 1);
    gh.failNext('POST', /\/git\/tags$/, 502, 2);
    gh.failNext('POST', /\/releases$/, 429, 1, { 'retry-after': '0' });
    const res = await runAction();
    expect(res.code).toBe(0);
    expect(res.outputs.created).toBe('true');
    const statuses = (method: string, re: RegExp) =>
      gh.requests.filter((r) => r.method === method && re.test(r.path)).map((r) => r.status);
    expect(statuses('POST', /\/git\/tags$/)).toEqual([502, 502, 201]);
    expect(statuses('POST', /\/releases$/)).toEqual([429, 201]);
    expect(tagCommit()).toBe(merge);
    expect(gh.state.releases).toHaveLength(1);
    expect(gh.violations).toEqual([]);
  });

  it('a release GitHub created but answered 502 for is found, not created again: the step ends green', async () => {
    gh.failAfterNext('POST', /\/releases$/, 502, 1);
    const res = await runAction();
    expect(res.stdout).not.toMatch(/::error::/);
    expect(res.code).toBe(0);
    expect(res.outputs).toMatchObject({ tag: TAG, sha: merge, created: 'true' });
    expect(gh.state.releases).toHaveLength(1);
    expect(gh.state.releases[0]).toMatchObject({ tag_name: TAG, target_commitish: merge });
    expect(res.outputs['release-url']).toMatch(new RegExp(`/releases/tag/${TAG}$`));
    const posts = gh.requests.filter((r) => r.operationId === 'repos/create-release').map((r) => r.status);
    expect(posts).toEqual([502]); // looked before trying again, so no duplicate create
    expect(gh.state.commentsOn(7)[1]!.body).toContain(res.outputs['release-url']);
    expect(gh.violations).toEqual([]);
  });

  it('when the look after a 502 does not see the release yet, the 422 already_exists of the retry ends green', async () => {
    gh.failAfterNext('POST', /\/releases$/, 502, 1);
    // The first existence check and the look after the 502 both miss it (a lagging read).
    gh.failNext('GET', /\/releases\/tags\//, 404, 2);
    const res = await runAction();
    expect(res.stdout).not.toMatch(/::error::/);
    expect(res.code).toBe(0);
    const posts = gh.requests.filter((r) => r.operationId === 'repos/create-release');
    expect(posts.map((r) => r.status)).toEqual([502, 422]);
    expect(posts[1]!.response).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
    });
    expect(gh.state.releases).toHaveLength(1);
    expect(res.outputs['release-url']).toMatch(new RegExp(`/releases/tag/${TAG}$`));
    expect(gh.violations).toEqual([]);
  });

  it('refuses a smoke report that did not pass, or that measured another commit, before calling GitHub', async () => {
    const slow = { ...smokeResult(), latency_ms: { p95: 900 } };
    writeFileSync(path.join(tmp, 'smoke-summary.json'), JSON.stringify(smokeReport(merge, slow)));
    const failed = await runAction();
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/::error::.*smoke verdict is "fail", only a "pass" is released: .*p95/);

    writeFileSync(path.join(tmp, 'smoke-summary.json'), JSON.stringify(smokeReport(other)));
    const wrongCommit = await runAction();
    expect(wrongCommit.code).toBe(1);
    expect(wrongCommit.stdout).toMatch(
      new RegExp(`::error::.*the report is for commit ${other.slice(0, 7)}, not ${merge.slice(0, 7)}`),
    );

    const missing = await runAction({ 'smoke-report': path.join(tmp, 'nope.json') });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/::error::cannot read smoke report .*nope\.json: ENOENT/);

    expect(gh.requests).toEqual([]);
    expect(gh.state.refs.has(`tags/${TAG}`)).toBe(false);
  });

  it('puts a given canary verdict in the notes, and a failed canary blocks the release', async () => {
    const canary = (verdict: CanaryReport['verdict']) =>
      JSON.stringify({
        schema_version: 1,
        kind: 'canary',
        generated_at: new Date().toISOString(),
        environment: 'staging',
        sha: merge,
        source: 'synthetic',
        plan: {},
        settings: DEFAULT_JUDGE_SETTINGS,
        seed: 7,
        intervals: [],
        judgement: {},
        verdict,
        reasons: verdict === 'fail' ? ['p95 regressed'] : [],
        baseline_p95_ms: 80.5,
        canary_p95_ms: 82.25,
        outcome: { action: verdict === 'fail' ? 'rollback' : 'promote' },
      });
    writeFileSync(path.join(tmp, 'canary-fail.json'), canary('fail'));
    const blocked = await runAction({ 'canary-report': path.join(tmp, 'canary-fail.json') });
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(/::error::.*canary verdict is "fail" in staging: p95 regressed/);
    expect(gh.requests).toEqual([]);

    writeFileSync(path.join(tmp, 'canary-pass.json'), canary('pass'));
    const ok = await runAction({ 'canary-report': path.join(tmp, 'canary-pass.json') });
    expect(ok.code).toBe(0);
    expect(gh.state.releases[0]!.body).toContain(
      `| canary verdict (staging) | **pass** | p95 baseline ${fmtMs(80.5)}, canary ${fmtMs(82.25)} |`,
    );
    expect(gh.violations).toEqual([]);
  });

  it('fails clearly with a read-only token and changes nothing', async () => {
    const res = await runAction({}, 'read-only-token');
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(
      /::error::GitHub API POST .*git\/tags answered 403: Resource not accessible by integration/,
    );
    expect(gh.state.refs.has(`tags/${TAG}`)).toBe(false);
    expect(gh.violations).toEqual([]);
  });
});
