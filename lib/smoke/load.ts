/**
 * The load of `npm run smoke`: the service started on its embedded defaults, then k6 (k6/smoke.ts
 * through lib/k6/run.ts) when it is on PATH, else the built-in driver with the same scenario and
 * budget. Everything started here is stopped here, and dies with this process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Budget } from '#core/budget.js';
import { readK6Result } from '#core/k6/index.js';
import type { LoadResult } from '#core/load-result.js';
import { InputError } from '../inputs.js';
import { k6Failure, runK6 } from '../k6/run.js';
import type { Logger } from '../kit/host.js';
import { drive, samplesToLoadResult, smokeRequests } from '../load/driver.js';
import { repoFile } from '../load/scenario.js';
import { startService, type ServiceHandle } from '../service-process.js';
import { findOnPath } from '../which.js';

export type Driver = 'auto' | 'k6' | 'builtin';

export interface LoadSettings {
  driver: Driver;
  durationS: number;
}

/** `--driver` and `--duration` as given; errors are one line naming the flag. */
export function loadSettings(raw: { driver: string; duration: string | undefined }, budget: Budget): LoadSettings {
  const driver = raw.driver;
  if (driver !== 'auto' && driver !== 'k6' && driver !== 'builtin')
    throw new InputError(`--driver must be auto, k6 or builtin, got ${JSON.stringify(driver)}`);
  let durationS = budget.smoke.duration_s;
  if (raw.duration !== undefined) {
    durationS = Number(raw.duration.replace(/s$/, ''));
    if (!Number.isFinite(durationS) || durationS <= 0 || durationS > 600)
      throw new InputError(`--duration must be seconds in (0, 600], got ${JSON.stringify(raw.duration)}`);
  }
  return { driver, durationS };
}

/** Starts the service, loads it and stops it; `announce` gets one line saying what runs. */
export async function runSmokeLoad(
  settings: LoadSettings,
  budget: Budget,
  signal: AbortSignal,
  log: Logger & { announce(line: string): void },
): Promise<LoadResult | undefined> {
  const k6 = settings.driver === 'builtin' ? undefined : findOnPath('k6');
  if (settings.driver === 'k6' && !k6) throw new Error('--driver k6: k6 is not on PATH');
  let service: ServiceHandle | undefined;
  try {
    service = await startService();
    if (signal.aborted) return undefined;
    log.announce(
      `service at ${service.url}; ${k6 ? 'k6' : 'built-in driver'}, ${budget.smoke.vus} connections, up to ${settings.durationS} s / ${budget.smoke.max_requests} requests`,
    );
    if (k6) return await runSmokeK6(k6, service, settings.durationS, signal, log);
    const started = performance.now();
    const samples = await drive(
      {
        baseUrl: service.url,
        requests: smokeRequests(),
        connections: budget.smoke.vus,
        durationS: settings.durationS,
        maxRequests: budget.smoke.max_requests,
      },
      signal,
    );
    return samplesToLoadResult(samples, (performance.now() - started) / 1000);
  } finally {
    if (service) await service.stop(5000);
  }
}

async function runSmokeK6(
  k6: string,
  service: ServiceHandle,
  durationS: number,
  signal: AbortSignal,
  log: Logger,
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
      log,
    });
    // k6 exits 99 when its thresholds are crossed: the gate reads and reports those itself.
    const failure = k6Failure(r);
    if (failure) throw new Error(failure);
    return await readK6Result(exportFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
