import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { BudgetError, DEFAULT_BUDGET_PATH, loadBudget, parseBudget, withOverrides } from '#core/budget.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'budget-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

test('the project budget is the one every part reads: p95 450 ms, 1 % errors', () => {
  expect(DEFAULT_BUDGET_PATH).toBe(join(repoRoot, 'k6/budget.json'));
  const b = loadBudget();
  expect(b.p95_ms).toBe(450);
  expect(b.error_rate).toBe(0.01);
  expect(b.min_requests).toBeGreaterThan(0);
  expect(b.smoke.max_requests).toBeGreaterThanOrEqual(b.min_requests);
});

test('the project budget validates against its JSON Schema, and the schema rejects a broken budget', () => {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'k6/budget.schema.json'), 'utf8'));
  const validate = new Ajv2020({ strict: true }).compile(schema);
  expect(validate(JSON.parse(readFileSync(join(repoRoot, 'k6/budget.json'), 'utf8')))).toBe(true);
  expect(validate({ version: 1, p95_ms: -1, error_rate: 0.01, min_requests: 10 })).toBe(false);
  expect(validate({ version: 1, p95_ms: 450, error_rate: 2, min_requests: 10 })).toBe(false);
});

test('errors name the file and what was expected', () => {
  expect(() => loadBudget(join(tmp, 'missing.json'))).toThrow(/cannot read budget file .*missing\.json: ENOENT/);
  expect(() => loadBudget(write('bad.json', '{"version": 1,'))).toThrow(/bad\.json is not valid JSON/);
  expect(() => loadBudget(write('array.json', '[]'))).toThrow(/array\.json: expected a JSON object/);
  expect(() => loadBudget(write('v2.json', '{"version": 2}'))).toThrow(/unsupported budget "version" 2/);
  expect(() => loadBudget(write('neg.json', '{"version":1,"p95_ms":0,"error_rate":0.01,"min_requests":1}'))).toThrow(
    /neg\.json: "p95_ms" must be a number/,
  );
  expect(() => parseBudget({ version: 1, p95_ms: 450, error_rate: 1.5, min_requests: 1 })).toThrow(BudgetError);
});

test('overrides replace only what is given and are validated like the file', () => {
  const b = loadBudget();
  const o = withOverrides(b, { p95_ms: 300, error_rate: undefined });
  expect(o.p95_ms).toBe(300);
  expect(o.error_rate).toBe(b.error_rate);
  expect(o.smoke).toEqual(b.smoke);
  expect(() => withOverrides(b, { error_rate: -0.1 })).toThrow(/"error_rate" must be a number/);
});
