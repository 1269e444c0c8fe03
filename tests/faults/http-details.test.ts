/**
 * Issue 11, rows 9-11: the auth scheme is case-insensitive (RFC 9110 11.1), a known path asked with
 * another method answers 405 with `Allow` (RFC 9110 15.5.6), and any charset other than UTF-8 is 415
 * as the README promises.
 */
import { getJson, postJson, startInProcess, type Running } from '../service/helpers.js';

const TOKEN = 'details-admin';
let s: Running;
beforeAll(async () => {
  s = await startInProcess({ ADMIN_TOKEN: TOKEN });
});
afterAll(async () => {
  await s.close();
});

test('row 9: the Bearer scheme is matched case-insensitively, the token exactly', async () => {
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    const r = await getJson(`${s.url}/admin/tenants`, { authorization: `${scheme} ${TOKEN}` });
    expect({ scheme, status: r.status }).toEqual({ scheme, status: 200 });
    // The trusted tenant_id of the JSON API goes through the same check.
    const api = await postJson(
      `${s.url}/api/v1/messages`,
      { user_id: '+14150000003', text: 'hola', tenant_id: 'hotel-sol' },
      { authorization: `${scheme} ${TOKEN}` },
    );
    expect(api.body).toMatchObject({ tenant_id: 'hotel-sol', tenant_source: 'explicit' });
  }
  for (const authorization of [`bearer ${TOKEN.toUpperCase()}`, `Basic ${TOKEN}`, `Bearer${TOKEN}`, TOKEN]) {
    expect((await getJson(`${s.url}/admin/tenants`, { authorization })).status).toBe(401);
  }
});

test('row 10: a known path with another method is 405 with Allow; unknown paths stay 404', async () => {
  const cases: [string, string, string][] = [
    ['PUT', '/api/v1/messages', 'POST'],
    ['GET', '/api/v1/messages', 'POST'],
    ['DELETE', '/api/v1/messages', 'POST'],
    ['POST', '/health/live', 'GET, HEAD'],
    ['DELETE', '/health/ready', 'GET, HEAD'],
    ['POST', '/metrics', 'GET, HEAD'],
    ['PUT', '/webhooks/whatsapp', 'GET, HEAD, POST'],
    ['POST', '/admin/feature-flags', 'GET, HEAD'],
    ['POST', '/admin/feature-flags/improved_nlp_fallback', 'PUT, PATCH, DELETE'],
    ['GET', '/admin/mappings/users/guest-1', 'PUT, DELETE'],
    ['POST', '/admin/tenants/hotel-sol', 'GET, HEAD'],
  ];
  for (const [method, path, allow] of cases) {
    const res = await fetch(s.url + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(method !== 'GET' && method !== 'DELETE' && { body: '{}' }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect({ method, path, status: res.status, allow: res.headers.get('allow'), error: body.error }).toEqual({
      method,
      path,
      status: 405,
      allow,
      error: 'method_not_allowed',
    });
  }
  // Admin routes still want the token first: without it, 401 whatever the method.
  expect((await postJson(`${s.url}/admin/feature-flags`, {}, {}, 'POST')).status).toBe(401);
  expect((await postJson(`${s.url}/no/such/path`, {}, {}, 'PUT')).status).toBe(404);
});

test('row 11: a charset other than UTF-8 is 415 on the API and the admin routes; UTF-8 in any case is accepted', async () => {
  const body = JSON.stringify({ user_id: '+14150000003', text: 'hello' });
  for (const charset of ['utf-16', 'UTF-16LE', 'utf-32', 'latin1', 'iso-8859-1', 'us-ascii', 'koi8-r']) {
    const r = await postJson(`${s.url}/api/v1/messages`, body, {
      'content-type': `application/json; charset=${charset}`,
    });
    expect({ charset, status: r.status, error: r.body.error }).toEqual({
      charset,
      status: 415,
      error: 'unsupported_media_type',
    });
    const admin = await postJson(
      `${s.url}/admin/feature-flags/improved_nlp_fallback`,
      '{"enabled":true}',
      {
        authorization: `Bearer ${TOKEN}`,
        'content-type': `application/json; charset=${charset}`,
      },
      'PUT',
    );
    expect({ charset, status: admin.status }).toEqual({ charset, status: 415 });
  }
  for (const charset of ['utf-8', 'UTF-8', '"utf-8"', 'Utf-8']) {
    const r = await postJson(`${s.url}/api/v1/messages`, body, {
      'content-type': `application/json; charset=${charset}`,
    });
    expect({ charset, status: r.status }).toEqual({ charset, status: 200 });
  }
});
