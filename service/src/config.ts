/**
 * Service configuration, read once from the environment (see "Service process contract" in
 * docs/ARCHITECTURE.md). Invalid values fail the start with one readable line.
 */
import { packageVersion } from './paths.js';

export type Track = 'stable' | 'canary';

export interface FaultConfig {
  /** Added latency per request: uniform in [min, max] ms; both 0 when off. */
  latencyMs: { min: number; max: number };
  /** Share of gateway requests answered 500, 0..1. */
  errorRate: number;
  /** Readiness always 503. */
  neverReady: boolean;
}

export interface ServiceConfig {
  port: number;
  host: string;
  track: Track;
  version: string;
  commit: string;
  fault: FaultConfig;
  databaseUrl: string | undefined;
  databaseSchema: string;
  tenantsFile: string | undefined;
  /** Where the runtime copy of the embedded tenants seed lives when TENANTS_FILE is unset. */
  stateDir: string | undefined;
  /** PostgreSQL store: re-read interval, the safety net behind LISTEN/NOTIFY. */
  tenantStorePollMs: number;
  adminToken: string | undefined;
  appSecret: string;
  appSecretIsDev: boolean;
  verifyToken: string;
  verifyTokenIsDev: boolean;
  whatsappToken: string | undefined;
  graphApiUrl: string;
  logLevel: string;
  /** Pre-stop delay after SIGTERM: serving with readiness 503 so a load balancer can stop routing here. */
  shutdownDelayMs: number;
  /** Bound on finishing in-flight requests once the listener closes (after the delay). */
  shutdownTimeoutMs: number;
  bodyLimitBytes: number;
  /** FEATURE_<NAME>=on|off, keyed by lower-case flag name. */
  featureEnv: Record<string, boolean>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEV_APP_SECRET = 'dev-app-secret';
export const DEV_VERIFY_TOKEN = 'dev-verify-token';

function int(env: NodeJS.ProcessEnv, key: string, def: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key} must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return n;
}

function latency(raw: string | undefined): { min: number; max: number } {
  if (raw === undefined || raw === '') return { min: 0, max: 0 };
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?\s*$/.exec(raw);
  if (!m) throw new ConfigError(`FAULT_LATENCY_MS must be "N" or "A-B" (milliseconds), got "${raw}"`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (max < min) throw new ConfigError(`FAULT_LATENCY_MS range "${raw}" has its upper bound below its lower bound`);
  return { min, max };
}

function rate(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new ConfigError(`FAULT_ERROR_RATE must be a number in [0, 1], got "${raw}"`);
  return n;
}

function featureEnv(env: NodeJS.ProcessEnv): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('FEATURE_') || value === undefined) continue;
    const v = value.trim().toLowerCase();
    const name = key.slice('FEATURE_'.length).toLowerCase();
    if (['on', 'true', '1'].includes(v)) out[name] = true;
    else if (['off', 'false', '0'].includes(v)) out[name] = false;
    else throw new ConfigError(`${key} must be "on" or "off", got "${value}"`);
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const track = env.SERVICE_TRACK || 'stable';
  if (track !== 'stable' && track !== 'canary') {
    throw new ConfigError(`SERVICE_TRACK must be "stable" or "canary", got "${track}"`);
  }
  // A Graph token lets the webhook send messages on the hotel's account: never behind the public development secret.
  if (env.WHATSAPP_TOKEN && !env.WHATSAPP_APP_SECRET) {
    throw new ConfigError(
      'WHATSAPP_TOKEN is set but WHATSAPP_APP_SECRET is not: set the app secret to verify webhooks',
    );
  }
  const schema = env.DATABASE_SCHEMA || 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError(`DATABASE_SCHEMA must be a lower-case SQL identifier, got "${schema}"`);
  }
  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '127.0.0.1',
    track,
    version: env.SERVICE_VERSION || packageVersion(),
    commit: env.GIT_COMMIT || 'unknown',
    fault: {
      latencyMs: latency(env.FAULT_LATENCY_MS),
      errorRate: rate(env.FAULT_ERROR_RATE),
      neverReady: env.FAULT_NEVER_READY === '1' || env.FAULT_NEVER_READY === 'true',
    },
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema: schema,
    tenantsFile: env.TENANTS_FILE || undefined,
    stateDir: env.STATE_DIR || undefined,
    tenantStorePollMs: int(env, 'TENANT_STORE_POLL_MS', 30000, 100, 3600000),
    adminToken: env.ADMIN_TOKEN || undefined,
    appSecret: env.WHATSAPP_APP_SECRET || DEV_APP_SECRET,
    appSecretIsDev: !env.WHATSAPP_APP_SECRET,
    verifyToken: env.WHATSAPP_VERIFY_TOKEN || DEV_VERIFY_TOKEN,
    verifyTokenIsDev: !env.WHATSAPP_VERIFY_TOKEN,
    whatsappToken: env.WHATSAPP_TOKEN || undefined,
    graphApiUrl: env.WHATSAPP_GRAPH_URL || 'https://graph.facebook.com/v21.0',
    logLevel: env.LOG_LEVEL || 'info',
    shutdownDelayMs: int(env, 'SHUTDOWN_DELAY_MS', 5000, 0, 600000),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10000, 100, 600000),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    featureEnv: featureEnv(env),
  };
}

export function faultActive(f: FaultConfig): boolean {
  return f.latencyMs.max > 0 || f.errorRate > 0 || f.neverReady;
}
