/**
 * Writes the dashboard as a static site: index.html (charts), runs.html (every run), the assets (uPlot from the npm package,
 * so nothing is fetched from a CDN when the page is viewed) and a copy of each canary report it
 * links to. The site is built in a temporary directory beside `outDir` and renamed into place, so
 * `outDir` is either the previous site or the complete new one, never half-written.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoFile } from '../load/scenario.js';
import type { DashboardData } from '#core/dashboard/data.js';
import { ASSETS, renderDashboardHtml, renderRunsHtml, RUNS_PAGE, type PageOptions } from './page.js';

const require = createRequire(import.meta.url);

/** Where each asset comes from: uPlot's own distribution files, and this directory's page/ sources. */
function assetSources(): Record<keyof typeof ASSETS, string> {
  const uplotDist = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  // The page sources are not compiled: found from lib/dashboard (sources) or build/lib/dashboard.
  const page = (name: string) => repoFile(join('lib/dashboard/page', name), dirname(fileURLToPath(import.meta.url)));
  return {
    uplotJs: join(uplotDist, 'uPlot.iife.min.js'),
    uplotCss: join(uplotDist, 'uPlot.min.css'),
    js: page('dashboard.js'),
    css: page('dashboard.css'),
  };
}

export class SiteOutputError extends Error {
  override name = 'SiteOutputError';
}

/**
 * The output directory is replaced whole, so it must be new, empty, or an earlier dashboard: never
 * a directory of other files that a mistyped `--out` (say `.`) would otherwise wipe.
 */
export function checkOutputDir(outDir: string): void {
  const out = resolve(outDir);
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new SiteOutputError(`--out ${outDir} exists and is not a directory`);
  const entries = readdirSync(out);
  const earlierSite = existsSync(join(out, 'index.html')) && existsSync(join(out, ASSETS.js));
  if (entries.length > 0 && !earlierSite)
    throw new SiteOutputError(
      `--out ${outDir} is a non-empty directory that is not an earlier dashboard; give a new or empty directory`,
    );
}

export interface SiteFiles {
  /** Canary report files to copy, keyed by their path in the site (the `href` the data links to). */
  canaryReports?: ReadonlyMap<string, string>;
}

export function writeDashboardSite(
  data: DashboardData,
  outDir: string,
  files: SiteFiles = {},
  page: PageOptions = {},
): { index: string } {
  checkOutputDir(outDir);
  const out = resolve(outDir);
  const parent = dirname(out);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(out)}.${process.pid}.${Date.now()}.tmp`);
  const old = `${tmp}.old`;
  try {
    mkdirSync(join(tmp, 'assets'), { recursive: true });
    const sources = assetSources();
    for (const key of Object.keys(ASSETS) as (keyof typeof ASSETS)[])
      copyFileSync(sources[key], join(tmp, ASSETS[key]));
    for (const [href, from] of files.canaryReports ?? []) {
      mkdirSync(dirname(join(tmp, href)), { recursive: true });
      copyFileSync(from, join(tmp, href));
    }
    writeFileSync(join(tmp, RUNS_PAGE), renderRunsHtml(data));
    writeFileSync(join(tmp, 'index.html'), renderDashboardHtml(data, page));
    if (existsSync(out)) renameSync(out, old);
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(old) && !existsSync(out)) renameSync(old, out);
    throw err;
  }
  rmSync(old, { recursive: true, force: true });
  return { index: join(out, 'index.html') };
}
