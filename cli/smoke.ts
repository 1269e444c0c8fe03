/**
 * `npm run smoke`: the local performance smoke. Starts the service on its embedded defaults,
 * loads it (k6 when on PATH, else the built-in driver, same scenario and budget) or reads given k6
 * results, then runs the smoke gate's flow (lib/smoke, as the action): the baseline from the local
 * clone's p95 history, the adaptive limit and burn rates where their data is, the report.
 *
 * Exit status: 0 pass, 1 fail, 0 inconclusive (printed as a warning with the reason),
 * 2 usage or setup error (bad flag, unreadable budget or results, service did not start), 128 + the
 * signal number when interrupted (130 Ctrl-C, 143 SIGTERM; the service is stopped, no report written).
 */
import { constants as osConstants } from 'node:os';
import { pathToFileURL } from 'node:url';
import { emptyHistory } from '#core/gate/history.js';
import type { LoadResult } from '#core/load-result.js';
import { InputError } from '#lib/inputs.js';
import { parseCli, UsageError, usageLines } from '#lib/kit/cli.js';
import type { RunContext } from '#lib/kit/context.js';
import { consoleHost, oneLine } from '#lib/kit/host.js';
import { flagLabel } from '#lib/kit/spec.js';
import { localCommit, localGitBaseline, type BaselineSource } from '#lib/smoke/baseline.js';
import { loadSettings, runSmokeLoad, type LoadSettings } from '#lib/smoke/load.js';
import { judgeAndReport, readSmokeResults, setUpSmoke, type SmokeSetup } from '#lib/smoke/run.js';
import { SMOKE_SPEC } from '#lib/smoke/spec.js';
import type { SmokeConfig } from '#lib/smoke/config.js';
import { smokeTable } from '#lib/smoke/table.js';

const USAGE = `usage: npm run smoke -- [options]

${usageLines(SMOKE_SPEC).join('\n')}
  -h, --help  this help

SLO burn rates and the adaptive limit: docs/smoke-gate-burn-rates.md. The baseline is the base
branch's p95 history on <history-branch> as fetched (git fetch origin perf-data).

exit status: 0 pass, 1 fail, 0 inconclusive (with a warning), 2 usage or setup error,
             130 / 143 interrupted by Ctrl-C / SIGTERM`;

const host = consoleHost('smoke');

interface Prepared {
  config: SmokeConfig;
  setup: SmokeSetup;
  ctx: RunContext;
  baseline: BaselineSource;
  load?: LoadSettings;
}

/** Flags, budget and SLO settings checked, and the local history read: everything refused before any load. */
async function prepare(argv: string[]): Promise<Prepared | 'help'> {
  const { config, help } = parseCli(SMOKE_SPEC, argv);
  if (help) return 'help';
  const cwd = process.cwd();
  const { sha, ref } = localCommit(cwd);
  const ctx: RunContext = {
    event: 'local',
    repository: '',
    sha,
    ref,
    workspace: cwd,
    apiUrl: '',
    run: { id: 'local' },
  };
  const setup = setUpSmoke(config, ctx, { info: host.debug }, flagLabel(SMOKE_SPEC));
  const local = localGitBaseline(cwd, config.historyBranch, config.baseBranch);
  const history = (await local.history()) ?? emptyHistory();
  const baseline: BaselineSource = { history: async () => history, ancestors: local.ancestors };
  const sloSources = config.burnRateAction || config.errorBudgetSpent !== undefined || config.prometheusUrl;
  if (config.slo !== undefined && !sloSources && history.entries.length === 0)
    throw new UsageError('--slo is for the burn rates: add --burn-rate-action tighten or fail');
  const prepared: Prepared = { config, setup, ctx, baseline };
  if (config.results.length === 0)
    prepared.load = loadSettings({ driver: config.driver, duration: config.duration }, setup.budget);
  return prepared;
}

export async function main(argv: string[]): Promise<number> {
  let p: Prepared | 'help';
  try {
    p = await prepare(argv);
    if (p === 'help') {
      console.log(USAGE);
      return 0;
    }
  } catch (err) {
    host.error(oneLine(err));
    if (err instanceof UsageError) console.error(USAGE);
    return 2;
  }

  const abort = new AbortController();
  // The shell convention, 128 + signal number: 130 for Ctrl-C, 143 for SIGTERM (as `npm run canary`).
  let interrupted = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    host.error(`${sig} received, stopping`);
    interrupted ||= 128 + osConstants.signals[sig];
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: LoadResult | undefined;
  try {
    if (!p.load) result = await readSmokeResults(p.config, p.ctx.workspace);
    else
      result = await runSmokeLoad(p.load, p.setup.budget, abort.signal, {
        // k6's own lines as k6 wrote them; ours prefixed.
        info: (line) => console.error(line),
        warning: host.warning,
        announce: (line) => {
          if (!p.config.json) host.info(line);
        },
      });
  } catch (err) {
    // An interrupted k6 or service start fails as a consequence: the signal is the cause to report.
    if (abort.signal.aborted) return interrupted;
    host.error(oneLine(err));
    return 2;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  if (abort.signal.aborted || !result) return interrupted;

  let report;
  try {
    ({ report } = await judgeAndReport({ ...p, host, result }));
  } catch (err) {
    if (!(err instanceof InputError) && !(err as NodeJS.ErrnoException).code) throw err;
    host.error(`cannot write the report ${p.setup.reportPath}: ${oneLine(err)}`);
    return 2;
  }
  if (p.config.json) console.log(JSON.stringify(report, null, 2));
  else console.log(`${smokeTable(report)}\nreport: ${p.setup.reportPath}`);
  if (report.verdict === 'inconclusive')
    host.error(`WARNING the result is inconclusive (${report.reasons.join('; ')}); not failing`);
  return report.verdict === 'fail' ? 1 : 0;
}

// Runs when executed (node build/cli/smoke.js), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
