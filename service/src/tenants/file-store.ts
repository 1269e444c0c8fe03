/**
 * Config-file tenant store. The file is re-read when it changes (fs.watch on its directory, so an
 * editor's or our own rename-into-place is seen, debounced); admin changes are written back atomically
 * (temp file + rename). A broken edit keeps the last good data and logs one error.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { TenantStoreBase } from './store-base.js';
import { applyMutation, parseDocument } from './document.js';
import { TenantDataError, type Mutation, type TenantStore, type TenantsDocument } from './types.js';

export class FileTenantStore extends TenantStoreBase implements TenantStore {
  readonly kind = 'file';
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly log: Logger,
    private readonly debounceMs = 75,
  ) {
    super();
  }

  async start(): Promise<void> {
    this.set(await this.read());
    const file = basename(this.path);
    this.watcher = watch(dirname(this.path), { persistent: false }, (_event, name) => {
      if (name !== null && name !== file) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), this.debounceMs);
    });
    this.watcher.on('error', (err) => this.log.error({ err: err.message }, 'tenant file watcher failed'));
  }

  async apply(m: Mutation): Promise<void> {
    // Serialised so two admin calls cannot both read the old document and lose one change.
    const run = this.writing.then(async () => {
      const next = applyMutation(this.document(), m);
      const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${Date.now()}.tmp`);
      await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`, 'utf8');
      await rename(tmp, this.path);
      this.set(next);
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.watcher?.close();
    await this.writing;
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
