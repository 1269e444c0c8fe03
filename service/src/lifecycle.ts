/**
 * Graceful shutdown. On SIGTERM: readiness turns 503 at once; the listener stays open while requests
 * are in flight (so probes see the 503 and late requests are still served, with `Connection: close`),
 * stops accepting as soon as nothing is in flight or half the timeout has passed, and the process is
 * forced out at SHUTDOWN_TIMEOUT_MS whatever is left.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { ServiceState } from './app.js';

export interface Drainer {
  inFlight(): number;
  /** Resolves with the exit code: 0 drained cleanly, 1 forced by the timeout. */
  drain(reason: string): Promise<number>;
}

export function trackServer(server: Server, state: ServiceState, log: Logger, timeoutMs: number): Drainer {
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  server.on('request', (_req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) onIdle?.();
    });
  });
  let pending: Promise<number> | undefined;
  return {
    inFlight: () => inFlight,
    drain(reason: string): Promise<number> {
      pending ??= new Promise<number>((resolve) => {
        state.draining = true;
        log.info(
          { event: 'draining', reason, in_flight: inFlight, timeout_ms: timeoutMs },
          'draining: readiness is 503, finishing in-flight requests',
        );
        let closing = false;
        const stopAccepting = () => {
          if (closing) return;
          closing = true;
          server.close(() => {
            clearTimeout(hard);
            log.info({ event: 'drained' }, 'all connections closed');
            resolve(0);
          });
          server.closeIdleConnections();
        };
        const hard = setTimeout(() => {
          log.warn(
            { event: 'shutdown_timeout', in_flight: inFlight },
            'shutdown timeout: closing remaining connections',
          );
          server.closeAllConnections();
          resolve(1);
        }, timeoutMs);
        const soft = setTimeout(stopAccepting, timeoutMs / 2);
        hard.unref();
        soft.unref();
        onIdle = () => {
          clearTimeout(soft);
          stopAccepting();
          // A keep-alive connection that goes idle after its last response must not hold the close open.
          server.closeIdleConnections();
        };
        if (inFlight === 0) onIdle();
      });
      return pending;
    },
  };
}
