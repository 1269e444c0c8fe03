/**
 * Without TENANTS_FILE the embedded tenants file is read-only seed data: the service works on a runtime
 * copy in STATE_DIR (default `<repo>/.data`), so admin changes never touch the committed file.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { startService, type ServiceHandle } from '#lib/service-process.js';
import { EMBEDDED_TENANTS_FILE } from '../../service/src/paths.js';
import { ensureRuntimeCopy, fallbackStateDir } from '../../service/src/tenants/runtime-copy.js';
import { captureLogger, getJson, logLines, postJson, until } from './helpers.js';

const AUTH = { authorization: 'Bearer state-admin' };
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const dirs: string[] = [];
const started: ServiceHandle[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hotel-state-'));
  dirs.push(d);
  return d;
}
async function start(env: Record<string, string>): Promise<ServiceHandle> {
  // TENANTS_FILE='' counts as unset even if the test runner's environment sets it.
  const h = await startService({ env: { TENANTS_FILE: '', LOG_LEVEL: 'info', ...env } });
  started.push(h);
  return h;
}
afterAll(async () => {
  await Promise.all(started.map((h) => h.stop(2000)));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('admin changes go to the runtime copy in STATE_DIR; the committed seed stays byte-for-byte unchanged', async () => {
  const before = sha(EMBEDDED_TENANTS_FILE);
  const state = tempDir();
  const copy = join(state, 'tenants.json');
  let h = await start({ STATE_DIR: state, ADMIN_TOKEN: 'state-admin' });
  expect(logLines(h).find((l) => l.msg === 'tenant store: config file')).toMatchObject({
    file: copy,
    seed: EMBEDDED_TENANTS_FILE,
  });
  expect(readFileSync(copy, 'utf8')).toBe(readFileSync(EMBEDDED_TENANTS_FILE, 'utf8'));

  const flag = await postJson(`${h.url}/admin/feature-flags/improved_nlp_fallback`, { enabled: true }, AUTH, 'PUT');
  expect(flag.status).toBe(200);
  const map = await postJson(`${h.url}/admin/mappings/users/state-guest-1`, { tenant_id: 'hotel-sol' }, AUTH, 'PUT');
  expect(map.status).toBe(200);

  expect(sha(EMBEDDED_TENANTS_FILE)).toBe(before);
  const onDisk = JSON.parse(readFileSync(copy, 'utf8')) as {
    flags: Record<string, boolean>;
    tenants: { id: string; users: string[] }[];
  };
  expect(onDisk.flags.improved_nlp_fallback).toBe(true);
  expect(onDisk.tenants.find((t) => t.id === 'hotel-sol')!.users).toContain('state-guest-1');

  // The copy is watched like any tenants file: an edit by hand is picked up without a restart.
  onDisk.tenants.find((t) => t.id === 'hotel-harbor')!.users.push('state-guest-2');
  writeFileSync(copy, JSON.stringify(onDisk));
  await until(
    async () =>
      (await postJson(`${h.url}/api/v1/messages`, { user_id: 'state-guest-2', text: 'hello' })).body.tenant_id ===
      'hotel-harbor',
  );

  // A restart keeps the changes: the existing copy is used, not replaced by the seed.
  expect(await h.stop()).toBe(0);
  h = await start({ STATE_DIR: state, ADMIN_TOKEN: 'state-admin' });
  expect(logLines(h).some((l) => l.event === 'state_created')).toBe(false);
  const r = await postJson(`${h.url}/api/v1/messages`, { user_id: 'state-guest-1', text: 'hola' });
  expect(r.body.tenant_id).toBe('hotel-sol');
  const flags = await getJson(`${h.url}/admin/feature-flags`, AUTH);
  expect((flags.body.flags as { store: unknown }[])[0]!.store).toBe(true);
  expect(sha(EMBEDDED_TENANTS_FILE)).toBe(before);
});

test('without STATE_DIR the runtime copy lives in <repo>/.data (gitignored)', async () => {
  const h = await start({});
  const repoData = join(dirname(dirname(EMBEDDED_TENANTS_FILE)), '..', '.data');
  expect(logLines(h).find((l) => l.msg === 'tenant store: config file')).toMatchObject({
    file: join(repoData, 'tenants.json'),
  });
  expect(existsSync(join(repoData, 'tenants.json'))).toBe(true);
  expect(execFileSync('git', ['check-ignore', '-q', join(repoData, 'tenants.json')], { cwd: repoData }).length).toBe(0);
});

test('an unusable STATE_DIR stops the start with one readable line, exit 1', async () => {
  const d = tempDir();
  const notADir = join(d, 'plain-file');
  writeFileSync(notADir, 'x');
  const err = (await startService({
    env: { TENANTS_FILE: '', STATE_DIR: join(notADir, 'state') },
    readyTimeoutMs: 10000,
  }).catch((e: Error) => e)) as Error;
  expect(err.message).toMatch(/exited \(code 1\)/);
  expect(err.message).toContain(`cannot use state directory ${join(notADir, 'state')}: ENOTDIR`);
  expect(err.message).not.toMatch(/\n\s+at /);
});

describe('ensureRuntimeCopy', () => {
  test('falls back to a per-checkout temp directory when the default state directory cannot be created', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'blocker'), 'x');
    const wanted = join(d, 'blocker', '.data');
    const fallback = fallbackStateDir(wanted);
    dirs.push(fallback);
    const { log, logs } = captureLogger();
    const file = await ensureRuntimeCopy(
      { seed: EMBEDDED_TENANTS_FILE, stateDir: undefined, defaultStateDir: wanted },
      log,
    );
    expect(file).toBe(join(fallback, 'tenants.json'));
    expect(fallback.startsWith(tmpdir())).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(EMBEDDED_TENANTS_FILE, 'utf8'));
    expect(logs.find((l) => l.event === 'state_dir_fallback')).toMatchObject({
      level: 'warn',
      wanted,
      using: fallback,
    });
    // Another checkout gets another directory.
    expect(fallbackStateDir(join(d, 'other', '.data'))).not.toBe(fallback);

    // A fallback directory someone else prepared (here: a symlink to elsewhere) is refused.
    const other = join(d, 'blocker2');
    writeFileSync(other, 'x');
    const planted = fallbackStateDir(join(other, '.data'));
    dirs.push(planted);
    symlinkSync(tempDir(), planted);
    await expect(
      ensureRuntimeCopy(
        { seed: EMBEDDED_TENANTS_FILE, stateDir: undefined, defaultStateDir: join(other, '.data') },
        log,
      ),
    ).rejects.toThrow(/not a private directory of this user/);
  });

  test('never overwrites an existing copy, and warns when the seed changed since it was made', async () => {
    const d = tempDir();
    const seed = join(d, 'seed.json');
    writeFileSync(seed, readFileSync(EMBEDDED_TENANTS_FILE));
    const state = join(d, 'state');
    const { log, logs } = captureLogger();
    const file = await ensureRuntimeCopy({ seed, stateDir: state, defaultStateDir: '/unused' }, log);
    expect(logs.filter((l) => l.event === 'state_created')).toHaveLength(1);
    writeFileSync(file, '{"edited": true}');
    await ensureRuntimeCopy({ seed, stateDir: state, defaultStateDir: '/unused' }, log);
    expect(readFileSync(file, 'utf8')).toBe('{"edited": true}');
    expect(logs.some((l) => l.event === 'seed_changed')).toBe(false);

    writeFileSync(seed, readFileSync(EMBEDDED_TENANTS_FILE, 'utf8').replace('Hotel Sol y Mar', 'Hotel Sol'));
    await ensureRuntimeCopy({ seed, stateDir: state, defaultStateDir: '/unused' }, log);
    expect(readFileSync(file, 'utf8')).toBe('{"edited": true}');
    expect(logs.find((l) => l.event === 'seed_changed')).toMatchObject({ level: 'warn', file });
    expect(existsSync(join(state, 'tenants.seed.sha256'))).toBe(true);
  });

  test('concurrent starts on one state directory create exactly one copy', async () => {
    const state = join(tempDir(), 'state');
    const { log, logs } = captureLogger();
    const files = await Promise.all(
      Array.from({ length: 8 }, () =>
        ensureRuntimeCopy({ seed: EMBEDDED_TENANTS_FILE, stateDir: state, defaultStateDir: '/unused' }, log),
      ),
    );
    expect(new Set(files).size).toBe(1);
    expect(logs.filter((l) => l.event === 'state_created')).toHaveLength(1);
  });
});
