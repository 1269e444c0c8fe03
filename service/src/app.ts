/**
 * The Express application. `createService` wires the parts from a config; `tenancy` and `metrics` can
 * be switched off only so the bench can measure what those middlewares cost.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { adminRouter } from './admin.js';
import { bearerMatches } from './auth.js';
import type { ServiceConfig } from './config.js';
import { runWithContext, type RequestContext } from './context.js';
import { FlagRegistry } from './flags.js';
import { ServiceMetrics } from './metrics.js';
import { Orchestrator, type ConversationMemory } from './orchestrator.js';
import { TenantResolver, type Resolution } from './tenancy.js';
import { TenantDirectory } from './tenants/document.js';
import type { TenantStore } from './tenants/types.js';
import { parseWebhook, type InboundMessage } from './whatsapp/payload.js';
import { GraphApiSender, RecordingSender, type Sender } from './whatsapp/sender.js';
import { safeEqual, verifySignature } from './whatsapp/signature.js';

export interface ServiceState {
  directory: TenantDirectory | undefined;
  /** The store's start() finished: data loaded and, with PostgreSQL, the change listener in place. */
  started: boolean;
  draining: boolean;
}

export interface ServiceParts {
  config: ServiceConfig;
  log: Logger;
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
  const resolver = new TenantResolver(log, metrics);
  store.onChange((doc) => {
    state.directory = new TenantDirectory(doc);
    flags.update(doc);
    metrics.setTenants(doc.tenants);
  });
  const parts: ServiceParts = { config, log, store, state, flags, metrics, orchestrator, sender, resolver };
  const app = buildApp(parts, opts);
  return {
    ...parts,
    app,
    start: async () => {
      await store.start();
      state.started = true;
    },
    close: () => store.close(),
    isReady: () => state.started && state.directory !== undefined && !state.draining && !config.fault.neverReady,
  };
}

const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: code, message, request_id: res.locals.requestId });
}

function buildApp(p: ServiceParts, opts: AppOptions): express.Express {
  const { config, log, state, metrics } = p;
  const withTenancy = opts.tenancy !== false;
  const withMetrics = opts.metrics !== false;
  // Per-request access lines only at LOG_LEVEL=debug: stdout writes on every request would dominate the hot path.
  const accessLog = log.isLevelEnabled('debug');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const routeOf = (req: Request): string => (req.route ? `${req.baseUrl}${req.route.path as string}` : 'unmatched');
  // Shared listener (no closure per request): reads what the middleware below left on res.locals.
  function onFinish(this: Response): void {
    const req = this.req;
    const ms = performance.now() - (this.locals.startMs as number);
    const route = routeOf(req);
    const tenant = this.locals.tenantId as string | undefined;
    if (withMetrics) {
      const method = METHODS.has(req.method) ? req.method : 'OTHER';
      metrics.httpDuration.observe({ method, route, status_code: String(this.statusCode) }, ms / 1000);
      if (tenant !== undefined) {
        const label = metrics.tenantLabel(tenant);
        metrics.tenantRequests.inc({ tenant_id: label });
        if (this.statusCode >= 500) metrics.tenantErrors.inc({ tenant_id: label });
      }
    }
    if (accessLog) {
      const request_id = this.locals.requestId as string;
      log.debug(
        {
          event: 'request',
          method: req.method,
          route,
          status_code: this.statusCode,
          duration_ms: ms,
          tenant_id: tenant,
          request_id,
        },
        'request',
      );
    }
  }

  // One app-level middleware (each Express layer costs a dispatch on every request): request id,
  // drain marker, and, unless built without them, the latency histogram and tenant counters.
  app.use((req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('x-request-id', id);
    if (state.draining) res.setHeader('connection', 'close');
    if (withMetrics || accessLog) {
      res.locals.startMs = performance.now();
      res.on('finish', onFinish);
    }
    next();
  });

  app.get('/health/live', (_req, res) => {
    res.json({ status: 'live' });
  });
  app.get('/health/ready', (_req, res) => {
    // Ready once the store has started, not merely loaded: with PostgreSQL, start() ends after the
    // change listener is in place and one more read, so a ready replica never answers from data
    // older than a change committed before it became ready.
    const reason =
      !state.started || !state.directory
        ? 'loading'
        : state.draining
          ? 'draining'
          : config.fault.neverReady
            ? 'fault_never_ready'
            : null;
    if (reason) res.status(503).json({ status: 'not_ready', reason });
    else res.json({ status: 'ready', track: config.track, version: config.version });
  });
  app.get('/metrics', async (_req, res, next) => {
    try {
      const body = await metrics.registry.metrics();
      res.setHeader('content-type', metrics.registry.contentType);
      res.send(body);
    } catch (err) {
      next(err);
    }
  });

  const { latencyMs, errorRate } = config.fault;
  const faultOn = latencyMs.max > 0 || errorRate > 0;
  /** Injected latency and errors (FAULT_* variables), after tenancy so that injected 500s count per tenant. */
  const withFault = (res: Response, go: () => void): void => {
    if (!faultOn) return go();
    const delay = latencyMs.min + Math.random() * (latencyMs.max - latencyMs.min);
    const decide = () => {
      if (errorRate > 0 && Math.random() < errorRate)
        sendError(res, 500, 'injected_fault', 'fault injection (FAULT_ERROR_RATE)');
      else go();
    };
    if (delay > 0) setTimeout(decide, delay);
    else decide();
  };
  const fault: RequestHandler = (_req, res, next) => withFault(res, next);
  const needStore: RequestHandler = (_req, res, next) => {
    if (!state.directory) sendError(res, 503, 'not_ready', 'tenant data is still loading');
    else next();
  };
  const json = express.json({ limit: config.bodyLimitBytes, strict: true });

  const answer = (req: Request, res: Response, next: NextFunction): void => {
    const b = req.body as { user_id: string; text: string; conversation_id?: string };
    p.orchestrator.handle({ userId: b.user_id, text: b.text, conversationId: b.conversation_id }).then((result) => {
      res.json({ ...result, tenant_source: res.locals.tenantSource ?? 'none', request_id: res.locals.requestId });
    }, next);
  };

  // The hot path: a single route layer doing readiness, content type, body, validation, tenancy, fault, answer.
  app.post('/api/v1/messages', (req, res, next) => {
    if (!state.directory) return sendError(res, 503, 'not_ready', 'tenant data is still loading');
    if (!req.is('application/json'))
      return sendError(res, 415, 'unsupported_media_type', 'send Content-Type: application/json');
    json(req, res, (err?: unknown) => {
      if (err) return next(err);
      const b = req.body as Record<string, unknown> | undefined;
      const problem = validateMessage(b);
      if (problem) return sendError(res, 400, 'invalid_request', problem);
      if (!withTenancy) return withFault(res, () => answer(req, res, next));
      const requestId = res.locals.requestId as string;
      const explicit = typeof b!.tenant_id === 'string' ? b!.tenant_id : undefined;
      const trusted = explicit !== undefined && bearerMatches(req, config.adminToken);
      const r = p.resolver.forApi(state.directory!, b!.user_id as string, explicit, trusted, requestId);
      res.locals.tenantId = r.tenant.id;
      res.locals.tenantSource = r.source;
      const ctx: RequestContext = { requestId, tenant: r.tenant, source: r.source };
      runWithContext(ctx, () => withFault(res, () => answer(req, res, next)));
    });
  });

  app.get('/webhooks/whatsapp', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const mode = q['hub.mode'];
    const token = q['hub.verify_token'];
    const challenge = q['hub.challenge'];
    if (
      mode === 'subscribe' &&
      typeof token === 'string' &&
      typeof challenge === 'string' &&
      safeEqual(token, config.verifyToken)
    ) {
      // The challenge is echoed as given: never let a browser sniff it into HTML.
      res.setHeader('x-content-type-options', 'nosniff');
      res.type('text/plain').send(challenge);
    } else {
      sendError(res, 403, 'verification_failed', 'hub.mode must be "subscribe" and hub.verify_token must match');
    }
  });

  app.post(
    '/webhooks/whatsapp',
    needStore,
    express.raw({ type: () => true, limit: config.bodyLimitBytes }),
    (req, res, next) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!verifySignature(raw, req.headers['x-hub-signature-256'] as string | undefined, config.appSecret)) {
        metrics.signatureFailures.inc();
        log.warn(
          { event: 'bad_signature', request_id: res.locals.requestId },
          'WhatsApp webhook rejected: bad X-Hub-Signature-256',
        );
        return sendError(res, 401, 'invalid_signature', 'X-Hub-Signature-256 is missing or does not match the body');
      }
      let payload: unknown;
      try {
        payload = JSON.parse(raw.toString('utf8'));
      } catch {
        return sendError(res, 400, 'invalid_json', 'request body is not valid JSON');
      }
      const parsed = parseWebhook(payload);
      if (!parsed.ok) return sendError(res, 400, 'invalid_payload', parsed.error);
      const requestId = res.locals.requestId as string;
      const resolved = parsed.messages.map((m) => ({
        m,
        r: p.resolver.forPhoneNumber(state.directory!, m.phoneNumberId, requestId),
      }));
      res.locals.webhook = { resolved, skipped: parsed.skipped };
      const first = resolved[0]?.r;
      res.locals.tenantId = first?.tenant.id ?? 'default';
      if (!first || !withTenancy) return next();
      runWithContext({ requestId, tenant: first.tenant, source: first.source }, next);
    },
    fault,
    async (_req, res) => {
      const { resolved, skipped } = res.locals.webhook as {
        resolved: { m: InboundMessage; r: Resolution }[];
        skipped: number;
      };
      const requestId = res.locals.requestId as string;
      let replied = 0;
      let failed = 0;
      for (const { m, r } of resolved) {
        // One payload may carry messages for several of the group's numbers: each gets its own context.
        await runWithContext({ requestId, tenant: r.tenant, source: r.source }, async () => {
          const result = await p.orchestrator.handle({ userId: m.from, text: m.text, conversationId: m.from });
          try {
            await p.sender.send({
              tenant_id: r.tenant.id,
              phone_number_id: m.phoneNumberId,
              to: m.from,
              text: result.reply,
              in_reply_to: m.id,
            });
            replied++;
          } catch (err) {
            failed++;
            log.error({ err: (err as Error).message }, 'reply could not be sent');
          }
        });
      }
      // Meta retries deliveries that do not get a 200, which would duplicate replies: failures are logged, not returned.
      res.json({ received: resolved.length, replied, failed, skipped, request_id: requestId });
    },
  );

  if (config.adminToken) app.use('/admin', adminRouter(p, config.adminToken, json));

  app.use((req, res) => {
    sendError(res, 404, 'not_found', `no route for ${req.method} ${req.path.slice(0, 200)}`);
  });

  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string; status?: number; statusCode?: number; message?: string; expose?: boolean };
    if (e.type === 'entity.too.large')
      return sendError(res, 413, 'payload_too_large', `request body exceeds ${config.bodyLimitBytes} bytes`);
    if (e.type === 'entity.parse.failed') return sendError(res, 400, 'invalid_json', 'request body is not valid JSON');
    const status = e.status ?? e.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // http-errors marks messages safe for clients (e.g. 'unsupported charset "LATIN1"') with `expose`.
      const message = e.expose === true && e.message ? e.message.slice(0, 200) : 'the request could not be read';
      return sendError(res, status, status === 415 ? 'unsupported_media_type' : 'bad_request', message);
    }
    log.error({ err: e.message, stack: (err as Error).stack, request_id: res.locals.requestId }, 'unhandled error');
    sendError(res, 500, 'internal_error', 'internal error');
  });
  return app;
}

function validateMessage(b: Record<string, unknown> | undefined): string | null {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'body must be a JSON object';
  if (typeof b.user_id !== 'string' || b.user_id.trim() === '' || b.user_id.length > 128)
    return '"user_id" must be a non-empty string (max 128)';
  if (typeof b.text !== 'string' || b.text.trim() === '' || b.text.length > 4096)
    return '"text" must be a non-empty string (max 4096)';
  if (b.tenant_id !== undefined && typeof b.tenant_id !== 'string') return '"tenant_id" must be a string';
  if (b.conversation_id !== undefined && (typeof b.conversation_id !== 'string' || b.conversation_id.length > 128)) {
    return '"conversation_id" must be a string (max 128)';
  }
  return null;
}
