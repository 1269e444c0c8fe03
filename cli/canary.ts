/**
 * `npm run canary -- [--dry-run] [options] <environment> <sha>` and `npm run canary -- judge <report.json>`.
 * The same orchestration as the action (lib/canary/orchestrate.ts), with flags instead of inputs.
 */
import { consoleShell, executeCanary, rejudgeFile, RUN_ERROR_EXIT, USAGE_EXIT } from '../lib/canary/orchestrate.js';
import { CANARY_SPEC, planSettings } from '../lib/canary/settings.js';
import { InputError } from '../lib/inputs.js';
import { parseCli, UsageError, usageLines } from '../lib/kit/cli.js';
import { flagLabel } from '../lib/kit/spec.js';

const USAGE = `usage: npm run canary -- [--dry-run] [options] <environment> <sha>
       npm run canary -- judge <report.json>
options (each also an input of the canary action, same name; see actions/canary/action.yml):
${usageLines(CANARY_SPEC).join('\n')}`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'judge') {
    if (argv.length !== 2) {
      console.error(USAGE);
      return USAGE_EXIT;
    }
    return rejudgeFile(argv[1]!, consoleShell());
  }
  // No defaults applied: an unset flag falls back to the config file, as an empty input does.
  const { config, positionals, help } = parseCli(CANARY_SPEC, argv, { positionals: true, defaults: false });
  if (help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError('expected <environment> <sha>');
  return executeCanary(
    {
      environment: positionals[0]!,
      sha: positionals[1]!,
      dryRun: config.dryRun ?? false,
      cwd: process.cwd(),
      ...planSettings(config, flagLabel(CANARY_SPEC)),
    },
    consoleShell(),
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    // Interrupted (143/130): rolled back and cleaned up already; end now, not when the last timer of
    // the abandoned phases fires.
    if (code > 128) process.exit(code);
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
