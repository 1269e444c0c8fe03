/**
 * `npm run smoke`: the local performance smoke. Starts the service on its embedded defaults,
 * loads it (k6 when on PATH, else the built-in driver, same scenario and budget), gates the result
 * with the same core as the smoke-gate action, writes the report and prints the verdict.
 *
 * Exit status: 0 pass, 1 fail, 0 inconclusive (printed as a warning with the reason),
 * 2 usage or setup error (bad flag, unreadable budget or results, service did not start), 128 + the
 * signal number when interrupted (130 Ctrl-C, 143 SIGTERM; the service is stopped, no report written).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_BUDGET_PATH, loadBudget, type Budget } from '../core/src/budget.js';
import type { BurnRateInput } from '../core/src/gate/burn-rate.js';
import { evaluateGate } from '../core/src/gate/evaluate.js';
import { fmtMs, fmtPct } from '../core/src/gate/format.js';
import { buildSmokeReport, type SmokeReport } from '../core/src/gate/report.js';
import { readK6Result, readK6Results } from '../core/src/k6/index.js';
import type { LoadResult } from '../core/src/load-result.js';
import { writeJsonAtomic } from '../lib/atomic-write.js';
import { k6Failure, runK6 } from '../lib/k6/run.js';
import { parseNumber } from '../lib/inputs.js';
import { drive, samplesToLoadResult, smokeRequests } from '../lib/load/driver.js';
import { repoFile } from '../lib/load/scenario.js';
import { checkPrometheusTarget, parseHeaderLines, PrometheusClient } from '../lib/prometheus.js';
import { startService, type ServiceHandle } from '../lib/service-process.js';
import { measureBurnRates, parseBurnRateSettings, type BurnRateSettings } from '../lib/smoke-burn-rate.js';
import { findOnPath } from '../lib/which.js';

const USAGE = `usage: npm run smoke -- [options]

  --results <file>   gate an existing k6 output instead of running load; repeat it or give a
                     quoted glob ('out/*.ndjson') to gate several files as one run
  --budget <file>    budget file (default k6/budget.json)
  --duration <s>     load duration in seconds (default: the budget's smoke.duration_s)
  --driver <d>       auto (k6 when on PATH, else built-in), k6 or builtin (default auto)
  --report <file>    report path (default reports/performance/smoke-summary.json)
  --json             print the report JSON instead of the table

  SLO burn rates (opt-in, measured in Prometheus; see docs/smoke-gate-burn-rates.md):
  --burn-rate-action <a>      tighten (limits shrink on a fast burn) or fail (the gate fails on one)
  --slo <ratio>               error SLO, e.g. 0.99
  --latency-slo <ratio>       share of requests at or under the budget's p95 (default 0.95)
  --prometheus-url <url>      Prometheus base URL (basic auth as https://user:password@host)
  --prometheus-header <h>     "Name: value", repeatable (e.g. "X-Scope-OrgID: TENANT")
  --burn-rate-selector <m>    label matchers added to every query, e.g. 'job="hotel"'
  -h, --help         this help

exit status: 0 pass, 1 fail, 0 inconclusive (with a warning), 2 usage or setup error,
             130 / 143 interrupted by Ctrl-C / SIGTERM`;

class UsageError extends Error {}

interface Args {
  results?: string[];
  budget: string;
  durationS?: number;
  report: string;
  json: boolean;
  driver: 'auto' | 'k6' | 'builtin';
  burnRate?: { settings: BurnRateSettings; client: PrometheusClient };
}

function parse(argv: string[]): Args | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        results: { type: 'string', multiple: true },
        budget: { type: 'string' },
        duration: { type: 'string' },
        driver: { type: 'string', default: 'auto' },
        report: { type: 'string' },
        json: { type: 'boolean', default: false },
        'burn-rate-action': { type: 'string' },
        slo: { type: 'string' },
        'latency-slo': { type: 'string' },
        'prometheus-url': { type: 'string' },
        'prometheus-header': { type: 'string', multiple: true },
        'burn-rate-selector': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const args: Args = {
    budget: values.budget ? resolve(values.budget) : DEFAULT_BUDGET_PATH,
    report: resolve(values.report ?? 'reports/performance/smoke-summary.json'),
    json: values.json ?? false,
    driver: 'auto',
  };
  const driver = values.driver ?? 'auto';
  if (driver !== 'auto' && driver !== 'k6' && driver !== 'builtin')
    throw new UsageError(`--driver must be auto, k6 or builtin, got ${JSON.stringify(driver)}`);
  args.driver = driver;
  if (values.results) args.results = values.results;
  if (values.duration !== undefined) {
    const d = Number(values.duration.replace(/s$/, ''));
    if (!Number.isFinite(d) || d <= 0 || d > 600)
      throw new UsageError(`--duration must be seconds in (0, 600], got ${JSON.stringify(values.duration)}`);
    args.durationS = d;
  }
  const burnRate = burnRateFlags(values);
  if (burnRate) args.burnRate = burnRate;
  return args;
}

/** The burn-rate flags: settings and the Prometheus to ask, or undefined when --burn-rate-action is not given. */
function burnRateFlags(values: Record<string, string | boolean | string[] | undefined>): Args['burnRate'] {
  const text = (k: string): string | undefined => values[k] as string | undefined;
  const url = text('prometheus-url');
  const headers = parseHeaderLines('--prometheus-header', (values['prometheus-header'] as string[]) ?? [], 'value');
  const slo = parseNumber('--slo', text('slo'), (v) => v > 0 && v < 1, 'a ratio in (0, 1), e.g. 0.99');
  const settings = parseBurnRateSettings(
    { action: text('burn-rate-action'), latencySlo: text('latency-slo'), selector: text('burn-rate-selector') },
    { slo, prometheus: url !== undefined, label: (n) => `--${n}` },
  );
  if (!settings) {
    const stray = ['slo', 'prometheus-url', 'prometheus-header'].find((k) => values[k] !== undefined);
    if (stray) throw new UsageError(`--${stray} is for the burn rates: add --burn-rate-action tighten or fail`);
    return undefined;
  }
  checkPrometheusTarget('--prometheus-url', url!, headers);
  return { settings, client: new PrometheusClient(url!, { headers }) };
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function runSmokeK6(
  k6: string,
  service: ServiceHandle,
  durationS: number,
  signal: AbortSignal,
): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hotel-perf-k6-'));
  const exportFile = join(dir, 'summary-export.json');
  try {
    const r = await runK6({
      k6,
      script: repoFile('k6/smoke.ts'),
      flags: [
        '--quiet',
        '-e',
        `BASE_URL=${service.url}`,
        '-e',
        `SUMMARY_PATH=${join(dir, 'handle-summary.json')}`,
        '-e',
        `DURATION_S=${durationS}`,
      ],
      outputs: { summaryExport: exportFile },
      signal,
      log: { info: (line) => console.error(line) },
    });
    // k6 exits 99 when its thresholds are crossed: the gate reads and reports those itself.
    const failure = k6Failure(r);
    if (failure) throw new Error(failure);
    return await readK6Result(exportFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(report: SmokeReport): string {
  const rows = report.gate_checks.map((c) => {
    const fmt = (v: number | null) =>
      v === null ? 'n/a' : c.unit === 'ms' ? fmtMs(v) : c.unit === 'ratio' ? fmtPct(v) : String(v);
    const status = c.ok === null ? '-' : c.ok ? 'ok' : c.gating ? 'FAIL' : 'warn';
    const ci =
      c.id === 'p95' && report.measured.p95_ci_ms
        ? ` (95 % CI ${report.measured.p95_ci_ms.map(fmtMs).join(' - ')})`
        : '';
    const measured = c.measured === null && c.range ? `between ${c.range.map(fmtMs).join(' and ')}` : fmt(c.measured);
    return [c.label, `${measured}${ci}`, `${c.comparator} ${fmt(c.limit)}${c.gating ? '' : ' (info)'}`, status];
  });
  const head = ['check', 'measured', 'limit', 'status'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''];
  out.push(
    `verdict: ${report.verdict.toUpperCase()}  (${report.measured.requests} requests, source ${report.source.format})`,
  );
  for (const p of report.parts)
    out.push(
      `  part ${p.file}: ${p.format}, ${p.requests} requests, ${p.failed_requests} failed, p95 ${fmtMs(p.p95_ms)}`,
    );
  if (report.combination) out.push(`  ${report.combination}`);
  for (const p of report.budget.burn_rates?.pairs ?? []) out.push(`  burn rate, ${p.slo} ${p.severity}: ${p.why}`);
  for (const r of report.reasons) out.push(`  - ${r}`);
  for (const w of report.warnings) out.push(`  warning: ${w}`);
  return out.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let args: Args | 'help';
  let budget: Budget;
  try {
    args = parse(argv);
    if (args === 'help') {
      console.log(USAGE);
      return 0;
    }
    budget = loadBudget(args.budget);
  } catch (err) {
    console.error(`smoke: ${(err as Error).message}`);
    if (err instanceof UsageError) console.error(USAGE);
    return 2;
  }

  const abort = new AbortController();
  let service: ServiceHandle | undefined;
  // The shell convention, 128 + signal number: 130 for Ctrl-C, 143 for SIGTERM (as `npm run canary`).
  let interrupted = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`smoke: ${sig} received, stopping`);
    interrupted ||= 128 + osConstants.signals[sig];
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let result: LoadResult;
  try {
    if (args.results) {
      result = await readK6Results(args.results, process.cwd());
    } else {
      const durationS = args.durationS ?? budget.smoke.duration_s;
      const k6 = args.driver === 'builtin' ? undefined : findOnPath('k6');
      if (args.driver === 'k6' && !k6) throw new Error('--driver k6: k6 is not on PATH');
      service = await startService();
      if (abort.signal.aborted) return interrupted;
      if (!args.json)
        console.error(
          `smoke: service at ${service.url}; ${k6 ? 'k6' : 'built-in driver'}, ${budget.smoke.vus} connections, up to ${durationS} s / ${budget.smoke.max_requests} requests`,
        );
      if (k6) {
        result = await runSmokeK6(k6, service, durationS, abort.signal);
      } else {
        const started = performance.now();
        const samples = await drive(
          {
            baseUrl: service.url,
            requests: smokeRequests(),
            connections: budget.smoke.vus,
            durationS,
            maxRequests: budget.smoke.max_requests,
          },
          abort.signal,
        );
        result = samplesToLoadResult(samples, (performance.now() - started) / 1000);
      }
    }
  } catch (err) {
    // An interrupted k6 or service start fails as a consequence: the signal is the cause to report.
    if (abort.signal.aborted) return interrupted;
    console.error(`smoke: ${(err as Error).message.split('\n')[0]}`);
    return 2;
  } finally {
    if (service) await service.stop(5000);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  if (abort.signal.aborted) return interrupted;

  let burnRates: BurnRateInput | undefined;
  if (args.burnRate) burnRates = await measureBurnRates(args.burnRate.client, args.burnRate.settings, budget.p95_ms);
  const gate = evaluateGate({ result, budget, options: { ...(burnRates && { burnRates }) } });
  const report = buildSmokeReport({
    result,
    gate,
    budget,
    commit: git(['rev-parse', 'HEAD']) ?? 'unknown',
    ref: git(['symbolic-ref', '-q', 'HEAD']) ?? 'local',
    run: { id: 'local', event: 'local' },
  });
  try {
    writeJsonAtomic(args.report, report);
  } catch (err) {
    console.error(`smoke: cannot write the report ${args.report}: ${(err as Error).message}`);
    return 2;
  }
  if (args.json) console.log(JSON.stringify(report, null, 2));
  else console.log(`${table(report)}\nreport: ${args.report}`);
  if (report.verdict === 'inconclusive')
    console.error(`smoke: WARNING the result is inconclusive (${report.reasons.join('; ')}); not failing`);
  return report.verdict === 'fail' ? 1 : 0;
}

// Runs when executed (node build/cli/smoke.js), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
