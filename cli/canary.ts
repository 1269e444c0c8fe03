/**
 * `npm run canary -- [--dry-run] [options] <environment> <sha>` and `npm run canary -- judge <report.json>`.
 * The same orchestration as the action (lib/canary/orchestrate.ts), with flags instead of inputs.
 */
import { parseArgs } from 'node:util';
import { consoleShell, executeCanary, rejudgeFile, RUN_ERROR_EXIT, USAGE_EXIT } from '../lib/canary/orchestrate.js';
import { InputError, parseKeyValues } from '../lib/inputs.js';
import { readSettings, SETTING_NAMES } from '../lib/canary/settings.js';
import { parseHeaderLines } from '../lib/prometheus.js';

const USAGE = `usage: npm run canary -- [--dry-run] [options] <environment> <sha>
       npm run canary -- judge <report.json>
options: --baseline-ref REF (default: newest release tag before <sha>, else merge base with the default branch,
           else first parent; docs/canary-baseline.md)  --canary-ref worktree (judge the uncommitted working tree)
         --deployer local|command  --baseline-url URL  --prometheus-url URL  --canary-port N
         --prometheus-header "Name: value" (repeatable; e.g. "Authorization: Bearer TOKEN", "X-Scope-OrgID: TENANT")
         --prometheus-scrape-interval-seconds S
         --deploy-command CMD --promote-command CMD --rollback-command CMD --cleanup-command CMD
         --intervals N --interval-seconds S --connections N --rate R --readiness-timeout-seconds S
         --warmup-requests N --latency-tolerance F --latency-tolerance-ms MS --error-rate-tolerance F
         --rollback-on-inconclusive true|false  --budget FILE  --config FILE  --driver auto|builtin|k6
         --canary-env KEY=VALUE (repeatable)`;

/** A mistake in the command line: printed with the usage, exit 2. */
class UsageError extends Error {}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...Object.fromEntries(SETTING_NAMES.map((n) => [n, { type: 'string' as const }])),
        'dry-run': { type: 'boolean' },
        'prometheus-header': { type: 'string', multiple: true },
        'canary-env': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'judge') {
    if (argv.length !== 2) {
      console.error(USAGE);
      return USAGE_EXIT;
    }
    return rejudgeFile(argv[1]!, consoleShell());
  }
  const { values, positionals } = parseFlags(argv);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError('expected <environment> <sha>');
  const flag = (n: string): string | undefined => {
    const v = (values as Record<string, unknown>)[n];
    return typeof v === 'string' ? v : undefined;
  };
  return executeCanary(
    {
      environment: positionals[0]!,
      sha: positionals[1]!,
      dryRun: values['dry-run'] ?? false,
      cwd: process.cwd(),
      ...readSettings(flag, (n) => `--${n}`),
      prometheusHeaders: parseHeaderLines('--prometheus-header', values['prometheus-header'] ?? [], 'value'),
      canaryEnv: parseKeyValues('--canary-env', values['canary-env'] ?? []),
    },
    consoleShell(),
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Only a mistake in the command line earns the usage text; anything else is one line, exit 3.
    const usage = err instanceof UsageError || err instanceof InputError;
    console.error(`canary: ${((err as Error).message ?? String(err)).split('\n')[0]}`);
    if (usage) console.error(USAGE);
    process.exitCode = usage ? USAGE_EXIT : RUN_ERROR_EXIT;
  },
);
