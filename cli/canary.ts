/**
 * `npm run canary -- [--dry-run] [options] <environment> <sha>` and `npm run canary -- judge <report.json>`.
 * The same orchestration as the action (lib/canary/orchestrate.ts), with flags instead of inputs.
 */
import { parseArgs } from 'node:util';
import { consoleShell, executeCanary, rejudgeFile, RUN_ERROR_EXIT, USAGE_EXIT } from '../lib/canary/orchestrate.js';
import { InputError, parseBool, parseKeyValues, parseNumber } from '../lib/inputs.js';
import { parseHeaderLines } from '../lib/prometheus.js';

const USAGE = `usage: npm run canary -- [--dry-run] [options] <environment> <sha>
       npm run canary -- judge <report.json>
options: --deployer local|command  --baseline-url URL  --prometheus-url URL  --canary-port N
         --prometheus-header "Name: value" (repeatable; e.g. "Authorization: Bearer TOKEN", "X-Scope-OrgID: TENANT")
         --prometheus-scrape-interval-seconds S
         --deploy-command CMD --promote-command CMD --rollback-command CMD --cleanup-command CMD
         --intervals N --interval-seconds S --connections N --rate R --readiness-timeout-seconds S
         --warmup-requests N --latency-tolerance F --latency-tolerance-ms MS --error-rate-tolerance F
         --rollback-on-inconclusive true|false  --budget FILE  --config FILE  --driver auto|builtin|k6
         --canary-env KEY=VALUE (repeatable)`;

const numberFlag = (name: string, v: string | undefined): number | undefined => parseNumber(`--${name}`, v);

/** A mistake in the command line: printed with the usage, exit 2. */
class UsageError extends Error {}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'dry-run': { type: 'boolean' },
        deployer: { type: 'string' },
        'baseline-url': { type: 'string' },
        'prometheus-url': { type: 'string' },
        'prometheus-header': { type: 'string', multiple: true },
        'prometheus-scrape-interval-seconds': { type: 'string' },
        'canary-port': { type: 'string' },
        'deploy-command': { type: 'string' },
        'promote-command': { type: 'string' },
        'rollback-command': { type: 'string' },
        'cleanup-command': { type: 'string' },
        intervals: { type: 'string' },
        'interval-seconds': { type: 'string' },
        connections: { type: 'string' },
        rate: { type: 'string' },
        'readiness-timeout-seconds': { type: 'string' },
        'rollback-on-inconclusive': { type: 'string' },
        'warmup-requests': { type: 'string' },
        'latency-tolerance': { type: 'string' },
        'latency-tolerance-ms': { type: 'string' },
        'error-rate-tolerance': { type: 'string' },
        budget: { type: 'string' },
        config: { type: 'string' },
        driver: { type: 'string' },
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
  const roi = parseBool('--rollback-on-inconclusive', values['rollback-on-inconclusive']);
  const canaryEnv = parseKeyValues('--canary-env', values['canary-env'] ?? []);
  const prometheusHeaders = parseHeaderLines('--prometheus-header', values['prometheus-header'] ?? [], 'value');
  return executeCanary(
    {
      environment: positionals[0]!,
      sha: positionals[1]!,
      dryRun: values['dry-run'] ?? false,
      cwd: process.cwd(),
      ...(values.config !== undefined && { configPath: values.config }),
      ...(values.deployer !== undefined && { deployer: values.deployer }),
      ...(values['baseline-url'] !== undefined && { baselineUrl: values['baseline-url'] }),
      ...(values['prometheus-url'] !== undefined && { prometheusUrl: values['prometheus-url'] }),
      prometheusHeaders,
      ...(values['deploy-command'] !== undefined && { deployCommand: values['deploy-command'] }),
      ...(values['promote-command'] !== undefined && { promoteCommand: values['promote-command'] }),
      ...(values['rollback-command'] !== undefined && { rollbackCommand: values['rollback-command'] }),
      ...(values['cleanup-command'] !== undefined && { cleanupCommand: values['cleanup-command'] }),
      prometheusScrapeIntervalSeconds: numberFlag(
        'prometheus-scrape-interval-seconds',
        values['prometheus-scrape-interval-seconds'],
      ),
      intervals: numberFlag('intervals', values.intervals),
      intervalSeconds: numberFlag('interval-seconds', values['interval-seconds']),
      connections: numberFlag('connections', values.connections),
      rate: numberFlag('rate', values.rate),
      readinessTimeoutSeconds: numberFlag('readiness-timeout-seconds', values['readiness-timeout-seconds']),
      canaryPort: numberFlag('canary-port', values['canary-port']),
      warmupRequests: numberFlag('warmup-requests', values['warmup-requests']),
      latencyTolerance: numberFlag('latency-tolerance', values['latency-tolerance']),
      latencyToleranceMs: numberFlag('latency-tolerance-ms', values['latency-tolerance-ms']),
      errorRateTolerance: numberFlag('error-rate-tolerance', values['error-rate-tolerance']),
      ...(roi !== undefined && { rollbackOnInconclusive: roi }),
      ...(values.budget !== undefined && { budgetPath: values.budget }),
      ...(values.driver !== undefined && { driver: values.driver as 'auto' | 'builtin' | 'k6' }),
      canaryEnv,
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
