/**
 * Issue 11, row 5: an admin query that names its scope twice (`tenant_id=a&tenant_id=a`) or as an array
 * (`tenant_id[]=a`) is refused with 400, never read as "no tenant" (which widened a tenant's DELETE to
 * the store-wide value). Keys in admin paths are bounded like the API's fields.
 */
import { getJson, postJson, startInProcess, type Running } from '../service/helpers.js';

const AUTH = { authorization: 'Bearer scope-admin' };
const FLAG = '/admin/feature-flags/improved_nlp_fallback';
let r: Running;
beforeAll(async () => {
  r = await startInProcess({ ADMIN_TOKEN: 'scope-admin' });
});
afterAll(async () => {
  await r.close();
});

async function flagState(): Promise<{ store: unknown; tenants: Record<string, boolean> }> {
  const all = await getJson(`${r.url}/admin/feature-flags`, AUTH);
  const flags = all.body.flags as { name: string; store: unknown; tenants: Record<string, boolean> }[];
  const f = flags.find((x) => x.name === 'improved_nlp_fallback')!;
  return { store: f.store, tenants: f.tenants };
}

test('a repeated or array tenant_id on DELETE is 400 and changes nothing, the store-wide value least of all', async () => {
  expect((await postJson(r.url + FLAG, { enabled: true }, AUTH, 'PUT')).status).toBe(200);
  expect((await postJson(r.url + FLAG, { enabled: true, tenant_id: 'hotel-sol' }, AUTH, 'PUT')).status).toBe(200);
  const before = await flagState();
  expect(before).toMatchObject({ store: true, tenants: { 'hotel-sol': true } });

  for (const query of [
    'tenant_id=hotel-sol&tenant_id=hotel-sol',
    'tenant_id=hotel-sol&tenant_id=hotel-harbor',
    'tenant_id[]=hotel-sol',
    'tenant_id[0]=hotel-sol',
    'tenant_id%5B%5D=hotel-sol',
    'tenant=hotel-sol',
  ]) {
    const res = await postJson(`${r.url}${FLAG}?${query}`, undefined, AUTH, 'DELETE');
    expect({ query, status: res.status, error: res.body.error }).toEqual({
      query,
      status: 400,
      error: 'invalid_request',
    });
    expect(res.body.message).toMatch(/query parameter/);
    expect(await flagState()).toEqual(before);
  }
  // The well-formed request still removes exactly the tenant's value.
  const ok = await postJson(`${r.url}${FLAG}?tenant_id=hotel-sol`, undefined, AUTH, 'DELETE');
  expect(ok.status).toBe(200);
  expect(await flagState()).toMatchObject({ store: true, tenants: {} });
});

test('admin keys are bounded like the API: user and phone-number keys up to 128, tenant ids up to 63 characters', async () => {
  const long = (n: number) => '7'.repeat(n);
  for (const kind of ['users', 'phone-numbers']) {
    const tooLong = await postJson(
      `${r.url}/admin/mappings/${kind}/${long(129)}`,
      { tenant_id: 'hotel-sol' },
      AUTH,
      'PUT',
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toBe('invalid_request');
    expect(JSON.stringify(tooLong.body)).not.toContain(long(129));
    const del = await postJson(`${r.url}/admin/mappings/${kind}/${long(129)}`, undefined, AUTH, 'DELETE');
    expect(del.status).toBe(400);
    const fits = await postJson(
      `${r.url}/admin/mappings/${kind}/${long(128)}`,
      { tenant_id: 'hotel-sol' },
      AUTH,
      'PUT',
    );
    expect(fits.status).toBe(200);
  }
  const tenant = 'h'.repeat(64);
  const body = await postJson(r.url + FLAG, { enabled: true, tenant_id: tenant }, AUTH, 'PUT');
  expect(body.status).toBe(400);
  expect(JSON.stringify(body.body)).not.toContain(tenant);
  const query = await postJson(`${r.url}${FLAG}?tenant_id=${tenant}`, undefined, AUTH, 'DELETE');
  expect(query.status).toBe(400);
  const byId = await getJson(`${r.url}/admin/tenants/${tenant}`, AUTH);
  expect(byId.status).toBe(400);
  expect(JSON.stringify(byId.body)).not.toContain(tenant);
  const mapped = await postJson(`${r.url}/admin/mappings/users/guest-1`, { tenant_id: tenant }, AUTH, 'PUT');
  expect(mapped.status).toBe(400);
});
