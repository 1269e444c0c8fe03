/**
 * A real Prometheus (Debian package) for the tests that read metrics the way production does, and a
 * service process scraped by it; optionally behind basic auth, or behind a small proxy that wants a
 * bearer token and a tenant header.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { drive, smokeRequests, type DriveOptions } from '#lib/load/driver.js';
import { startService, type ServiceHandle } from '#lib/service-process.js';
import { spawnTied, stopChild } from '#lib/tied-child.js';
import { findOnPath } from '#lib/which.js';
import { freePort } from './ports.js';

export interface Target {
  port: number;
  track: string;
}

export interface Prometheus {
  /** Without credentials, also when basic auth is on. */
  url: string;
  port: number;
  /** What a request needs to be let in: `Authorization: Basic ...` with basic auth on, else nothing. */
  headers: Record<string, string>;
  /** Rewrites the discovered targets (file_sd); each target is labelled with its track. */
  setTargets(targets: Target[]): void;
  stop(): Promise<void>;
}

/**
 * Basic-auth user of a Prometheus started with `basicAuth`. The hash is bcrypt (cost 4, the lowest
 * Prometheus accepts) of the password, made once with the system's crypt(3) (libxcrypt), e.g.
 * `perl -e 'print crypt("s3cret-pw-7Qx", q{$2b$04$Hotel.perf.test.salt.Ou})'`, so no bcrypt
 * package is needed; Prometheus checking it is what the tests rely on.
 */
export const TEST_BASIC_AUTH = {
  username: 'hotel',
  password: 's3cret-pw-7Qx',
  bcryptHash: '$2b$04$Hotel.perf.test.salt.OxQMLeSFMpy0epi.5umvRvBkhUVr06je',
} as const;

export interface PrometheusOptions {
  targets?: Target[];
  /** Every endpoint (API, /-/ready) then wants this user (`--web.config.file`, basic_auth_users). */
  basicAuth?: { username: string; password: string; bcryptHash: string };
  /**
   * History written into the data directory before start, as OpenMetrics text with timestamps
   * (see prometheus-backfill.ts), by `promtool tsdb create-blocks-from openmetrics`.
   */
  backfill?: string;
}

/**
 * A real Prometheus (Debian package) with its own config and data directory, scraping every second
 * the targets of a file it watches (file_sd), so a canary on a port known only at run time is found.
 */
export async function startPrometheus(...initial: Target[]): Promise<Prometheus> {
  return startPrometheusWith({ targets: initial });
}

/** `startPrometheus` with options: basic auth in front of every endpoint. */
export async function startPrometheusWith(opts: PrometheusOptions): Promise<Prometheus> {
  const initial = opts.targets ?? [];
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
  const headers: Record<string, string> = {};
  const webArgs: string[] = [];
  if (opts.basicAuth) {
    const { username, password, bcryptHash } = opts.basicAuth;
    writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  ${username}: '${bcryptHash}'\n`);
    webArgs.push(`--web.config.file=${join(dir, 'web.yml')}`);
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  if (!findOnPath('prometheus') || (opts.backfill !== undefined && !findOnPath('promtool'))) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      'prometheus or promtool is not on PATH: `npm test` installs them (scripts/ensure-deps.sh); run that once first',
    );
  }
  if (opts.backfill !== undefined) {
    const file = join(dir, 'history.om');
    writeFileSync(file, opts.backfill);
    try {
      await promisify(execFile)('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, join(dir, 'data')]);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`promtool could not backfill: ${(err as { stderr?: string }).stderr ?? String(err)}`, {
        cause: err,
      });
    }
  }
  // Tied to this process: a test worker killed outright does not leave Prometheus running.
  const child = spawnTied(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...webArgs,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const stop = async (): Promise<void> => {
    await stopChild(child, 5000);
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${url}/-/ready`, { headers }).then(
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
  return { url, port, headers, setTargets, stop };
}

/** Waits until an instant PromQL query returns at least one finite sample. */
export async function waitForSeries(
  promUrl: string,
  query: string,
  timeoutMs = 15_000,
  headers: Record<string, string> = {},
): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`, { headers });
    const r = (await res.json()) as {
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
  basicAuth?: PrometheusOptions['basicAuth'];
}): Promise<ScrapedService> {
  const service = await startService({ env: opts.env });
  let prom: Prometheus | undefined;
  const stop = async (): Promise<void> => {
    await Promise.allSettled([service.stop(3000), prom?.stop()]);
  };
  try {
    prom = await startPrometheusWith({
      targets: [{ port: service.port, track: 'stable' }, ...(opts.alsoScrape ?? [])],
      ...(opts.basicAuth && { basicAuth: opts.basicAuth }),
    });
    if (opts.warmUp) {
      await waitForSeries(prom.url, 'up{track="stable"} == 1', 15_000, prom.headers);
      await drive({ baseUrl: service.url, requests: smokeRequests(), connections: 4, ...opts.warmUp });
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { service, prom, stop };
}

export interface AuthProxy {
  url: string;
  /** The headers of each request let through, oldest first. */
  passed: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/**
 * A reverse proxy in front of Prometheus like an OAuth proxy or Mimir/Cortex: it wants
 * `Authorization: Bearer <token>` (401 without one, 403 with another) and `X-Scope-OrgID: <tenant>`
 * (401 without, as Mimir answers; 403 for another tenant), then forwards with the upstream's own
 * credentials (`prom.headers`). With `passBasic`, a request with basic auth instead of the token
 * is forwarded with it, for the upstream to check.
 */
export function startAuthProxy(
  prom: Pick<Prometheus, 'url' | 'headers'>,
  opts: { token: string; tenant: string; passBasic?: boolean },
): Promise<AuthProxy> {
  const target = new URL(prom.url);
  const passed: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    const deny = (status: number, text: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    };
    const auth = req.headers.authorization;
    const basic = opts.passBasic === true && auth?.startsWith('Basic ') === true;
    if (auth === undefined) return deny(401, 'missing bearer token');
    if (!basic && auth !== `Bearer ${opts.token}`) return deny(403, 'invalid token');
    const tenant = req.headers['x-scope-orgid'];
    if (tenant === undefined) return deny(401, 'no org id');
    if (tenant !== opts.tenant) return deny(403, 'unknown tenant');
    passed.push(req.headers);
    const up = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: basic ? { authorization: auth } : prom.headers,
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => deny(502, 'upstream unreachable'));
    req.pipe(up);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        passed,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    ),
  );
}
