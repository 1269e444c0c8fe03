/**
 * Reads the dashboard's inputs from files: the smoke history (`smoke-history/<branch>.json` of the
 * data branch), and canary reports named by globs. Every problem is one line naming the file.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { parseCanaryReport } from '#core/canary/report.js';
import type { CanaryReport } from '#core/canary/types.js';
import { parseHistoryFile, type HistoryFile } from '#core/gate/history.js';

export class DashboardInputError extends Error {
  override name = 'DashboardInputError';
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DashboardInputError(
      `cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DashboardInputError(`${what} ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

export function readHistory(path: string): HistoryFile {
  const raw = readJson(path, 'history file');
  try {
    return parseHistoryFile(raw, path);
  } catch (err) {
    throw new DashboardInputError((err as Error).message);
  }
}

export interface CanaryFile {
  path: string;
  report: CanaryReport;
}

export interface CanaryReading {
  files: CanaryFile[];
  /** Globs that matched no file: said on the page and the console, not an error (no canary may have run yet). */
  unmatched: string[];
}

/**
 * Expands each glob (relative to `cwd`) and parses every match as a canary report. A pattern
 * without glob characters names one file, which must exist.
 */
export function readCanaryReports(patterns: readonly string[], cwd = process.cwd()): CanaryReading {
  const seen = new Set<string>();
  const files: CanaryFile[] = [];
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    if (pattern.trim() === '') throw new DashboardInputError('--canary: empty pattern');
    const paths = isDynamicPattern(pattern)
      ? globSync(pattern, { cwd, absolute: true, onlyFiles: true, expandDirectories: false }).sort()
      : [resolve(cwd, pattern)];
    if (paths.length === 0) unmatched.push(pattern);
    for (const path of paths) {
      if (seen.has(path)) continue;
      seen.add(path);
      const raw = readJson(path, 'canary report');
      try {
        files.push({ path, report: parseCanaryReport(raw, path) });
      } catch (err) {
        throw new DashboardInputError((err as Error).message);
      }
    }
  }
  return { files, unmatched };
}

/** Site-relative names for the copied reports: the file's own name, made unique and URL-safe. */
export function canaryReportNames(files: readonly CanaryFile[]): string[] {
  const used = new Set<string>();
  return files.map(({ path }) => {
    // Hidden files (a leading dot) are left out of a Pages artifact, so none is made here.
    const base = basename(path)
      .replace(/[^\w.-]/g, '_')
      .replace(/^\./, '_');
    let name = base;
    for (let i = 2; used.has(name); i++) name = base.replace(/(\.json)?$/, `-${i}$1`);
    used.add(name);
    return name;
  });
}
