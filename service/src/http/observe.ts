/**
 * The one app-level middleware (each Express layer costs a dispatch on every request): request id,
 * `Connection: close` while draining, and, unless built without them, the latency histogram, the
 * tenant counters and (at LOG_LEVEL=debug) one access line per request.
 */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { ServiceMetrics } from '../metrics.js';

const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

export interface ObserveOptions {
  log: Logger;
  metrics: ServiceMetrics;
  /** `draining` is read on every request: true from the shutdown signal on. */
  state: { readonly draining: boolean };
  /** Observe the latency histogram and tenant counters (off only in the bench's lean variants). */
  withMetrics: boolean;
}

const routeOf = (req: Request): string => (req.route ? `${req.baseUrl}${req.route.path as string}` : 'unmatched');

export function observeRequests(o: ObserveOptions): RequestHandler {
  const { log, metrics, withMetrics } = o;
  // Per-request access lines only at LOG_LEVEL=debug: stdout writes on every request would dominate the hot path.
  const accessLog = log.isLevelEnabled('debug');
  // Shared listener (no closure per request): reads what the middleware and the routes left on res.locals.
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
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('x-request-id', id);
    // Drain as load balancers expect it: every answer from the signal on tells the client to close.
    if (o.state.draining) res.setHeader('connection', 'close');
    if (withMetrics || accessLog) {
      res.locals.startMs = performance.now();
      res.on('finish', onFinish);
    }
    next();
  };
}
