/**
 * A real Prometheus (Debian package) for the tests that read metrics the way production does, and a
 * service process scraped by it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drive, smokeRequests, type DriveOptions } from '../../lib/load/driver.js';
import { startService, type ServiceHandle } from '../../lib/service-process.js';
import { findOnPath } from '../../lib/which.js';
import { freePort } from './ports.js';

export interface Target {
  port: number;
  track: string;
}

export interface Prometheus {
  url: string;
  port: number;
  /** Rewrites the discovered targets (file_sd); each target is labelled with its track. */
  setTargets(targets: Target[]): void;
  stop(): Promise<void>;
}

/**
 * A real Prometheus (Debian package) with its own config and data directory, scraping every second
 * the targets of a file it watches (file_sd), so a canary on a port known only at run time is found.
 */
export async function startPrometheus(...initial: Target[]): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'test-prom-'));
  const targetsFile = join(dir, 'targets.json');
  const setTargets = (targets: Target[]): void => {
    const groups = targets.map((t) => ({ targets: [`127.0.0.1:${t.port}`], labels: { track: t.track } }));
    writeFileSync(`${targetsFile}.tmp`, JSON.stringify(groups));
    renameSync(`${targetsFile}.tmp`, targetsFile);
  };
  setTargets(initial);
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: hotel',
    '    file_sd_configs:',
    `      - files: ['${targetsFile}']`,
    '        refresh_interval: 1s',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  if (!findOnPath('prometheus')) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('prometheus is not on PATH: `npm test` installs it (scripts/ensure-deps.sh); run that once first');
  }
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`prometheus did not start: ${stderr.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, setTargets, stop };
}

/** Waits until an instant PromQL query returns at least one finite sample. */
export async function waitForSeries(promUrl: string, query: string, timeoutMs = 15_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as {
      data: { result: Array<{ value: [number, string] }> };
    };
    const v = Number(r.data.result[0]?.value[1]);
    if (Number.isFinite(v)) return v;
    if (Date.now() > until) throw new Error(`no data for ${query}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

export interface ScrapedService {
  service: ServiceHandle;
  prom: Prometheus;
  /** Stops both; safe after either stopped already. */
  stop(): Promise<void>;
}

/**
 * A service process (labelled track=stable) scraped every second by its own Prometheus, which also
 * scrapes `alsoScrape`. With `warmUp`, the service has served that much traffic after its first
 * scrape, so Prometheus holds its request series. Nothing is left running when a step fails.
 */
export async function startScrapedService(opts: {
  env: Record<string, string>;
  alsoScrape?: Target[];
  warmUp?: Pick<DriveOptions, 'durationS' | 'maxRequests' | 'ratePerSecond'>;
}): Promise<ScrapedService> {
  const service = await startService({ env: opts.env });
  let prom: Prometheus | undefined;
  const stop = async (): Promise<void> => {
    await Promise.allSettled([service.stop(3000), prom?.stop()]);
  };
  try {
    prom = await startPrometheus({ port: service.port, track: 'stable' }, ...(opts.alsoScrape ?? []));
    if (opts.warmUp) {
      await waitForSeries(prom.url, 'up{track="stable"} == 1');
      await drive({ baseUrl: service.url, requests: smokeRequests(), connections: 4, ...opts.warmUp });
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { service, prom, stop };
}
