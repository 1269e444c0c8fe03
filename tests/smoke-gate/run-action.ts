/**
 * Runs the smoke-gate action: in-process by default (src/main.ts's run() with a recording host,
 * the inputs as a map, the context from an environment of its own), or with `dist: true` as GitHub
 * does, `node dist/index.js` with INPUT_* and GITHUB_* variables. Both give the same view: exit
 * status, the log as the runner shows it (workflow commands), outputs, job summary, report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { recordingHost } from '#lib/kit/host.js';
import { run } from '../../actions/smoke-gate/src/main.js';
import { parseCommandFile } from '../support/github-runner.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const fixtures = resolve(repoRoot, 'tests/fixtures/k6');
export const actionEntry = join(repoRoot, 'actions/smoke-gate/dist/index.js');

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  workspace: string;
  reportPath: string;
  report: Record<string, unknown> | undefined;
}

export interface ActionRunOptions {
  inputs: Record<string, string>;
  event?: { name: string; payload: unknown };
  env?: Record<string, string>;
  workspace?: string;
  /** Run the committed bundle in a child process, as GitHub does. */
  dist?: boolean;
  /** Called with the action's process once started (e.g. to signal it as a cancelled job would). */
  onStart?: (child: ChildProcess) => void;
}

/** The first GitHub retry delay of the tests (production backs off from 1 s). */
const RETRY_BASE_MS = 20;

export async function runAction(opts: ActionRunOptions): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'smoke-gate-'));
  const workspace = opts.workspace ?? dir;
  const outputFile = join(dir, 'github_output');
  const summaryFile = join(dir, 'step_summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_RUN_ID: '4242',
  };
  if (opts.event) {
    const eventPath = join(dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(opts.event.payload));
    env.GITHUB_EVENT_NAME = opts.event.name;
    env.GITHUB_EVENT_PATH = eventPath;
  }
  // GitHub upper-cases the input name and turns spaces into underscores; hyphens stay.
  for (const [k, v] of Object.entries(opts.inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  Object.assign(env, opts.env);
  const reportPath = join(workspace, opts.inputs['report-path'] ?? 'reports/performance/smoke-summary.json');
  const report = () =>
    existsSync(reportPath) ? (JSON.parse(readFileSync(reportPath, 'utf8')) as Record<string, unknown>) : undefined;

  if (!opts.dist) {
    const host = recordingHost();
    await run(host, { inputs: opts.inputs, env, retryBaseMs: RETRY_BASE_MS });
    return {
      code: host.failed.length > 0 ? 1 : 0,
      stdout: host.transcript(),
      stderr: '',
      outputs: host.outputs,
      summary: host.summaries.map((md) => `${md}\n`).join(''),
      workspace,
      reportPath,
      report: report(),
    };
  }
  const child = spawn(process.execPath, [actionEntry], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  opts.onStart?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  return {
    code,
    stdout,
    stderr,
    outputs: parseCommandFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    workspace,
    reportPath,
    report: report(),
  };
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const schemas = {
  report: ajv.compile(
    JSON.parse(readFileSync(join(repoRoot, 'core/src/gate/smoke-report.schema.json'), 'utf8')) as object,
  ),
  history: ajv.compile(JSON.parse(readFileSync(join(repoRoot, 'core/src/gate/history.schema.json'), 'utf8')) as object),
};

/** Validation errors of a document against the documented JSON Schema ([] when valid). */
export function schemaErrors(kind: keyof typeof schemas, doc: unknown): string[] {
  const validate = schemas[kind];
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
