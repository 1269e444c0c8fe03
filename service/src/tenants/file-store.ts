/**
 * Config-file tenant store. The file is re-read when it changes (fs.watch on its directory, so an
 * editor's or our own rename-into-place is seen, debounced); admin changes are written back atomically
 * (temp file + rename). A broken edit keeps the last good data and logs one error.
 *
 * The directory itself may go away while the service runs (a cleaned-up STATE_DIR, a volume remounted):
 * a watch on a removed directory sees nothing more, so the directory is also checked every second.
 * While it is missing, admin changes are refused as StoreUnavailableError (503) and reads answer from
 * the last good data; once it exists again it is watched again and the file, if there, loaded.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { TenantStoreBase } from './store-base.js';
import { applyMutation, parseDocument } from './document.js';
import {
  StoreUnavailableError,
  TenantDataError,
  type Mutation,
  type TenantStore,
  type TenantsDocument,
} from './types.js';

const DIR_CHECK_MS = 1000;

export class FileTenantStore extends TenantStoreBase implements TenantStore {
  readonly kind = 'file';
  private readonly dir: string;
  private readonly file: string;
  private watcher: FSWatcher | undefined;
  /** The watched directory's identity: a directory removed and made again is another inode. */
  private watched: { dev: number; ino: number } | undefined;
  private dirCheck: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private closed = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly log: Logger,
    private readonly debounceMs = 75,
  ) {
    super();
    this.dir = dirname(path);
    this.file = basename(path);
  }

  async start(): Promise<void> {
    this.set(await this.read());
    await this.watchDir();
    this.dirCheck = setInterval(() => void this.checkDir(), DIR_CHECK_MS).unref();
  }

  async apply(m: Mutation): Promise<void> {
    // Serialised so two admin calls cannot both read the old document and lose one change.
    const run = this.writing.then(async () => {
      const next = applyMutation(this.document(), m);
      await this.write(next);
      this.set(next);
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.dirCheck);
    this.watcher?.close();
    await this.writing;
  }

  private async write(doc: TenantsDocument): Promise<void> {
    const tmp = join(this.dir, `.${this.file}.${process.pid}.${Date.now()}.tmp`);
    try {
      await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, 'utf8');
      await rename(tmp, this.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      if (code === 'ENOENT') {
        void this.checkDir();
        throw new StoreUnavailableError(
          `the tenants file's directory ${this.dir} does not exist (removed while the service runs); admin changes resume once it exists again`,
        );
      }
      throw new StoreUnavailableError(`cannot write the tenants file ${this.path}: ${code}`);
    }
  }

  private async watchDir(): Promise<void> {
    this.watcher?.close();
    this.watched = await stat(this.dir).then(
      (s) => ({ dev: s.dev, ino: s.ino }),
      () => undefined,
    );
    this.watcher = watch(this.dir, { persistent: false }, (_event, name) => {
      // An event naming something else may be the directory itself going away.
      if (name !== null && name !== this.file) return void this.checkDir();
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), this.debounceMs);
    });
    this.watcher.on('error', (err) => this.log.error({ err: err.message }, 'tenant file watcher failed'));
  }

  /** Notices the directory gone (log once, stop watching) or back (watch it again, load the file if there). */
  private checkDir(): Promise<void> {
    // One check at a time: the interval and the watcher's own events both ask.
    this.checking ??= this.compareDir().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async compareDir(): Promise<void> {
    if (this.closed) return;
    const now = await stat(this.dir).catch(() => undefined);
    if (!now) {
      if (this.watched === undefined) return;
      this.watched = undefined;
      this.watcher?.close();
      this.watcher = undefined;
      this.log.warn(
        { event: 'tenants_dir_missing', dir: this.dir },
        'the tenants file directory was removed: serving the last good data, admin changes answer 503 until it is back',
      );
      return;
    }
    if (this.watched && this.watched.dev === now.dev && this.watched.ino === now.ino) return;
    const wasMissing = this.watched === undefined;
    if (this.closed) return;
    await this.watchDir();
    this.log.info(
      { event: 'tenants_dir_restored', dir: this.dir, was: wasMissing ? 'missing' : 'replaced' },
      'the tenants file directory is back: watching it again',
    );
    if (await stat(this.path).catch(() => undefined)) await this.reload();
  }

  private async read(): Promise<TenantsDocument> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      throw new TenantDataError(
        `cannot read tenants file ${this.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new TenantDataError(`tenants file ${this.path} is not valid JSON: ${(err as Error).message}`);
    }
    return parseDocument(raw, this.path);
  }

  private reload(): Promise<void> {
    // Queued behind admin writes: a read that started before an admin change was renamed into
    // place would otherwise put the older document back until the next watcher event.
    this.writing = this.writing.then(async () => {
      try {
        const next = await this.read();
        if (!this.replace(next)) return;
        this.log.info({ file: this.path, tenants: next.tenants.length }, 'tenants file reloaded');
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'tenants file change ignored, keeping the last good data');
      }
    });
    return this.writing;
  }
}
