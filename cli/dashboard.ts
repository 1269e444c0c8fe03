/**
 * `npm run dashboard -- --history <file> --out <dir>`: the performance history as a static site
 * (p95 and error rate per recorded commit against the budget, release tags, canary verdicts).
 *
 * Exit status: 0 written; 2 bad input (flag, unreadable or invalid history, budget or canary
 * report, no git repository at --repo, unusable --out), said in one line, nothing written; 1 when
 * writing the site itself failed (the previous site, if any, is left in place).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BudgetError, DEFAULT_BUDGET_PATH } from '#core/budget.js';
import { DashboardInputError, generateDashboard, GitReadError, SiteOutputError } from '#lib/dashboard/index.js';

const USAGE = `usage: npm run dashboard -- --history <file> --out <dir> [options]

  --history <file>   smoke history JSON (smoke-history/<branch>.json on the data branch)
  --out <dir>        directory to write the site to (new, empty, or an earlier dashboard)
  --budget <file>    budget file for the budget lines (default k6/budget.json)
  --repo <dir>       git repository to read release tags and commit subjects from
  --canary <glob>    canary report files to list and link (repeatable), e.g. 'reports/performance/canary-*.json'
  -h, --help         this help

exit status: 0 written, 2 bad input (one line on stderr, nothing written), 1 failed writing the site`;

class UsageError extends Error {}

const isBadInput = (err: unknown) =>
  err instanceof UsageError ||
  err instanceof DashboardInputError ||
  err instanceof GitReadError ||
  err instanceof SiteOutputError ||
  err instanceof BudgetError ||
  String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS');

export function main(argv: string[]): number {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        history: { type: 'string' },
        out: { type: 'string' },
        budget: { type: 'string' },
        repo: { type: 'string' },
        canary: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (!values.history) throw new UsageError('--history <file> is required');
    if (!values.out) throw new UsageError('--out <dir> is required');
    const result = generateDashboard({
      historyFile: values.history,
      outDir: values.out,
      budgetFile: values.budget ? resolve(values.budget) : DEFAULT_BUDGET_PATH,
      repo: values.repo,
      canaryGlobs: values.canary ?? [],
    });
    for (const g of result.unmatchedCanaryGlobs) console.error(`dashboard: note: no canary report matched ${g}`);
    const { runs, canaries, unplaced_tags } = result.data;
    const tags = runs.reduce((k, r) => k + r.tags.length, 0) + unplaced_tags.length;
    console.log(
      `dashboard: wrote ${result.index} (${runs.length} runs, ${tags} release tags, ${canaries.length} canary reports)`,
    );
    return 0;
  } catch (err) {
    const line = (err as Error).message.split('\n')[0];
    if (isBadInput(err)) {
      console.error(
        `dashboard: ${line}${err instanceof UsageError || (err as NodeJS.ErrnoException).code ? ' (--help for usage)' : ''}`,
      );
      return 2;
    }
    console.error(`dashboard: cannot write the site: ${line}`);
    return 1;
  }
}

// Runs when executed (node build/cli/dashboard.js), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
