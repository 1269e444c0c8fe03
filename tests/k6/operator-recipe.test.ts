/**
 * The k6-operator recipe of docs/k6-results.md, as written: its TestRun gives each runner its own
 * NDJSON file, and its gate step (read from the document) gates the runners' outputs, named as
 * k6-operator names its pods, with the bundled action. The outputs are one real run split in four.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readK6Result } from '#core/k6/index.js';
import { fixtures, repoRoot, runAction } from '../smoke-gate/run-action.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ws = mkdtempSync(join(tmpdir(), 'k6-operator-recipe-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

const blocks = [...readFileSync(join(repoRoot, 'docs/k6-results.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map(
  (m) => parseAllDocuments(m[1]!).map((d) => d.toJS() as Doc)[0]!,
);
const testRun = blocks.find((b) => b.kind === 'TestRun')!;
const workflow = blocks.find((b) => b.jobs?.gate)!;

test("the TestRun gives every runner its own output file (K6_OUT names the pod, defined before it's used)", () => {
  const env = testRun.spec.runner.env as { name: string; value?: string; valueFrom?: Doc }[];
  const podName = env.findIndex((e) => e.name === 'POD_NAME');
  const out = env.findIndex((e) => e.name === 'K6_OUT');
  expect(env[podName]!.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
  expect(podName).toBeLessThan(out);
  expect(env[out]!.value).toBe('json=/results/$(POD_NAME).ndjson');
  expect(testRun.spec.runner.volumeMounts[0].mountPath).toBe('/results');
});

test('the gate step of the recipe gates the runners as one run: the exact p95 of the whole run', async () => {
  const gate = (workflow.jobs.gate.steps as Doc[]).find((s) => s.uses === './actions/smoke-gate')!;
  const download = (workflow.jobs.gate.steps as Doc[]).find((s) =>
    String(s.uses).startsWith('actions/download-artifact'),
  )!;
  const dir = join(ws, download.with.path as string);
  mkdirSync(dir, { recursive: true });
  const lines = readFileSync(join(fixtures, 'pass-points.ndjson'), 'utf8').split('\n').filter(Boolean);
  const quarter = Math.ceil(lines.length / 4);
  for (let i = 0; i < 4; i++)
    writeFileSync(
      join(dir, `smoke-${i + 1}-x7k2${i}.ndjson`),
      lines.slice(i * quarter, (i + 1) * quarter).join('\n') + '\n',
    );
  mkdirSync(join(ws, 'k6'), { recursive: true });
  copyFileSync(join(repoRoot, 'k6/budget.json'), join(ws, gate.with.budget as string));

  const r = await runAction({
    inputs: { ...gate.with, 'github-token': '' },
    workspace: ws,
    env: { GITHUB_SHA: 'd'.repeat(40) },
  });
  expect(r.code).toBe(0);
  expect(r.outputs.verdict).toBe('pass');
  const whole = await readK6Result(join(fixtures, 'pass-points.ndjson'));
  expect(Number(r.outputs['p95-ms'])).toBe(whole.latency_ms.p95);
  expect(Number(r.outputs.requests)).toBe(whole.requests);
  expect((r.report as { parts: unknown[] }).parts).toHaveLength(4);
});
