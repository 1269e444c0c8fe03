/** Liveness, readiness and the Prometheus scrape endpoint. */
import type express from 'express';
import type { ServiceParts } from '../app.js';
import { allowOnly } from '../http/respond.js';

/** Why the service is not ready, or null when it is. */
export function notReadyReason(p: Pick<ServiceParts, 'state' | 'config'>): string | null {
  // Ready once the store has started, not merely loaded: with PostgreSQL, start() ends after the
  // change listener is in place and one more read, so a ready replica never answers from data
  // older than a change committed before it became ready.
  if (!p.state.started || !p.state.directory) return 'loading';
  if (p.state.draining) return 'draining';
  if (p.config.fault.neverReady) return 'fault_never_ready';
  return null;
}

export function healthRoutes(app: express.Express, p: ServiceParts): void {
  app
    .route('/health/live')
    .get((_req, res) => {
      res.json({ status: 'live' });
    })
    .all(allowOnly('GET'));
  app
    .route('/health/ready')
    .get((_req, res) => {
      const reason = notReadyReason(p);
      if (reason) res.status(503).json({ status: 'not_ready', reason });
      else res.json({ status: 'ready', track: p.config.track, version: p.config.version });
    })
    .all(allowOnly('GET'));
  app
    .route('/metrics')
    .get(async (_req, res, next) => {
      try {
        const body = await p.metrics.registry.metrics();
        res.setHeader('content-type', p.metrics.registry.contentType);
        res.send(body);
      } catch (err) {
        next(err);
      }
    })
    .all(allowOnly('GET'));
}
