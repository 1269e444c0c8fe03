/** Admin API, feature flag precedence and the config-file store's reload and write-back, over real HTTP. */
import { readFileSync, writeFileSync } from 'node:fs';
import { getJson, postJson, startInProcess, until, type Running } from './helpers.js';

const AUTH = { authorization: 'Bearer s3cret-admin' };
/** `feature_flag_enabled{flag="improved_nlp_fallback"}` series keyed by tenant_id ('' = no tenant_id label). */
function flagSeries(metrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics.matchAll(
    /^feature_flag_enabled\{flag="improved_nlp_fallback"(?:,tenant_id="([^"]*)")?\} (\S+)$/gm,
  ))
    out[m[1] ?? ''] = Number(m[2]);
  return out;
}
const msg = (r: Running, user_id: string, text: string) => postJson(`${r.url}/api/v1/messages`, { user_id, text });

describe('without ADMIN_TOKEN', () => {
  test('the admin routes do not exist', async () => {
    const r = await startInProcess();
    try {
      for (const path of ['/admin/feature-flags', '/admin/tenants', '/admin/whatsapp/outbox']) {
        const res = await getJson(r.url + path, AUTH);
        expect(res.status).toBe(404);
        expect(res.body.error).toBe('not_found');
      }
      const put = await postJson(`${r.url}/admin/feature-flags/improved_nlp_fallback`, { enabled: true }, AUTH, 'PUT');
      expect(put.status).toBe(404);
      expect((await msg(r, '+34600000001', 'xyzzy plugh')).body.fallback).toBe('legacy');
      // No token configured means no trusted caller either: a body tenant_id is ignored whatever the header says.
      for (const authorization of ['Bearer ', 'Bearer undefined', 'Bearer s3cret-admin']) {
        const res = await postJson(
          `${r.url}/api/v1/messages`,
          { user_id: '+34600000001', text: 'hola', tenant_id: 'hotel-harbor' },
          { authorization },
        );
        expect(res.body).toMatchObject({ tenant_id: 'hotel-sol', tenant_source: 'user' });
      }
    } finally {
      await r.close();
    }
  });
});

describe('with ADMIN_TOKEN', () => {
  let r: Running & { raw: string[] };
  beforeAll(async () => {
    r = await startInProcess({ ADMIN_TOKEN: 's3cret-admin' });
  });
  afterAll(async () => {
    await r.close();
  });

  test('requires the bearer token', async () => {
    expect((await getJson(`${r.url}/admin/feature-flags`)).status).toBe(401);
    expect((await getJson(`${r.url}/admin/feature-flags`, { authorization: 'Bearer s3cret-admiN' })).status).toBe(401);
    expect((await getJson(`${r.url}/admin/feature-flags`, { authorization: 's3cret-admin' })).status).toBe(401);
  });

  test('lists flags with default, store, tenant overrides, environment and effective values', async () => {
    const res = await getJson(`${r.url}/admin/feature-flags`, AUTH);
    expect(res.status).toBe(200);
    const flag = (res.body.flags as Record<string, unknown>[])[0];
    expect(flag).toMatchObject({
      name: 'improved_nlp_fallback',
      default: false,
      store: false,
      environment: null,
      enabled: false,
      tenants: { 'hotel-harbor': true },
      effective: { 'hotel-sol': false, 'hotel-harbor': true, default: false },
    });
  });

  test('the flag switches fallbacks per tenant, and a global change persists atomically in the file', async () => {
    expect((await msg(r, '+34600000001', 'xyzzy plugh')).body.fallback).toBe('legacy');
    expect((await msg(r, '+14150000001', 'xyzzy plugh')).body.fallback).toBe('improved');

    const on = await postJson(`${r.url}/admin/feature-flags/improved_nlp_fallback`, { enabled: true }, AUTH, 'PUT');
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ store: true, enabled: true });
    expect((await msg(r, '+34600000001', 'xyzzy plugh')).body.fallback).toBe('improved');
    const onDisk = JSON.parse(readFileSync(r.tenantsFile, 'utf8')) as { flags: Record<string, boolean> };
    expect(onDisk.flags.improved_nlp_fallback).toBe(true);
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toContain('feature_flag_enabled{flag="improved_nlp_fallback"} 1');

    // A tenant override beats the store-wide value.
    const off = await postJson(
      `${r.url}/admin/feature-flags/improved_nlp_fallback`,
      { enabled: false, tenant_id: 'hotel-sol' },
      AUTH,
      'PATCH',
    );
    expect(off.body).toMatchObject({
      tenants: { 'hotel-sol': false },
      effective: { 'hotel-sol': false, default: true },
    });
    expect((await msg(r, '+34600000001', 'xyzzy plugh')).body.fallback).toBe('legacy');
    // The metric shows the effective value per known tenant, and without tenant_id the value for a tenant with no override.
    expect(flagSeries(await (await fetch(`${r.url}/metrics`)).text())).toEqual({
      '': 1,
      'hotel-sol': 0,
      'hotel-harbor': 1,
      default: 1,
    });
    const del = await postJson(
      `${r.url}/admin/feature-flags/improved_nlp_fallback?tenant_id=hotel-sol`,
      undefined,
      AUTH,
      'DELETE',
    );
    expect(del.body).toMatchObject({ effective: { 'hotel-sol': true } });

    expect((await postJson(`${r.url}/admin/feature-flags/no_such_flag`, { enabled: true }, AUTH, 'PUT')).status).toBe(
      404,
    );
    expect(
      (await postJson(`${r.url}/admin/feature-flags/improved_nlp_fallback`, { enabled: 'yes' }, AUTH, 'PUT')).status,
    ).toBe(400);
    expect(
      (
        await postJson(
          `${r.url}/admin/feature-flags/improved_nlp_fallback`,
          { enabled: true, tenant_id: 'nope' },
          AUTH,
          'PUT',
        )
      ).status,
    ).toBe(404);
  });

  test('user and phone-number mappings change through the admin API without a restart', async () => {
    expect((await msg(r, 'guest-77', 'hola')).body.tenant_id).toBe('default');
    const put = await postJson(`${r.url}/admin/mappings/users/guest-77`, { tenant_id: 'hotel-sol' }, AUTH, 'PUT');
    expect(put.status).toBe(200);
    expect((await msg(r, 'guest-77', 'hola')).body.tenant_id).toBe('hotel-sol');
    // Moving a user removes it from its old tenant: one user, one tenant.
    await postJson(`${r.url}/admin/mappings/users/guest-77`, { tenant_id: 'hotel-harbor' }, AUTH, 'PUT');
    const tenants = await getJson(`${r.url}/admin/tenants`, AUTH);
    const list = tenants.body.tenants as { id: string; users: string[] }[];
    expect(list.find((t) => t.id === 'hotel-sol')!.users).not.toContain('guest-77');
    expect(list.find((t) => t.id === 'hotel-harbor')!.users).toContain('guest-77');
    await postJson(`${r.url}/admin/mappings/users/guest-77`, undefined, AUTH, 'DELETE');
    expect((await msg(r, 'guest-77', 'hola')).body.tenant_id).toBe('default');
    // Guest identifiers are personal data: the audit line carries a digest, no log line the identifier.
    expect(r.logs.filter((l) => l.event === 'admin_change' && (l.change as { kind: string }).kind === 'user')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          change: expect.objectContaining({ user_digest: expect.stringMatching(/^[0-9a-f]{12}$/) }),
        }),
      ]),
    );
    expect(r.raw.join('\n')).not.toContain('guest-77');

    expect(
      (
        await postJson(
          `${r.url}/admin/mappings/phone-numbers/100000000000009`,
          { tenant_id: 'hotel-harbor' },
          AUTH,
          'PUT',
        )
      ).status,
    ).toBe(200);
    const disk = JSON.parse(readFileSync(r.tenantsFile, 'utf8')) as {
      tenants: { id: string; phone_number_ids: string[] }[];
    };
    expect(disk.tenants.find((t) => t.id === 'hotel-harbor')!.phone_number_ids).toContain('100000000000009');
    expect((await postJson(`${r.url}/admin/mappings/users/x`, { tenant_id: 'ghost' }, AUTH, 'PUT')).status).toBe(404);
    expect((await getJson(`${r.url}/admin/tenants/hotel-sol`, AUTH)).body).toMatchObject({
      id: 'hotel-sol',
      hotel: { name: 'Hotel Sol y Mar' },
    });
  });

  test('an edit of the tenants file is picked up without a restart; a broken edit keeps the last good data', async () => {
    const doc = JSON.parse(readFileSync(r.tenantsFile, 'utf8')) as {
      tenants: { id: string; users: string[]; phone_number_ids: string[]; hotel: { name: string } }[];
    };
    doc.tenants.find((t) => t.id === 'hotel-sol')!.users.push('walk-in-1');
    doc.tenants.find((t) => t.id === 'hotel-sol')!.hotel.name = 'Hotel Sol y Mar Renovado';
    writeFileSync(r.tenantsFile, JSON.stringify(doc));
    await until(async () => (await msg(r, 'walk-in-1', 'hola')).body.tenant_id === 'hotel-sol');
    expect((await msg(r, 'walk-in-1', 'hola')).body.reply).toContain('Hotel Sol y Mar Renovado');

    // A tenant added to the store gets its own feature_flag_enabled series; removed, the series goes too.
    const added = structuredClone(doc);
    added.tenants.push({
      ...structuredClone(doc.tenants.find((t) => t.id === 'hotel-sol')!),
      id: 'hotel-new',
      users: [],
      phone_number_ids: [],
    });
    writeFileSync(r.tenantsFile, JSON.stringify(added));
    await until(async () => 'hotel-new' in flagSeries(await (await fetch(`${r.url}/metrics`)).text()));
    writeFileSync(r.tenantsFile, JSON.stringify(doc));
    await until(async () => !('hotel-new' in flagSeries(await (await fetch(`${r.url}/metrics`)).text())));

    writeFileSync(r.tenantsFile, '{"version": 1, "tenants": [');
    await until(() => r.logs.some((l) => l.level === 'error' && String(l.err).includes('not valid JSON')));
    expect((await msg(r, 'walk-in-1', 'hola')).body.tenant_id).toBe('hotel-sol');
  });
});

describe('environment beats the store', () => {
  test('FEATURE_IMPROVED_NLP_FALLBACK=off wins over a tenant override of true', async () => {
    const r = await startInProcess({ ADMIN_TOKEN: 't', FEATURE_IMPROVED_NLP_FALLBACK: 'off' });
    try {
      expect((await msg(r, '+14150000001', 'xyzzy plugh')).body.fallback).toBe('legacy');
      expect(flagSeries(await (await fetch(`${r.url}/metrics`)).text())).toEqual({
        '': 0,
        'hotel-sol': 0,
        'hotel-harbor': 0,
        default: 0,
      });
      const flags = await getJson(`${r.url}/admin/feature-flags`, { authorization: 'Bearer t' });
      expect((flags.body.flags as Record<string, unknown>[])[0]).toMatchObject({
        environment: false,
        effective: { 'hotel-harbor': false },
      });
    } finally {
      await r.close();
    }
  });
  test('FEATURE_IMPROVED_NLP_FALLBACK=on wins over a store-wide false, and an admin change cannot undo it', async () => {
    const r = await startInProcess({ ADMIN_TOKEN: 't', FEATURE_IMPROVED_NLP_FALLBACK: 'on' });
    const auth = { authorization: 'Bearer t' };
    try {
      const flags = await getJson(`${r.url}/admin/feature-flags`, auth);
      expect((flags.body.flags as Record<string, unknown>[])[0]).toMatchObject({ store: false, environment: true });
      expect((await msg(r, '+34600000001', 'xyzzy plugh')).body.fallback).toBe('improved');
      const off = await postJson(
        `${r.url}/admin/feature-flags/improved_nlp_fallback`,
        { enabled: false, tenant_id: 'hotel-sol' },
        auth,
        'PUT',
      );
      expect(off.body).toMatchObject({ tenants: { 'hotel-sol': false }, effective: { 'hotel-sol': true } });
      expect((await msg(r, '+34600000001', 'xyzzy plugh')).body.fallback).toBe('improved');
    } finally {
      await r.close();
    }
  });
  test('an unknown FEATURE_ variable or value is a configuration error', async () => {
    await expect(startInProcess({ FEATURE_IMPROVED_NLP_FALLBACK: 'maybe' })).rejects.toThrow(/must be "on" or "off"/);
    await expect(startInProcess({ FEATURE_TELEPORT: 'on' })).rejects.toThrow(/names no known flag/);
  });
});
