/** Locations of the service's data files, valid both from `service/src` (tests) and `build/service/src` (built). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function serviceDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'service', 'config', 'tenants.json');
    if (existsSync(candidate)) return join(dir, 'service');
    dir = resolve(dir, '..');
  }
  throw new Error('cannot find service/config/tenants.json above the service code');
}

export const SERVICE_DIR = serviceDir();
export const EMBEDDED_TENANTS_FILE = join(SERVICE_DIR, 'config', 'tenants.json');
export const MIGRATIONS_DIR = join(SERVICE_DIR, 'migrations');
/** Default STATE_DIR: `.data/` at the repository root (gitignored). */
export const DEFAULT_STATE_DIR = join(SERVICE_DIR, '..', '.data');

/** The package version, the default for SERVICE_VERSION. */
export function packageVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(join(SERVICE_DIR, '..', 'package.json'), 'utf8')) as { version?: string }).version ??
      '0.0.0-dev'
    );
  } catch {
    return '0.0.0-dev';
  }
}
