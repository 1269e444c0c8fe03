/**
 * Request-scoped tenant context. The gateway resolves the tenant once per request and runs the rest of
 * the request inside `runWithContext`; orchestrator, NLP, flags, metrics and logs read it from here
 * instead of receiving a tenant parameter through every call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Tenant } from './tenants/types.js';

/** How the tenant was found; `default` means nothing matched (counted and warned once per key). */
export type TenantSource = 'phone_number_id' | 'user' | 'explicit' | 'default';

export interface RequestContext {
  requestId: string;
  tenant: Tenant;
  source: TenantSource;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}
