/**
 * PostgreSQL tenant store. Migrations (`service/migrations/*.sql`, in name order) run at start under an
 * advisory lock and are recorded in `schema_migrations`; an empty database is seeded from the config
 * file. Changes made by any process (admin API of another replica, SQL by hand) arrive via
 * LISTEN/NOTIFY from table triggers, with a slow poll as a safety net for a lost listener connection.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { MIGRATIONS_DIR } from '../paths.js';
import { TenantStoreBase } from './store-base.js';
import { applyMutation, normalizeUserId, parseDocument } from './document.js';
import { TenantDataError, type Hotel, type Mutation, type TenantStore, type TenantsDocument } from './types.js';

export const NOTIFY_CHANNEL = 'hotel_tenants_changed';

export interface PgStoreOptions {
  connectionString: string;
  /** Schema holding the tables (created if missing). */
  schema: string;
  /** Tenants file used to seed an empty database. */
  seedFile: string;
  pollMs?: number;
  migrationsDir?: string;
}

/** Runs `fn` in one transaction on `client`: COMMIT when it resolves; ROLLBACK and rethrow when it throws. */
async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>, begin = 'BEGIN'): Promise<T> {
  await client.query(begin);
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export async function runMigrations(client: pg.ClientBase, schema: string, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const applied: string[] = [];
  await inTransaction(client, async () => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('hotel-perf-migrations:' || $1))`, [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`SET LOCAL search_path TO "${schema}"`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    for (const f of files) {
      if (done.has(f)) continue;
      await client.query(await readFile(join(dir, f), 'utf8'));
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [f]);
      applied.push(f);
    }
  });
  return applied;
}

export class PgTenantStore extends TenantStoreBase implements TenantStore {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private listener: pg.Client | undefined;
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private closed = false;
  /** Reload generations: how many have started, and the latest-started one whose result is current. */
  private readsStarted = 0;
  private newestLanded = 0;

  constructor(
    private readonly o: PgStoreOptions,
    private readonly log: Logger,
  ) {
    super();
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(o.schema)) throw new TenantDataError(`invalid schema name "${o.schema}"`);
    this.pool = new pg.Pool({ connectionString: o.connectionString, max: 4, options: `-c search_path="${o.schema}"` });
    this.pool.on('error', (err) => this.log.error({ err: err.message }, 'PostgreSQL pool error'));
  }

  async start(): Promise<void> {
    const client = await this.pool.connect();
    try {
      const applied = await runMigrations(client, this.o.schema, this.o.migrationsDir);
      if (applied.length) this.log.info({ event: 'migrations', applied }, 'database migrations applied');
      await this.seedIfEmpty(client);
    } finally {
      client.release();
    }
    this.set(await this.read());
    await this.listen();
    this.poll = setInterval(() => void this.reload('poll'), this.o.pollMs ?? 30000);
    this.poll.unref();
  }

  async apply(m: Mutation): Promise<void> {
    applyMutation(this.document(), m); // same validation and errors as the file store, before touching the database
    const client = await this.pool.connect();
    try {
      await inTransaction(client, async () => {
        switch (m.kind) {
          case 'flag':
            if (m.enabled === null)
              await client.query('DELETE FROM feature_flags WHERE flag = $1 AND tenant_id = $2', [
                m.flag,
                m.tenantId ?? '',
              ]);
            else {
              await client.query(
                'INSERT INTO feature_flags (flag, tenant_id, enabled) VALUES ($1, $2, $3) ON CONFLICT (flag, tenant_id) DO UPDATE SET enabled = EXCLUDED.enabled',
                [m.flag, m.tenantId ?? '', m.enabled],
              );
            }
            break;
          case 'user':
            await client.query('DELETE FROM tenant_users WHERE user_key = $1', [normalizeUserId(m.userId)]);
            if (m.tenantId !== null) {
              await client.query('INSERT INTO tenant_users (user_key, user_id, tenant_id) VALUES ($1, $2, $3)', [
                normalizeUserId(m.userId),
                m.userId,
                m.tenantId,
              ]);
            }
            break;
          case 'phone':
            await client.query('DELETE FROM tenant_phone_numbers WHERE phone_number_id = $1', [m.phoneNumberId]);
            if (m.tenantId !== null)
              await client.query('INSERT INTO tenant_phone_numbers (phone_number_id, tenant_id) VALUES ($1, $2)', [
                m.phoneNumberId,
                m.tenantId,
              ]);
            break;
        }
      });
    } finally {
      client.release();
    }
    await this.reload('admin');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    clearTimeout(this.debounce);
    clearTimeout(this.reconnect);
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  private async seedIfEmpty(client: pg.PoolClient): Promise<void> {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM tenants');
    if (Number(rows[0]?.n) > 0) return;
    const doc = parseDocument(JSON.parse(await readFile(this.o.seedFile, 'utf8')), this.o.seedFile);
    await inTransaction(client, async () => {
      for (const t of doc.tenants) {
        await client.query('INSERT INTO tenants (id, hotel) VALUES ($1, $2)', [t.id, JSON.stringify(t.hotel)]);
        for (const u of t.users)
          await client.query('INSERT INTO tenant_users (user_key, user_id, tenant_id) VALUES ($1, $2, $3)', [
            normalizeUserId(u),
            u,
            t.id,
          ]);
        for (const p of t.phone_number_ids)
          await client.query('INSERT INTO tenant_phone_numbers (phone_number_id, tenant_id) VALUES ($1, $2)', [
            p,
            t.id,
          ]);
        for (const [f, v] of Object.entries(t.flags))
          await client.query('INSERT INTO feature_flags (flag, tenant_id, enabled) VALUES ($1, $2, $3)', [f, t.id, v]);
      }
      for (const [f, v] of Object.entries(doc.flags))
        await client.query("INSERT INTO feature_flags (flag, tenant_id, enabled) VALUES ($1, '', $2)", [f, v]);
    });
    this.log.info(
      { event: 'seeded', file: this.o.seedFile, tenants: doc.tenants.length },
      'empty tenant database seeded from the config file',
    );
  }

  /** One snapshot of all four tables (protected so a test can hold a read open to force an interleaving). */
  protected async read(): Promise<TenantsDocument> {
    // A single REPEATABLE READ transaction: separate queries could each see a different commit and
    // combine, say, the users before a change with the phone numbers after it.
    const client = await this.pool.connect();
    let rows;
    try {
      rows = await inTransaction(
        client,
        async () => ({
          tenants: await client.query<{ id: string; hotel: Hotel }>('SELECT id, hotel FROM tenants ORDER BY id'),
          users: await client.query<{ user_id: string; tenant_id: string }>(
            'SELECT user_id, tenant_id FROM tenant_users ORDER BY user_id',
          ),
          phones: await client.query<{ phone_number_id: string; tenant_id: string }>(
            'SELECT phone_number_id, tenant_id FROM tenant_phone_numbers ORDER BY phone_number_id',
          ),
          flags: await client.query<{ flag: string; tenant_id: string; enabled: boolean }>(
            'SELECT flag, tenant_id, enabled FROM feature_flags ORDER BY flag',
          ),
        }),
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      );
    } finally {
      client.release();
    }
    const { tenants, users, phones, flags } = rows;
    const doc = {
      version: 1,
      flags: Object.fromEntries(flags.rows.filter((f) => f.tenant_id === '').map((f) => [f.flag, f.enabled])),
      tenants: tenants.rows.map((t) => ({
        id: t.id,
        hotel: t.hotel,
        phone_number_ids: phones.rows.filter((p) => p.tenant_id === t.id).map((p) => p.phone_number_id),
        users: users.rows.filter((u) => u.tenant_id === t.id).map((u) => u.user_id),
        flags: Object.fromEntries(flags.rows.filter((f) => f.tenant_id === t.id).map((f) => [f.flag, f.enabled])),
      })),
    };
    return parseDocument(doc, `postgres schema ${this.o.schema}`);
  }

  private async reload(why: string): Promise<void> {
    // Reloads (poll, NOTIFY, admin) run concurrently, so one whose snapshot predates an admin commit
    // can finish after the admin's own reload. A read started later sees everything committed before
    // it started, so the latest-started read that has finished wins and older ones are dropped.
    const started = ++this.readsStarted;
    try {
      const next = await this.read();
      if (started < this.newestLanded) return;
      this.newestLanded = started;
      if (!this.replace(next)) return;
      this.log.info(
        { event: 'tenants_reloaded', why, tenants: next.tenants.length },
        'tenant data reloaded from PostgreSQL',
      );
    } catch (err) {
      if (!this.closed)
        this.log.error({ err: (err as Error).message, why }, 'tenant reload failed, keeping the last good data');
    }
  }

  private async listen(): Promise<void> {
    // Named so an operator (and the tests) can tell the listener connection apart in pg_stat_activity.
    const client = new pg.Client({
      connectionString: this.o.connectionString,
      application_name: `hotel-listener ${this.o.schema}`.slice(0, 63),
    });
    client.on('notification', (n) => {
      if (n.payload !== this.o.schema) return;
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.reload('notify'), 50);
    });
    client.on('error', (err) => {
      if (this.listener !== client) return;
      this.log.warn({ err: err.message }, 'PostgreSQL listener lost; reconnecting');
      this.listener = undefined;
      client.end().catch(() => undefined);
      this.relisten(1000);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch (err) {
      client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    // Changes made while the listener was down are caught by this read.
    if (this.loaded) await this.reload('listen');
  }

  /** Retries LISTEN with a capped backoff until it succeeds: the poll alone would delay changes by up to its interval. */
  private relisten(delayMs: number): void {
    if (this.closed) return;
    this.reconnect = setTimeout(() => {
      this.listen().then(
        () => this.log.info({ event: 'listener_restored' }, 'PostgreSQL listener reconnected'),
        (err: Error) => {
          this.log.warn(
            { err: err.message, retry_ms: Math.min(delayMs * 2, 30000) },
            'PostgreSQL listener reconnect failed',
          );
          this.relisten(Math.min(delayMs * 2, 30000));
        },
      );
    }, delayMs);
    this.reconnect.unref();
  }
}
