/**
 * `npm run canary -- [--dry-run] [options] <environment> <sha>` and `npm run canary -- judge <report.json>`.
 * The same orchestration as the action (lib/canary/orchestrate.ts), with flags instead of inputs.
 */
import { parseArgs } from 'node:util';
import { consoleShell, executeCanary, rejudgeFile, USAGE_EXIT } from '../lib/canary/orchestrate.js';

const USAGE = `usage: npm run canary -- [--dry-run] [options] <environment> <sha>
       npm run canary -- judge <report.json>
options: --deployer local|command  --baseline-url URL  --prometheus-url URL  --canary-port N
         --deploy-command CMD --promote-command CMD --rollback-command CMD --cleanup-command CMD
         --intervals N --interval-seconds S --connections N --rate R --readiness-timeout-seconds S
         --rollback-on-inconclusive true|false  --budget FILE  --config FILE  --driver auto|builtin|k6
         --canary-env KEY=VALUE (repeatable)`;

function numberFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'judge') {
    if (argv.length !== 2) {
      console.error(USAGE);
      return USAGE_EXIT;
    }
    return rejudgeFile(argv[1]!, consoleShell());
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean' },
      deployer: { type: 'string' },
      'baseline-url': { type: 'string' },
      'prometheus-url': { type: 'string' },
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
      budget: { type: 'string' },
      config: { type: 'string' },
      driver: { type: 'string' },
      'canary-env': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 2) throw new Error('expected <environment> <sha>');
  const roi = values['rollback-on-inconclusive'];
  if (roi !== undefined && roi !== 'true' && roi !== 'false')
    throw new Error('--rollback-on-inconclusive must be true or false');
  const canaryEnv: Record<string, string> = {};
  for (const kv of values['canary-env'] ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--canary-env expects KEY=VALUE, got ${JSON.stringify(kv)}`);
    canaryEnv[kv.slice(0, i)] = kv.slice(i + 1);
  }
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
      ...(values['deploy-command'] !== undefined && { deployCommand: values['deploy-command'] }),
      ...(values['promote-command'] !== undefined && { promoteCommand: values['promote-command'] }),
      ...(values['rollback-command'] !== undefined && { rollbackCommand: values['rollback-command'] }),
      ...(values['cleanup-command'] !== undefined && { cleanupCommand: values['cleanup-command'] }),
      intervals: numberFlag('intervals', values.intervals),
      intervalSeconds: numberFlag('interval-seconds', values['interval-seconds']),
      connections: numberFlag('connections', values.connections),
      rate: numberFlag('rate', values.rate),
      readinessTimeoutSeconds: numberFlag('readiness-timeout-seconds', values['readiness-timeout-seconds']),
      canaryPort: numberFlag('canary-port', values['canary-port']),
      ...(roi !== undefined && { rollbackOnInconclusive: roi === 'true' }),
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
    console.error(`canary: ${(err as Error).message}`);
    console.error(USAGE);
    process.exitCode = USAGE_EXIT;
  },
);
