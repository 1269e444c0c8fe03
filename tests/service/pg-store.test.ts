/**
 * PostgreSQL tenant store against the real database (127.0.0.1:5432, db `test`), in a schema of its own
 * that this file creates and drops.
 */
import pg from 'pg';
import { startService, type ServiceHandle } from '../../lib/service-process.js';
import { EMBEDDED_TENANTS_FILE } from '../../service/src/paths.js';
import { PgTenantStore } from '../../service/src/tenants/pg-store.js';
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

test('the service runs on the PostgreSQL store: admin changes persist in the database', async () => {
  service = await startService({ env: { DATABASE_URL, DATABASE_SCHEMA: schema, ADMIN_TOKEN: 'pg-admin' } });
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
});
