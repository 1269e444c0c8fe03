/**
 * `npm run bench`: runs every `bench/*.bench.js` module (compiled from TypeScript) in turn.
 * Each module exports `run(): Promise<BenchLine[]>` and prints ratios measured in this one run
 * against a reference on the same machine; absolute times on a shared machine are not trusted.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchLine {
  name: string;
  value: number;
  unit: string;
  /** Goal on `value`, e.g. ">= 0.6": printed beside it, and whether it was met is derived from it here. */
  goal?: `${'<' | '<=' | '>=' | '>'} ${number}`;
}

/** Whether `value` meets a goal such as "<= 10" (one rule for every module, so text and check cannot drift). */
export function goalMet(value: number, goal: NonNullable<BenchLine['goal']>): boolean {
  const [op, limitText] = goal.split(' ') as [string, string];
  const limit = Number(limitText);
  if (op === '<') return value < limit;
  if (op === '<=') return value <= limit;
  if (op === '>=') return value >= limit;
  return value > limit;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = false;
for (const file of files) {
  console.log(`\n## ${file.replace(/\.bench\.js$/, '')}`);
  try {
    const mod = (await import(pathToFileURL(`${here}/${file}`).href)) as { run: () => Promise<BenchLine[]> };
    for (const l of await mod.run()) {
      const goal = l.goal ? `  (goal ${l.goal}: ${goalMet(l.value, l.goal) ? 'met' : 'NOT met'})` : '';
      console.log(`${l.name.padEnd(58)} ${String(Number(l.value.toPrecision(4))).padStart(10)} ${l.unit}${goal}`);
    }
  } catch (err) {
    failed = true;
    console.error(`bench ${file} failed: ${(err as Error).message}`);
  }
}
process.exitCode = failed ? 1 : 0;
