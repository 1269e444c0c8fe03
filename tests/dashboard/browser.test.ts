/**
 * The generated dashboard in a real browser: Debian's Chromium driven by playwright-core loads the
 * site from a loopback HTTP server. The charts plot one point per history entry, hovering a point
 * shows that run's commit and values, hostile commit subjects stay text, the table holds the same
 * runs with and without JavaScript, and a screenshot is kept as the test's artifact.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type uPlot from 'uplot';
import { fmtMs, fmtPct } from '#core/gate/format.js';
import type { HistoryEntry } from '#core/gate/history.js';
import { RECENT_RUNS, RUNS_PAGE } from '#lib/dashboard/page.js';
import { launchChromium, serveDirectory, type Chromium } from '../support/chromium.js';
import { entry, HOSTILE_SUBJECT, makeRepo, repoRoot, runDashboard, writeHistory, type TestRepo } from './fixtures.js';

/** Where the screenshot is kept (reports/ is the project's artifact folder, uploaded by CI). */
const SCREENSHOT = join(repoRoot, 'reports/dashboard/browser-test.png');
/** More runs than the charts page lists itself (RECENT_RUNS), so both tables are exercised. */
const RUNS = RECENT_RUNS + 20;

let work: string;
let repo: TestRepo;
let entries: HistoryEntry[];
let server: { url: string; close(): Promise<void> };
let browser: Chromium | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dashboard-browser-'));
  repo = makeRepo(join(work, 'repo'), RUNS);
  entries = repo.commits.map((c, i) =>
    entry(c.sha, i, i === 17 ? { p95_ms: null, error_rate: null, requests: 0, verdict: 'inconclusive' } : {}),
  );
  writeHistory(join(work, 'history.json'), entries);
  const r = runDashboard(['--history', 'history.json', '--out', 'site', '--repo', repo.dir], work);
  expect(r).toMatchObject({ status: 0, stderr: '' });
  server = await serveDirectory(join(work, 'site'));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Opens the page and collects what the console and the page report (a CSP violation is a console error). */
async function open(b: Chromium): Promise<{ page: Page; problems: string[] }> {
  const page = await b.context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
  await page.goto(server.url);
  return { page, problems };
}

test('the charts plot every run, a hover shows the run, the table matches, and nothing in a subject runs', async () => {
  const b = (browser = await launchChromium());
  const { page, problems } = await open(b);
  await page.waitForSelector('html[data-charts="drawn"]', { timeout: 20_000 });

  // As many plotted points as history entries, on both charts, all inside the x range shown.
  const plotted = await page.evaluate(() => {
    const { charts } = (globalThis as unknown as { hotelPerfDashboard: { charts: uPlot[] } }).hotelPerfDashboard;
    return charts.map((u) => ({
      xs: u.data[0].length,
      values: Array.from(u.data[1] as (number | null)[]),
      inView: (u.data[0] as number[]).filter((x) => x >= u.scales.x!.min! && x <= u.scales.x!.max!).length,
      canvas: u.ctx.canvas.width > 0 && u.ctx.canvas.height > 0,
    }));
  });
  expect(plotted.map((p) => [p.xs, p.inView, p.canvas])).toEqual([
    [RUNS, RUNS, true],
    [RUNS, RUNS, true],
  ]);
  expect(plotted[0]!.values).toEqual(entries.map((e) => e.p95_ms));
  expect(plotted[1]!.values).toEqual(entries.map((e) => (e.error_rate === null ? null : e.error_rate * 100)));

  // Hover the point of run 2 (index 1: the hostile subject, tag v1.0.0): the box names its commit and values.
  const k = 1;
  const at = await page.evaluate((i) => {
    const u = (globalThis as unknown as { hotelPerfDashboard: { charts: uPlot[] } }).hotelPerfDashboard.charts[0]!;
    const r = u.over.getBoundingClientRect();
    return { x: r.left + u.valToPos(i, 'x'), y: r.top + u.valToPos(u.data[1]![i] as number, 'y') };
  }, k);
  await page.mouse.move(at.x, at.y);
  const tip = page.locator('#tooltip');
  await tip.waitFor({ state: 'visible' });
  expect(await tip.getAttribute('data-run')).toBe(String(k));
  const lines = (await tip.innerText()).split('\n');
  expect(lines).toEqual(
    expect.arrayContaining([
      `run: ${k + 1}`,
      `commit: ${repo.commits[k]!.sha}`,
      `subject: ${HOSTILE_SUBJECT}`,
      `p95: ${fmtMs(entries[k]!.p95_ms)}`,
      `error rate: ${fmtPct(entries[k]!.error_rate)}`,
      'release tag: v1.0.0',
    ]),
  );

  // Nothing from a commit subject or ref became markup or ran.
  expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator('img').count()).toBe(0);

  // The charts page lists the newest runs; the runs page every run, with the same words as the hover box.
  const recent = page.locator('table.runs tbody tr');
  expect(await recent.count()).toBe(RECENT_RUNS);
  expect(await recent.first().getAttribute('id')).toBe(`run-${RUNS - 1}`);
  expect(await recent.last().getAttribute('id')).toBe(`run-${RUNS - RECENT_RUNS}`);
  const runsPage = await b.context.newPage();
  await runsPage.goto(new URL(RUNS_PAGE, server.url).href);
  expect(await runsPage.locator('table.runs tbody tr').count()).toBe(RUNS);
  expect(await runsPage.locator(`#run-${k} td`).allInnerTexts()).toEqual([
    String(k + 1),
    repo.commits[k]!.sha.slice(0, 7),
    HOSTILE_SUBJECT,
    'refs/heads/main',
    '2026-01-01 01:00 UTC',
    fmtMs(entries[k]!.p95_ms),
    fmtPct(entries[k]!.error_rate),
    '2000',
    'pass',
    'v1.0.0',
  ]);
  await runsPage.close();

  mkdirSync(join(repoRoot, 'reports/dashboard'), { recursive: true });
  await page.mouse.move(at.x, at.y); // keep the hover box in the picture
  await page.screenshot({ path: SCREENSHOT });
  expect(readFileSync(SCREENSHOT).subarray(1, 4).toString()).toBe('PNG');
  expect(problems).toEqual([]);
});

test('without JavaScript the runs page holds every run and the charts page says where the data is', async () => {
  const noJs = await launchChromium({ javaScriptEnabled: false });
  try {
    const { page, problems } = await open(noJs);
    expect(await page.locator('html').getAttribute('data-charts')).toBeNull();
    expect(await page.locator('main').innerText()).toContain(
      `The charts need JavaScript; the table of all ${RUNS} runs holds the same data.`,
    );
    expect(await page.locator('table.runs tbody tr').count()).toBe(RECENT_RUNS);
    await page
      .getByRole('link', { name: `the table of all ${RUNS} runs` })
      .first()
      .click();
    await page.waitForURL(/runs\.html$/);
    expect(await page.locator('table.runs tbody tr').count()).toBe(RUNS);
    expect(await page.locator('#run-0 td').nth(1).innerText()).toBe(repo.commits[0]!.sha.slice(0, 7));
    expect(problems).toEqual([]);
  } finally {
    await noJs.close();
  }
});
