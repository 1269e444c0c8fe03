/**
 * Resolves the tenant of a request once; an unknown user or number falls back to `default`, counted
 * every time, warned once per key (and, through the log limiter, a few times per minute at most).
 */
import { createHash } from 'node:crypto';
import type { TenantSource } from './context.js';
import type { LogLimiter } from './log-limiter.js';
import type { ServiceMetrics } from './metrics.js';
import { normalizeUserId, type TenantDirectory } from './tenants/document.js';
import type { Tenant } from './tenants/types.js';

/** A guest's identifier (often a phone number) as logs may carry it: a short digest, enough to correlate lines. */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export interface Resolution {
  tenant: Tenant;
  source: TenantSource;
}

export class TenantResolver {
  /** Keys already warned about; bounded so a flood of random ids cannot grow memory. */
  private warned = new Set<string>();

  constructor(
    private readonly warnings: LogLimiter,
    private readonly metrics: ServiceMetrics | undefined,
    private readonly maxWarnedKeys = 10000,
  ) {}

  /** JSON API: an explicit `tenant_id` counts only from a trusted (admin-token) caller; otherwise the user mapping. */
  forApi(
    dir: TenantDirectory,
    userId: string,
    explicitTenantId: string | undefined,
    trusted: boolean,
    requestId?: string,
  ): Resolution {
    if (trusted && explicitTenantId !== undefined) {
      const t = dir.byId.get(explicitTenantId);
      if (t) return { tenant: t, source: 'explicit' };
      return this.unknown(dir, 'tenant_id', explicitTenantId, requestId);
    }
    const t = dir.byUser.get(normalizeUserId(userId));
    return t ? { tenant: t, source: 'user' } : this.unknown(dir, 'user', userId, requestId);
  }

  /** WhatsApp: the hotel's business number the guest wrote to. */
  forPhoneNumber(dir: TenantDirectory, phoneNumberId: string, requestId?: string): Resolution {
    const t = dir.byPhone.get(phoneNumberId);
    return t
      ? { tenant: t, source: 'phone_number_id' }
      : this.unknown(dir, 'phone_number_id', phoneNumberId, requestId);
  }

  private unknown(dir: TenantDirectory, source: string, key: string, request_id?: string): Resolution {
    this.metrics?.unknownTenant.inc({ source });
    const k = `${source}:${key}`;
    if (!this.warned.has(k)) {
      if (this.warned.size >= this.maxWarnedKeys) this.warned.clear();
      this.warned.add(k);
      // The key may be a guest's phone number: log a short digest, not the number.
      const key_digest = keyDigest(key);
      this.warnings.warn(
        { event: 'unknown_tenant', lookup: source, key_digest, request_id, tenant_id: 'default' },
        'no tenant matches; using tenant "default"',
      );
    }
    return { tenant: dir.defaultTenant, source: 'default' };
  }
}
