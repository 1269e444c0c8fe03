/**
 * Injected latency and errors (FAULT_* variables) for the gateway routes, applied after tenancy so that
 * injected 500s count per tenant. Off (a plain call) when no fault is configured.
 */
import type { RequestHandler, Response } from 'express';
import type { FaultConfig } from '../config.js';
import { sendError } from './respond.js';

export interface FaultInjector {
  /** Runs `go` after the injected delay, unless an injected 500 answers the request instead. */
  around(res: Response, go: () => void): void;
  /** The same as a middleware. */
  middleware: RequestHandler;
}

export function faultInjector(fault: FaultConfig): FaultInjector {
  const { latencyMs, errorRate } = fault;
  const on = latencyMs.max > 0 || errorRate > 0;
  const around = (res: Response, go: () => void): void => {
    if (!on) return go();
    const delay = latencyMs.min + Math.random() * (latencyMs.max - latencyMs.min);
    const decide = () => {
      if (errorRate > 0 && Math.random() < errorRate)
        sendError(res, 500, 'injected_fault', 'fault injection (FAULT_ERROR_RATE)');
      else go();
    };
    if (delay > 0) setTimeout(decide, delay);
    else decide();
  };
  return { around, middleware: (_req, res, next) => around(res, next) };
}
