/**
 * Graceful shutdown as load balancers expect it. On the signal: readiness answers 503 at once and every
 * response carries `Connection: close`, while the listener stays open for the pre-stop delay
 * (SHUTDOWN_DELAY_MS), the time a load balancer needs to see the 503 and stop routing here. Keep-alive
 * sockets are closed by the server only after a response (never under a request already written).
 * After the delay the listener closes as soon as nothing is in flight (or half the timeout has passed),
 * and SHUTDOWN_TIMEOUT_MS later the process is forced out whatever is left. A second signal ends the
 * delay at once.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { ServiceState } from './app.js';

export interface DrainTimes {
  /** Pre-stop delay: serving, with readiness 503, before the listener closes. */
  delayMs: number;
  /** Bound on finishing in-flight requests, counted from the end of the delay. */
  timeoutMs: number;
}

export interface Drainer {
  inFlight(): number;
  /**
   * Starts the drain (a second call ends the pre-stop delay early); resolves with the exit code:
   * 0 drained cleanly, 1 forced by the timeout. `skipDelay` for an interactive Ctrl-C.
   */
  drain(reason: string, skipDelay?: boolean): Promise<number>;
}

export function trackServer(server: Server, state: ServiceState, log: Logger, times: DrainTimes): Drainer {
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  server.on('request', (_req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) onIdle?.();
    });
  });

  /** Stops accepting once idle (or at half the timeout); forced out at the timeout. */
  const finish = (): Promise<number> =>
    new Promise<number>((resolve) => {
      let closing = false;
      const stopAccepting = () => {
        if (closing) return;
        closing = true;
        // Node >= 19 also closes the idle keep-alive sockets here; busy ones close after their response.
        server.close(() => {
          clearTimeout(hard);
          log.info({ event: 'drained' }, 'all connections closed');
          resolve(0);
        });
      };
      const hard = setTimeout(() => {
        log.warn({ event: 'shutdown_timeout', in_flight: inFlight }, 'shutdown timeout: closing remaining connections');
        server.closeAllConnections();
        resolve(1);
      }, times.timeoutMs);
      const soft = setTimeout(stopAccepting, times.timeoutMs / 2);
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

  let pending: Promise<number> | undefined;
  let endDelay: (() => void) | undefined;
  return {
    inFlight: () => inFlight,
    drain(reason: string, skipDelay = false): Promise<number> {
      if (pending) {
        endDelay?.();
        return pending;
      }
      state.draining = true;
      const delayMs = skipDelay ? 0 : times.delayMs;
      log.info(
        { event: 'draining', reason, in_flight: inFlight, delay_ms: delayMs, timeout_ms: times.timeoutMs },
        'draining: readiness is 503, serving with Connection: close until the pre-stop delay ends',
      );
      const delay = new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delayMs);
        endDelay = () => {
          clearTimeout(t);
          resolve();
        };
      });
      pending = delay.then(() => {
        endDelay = undefined;
        log.info({ event: 'stop_accepting', in_flight: inFlight }, 'pre-stop delay over: finishing in-flight requests');
        return finish();
      });
      return pending;
    },
  };
}
