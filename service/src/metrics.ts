/**
 * Prometheus metrics on a private registry (never prom-client's global one, so two apps in one process,
 * as in tests and the bench, do not collide). Label values are bounded: `tenant_id` only takes known
 * tenants (anything else is `default`), `route` is the matched route template, never the raw URL.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FLAG_NAMES, type FlagRegistry } from './flags.js';
import type { Tenant } from './tenants/types.js';

/** Dense around the 450 ms budget so that a PromQL p95 near the budget interpolates inside a narrow bucket. */
export const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.35, 0.4, 0.425, 0.45, 0.475, 0.5, 0.55, 0.6, 0.75, 1, 2.5, 5,
];

export interface BuildInfo {
  version: string;
  commit: string;
  track: string;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly tenantRequests: Counter<'tenant_id'>;
  readonly tenantErrors: Counter<'tenant_id'>;
  readonly unknownTenant: Counter<'source'>;
  readonly signatureFailures: Counter;
  readonly nlpMessages: Counter<'intent' | 'fallback'>;
  private classified = 0;
  private lowConfidence = 0;
  private knownTenants: ReadonlySet<string> = new Set(['default']);
  private tenants: readonly Tenant[] = [];

  constructor(build: BuildInfo, flags: FlagRegistry, opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by route template',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.tenantRequests = new Counter({
      name: 'tenant_request_total',
      help: 'Gateway requests per tenant (unknown tenants count as default)',
      labelNames: ['tenant_id'],
      registers,
    });
    this.tenantErrors = new Counter({
      name: 'tenant_request_errors',
      help: 'Gateway requests per tenant answered with a 5xx status',
      labelNames: ['tenant_id'],
      registers,
    });
    this.unknownTenant = new Counter({
      name: 'tenant_unknown_total',
      help: 'Requests whose user or phone number matched no tenant and fell back to default',
      labelNames: ['source'],
      registers,
    });
    this.signatureFailures = new Counter({
      name: 'whatsapp_signature_failures_total',
      help: 'WhatsApp webhook deliveries rejected for a missing or wrong X-Hub-Signature-256',
      registers,
    });
    this.nlpMessages = new Counter({
      name: 'nlp_messages_total',
      help: 'Classified guest messages by answered intent and fallback kind',
      labelNames: ['intent', 'fallback'],
      registers,
    });
    const ratio = () => (this.classified === 0 ? 0 : this.lowConfidence / this.classified);
    new Gauge({
      name: 'nlp_fallback_low_confidence_ratio',
      help: 'Share of classified messages whose confidence was below the threshold (since start)',
      registers,
      collect() {
        this.set(ratio());
      },
    });
    const tenants = () => this.tenants;
    new Gauge({
      name: 'feature_flag_enabled',
      help: 'Effective feature flag value, 1 = on: per known tenant (tenant_id), and without tenant_id the value for a tenant with no override',
      labelNames: ['flag', 'tenant_id'],
      registers,
      collect() {
        // Rebuilt on every scrape so a tenant removed from the store drops its series.
        this.reset();
        for (const f of FLAG_NAMES) {
          this.set({ flag: f }, flags.explain(f).enabled ? 1 : 0);
          for (const t of tenants()) this.set({ flag: f, tenant_id: t.id }, flags.explain(f, t).enabled ? 1 : 0);
        }
      },
    });
    const info = new Gauge({
      name: 'service_build_info',
      help: 'Build and deployment track of this process; always 1',
      labelNames: ['version', 'commit', 'track'],
      registers,
    });
    info.set({ version: build.version, commit: build.commit, track: build.track }, 1);
  }

  /** The store's tenants: the only values `tenant_id` labels may take. */
  setTenants(tenants: readonly Tenant[]): void {
    this.tenants = tenants;
    this.knownTenants = new Set(tenants.map((t) => t.id));
  }

  /** Bounded label: a tenant id the store does not know is reported as `default`. */
  tenantLabel(id: string): string {
    return this.knownTenants.has(id) ? id : 'default';
  }

  recordClassification(lowConfidence: boolean, intent: string, fallback: string): void {
    this.classified++;
    if (lowConfidence) this.lowConfidence++;
    this.nlpMessages.inc({ intent, fallback });
  }
}
