/**
 * Tenant data model and the store interface. Both stores (config file, PostgreSQL) hold the same
 * `TenantsDocument`; the hot path only reads an immutable `TenantDirectory` built from it.
 */
export type Language = 'es' | 'en';

export interface Room {
  code: string;
  name: string;
  capacity: number;
  price_per_night: number;
}

export interface Amenity {
  name: string;
  detail: string;
  /** Folded keywords a guest may use for it ("piscina", "pool"). */
  keywords?: string[];
}

export interface Hotel {
  name: string;
  language: Language;
  city: string;
  currency: string;
  check_in: string;
  check_out: string;
  phone: string;
  rooms: Room[];
  amenities: Amenity[];
}

export interface Tenant {
  id: string;
  hotel: Hotel;
  /** WhatsApp Business phone_number_id values of the hotel's numbers. */
  phone_number_ids: string[];
  /** Guest identifiers mapped to this hotel (phone numbers are compared by digits only). */
  users: string[];
  /** Per-tenant feature flag overrides. */
  flags: Record<string, boolean>;
}

export interface TenantsDocument {
  version: 1;
  /** Store-level (global) feature flag values. */
  flags: Record<string, boolean>;
  tenants: Tenant[];
}

export const DEFAULT_TENANT_ID = 'default';

export type Mutation =
  | { kind: 'flag'; flag: string; tenantId: string | null; enabled: boolean | null }
  | { kind: 'user'; userId: string; tenantId: string | null }
  | { kind: 'phone'; phoneNumberId: string; tenantId: string | null };

export interface TenantStore {
  readonly kind: 'file' | 'postgres';
  /** Loads the data and starts watching for changes made outside this process. */
  start(): Promise<void>;
  /** Current document (immutable snapshot). Throws before `start` resolved. */
  document(): TenantsDocument;
  /** Called after every successful (re)load with the new document. */
  onChange(listener: (doc: TenantsDocument) => void): void;
  /** Applies an admin change, persists it, and resolves once the new document is in effect. */
  apply(m: Mutation): Promise<void>;
  close(): Promise<void>;
}

export class TenantDataError extends Error {
  override name = 'TenantDataError';
}

/** The store cannot persist a change now (its directory is gone, say): the admin API answers 503 with the message. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}
