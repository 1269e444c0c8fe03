/**
 * The bundled smoke-gate action (node dist/index.js, as GitHub runs it) given several results:
 * a glob of the NDJSON outputs of three runners of one real run, and a glob matching nothing.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures, runAction, schemaErrors } from '../smoke-gate/run-action.js';

const ws = mkdtempSync(join(tmpdir(), 'k6-results-action-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

beforeAll(() => {
  const lines = readFileSync(join(fixtures, 'pass-points.ndjson'), 'utf8').split('\n').filter(Boolean);
  const third = Math.ceil(lines.length / 3);
  mkdirSync(join(ws, 'k6-operator'), { recursive: true });
  for (let i = 0; i < 3; i++)
    writeFileSync(
      join(ws, 'k6-operator', `runner-${i}.ndjson`),
      lines.slice(i * third, (i + 1) * third).join('\n') + '\n',
    );
});

test('a glob of runner outputs: one verdict, every part in the report and the job summary', async () => {
  const r = await runAction({
    inputs: { results: 'k6-operator/*.ndjson\n', 'github-token': '' },
    env: { GITHUB_SHA: 'c'.repeat(40), GITHUB_REF: 'refs/heads/main' },
    workspace: ws,
  });
  expect(r.code).toBe(0);
  expect(r.outputs.verdict).toBe('pass');
  expect(r.outputs.requests).toBe('672');
  expect(Number(r.outputs['p95-ms'])).toBe(5.1846222);
  const report = r.report as { parts: { file: string; requests: number }[]; combination: string };
  expect(schemaErrors('report', report)).toEqual([]);
  expect(report.parts.map((p) => p.file)).toEqual([0, 1, 2].map((i) => join(ws, 'k6-operator', `runner-${i}.ndjson`)));
  expect(report.parts.reduce((s, p) => s + p.requests, 0)).toBe(672);
  expect(report.combination).toMatch(/^3 NDJSON files/);
  expect(r.summary).toContain('3 result files combined');
  expect(r.summary.match(/\| ndjson \| \d+ \| 0 \|/g)).toHaveLength(3);
});

test('a glob matching nothing fails the step with one line', async () => {
  const r = await runAction({
    inputs: { results: 'k6-operator/*.json', 'github-token': '', 'report-path': 'none.json' },
    workspace: ws,
  });
  expect(r.code).not.toBe(0);
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error::'));
  expect(errors).toEqual([`::error::results glob "k6-operator/*.json" matches no file (relative to ${ws})`]);
  expect(r.report).toBeUndefined();
});
