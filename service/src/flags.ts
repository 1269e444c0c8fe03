/**
 * Feature flags. Precedence, lowest first: registry default < store global value < store per-tenant
 * override < environment (`FEATURE_<NAME>=on|off`, an operator's kill switch that wins everywhere).
 */
import { ConfigError } from './config.js';
import { currentContext } from './context.js';
import type { Tenant, TenantsDocument } from './tenants/types.js';

export interface FlagDefinition {
  default: boolean;
  description: string;
}

export const FLAGS = {
  improved_nlp_fallback: {
    default: false,
    description:
      'Low-confidence messages get a clarifying question naming the likely intents, typo-tolerant matching, and a hand-over to a person after repeated misses (instead of "did not understand").',
  },
} as const satisfies Record<string, FlagDefinition>;

export type FlagName = keyof typeof FLAGS;
export const FLAG_NAMES = Object.keys(FLAGS) as FlagName[];

export function isFlagName(name: string): name is FlagName {
  return Object.hasOwn(FLAGS, name);
}

/** Throws a ConfigError for a FEATURE_<NAME> variable that names no flag. */
export function checkFeatureEnv(env: Record<string, boolean>): void {
  for (const name of Object.keys(env)) {
    if (!isFlagName(name))
      throw new ConfigError(`FEATURE_${name.toUpperCase()} names no known flag (known: ${FLAG_NAMES.join(', ')})`);
  }
}

export type FlagSource = 'default' | 'store' | 'tenant' | 'environment';

export class FlagRegistry {
  private globals: Record<string, boolean> = {};

  constructor(private readonly env: Record<string, boolean>) {
    checkFeatureEnv(env);
  }

  update(doc: TenantsDocument): void {
    this.globals = doc.flags;
  }

  /** The flag's value for `tenant` (the current request's tenant when omitted). */
  isEnabled(flag: FlagName, tenant: Tenant | undefined = currentContext()?.tenant): boolean {
    return this.explain(flag, tenant).enabled;
  }

  explain(flag: FlagName, tenant?: Tenant): { enabled: boolean; source: FlagSource } {
    const e = this.env[flag];
    if (e !== undefined) return { enabled: e, source: 'environment' };
    const t = tenant?.flags[flag];
    if (t !== undefined) return { enabled: t, source: 'tenant' };
    const g = this.globals[flag];
    if (g !== undefined) return { enabled: g, source: 'store' };
    return { enabled: FLAGS[flag].default, source: 'default' };
  }

  envOverride(flag: FlagName): boolean | undefined {
    return this.env[flag];
  }

  storeValue(flag: FlagName): boolean | undefined {
    return this.globals[flag];
  }
}
