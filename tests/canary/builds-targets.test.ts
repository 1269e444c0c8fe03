/**
 * Real targets (issue 10 item 3): the built-in driver loads a host the user named explicitly (a
 * baseline URL, a deploy command's canary URL), and still refuses any host nobody named. The
 * "remote" host here is the loopback service written as an IPv4-mapped IPv6 address, a host name
 * the loopback rule does not know: load stays on this machine.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CanaryReport } from '#core/canary/index.js';
import { drive, LoadDriverError, smokeRequests } from '#lib/load/driver.js';
import { startService, type ServiceHandle } from '#lib/service-process.js';
import { runNode } from '../support/processes.js';
import { cliBuild } from './helpers.js';

let baseline: ServiceHandle;
let dir: string;
const MAPPED = '[::ffff:7f00:1]';
beforeAll(async () => {
  baseline = await startService({ env: { SERVICE_TRACK: 'stable' } });
  dir = mkdtempSync(join(tmpdir(), 'canary-targets-'));
});
afterAll(async () => {
  await baseline?.stop(3000);
  rmSync(dir, { recursive: true, force: true });
});

test('the driver loads a named host, and refuses the same host unnamed', async () => {
  const shape = { requests: smokeRequests(), connections: 1, durationS: 2, maxRequests: 10, ratePerSecond: 50 };
  const url = `http://${MAPPED}:${baseline.port}`;
  await expect(drive({ ...shape, baseUrl: url })).rejects.toThrow(LoadDriverError);
  const samples = await drive({ ...shape, baseUrl: url, namedHosts: [MAPPED] });
  expect(samples).toHaveLength(10);
  expect(samples.every((s) => s.ok)).toBe(true);
  // Named for http(s) only.
  await expect(drive({ ...shape, baseUrl: `ftp://${MAPPED}:21`, namedHosts: [MAPPED] })).rejects.toThrow(
    LoadDriverError,
  );
});

test('a canary with --baseline-url on a non-loopback host name loads it with the built-in driver', async () => {
  const r = await runNode(
    cliBuild,
    [
      'staging',
      'abc1234',
      '--baseline-url',
      `http://${MAPPED}:${baseline.port}`,
      '--driver',
      'builtin',
      '--intervals',
      '2',
      '--interval-seconds',
      '1',
      '--rate',
      '60',
      '--warmup-requests',
      '50',
    ],
    { PATH: process.env.PATH, HOME: process.env.HOME },
    dir,
  ).done;
  expect([0, 1]).toContain(r.code);
  expect(r.stderr).not.toContain('refusing');
  const report = JSON.parse(readFileSync(/^report-path=(.+)$/m.exec(r.stdout)![1]!, 'utf8')) as CanaryReport;
  expect(report.intervals.reduce((n, iv) => n + iv.baseline.total, 0)).toBeGreaterThan(50);
  expect(report.sides?.baseline.url).toBe(`http://${MAPPED}:${baseline.port}`);
});
