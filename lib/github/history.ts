/**
 * The default branch's p95 history, stored as `smoke-history/<branch>.json` on a data branch
 * (`perf-data` by default). The model (bounds, replacement of re-runs, baseline lookup) is the
 * pure core's; this module only moves the file.
 */
import {
  appendHistory,
  emptyHistory,
  parseHistoryFile,
  type HistoryEntry,
  type HistoryFile,
} from '#core/gate/history.js';
import type { GitHubClient } from './client.js';
import { readJsonFile, updateJsonFile, type DataFile } from './data-branch.js';

export const DEFAULT_HISTORY_BRANCH = 'perf-data';

export function historyFile(dataBranch: string, branch: string): DataFile {
  const name = branch.replace(/^refs\/heads\//, '');
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(name) || name.split('/').some((p) => p === '..' || p === '.')) {
    throw new Error(`cannot store history for branch ${JSON.stringify(branch)}`);
  }
  return { branch: dataBranch, path: `smoke-history/${name}.json` };
}

export async function readHistory(gh: GitHubClient, file: DataFile): Promise<HistoryFile> {
  const got = await readJsonFile<unknown>(gh, file);
  return got ? parseHistoryFile(got.data, `${file.branch}:${file.path}`) : emptyHistory();
}

/** Appends `entry` (bounded to `max` entries) and returns the stored history. */
export async function appendHistoryRemote(
  gh: GitHubClient,
  file: DataFile,
  entry: HistoryEntry,
  max: number,
): Promise<HistoryFile> {
  return updateJsonFile<unknown>(
    gh,
    file,
    `perf: smoke p95 ${entry.p95_ms ?? 'n/a'} ms for ${entry.sha.slice(0, 7)}`,
    (current) => {
      const h = current === undefined ? emptyHistory(max) : parseHistoryFile(current, `${file.branch}:${file.path}`);
      return { ...h, max_entries: max, entries: appendHistory(h.entries, entry, max) } satisfies HistoryFile;
    },
  ) as Promise<HistoryFile>;
}
