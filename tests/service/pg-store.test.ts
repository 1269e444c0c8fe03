/**
 * PostgreSQL tenant store against the real database (127.0.0.1:5432, db `test`), in a schema of its own
 * that this file creates and drops.
 */
import pg from 'pg';
import { startService, type ServiceHandle } from '#lib/service-process.js';
import { EMBEDDED_TENANTS_FILE } from '../../service/src/paths.js';
import { NOTIFY_CHANNEL, PgTenantStore } from '../../service/src/tenants/pg-store.js';
import type { TenantsDocument } from '../../service/src/tenants/types.js';
import { captureLogger, getJson, postJson, until } from './helpers.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `hp_tenants_${process.pid}_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: DATABASE_URL });
const stores: PgTenantStore[] = [];
let service: ServiceHandle | undefined;

function store(): PgTenantStore {
  const s = new PgTenantStore(
    { connectionString: DATABASE_URL, schema, seedFile: EMBEDDED_TENANTS_FILE, pollMs: 60000 },
    captureLogger().log,
  );
  stores.push(s);
  return s;
}

beforeAll(async () => {
  await admin.connect();
});
afterAll(async () => {
  await service?.stop(3000);
  for (const s of stores) await s.close().catch(() => undefined);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

test('migrations run once, an empty database is seeded from the config file', async () => {
  const a = store();
  await a.start();
  expect(
    a
      .document()
      .tenants.map((t) => t.id)
      .sort(),
  ).toEqual(['default', 'hotel-harbor', 'hotel-sol']);
  const sol = a.document().tenants.find((t) => t.id === 'hotel-sol')!;
  expect(sol.hotel.name).toBe('Hotel Sol y Mar');
  expect(sol.phone_number_ids).toEqual(['100000000000001']);
  expect(a.document().tenants.find((t) => t.id === 'hotel-harbor')!.flags).toEqual({ improved_nlp_fallback: true });
  const versions = await admin.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
  expect(versions.rows.map((r: { version: string }) => r.version)).toEqual([
    '001_tenants.sql',
    '002_change_notify.sql',
  ]);

  const b = store();
  await b.start();
  expect((await admin.query(`SELECT count(*)::int AS n FROM "${schema}".schema_migrations`)).rows[0].n).toBe(2);
  expect((await admin.query(`SELECT count(*)::int AS n FROM "${schema}".tenants`)).rows[0].n).toBe(3);
  expect(b.document()).toEqual(a.document());
});

test('a change through one store reaches another process’s store via LISTEN/NOTIFY', async () => {
  const [a, b] = stores as [PgTenantStore, PgTenantStore];
  const seen: string[] = [];
  b.onChange((d) => seen.push(d.tenants.find((t) => t.id === 'hotel-sol')!.users.join(',')));
  await a.apply({ kind: 'user', userId: '+44 7700 900123', tenantId: 'hotel-sol' });
  expect(a.document().tenants.find((t) => t.id === 'hotel-sol')!.users).toContain('+44 7700 900123');
  await until(() =>
    b
      .document()
      .tenants.find((t) => t.id === 'hotel-sol')!
      .users.includes('+44 7700 900123'),
  );
  expect(seen.length).toBeGreaterThan(0);

  await a.apply({ kind: 'flag', flag: 'improved_nlp_fallback', tenantId: null, enabled: true });
  await until(() => b.document().flags.improved_nlp_fallback === true);
  await expect(a.apply({ kind: 'user', userId: 'x', tenantId: 'ghost' })).rejects.toThrow(/unknown tenant "ghost"/);
});

test('a change made with plain SQL is picked up without a restart', async () => {
  const [a] = stores as [PgTenantStore];
  await admin.query(
    `UPDATE "${schema}".tenants SET hotel = jsonb_set(hotel, '{check_in}', '"14:00"') WHERE id = 'hotel-sol'`,
  );
  await until(() => a.document().tenants.find((t) => t.id === 'hotel-sol')!.hotel.check_in === '14:00');
});

test('a reload that read before an admin change committed cannot put the older data back', async () => {
  // Holds the next read open after its SELECTs are done, so the interleaving is forced, not timed.
  let held: { reached: () => void; release: Promise<void>; result?: Promise<TenantsDocument> } | undefined;
  class HeldReadStore extends PgTenantStore {
    protected override read(): Promise<TenantsDocument> {
      const h = held;
      held = undefined;
      if (!h) return super.read();
      h.result = super.read().then(async (doc) => {
        h.reached();
        await h.release;
        return doc;
      });
      return h.result;
    }
  }
  const s = new HeldReadStore(
    { connectionString: DATABASE_URL, schema, seedFile: EMBEDDED_TENANTS_FILE, pollMs: 60000 },
    captureLogger().log,
  );
  stores.push(s);
  await s.start();
  const userId = '+44 7700 900777';
  const mapped = (d: TenantsDocument) => d.tenants.find((t) => t.id === 'hotel-sol')!.users.includes(userId);
  expect(mapped(s.document())).toBe(false);
  const seen: boolean[] = [];
  s.onChange((d) => seen.push(mapped(d)));

  let release!: () => void;
  const reached = new Promise<void>((resolve) => {
    held = { reached: resolve, release: new Promise<void>((r) => (release = r)) };
  });
  const h = held!;
  await admin.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, schema]); // a NOTIFY reload starts and reads
  await reached;
  await s.apply({ kind: 'user', userId, tenantId: 'hotel-sol' });
  expect(mapped(s.document())).toBe(true);

  release();
  expect(mapped(await h.result!)).toBe(false); // the held reload really read the data from before the change
  await new Promise((r) => setImmediate(r)); // and has now finished with it
  expect(mapped(s.document())).toBe(true);
  expect(seen).toEqual([true]);
});

test('the service runs on the PostgreSQL store: admin changes persist in the database', async () => {
  // A password in DATABASE_URL (ignored by the test server's trust auth) must never reach the log.
  const withPassword = new URL(DATABASE_URL);
  withPassword.password = 'pg-pass-never-logged';
  service = await startService({
    env: { DATABASE_URL: withPassword.toString(), DATABASE_SCHEMA: schema, ADMIN_TOKEN: 'pg-admin' },
  });
  const auth = { authorization: 'Bearer pg-admin' };
  const t = await getJson(`${service.url}/admin/tenants`, auth);
  expect(t.body.store).toBe('postgres');
  const r = await postJson(`${service.url}/api/v1/messages`, {
    user_id: '+34600000003',
    text: '¿A qué hora es la entrada?',
  });
  expect(r.body).toMatchObject({ tenant_id: 'hotel-sol', intent: 'checkin_checkout' });
  expect(r.body.reply).toContain('14:00');

  await postJson(
    `${service.url}/admin/feature-flags/improved_nlp_fallback`,
    { enabled: false, tenant_id: 'hotel-harbor' },
    auth,
    'PUT',
  );
  const row = await admin.query(
    `SELECT enabled FROM "${schema}".feature_flags WHERE flag = 'improved_nlp_fallback' AND tenant_id = 'hotel-harbor'`,
  );
  expect(row.rows[0]).toEqual({ enabled: false });
  await postJson(
    `${service.url}/admin/mappings/phone-numbers/100000000000077`,
    { tenant_id: 'hotel-harbor' },
    auth,
    'PUT',
  );
  const phone = await admin.query(
    `SELECT tenant_id FROM "${schema}".tenant_phone_numbers WHERE phone_number_id = '100000000000077'`,
  );
  expect(phone.rows[0]).toEqual({ tenant_id: 'hotel-harbor' });
  // And the in-test stores (another "replica") saw it.
  await until(() =>
    stores[0]!
      .document()
      .tenants.find((x) => x.id === 'hotel-harbor')!
      .phone_number_ids.includes('100000000000077'),
  );
  expect(service.output().join('\n')).not.toContain('pg-admin');
  expect(service.output().join('\n')).not.toContain('pg-pass-never-logged');
  expect(service.output().some((l) => l.includes('"store":"postgres"') && l.includes('"url":"postgres://'))).toBe(true);
});

test('with NOTIFY not delivered, the poll (TENANT_STORE_POLL_MS) still picks the change up', async () => {
  const listenerCount = async (): Promise<number> =>
    (
      await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [
        `hotel-listener ${schema}`.slice(0, 63),
      ])
    ).rows[0].n as number;
  const before = await listenerCount();
  const polled = await startService({
    env: { DATABASE_URL, DATABASE_SCHEMA: schema, TENANT_STORE_POLL_MS: '300', LOG_LEVEL: 'info' },
  });
  try {
    // Ready means started: the service's listener connection is in place before /health/ready says 200,
    // so the change below can only reach it through the poll.
    expect(await listenerCount()).toBe(before + 1);
    const listening = stores[0]!; // a store with a 60 s poll and a live listener: it must not see this change
    // session_replication_role = replica skips ordinary triggers in this transaction only: the row
    // changes, but no pg_notify is sent, as when a NOTIFY is lost.
    await admin.query('BEGIN');
    await admin.query('SET LOCAL session_replication_role = replica');
    await admin.query(
      `UPDATE "${schema}".tenants SET hotel = jsonb_set(hotel, '{check_in}', '"13:30"') WHERE id = 'hotel-sol'`,
    );
    await admin.query('COMMIT');
    await until(async () => {
      const r = await postJson(`${polled.url}/api/v1/messages`, {
        user_id: '+34600000003',
        text: '¿A qué hora es la entrada?',
      });
      return String(r.body.reply).includes('13:30');
    });
    const reloads = polled
      .output()
      .flatMap((l) => (l.includes('"tenants_reloaded"') ? [JSON.parse(l) as { why: string }] : []));
    expect(reloads.map((r) => r.why)).toEqual(['poll']);
    expect(listening.document().tenants.find((t) => t.id === 'hotel-sol')!.hotel.check_in).toBe('14:00');
  } finally {
    await polled.stop(3000);
  }
});

test('a lost listener reconnects with backoff, even through failed attempts, and reads what changed meanwhile', async () => {
  // A login role of its own lets the test take the database away from this store only (NOLOGIN + terminate).
  const role = `hp_listener_${process.pid}`;
  await admin.query(`CREATE ROLE ${role} LOGIN SUPERUSER`);
  const { log, logs } = captureLogger();
  const s = new PgTenantStore(
    {
      connectionString: DATABASE_URL.replace('postgres@', `${role}@`),
      schema,
      seedFile: EMBEDDED_TENANTS_FILE,
      pollMs: 60000,
    },
    log,
  );
  try {
    await s.start();
    await admin.query(`ALTER ROLE ${role} NOLOGIN`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
    await until(() => logs.some((l) => l.msg === 'PostgreSQL listener reconnect failed'), 8000);
    // Changed while the store cannot listen: the NOTIFY goes nowhere.
    await admin.query(
      `UPDATE "${schema}".tenants SET hotel = jsonb_set(hotel, '{check_out}', '"11:15"') WHERE id = 'hotel-harbor'`,
    );
    await admin.query(`ALTER ROLE ${role} LOGIN`);
    await until(() => logs.some((l) => l.event === 'listener_restored'), 10000);
    expect(s.document().tenants.find((t) => t.id === 'hotel-harbor')!.hotel.check_out).toBe('11:15');
    expect(logs.find((l) => l.event === 'tenants_reloaded')).toMatchObject({ why: 'listen' });
    // And NOTIFY works again on the new connection.
    await admin.query(
      `UPDATE "${schema}".tenants SET hotel = jsonb_set(hotel, '{check_out}', '"11:45"') WHERE id = 'hotel-harbor'`,
    );
    await until(() => s.document().tenants.find((t) => t.id === 'hotel-harbor')!.hotel.check_out === '11:45');
    expect(logs.filter((l) => l.event === 'tenants_reloaded').map((l) => l.why)).toEqual(['listen', 'notify']);
  } finally {
    await s.close().catch(() => undefined);
    await admin.query(`ALTER ROLE ${role} LOGIN`).catch(() => undefined);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
  }
});
