/**
 * Issue 11, row 7: STATE_DIR removed and recreated while the service runs. Before, the file watcher died
 * silently (later edits were never loaded) and an admin write in the gap answered 500. Now the store
 * logs the loss, answers admin writes in the gap with 503 and a reason, and picks the file up again.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type ServiceHandle } from '#lib/service-process.js';
import { EMBEDDED_TENANTS_FILE } from '../../service/src/paths.js';
import { getJson, logLines, postJson, until } from '../service/helpers.js';

const AUTH = { authorization: 'Bearer gap-admin' };
const FLAG = '/admin/feature-flags/improved_nlp_fallback';
const root = mkdtempSync(join(tmpdir(), 'faults-state-gap-'));
const state = join(root, 'state');
const copy = join(state, 'tenants.json');
let h: ServiceHandle;
beforeAll(async () => {
  h = await startService({ env: { STATE_DIR: state, TENANTS_FILE: '', ADMIN_TOKEN: 'gap-admin', LOG_LEVEL: 'info' } });
});
afterAll(async () => {
  await h?.stop(2000);
  rmSync(root, { recursive: true, force: true });
});

const storeValue = async (): Promise<unknown> => {
  const r = await getJson(`${h.url}/admin/feature-flags`, AUTH);
  return (r.body.flags as { name: string; store: unknown }[]).find((f) => f.name === 'improved_nlp_fallback')!.store;
};
const seedWith = (flag: boolean): string => {
  const doc = JSON.parse(readFileSync(EMBEDDED_TENANTS_FILE, 'utf8')) as { flags: Record<string, boolean> };
  doc.flags.improved_nlp_fallback = flag;
  return `${JSON.stringify(doc, null, 2)}\n`;
};

test('removed: admin writes answer 503 with a reason; recreated with a file: it is loaded and watched again', async () => {
  expect(await storeValue()).toBe(false);
  rmSync(state, { recursive: true, force: true });

  const gap = await postJson(h.url + FLAG, { enabled: true }, AUTH, 'PUT');
  expect(gap.status).toBe(503);
  expect(gap.body).toMatchObject({ error: 'store_unavailable' });
  expect(String(gap.body.message)).toContain(state);
  // Reads keep answering from the last good data, and the API keeps serving.
  expect(await storeValue()).toBe(false);
  const msg = await postJson(`${h.url}/api/v1/messages`, { user_id: '+34600000001', text: 'hola' });
  expect(msg.status).toBe(200);
  await until(() => logLines(h).some((l) => l.event === 'tenants_dir_missing'), 5000);
  expect(logLines(h).find((l) => l.event === 'tenants_dir_missing')).toMatchObject({ level: 'warn', dir: state });

  // Recreated by hand with an edited file: picked up without a restart.
  mkdirSync(state);
  writeFileSync(copy, seedWith(true));
  await until(async () => (await storeValue()) === true, 5000);
  // The log line travels on another pipe than the HTTP answer: wait for it too.
  await until(() => logLines(h).some((l) => l.event === 'tenants_dir_restored'), 5000);

  // Watched again: a later edit is loaded too, and admin writes land in the new directory.
  writeFileSync(copy, seedWith(false));
  await until(async () => (await storeValue()) === false, 5000);
  const put = await postJson(h.url + FLAG, { enabled: true }, AUTH, 'PUT');
  expect(put.status).toBe(200);
  expect((JSON.parse(readFileSync(copy, 'utf8')) as { flags: Record<string, boolean> }).flags).toEqual({
    improved_nlp_fallback: true,
  });
});

test('recreated empty: the next admin write puts the whole current document back into it', async () => {
  rmSync(state, { recursive: true, force: true });
  await until(() => logLines(h).filter((l) => l.event === 'tenants_dir_missing').length === 2, 5000);
  mkdirSync(state);
  await until(async () => {
    const r = await postJson(`${h.url}/admin/mappings/users/gap-guest`, { tenant_id: 'hotel-sol' }, AUTH, 'PUT');
    return r.status === 200;
  }, 5000);
  const doc = JSON.parse(readFileSync(copy, 'utf8')) as {
    flags: Record<string, boolean>;
    tenants: { id: string; users: string[] }[];
  };
  expect(doc.flags.improved_nlp_fallback).toBe(true);
  expect(doc.tenants.find((t) => t.id === 'hotel-sol')!.users).toContain('gap-guest');
});
