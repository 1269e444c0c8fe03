/**
 * The embedded `service/config/tenants.json` is read-only seed data: without `TENANTS_FILE`, the file
 * store works on a runtime copy in a state directory, so admin changes never dirty the repository and
 * a read-only install still starts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, lstat, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { TenantDataError } from './types.js';

export interface RuntimeCopyOptions {
  /** The read-only seed (the embedded tenants file). */
  seed: string;
  /** `STATE_DIR` when set: used as given, an unusable one is an error. */
  stateDir: string | undefined;
  /** Used when `stateDir` is unset (`<repo>/.data`); when it cannot be created, a per-checkout temp directory. */
  defaultStateDir: string;
}

export const RUNTIME_FILE = 'tenants.json';
/** Beside the copy: digest of the seed it was made from, to warn when the seed changed since. */
const SEED_DIGEST_FILE = 'tenants.seed.sha256';

/** Per checkout (digest of the default directory's path), so two clones on one machine never share state. */
export function fallbackStateDir(defaultStateDir: string): string {
  return join(
    tmpdir(),
    `hotel-service-state-${createHash('sha256').update(defaultStateDir).digest('hex').slice(0, 12)}`,
  );
}

/** Returns the runtime copy's path, creating it from the seed when it does not exist yet. */
export async function ensureRuntimeCopy(o: RuntimeCopyOptions, log: Logger): Promise<string> {
  const seedText = await readFile(o.seed).catch((err: NodeJS.ErrnoException) => {
    throw new TenantDataError(`cannot read the tenants seed ${o.seed}: ${err.code ?? err.message}`);
  });
  const digest = createHash('sha256').update(seedText).digest('hex');
  if (o.stateDir !== undefined) return copyInto(o.stateDir, seedText, digest, log);
  try {
    return await copyInto(o.defaultStateDir, seedText, digest, log);
  } catch (err) {
    const dir = fallbackStateDir(o.defaultStateDir);
    log.warn(
      { event: 'state_dir_fallback', wanted: o.defaultStateDir, using: dir, err: (err as Error).message },
      'default state directory not writable; keeping tenant data in a temp directory (set STATE_DIR to choose)',
    );
    await ownPrivateDir(dir);
    return copyInto(dir, seedText, digest, log);
  }
}

/** A predictable name in a shared temp directory: refuse one another user created (or a symlink) in advance. */
async function ownPrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch(() => undefined);
  const st = await lstat(dir).catch(() => undefined);
  const uid = process.getuid?.();
  if (!st?.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new TenantDataError(
      `cannot use state directory ${dir}: not a private directory of this user; set STATE_DIR or TENANTS_FILE`,
    );
  }
}

async function copyInto(dir: string, seedText: Buffer, digest: string, log: Logger): Promise<string> {
  const file = join(dir, RUNTIME_FILE);
  const digestFile = join(dir, SEED_DIGEST_FILE);
  try {
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${RUNTIME_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.seed`);
    await writeFile(tmp, seedText);
    try {
      // link() fails with EEXIST instead of replacing: a copy that already exists (maybe with admin
      // changes, maybe just made by a replica starting alongside) is never overwritten.
      await link(tmp, file);
      await writeFile(digestFile, `${digest}\n`);
      log.info({ event: 'state_created', file }, 'runtime tenants file created from the embedded seed');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  } catch (err) {
    throw new TenantDataError(`cannot use state directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  // No digest file (a copy made by hand, or a replica still writing it) means unknown: no warning.
  const madeFrom = (await readFile(digestFile, 'utf8').catch(() => '')).trim();
  if (madeFrom !== '' && madeFrom !== digest) {
    log.warn(
      { event: 'seed_changed', file },
      'the embedded tenants seed differs from the one this runtime copy was made from; delete the copy to start over from the seed',
    );
  }
  return file;
}
