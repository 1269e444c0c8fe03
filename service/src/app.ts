/**
 * The Express application. `createService` wires the parts from a config; `buildApp` composes the
 * request middleware and the routes of each area (service/src/routes/*). `tenancy` and `metrics` can
 * be switched off only so the bench can measure what those middlewares cost.
 */
import express from 'express';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config.js';
import { FlagRegistry } from './flags.js';
import { faultInjector } from './http/fault.js';
import { observeRequests } from './http/observe.js';
import { errorHandler, notFound } from './http/respond.js';
import { LogLimiter } from './log-limiter.js';
import { ServiceMetrics } from './metrics.js';
import { Orchestrator, type ConversationMemory } from './orchestrator.js';
import { adminRouter } from './routes/admin.js';
import { healthRoutes, notReadyReason } from './routes/health.js';
import { messageRoutes } from './routes/messages.js';
import { webhookRoutes } from './routes/webhook.js';
import { TenantResolver } from './tenancy.js';
import { TenantDirectory } from './tenants/document.js';
import type { TenantStore } from './tenants/types.js';
import { GraphApiSender, RecordingSender, type Sender } from './whatsapp/sender.js';

export interface ServiceState {
  directory: TenantDirectory | undefined;
  /** The store's start() finished: data loaded and, with PostgreSQL, the change listener in place. */
  started: boolean;
  draining: boolean;
}

export interface ServiceParts {
  config: ServiceConfig;
  log: Logger;
  /** Repeated warnings (unknown tenants, bad signatures) go through here, not straight to `log`. */
  warnings: LogLimiter;
  store: TenantStore;
  state: ServiceState;
  flags: FlagRegistry;
  metrics: ServiceMetrics;
  orchestrator: Orchestrator;
  sender: Sender;
  resolver: TenantResolver;
}

export interface AppOptions {
  /** Resolve the tenant into the request context (default true). */
  tenancy?: boolean;
  /** Observe the latency histogram and tenant counters (default true). */
  metrics?: boolean;
}

export interface Service extends ServiceParts {
  app: express.Express;
  /** Loads the tenant store; readiness turns 200 once it resolved. */
  start(): Promise<void>;
  close(): Promise<void>;
  isReady(): boolean;
}

export function createService(
  config: ServiceConfig,
  log: Logger,
  store: TenantStore,
  opts: AppOptions & { sender?: Sender; memory?: ConversationMemory; defaultMetrics?: boolean } = {},
): Service {
  const state: ServiceState = { directory: undefined, started: false, draining: false };
  const warnings = new LogLimiter(log);
  const flags = new FlagRegistry(config.featureEnv);
  const metrics = new ServiceMetrics(
    { version: config.version, commit: config.commit, track: config.track },
    flags,
    opts.defaultMetrics === undefined ? {} : { defaultMetrics: opts.defaultMetrics },
  );
  const sender =
    opts.sender ??
    (config.whatsappToken ? new GraphApiSender(config.graphApiUrl, config.whatsappToken, log) : new RecordingSender());
  const orchestrator = new Orchestrator({
    flags,
    ...(opts.memory && { memory: opts.memory }),
    fallbackTenant: () => {
      if (!state.directory) throw new Error('tenant store not loaded');
      return state.directory.defaultTenant;
    },
    onClassified: (low, intent, fallback) => metrics.recordClassification(low, intent, fallback),
    log,
  });
  const resolver = new TenantResolver(warnings, metrics);
  store.onChange((doc) => {
    state.directory = new TenantDirectory(doc);
    flags.update(doc);
    metrics.setTenants(doc.tenants);
  });
  const parts: ServiceParts = { config, log, warnings, store, state, flags, metrics, orchestrator, sender, resolver };
  const app = buildApp(parts, opts);
  return {
    ...parts,
    app,
    start: async () => {
      await store.start();
      state.started = true;
    },
    close: async () => {
      warnings.flush();
      await store.close();
    },
    isReady: () => notReadyReason(parts) === null,
  };
}

function buildApp(p: ServiceParts, opts: AppOptions): express.Express {
  const tenancy = opts.tenancy !== false;
  const fault = faultInjector(p.config.fault);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(
    observeRequests({
      log: p.log,
      metrics: p.metrics,
      state: p.state,
      withMetrics: opts.metrics !== false,
    }),
  );
  healthRoutes(app, p);
  messageRoutes(app, p, { tenancy, fault });
  webhookRoutes(app, p, { tenancy, fault });
  if (p.config.adminToken) app.use('/admin', adminRouter(p, p.config.adminToken));
  app.use(notFound);
  app.use(errorHandler(p.config.bodyLimitBytes, p.log));
  return app;
}
