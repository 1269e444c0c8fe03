/**
 * The dashboard with a large history in a real browser (Debian's Chromium via playwright-core):
 * time from navigation start until both charts are drawn for 10,000 runs, against the same page
 * for 100 runs (the history's default bound) loaded in the same browser in the same run, and the
 * charts' own share (script start to drawn). Loads alternate so that machine noise hits both alike.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEntry } from '#core/gate/history.js';
import { generateDashboard } from '#lib/dashboard/index.js';
import { repoFile } from '#lib/load/scenario.js';
import { launchChromium, serveDirectory, type Chromium } from '../tests/support/chromium.js';
import type { BenchLine } from './index.js';

const LOADS = 5;
const BIG = 10_000;
const SMALL = 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function site(dir: string, runs: number): string {
  const entries: HistoryEntry[] = Array.from({ length: runs }, (_, i) => ({
    sha: i.toString(16).padStart(40, '0'),
    ref: 'refs/heads/main',
    time: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
    p95_ms: 150 + 60 * Math.sin(i / 40) + (i % 97 === 0 ? 300 : 0),
    error_rate: i % 89 === 0 ? 0.02 : 0.001,
    requests: 2000,
    verdict: i % 97 === 0 ? 'fail' : 'pass',
  }));
  const history = join(dir, `history-${runs}.json`);
  writeFileSync(history, JSON.stringify({ version: 1, max_entries: runs, entries }));
  const out = join(dir, `site-${runs}`);
  generateDashboard({ historyFile: history, outDir: out, budgetFile: repoFile('k6/budget.json') });
  return out;
}

/** One fresh page load: ms from navigation start to the charts drawn, and the script's own part. */
async function load(b: Chromium, url: string, runs: number): Promise<{ total: number; charts: number }> {
  const page = await b.context.newPage();
  try {
    await page.goto(url);
    await page.waitForSelector('html[data-charts="drawn"]', { timeout: 30_000 });
    const r = await page.evaluate(() => {
      const at = (name: string) => performance.getEntriesByName(name)[0]!.startTime;
      const d = (globalThis as unknown as { hotelPerfDashboard: { charts: { data: unknown[][] }[] } })
        .hotelPerfDashboard;
      return {
        total: at('dashboard-charts-drawn'),
        charts: at('dashboard-charts-drawn') - at('dashboard-script-start'),
        points: d.charts.map((u) => u.data[0]!.length),
      };
    });
    if (r.points.some((n) => n !== runs)) throw new Error(`expected ${runs} points per chart, got ${r.points}`);
    return { total: r.total, charts: r.charts };
  } finally {
    await page.close();
  }
}

export async function run(): Promise<BenchLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-bench-'));
  let browser: Chromium | undefined;
  const servers: { url: string; close(): Promise<void> }[] = [];
  try {
    const t0 = performance.now();
    const bigSite = site(dir, BIG);
    const generateMs = performance.now() - t0;
    const big = await serveDirectory(bigSite);
    const small = await serveDirectory(site(dir, SMALL));
    servers.push(big, small);
    browser = await launchChromium();
    await load(browser, small.url, SMALL); // warm the browser once
    await load(browser, big.url, BIG);
    const bigLoads: { total: number; charts: number }[] = [];
    const smallLoads: { total: number; charts: number }[] = [];
    for (let i = 0; i < LOADS; i++) {
      smallLoads.push(await load(browser, small.url, SMALL));
      bigLoads.push(await load(browser, big.url, BIG));
    }
    const total = (loads: { total: number }[]) => median(loads.map((l) => l.total));
    const charts = (loads: { charts: number }[]) => median(loads.map((l) => l.charts));
    return [
      // The charts themselves: parse the embedded data and draw both charts.
      {
        name: `${BIG} runs: charts script, start to drawn, median of ${LOADS}`,
        value: charts(bigLoads),
        unit: 'ms',
        goal: '< 1000',
      },
      { name: `${SMALL} runs: charts script (reference)`, value: charts(smallLoads), unit: 'ms' },
      { name: `${BIG} / ${SMALL} runs, charts script`, value: charts(bigLoads) / charts(smallLoads), unit: 'x' },
      // The whole page, navigation start to drawn: a long history must not make it much slower to open.
      { name: `${BIG} runs: page load to charts drawn, median of ${LOADS}`, value: total(bigLoads), unit: 'ms' },
      { name: `${SMALL} runs: page load to charts drawn (reference)`, value: total(smallLoads), unit: 'ms' },
      {
        name: `${BIG} / ${SMALL} runs, page load to charts drawn`,
        value: total(bigLoads) / total(smallLoads),
        unit: 'x',
        goal: '<= 2',
      },
      { name: `${BIG} runs: index.html size`, value: statSync(join(bigSite, 'index.html')).size / 1024, unit: 'kB' },
      { name: `${BIG} runs: npm run dashboard's work (read, shape, write)`, value: generateMs, unit: 'ms' },
    ];
  } finally {
    await browser?.close();
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
