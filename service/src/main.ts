/**
 * Service entry point: `node build/service/src/main.js`. Configuration comes only from the environment
 * (docs/ARCHITECTURE.md, "Service process contract"); a bad setting stops the start with one line, exit 2.
 */
import type { AddressInfo } from 'node:net';
import { createService } from './app.js';
import { ConfigError, faultActive, loadConfig, type ServiceConfig } from './config.js';
import { trackServer } from './lifecycle.js';
import { checkFeatureEnv } from './flags.js';
import { createLogger, redactUrl } from './logger.js';
import { DEFAULT_STATE_DIR, EMBEDDED_TENANTS_FILE } from './paths.js';
import { FileTenantStore } from './tenants/file-store.js';
import { PgTenantStore } from './tenants/pg-store.js';
import { ensureRuntimeCopy } from './tenants/runtime-copy.js';
import type { TenantStore } from './tenants/types.js';
import type { Logger } from 'pino';

const STORE_CLOSE_MS = 2000;

async function storeFor(config: ServiceConfig, log: Logger): Promise<TenantStore> {
  if (config.databaseUrl) {
    log.info(
      { store: 'postgres', url: redactUrl(config.databaseUrl), schema: config.databaseSchema },
      'tenant store: PostgreSQL',
    );
    return new PgTenantStore(
      {
        connectionString: config.databaseUrl,
        schema: config.databaseSchema,
        seedFile: config.tenantsFile ?? EMBEDDED_TENANTS_FILE,
        pollMs: config.tenantStorePollMs,
      },
      log,
    );
  }
  // The embedded file is seed data only: the store reads, watches and writes a runtime copy.
  const file =
    config.tenantsFile ??
    (await ensureRuntimeCopy(
      { seed: EMBEDDED_TENANTS_FILE, stateDir: config.stateDir, defaultStateDir: DEFAULT_STATE_DIR },
      log,
    ));
  log.info(
    { store: 'file', file, ...(config.tenantsFile === undefined && { seed: EMBEDDED_TENANTS_FILE }) },
    'tenant store: config file',
  );
  return new FileTenantStore(file, log);
}

async function main(): Promise<void> {
  let config: ServiceConfig;
  try {
    config = loadConfig();
    // Before any state is touched (the runtime copy of the tenants seed), like every other bad setting.
    checkFeatureEnv(config.featureEnv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`hotel-service: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  if (config.appSecretIsDev) log.warn({ event: 'dev_secret' }, 'WHATSAPP_APP_SECRET not set: using development secret');
  if (config.verifyTokenIsDev)
    log.warn({ event: 'dev_secret' }, 'WHATSAPP_VERIFY_TOKEN not set: using development verify token');
  if (faultActive(config.fault)) {
    log.warn(
      {
        event: 'fault_injection',
        latency_ms: config.fault.latencyMs,
        error_rate: config.fault.errorRate,
        never_ready: config.fault.neverReady,
      },
      'FAULT INJECTION ACTIVE: this process deliberately slows down, fails or never becomes ready',
    );
  }
  let store: TenantStore;
  try {
    store = await storeFor(config, log);
  } catch (err) {
    log.error({ event: 'store_failed', err: (err as Error).message }, 'cannot set up the tenant store');
    process.exit(1);
  }
  const service = createService(config, log, store);
  const server = service.app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.keepAliveTimeout = 65000;
  const port = (server.address() as AddressInfo).port;
  log.info(
    {
      port,
      host: config.host,
      track: config.track,
      version: config.version,
      commit: config.commit,
      admin: Boolean(config.adminToken),
      sender: service.sender.kind,
    },
    'listening',
  );
  const drainer = trackServer(server, service.state, log, {
    delayMs: config.shutdownDelayMs,
    timeoutMs: config.shutdownTimeoutMs,
  });
  let exiting = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    // A second signal cuts the pre-stop delay short; Ctrl-C (SIGINT) has no load balancer to wait for.
    const drained = drainer.drain(signal, signal === 'SIGINT');
    if (exiting) return;
    exiting = true;
    const code = await drained;
    // A database that stopped answering must not hold the exit open: the store gets a bounded moment to close.
    const closed = await Promise.race([
      service.close().then(
        () => true,
        (err: Error) => {
          log.error({ err: err.message }, 'closing the tenant store failed');
          return true;
        },
      ),
      new Promise<boolean>((r) => setTimeout(r, STORE_CLOSE_MS, false)),
    ]);
    if (!closed) log.warn({ event: 'store_close_timeout', timeout_ms: STORE_CLOSE_MS }, 'tenant store did not close');
    log.info({ event: 'exit', code }, 'stopped');
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  try {
    await service.start();
    log.info(
      { event: 'ready', store: service.store.kind, tenants: service.store.document().tenants.length },
      'tenant data loaded',
    );
  } catch (err) {
    log.error({ event: 'store_failed', err: (err as Error).message }, 'cannot load tenant data');
    server.closeAllConnections();
    process.exit(1);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`hotel-service: ${err.message}\n`);
  process.exit(1);
});
