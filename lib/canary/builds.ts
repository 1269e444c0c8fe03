/**
 * Builds of the two sides, each from its own commit: a detached `git worktree` under
 * `<repo>/.cache/canary-builds/`, built with the project's own `npm run build`. node_modules is a
 * symlink to the checkout's when the side's package-lock.json equals the checkout's, else the side
 * runs `npm ci` itself. The finished folder is detached from git (the worktree is pruned, never
 * left registered) and renamed into place as `<sha>/` with its marker written before the rename,
 * so a cache entry is complete or absent, and two runs racing on one commit never share a folder:
 * the loser of the rename drops its copy. A second run of the same pair starts from the cache.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../atomic-write.js';
import { addWorktree, pruneWorktrees, removeWorktree } from '../git/index.js';
import { lastLine, runCommand } from './shell.js';
import { alive } from '../tied-child.js';

export class BuildError extends Error {
  override name = 'BuildError';
}

/** A side ready to start: its folder, the entry script, and what it is. */
export interface SideBuild {
  /** The commit built, as `git rev-parse HEAD` said inside the worktree; `<sha>-dirty` for a dirty working tree. */
  commit: string;
  dir: string;
  entry: string;
  /** package.json version of the side's code. */
  version: string;
  /** 'cache': reused; 'built': built now; 'checkout': the working tree's own build. */
  source: 'cache' | 'built' | 'checkout';
  /** How node_modules was provided. */
  install: 'linked' | 'npm ci' | 'checkout';
  elapsed_ms: number;
}

interface Marker {
  commit: string;
  version: string;
  install: 'linked' | 'npm ci';
  /** sha-256 of the side's package-lock.json. */
  lock: string;
  built_at: string;
}

const MARKER = '.canary-build.json';
const ENTRY = join('build', 'service', 'src', 'main.js');
const BUILD_TIMEOUT_MS = 15 * 60_000;

export const cacheRoot = (repo: string): string => join(repo, '.cache', 'canary-builds');

const hashFile = (file: string): string =>
  existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'none';

function versionOf(dir: string): string {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function readMarker(dir: string): Marker | null {
  try {
    return JSON.parse(readFileSync(join(dir, MARKER), 'utf8')) as Marker;
  } catch {
    return null;
  }
}

/**
 * A cached entry is usable when its marker is there and, if its node_modules is the checkout's (a
 * symlink), the checkout's lockfile still equals the one it was built with.
 */
function usable(repo: string, dir: string): Marker | null {
  const m = readMarker(dir);
  if (!m || !existsSync(join(dir, ENTRY))) return null;
  if (m.install === 'linked' && hashFile(join(repo, 'package-lock.json')) !== m.lock) return null;
  return m;
}

/** Worktrees being built by this process, so a signal's clean-up can remove them. */
const inFlight = new Map<string, { repo: string; done: Promise<unknown> }>();

async function npm(args: string, cwd: string, what: string, signal?: AbortSignal): Promise<void> {
  const r = await runCommand(`npm ${args}`, { env: {}, timeoutMs: BUILD_TIMEOUT_MS, cwd, ...(signal && { signal }) });
  if (signal?.aborted) throw new BuildError(`${what} interrupted`);
  if (r.timedOut) throw new BuildError(`${what} timed out after ${BUILD_TIMEOUT_MS / 60_000} min`);
  if (r.code !== 0)
    throw new BuildError(`${what} failed (exit ${r.code ?? r.signal}): ${lastLine(r.stderr) || lastLine(r.stdout)}`);
}

async function buildInto(
  repo: string,
  tmp: string,
  sha: string,
  log: (l: string) => void,
  signal?: AbortSignal,
): Promise<Marker> {
  await addWorktree(repo, tmp, sha);
  const lock = hashFile(join(tmp, 'package-lock.json'));
  const linked = lock === hashFile(join(repo, 'package-lock.json')) && existsSync(join(repo, 'node_modules'));
  if (linked) symlinkSync(join(repo, 'node_modules'), join(tmp, 'node_modules'), 'dir');
  else {
    log(`build ${sha.slice(0, 12)}: its package-lock.json differs from the checkout's: npm ci`);
    await npm('ci --no-audit --no-fund', tmp, `npm ci for ${sha.slice(0, 12)}`, signal);
  }
  await npm('run build --silent', tmp, `npm run build of ${sha.slice(0, 12)}`, signal);
  if (!existsSync(join(tmp, ENTRY))) throw new BuildError(`the build of ${sha.slice(0, 12)} has no ${ENTRY}`);
  return {
    commit: sha,
    version: versionOf(tmp),
    install: linked ? 'linked' : 'npm ci',
    lock,
    built_at: new Date().toISOString(),
  };
}

/** A cache entry as the side build a deployer starts. */
function cachedSide(dir: string, m: Marker, source: 'cache' | 'built', t0: number): SideBuild {
  return {
    commit: m.commit,
    dir,
    entry: join(dir, ENTRY),
    version: m.version,
    source,
    install: m.install,
    elapsed_ms: Date.now() - t0,
  };
}

/**
 * The build of commit `sha` (full), from the cache or built now. The worktree is always removed
 * from git's list (success, failure, abort); only a complete folder is renamed into the cache.
 */
export async function ensureBuild(
  repo: string,
  sha: string,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<SideBuild> {
  const t0 = Date.now();
  const root = cacheRoot(repo);
  const dir = join(root, sha);
  const cached = usable(repo, dir);
  if (cached) {
    log(`build ${sha.slice(0, 12)}: from the cache (${dir})`);
    return cachedSide(dir, cached, 'cache', t0);
  }
  mkdirSync(root, { recursive: true });
  const tmp = join(root, `.tmp-${sha.slice(0, 12)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  log(`build ${sha.slice(0, 12)}: git worktree at ${tmp}, npm run build`);
  const work = (async (): Promise<Marker> => {
    try {
      const marker = await buildInto(repo, tmp, sha, log, signal);
      // Detach the folder from git (a plain copy of the tree and its build), then publish it whole.
      rmSync(join(tmp, '.git'), { force: true });
      pruneWorktrees(repo);
      writeJsonAtomic(join(tmp, MARKER), marker);
      // A stale entry (no marker, or built against an older lockfile) makes way; a good one wins the race below.
      if (existsSync(dir) && !usable(repo, dir)) rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(tmp, dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        // Another run published the same commit first: use theirs.
      }
      return marker;
    } finally {
      if (existsSync(tmp)) await removeWorktree(repo, tmp).catch(() => rmSync(tmp, { recursive: true, force: true }));
      if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
    }
  })();
  inFlight.set(tmp, { repo, done: work.catch(() => undefined) });
  try {
    await work;
    const m = usable(repo, dir);
    if (!m) throw new BuildError(`the build of ${sha.slice(0, 12)} did not reach the cache (${dir})`);
    return cachedSide(dir, m, 'built', t0);
  } finally {
    inFlight.delete(tmp);
  }
}

/**
 * `--canary-ref worktree`: the checkout's own build of its working tree (built now, so it is the
 * tree as it is). Its commit is HEAD, with `-dirty` when tracked files differ from it.
 */
export async function checkoutBuild(
  repo: string,
  headSha: string,
  dirty: boolean,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<SideBuild> {
  const t0 = Date.now();
  log(`build of the working tree: npm run build in ${repo}`);
  await npm('run build --silent', repo, 'npm run build of the working tree', signal);
  return {
    commit: dirty ? `${headSha}-dirty` : headSha,
    dir: repo,
    entry: join(repo, ENTRY),
    version: versionOf(repo),
    source: 'checkout',
    install: 'checkout',
    elapsed_ms: Date.now() - t0,
  };
}

/** Waits for this process's builds to finish their own clean-up (after an abort), then prunes. */
export async function settleBuilds(): Promise<void> {
  const all = [...inFlight.values()];
  await Promise.all(all.map((b) => b.done));
  for (const repo of new Set(all.map((b) => b.repo))) {
    try {
      pruneWorktrees(repo);
    } catch {
      /* the repository is gone */
    }
  }
}

/** Leftover temporary folders of builds whose process died (SIGKILL): removed at the next run. */
export function sweepStaleTemps(repo: string): void {
  const root = cacheRoot(repo);
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const m = /^\.tmp-[0-9a-f]+-(\d+)-/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const p = join(root, name);
    if (lstatSync(p).isDirectory()) rmSync(p, { recursive: true, force: true });
  }
  pruneWorktrees(repo);
}
