/**
 * Every secret comparison goes through crypto.timingSafeEqual: the admin bearer token, the trusted
 * `tenant_id` bearer, the webhook verify token and the X-Hub-Signature-256 HMAC. Timing cannot be asserted
 * reliably on a shared machine, so the test spies on the primitive itself over real HTTP: a plain `===`
 * slipped into any of these paths leaves the spy uncalled and fails here.
 */
import { jest } from '@jest/globals';

const actual = await import('node:crypto');
const timingSafeEqual = jest.fn(actual.timingSafeEqual);
jest.unstable_mockModule('node:crypto', () => ({ ...actual, default: actual, timingSafeEqual }));

const { postJson, startInProcess } = await import('./helpers.js');
const { signBody } = await import('../../service/src/whatsapp/signature.js');

const s = await startInProcess({
  ADMIN_TOKEN: 'ct-admin-token',
  WHATSAPP_APP_SECRET: 'ct-app-secret',
  WHATSAPP_VERIFY_TOKEN: 'ct-verify',
});
afterAll(() => s.close());

/** Calls of timingSafeEqual made while `act` runs. */
async function comparisons(act: () => Promise<unknown>): Promise<number> {
  timingSafeEqual.mockClear();
  await act();
  return timingSafeEqual.mock.calls.length;
}

test('admin bearer token: a right and a wrong token are both compared in constant time', async () => {
  const get = (auth: string) => fetch(`${s.url}/admin/tenants`, { headers: { authorization: auth } });
  let status = 0;
  expect(await comparisons(async () => (status = (await get('Bearer ct-admin-token')).status))).toBeGreaterThan(0);
  expect(status).toBe(200);
  expect(await comparisons(async () => (status = (await get('Bearer ct-admin-tokeN')).status))).toBeGreaterThan(0);
  expect(status).toBe(401);
});

test('a body tenant_id is trusted only after a constant-time bearer comparison', async () => {
  let tenant: unknown;
  const n = await comparisons(async () => {
    const r = await postJson(
      `${s.url}/api/v1/messages`,
      { user_id: '+14150000001', text: 'hola', tenant_id: 'hotel-sol' },
      { authorization: 'Bearer ct-admin-token' },
    );
    tenant = r.body.tenant_id;
  });
  expect(tenant).toBe('hotel-sol');
  expect(n).toBeGreaterThan(0);
});

test('webhook verify token and X-Hub-Signature-256 are compared in constant time', async () => {
  const handshake = (token: string) =>
    fetch(`${s.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=42`);
  expect(await comparisons(() => handshake('ct-verify'))).toBeGreaterThan(0);
  expect(await comparisons(() => handshake('ct-verifY'))).toBeGreaterThan(0);

  const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
  const wrong = signBody(body, 'ct-app-secreT');
  let status = 0;
  const n = await comparisons(async () => {
    status = (await postJson(`${s.url}/webhooks/whatsapp`, body, { 'x-hub-signature-256': wrong })).status;
  });
  expect(status).toBe(401);
  expect(n).toBeGreaterThan(0);
  const ok = await comparisons(async () => {
    status = (
      await postJson(`${s.url}/webhooks/whatsapp`, body, { 'x-hub-signature-256': signBody(body, 'ct-app-secret') })
    ).status;
  });
  expect(status).toBe(200);
  expect(ok).toBeGreaterThan(0);
});
