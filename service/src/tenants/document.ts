/** Validation and pure transformations of a `TenantsDocument` shared by both stores. */
import {
  DEFAULT_TENANT_ID,
  TenantDataError,
  type Hotel,
  type Mutation,
  type Tenant,
  type TenantsDocument,
} from './types.js';

/** Longest tenant id (the id pattern's bound); the admin routes refuse longer ones before any lookup. */
export const MAX_TENANT_ID = 63;
const ID_RE = new RegExp(`^[a-z0-9][a-z0-9_-]{0,${MAX_TENANT_ID - 1}}$`);

/** Phone-like ids compare by digits only, so "+34 600 000 001" (API) matches "34600000001" (WhatsApp `from`). */
export function normalizeUserId(id: string): string {
  const t = id.trim();
  return /^\+?[\d\s().-]{6,}$/.test(t) ? t.replace(/\D/g, '') : t;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function flagsOf(v: unknown, where: string): Record<string, boolean> {
  if (v === undefined) return {};
  if (!isObj(v)) throw new TenantDataError(`${where}: "flags" must be an object of booleans`);
  for (const [k, b] of Object.entries(v)) {
    if (typeof b !== 'boolean') throw new TenantDataError(`${where}: flag "${k}" must be true or false`);
  }
  return v as Record<string, boolean>;
}

function stringList(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new TenantDataError(`${where} must be an array of non-empty strings`);
  }
  return v as string[];
}

function hotelOf(v: unknown, where: string): Hotel {
  if (!isObj(v)) throw new TenantDataError(`${where}: "hotel" must be an object`);
  for (const k of ['name', 'city', 'currency', 'check_in', 'check_out', 'phone']) {
    if (typeof v[k] !== 'string') throw new TenantDataError(`${where}: hotel.${k} must be a string`);
  }
  if (v.language !== 'es' && v.language !== 'en')
    throw new TenantDataError(`${where}: hotel.language must be "es" or "en"`);
  if (!Array.isArray(v.rooms) || !Array.isArray(v.amenities)) {
    throw new TenantDataError(`${where}: hotel.rooms and hotel.amenities must be arrays`);
  }
  for (const r of v.rooms as unknown[]) {
    if (
      !isObj(r) ||
      typeof r.name !== 'string' ||
      typeof r.price_per_night !== 'number' ||
      typeof r.capacity !== 'number'
    ) {
      throw new TenantDataError(`${where}: each room needs name, capacity and price_per_night`);
    }
  }
  for (const a of v.amenities as unknown[]) {
    if (!isObj(a) || typeof a.name !== 'string' || typeof a.detail !== 'string') {
      throw new TenantDataError(`${where}: each amenity needs name and detail`);
    }
  }
  return v as unknown as Hotel;
}

/** Checks shape and uniqueness (a user or number maps to one tenant only); adds `default` if absent. */
export function parseDocument(raw: unknown, source = 'tenants'): TenantsDocument {
  if (!isObj(raw) || raw.version !== 1 || !Array.isArray(raw.tenants)) {
    throw new TenantDataError(`${source}: expected {"version": 1, "flags": {...}, "tenants": [...]}`);
  }
  const seenIds = new Set<string>();
  const users = new Map<string, string>();
  const phones = new Map<string, string>();
  const tenants: Tenant[] = raw.tenants.map((t: unknown, i: number) => {
    const where = `${source}: tenants[${i}]`;
    if (!isObj(t) || typeof t.id !== 'string' || !ID_RE.test(t.id)) {
      throw new TenantDataError(`${where}: "id" must match ${ID_RE}`);
    }
    if (seenIds.has(t.id)) throw new TenantDataError(`${where}: duplicate tenant id "${t.id}"`);
    seenIds.add(t.id);
    const tenant: Tenant = {
      id: t.id,
      hotel: hotelOf(t.hotel, `${where} (${t.id})`),
      phone_number_ids: stringList(t.phone_number_ids, `${where}.phone_number_ids`),
      users: stringList(t.users, `${where}.users`),
      flags: flagsOf(t.flags, where),
    };
    for (const u of tenant.users) {
      const k = normalizeUserId(u);
      const other = users.get(k);
      if (other !== undefined) throw new TenantDataError(`${where}: user "${u}" is already mapped to "${other}"`);
      users.set(k, tenant.id);
    }
    for (const p of tenant.phone_number_ids) {
      const other = phones.get(p);
      if (other !== undefined)
        throw new TenantDataError(`${where}: phone_number_id "${p}" is already mapped to "${other}"`);
      phones.set(p, tenant.id);
    }
    return tenant;
  });
  if (!seenIds.has(DEFAULT_TENANT_ID)) throw new TenantDataError(`${source}: a tenant with id "default" is required`);
  return { version: 1, flags: flagsOf(raw.flags, source), tenants };
}

/** Returns a new document with the mutation applied (the input is not modified). */
export function applyMutation(doc: TenantsDocument, m: Mutation): TenantsDocument {
  const next: TenantsDocument = structuredClone(doc);
  const find = (id: string): Tenant => {
    const t = next.tenants.find((x) => x.id === id);
    if (!t) throw new TenantDataError(`unknown tenant "${id}"`);
    return t;
  };
  switch (m.kind) {
    case 'flag': {
      const target = m.tenantId === null ? next.flags : find(m.tenantId).flags;
      if (m.enabled === null) delete target[m.flag];
      else target[m.flag] = m.enabled;
      break;
    }
    case 'user': {
      const key = normalizeUserId(m.userId);
      if (m.tenantId !== null) find(m.tenantId);
      for (const t of next.tenants) t.users = t.users.filter((u) => normalizeUserId(u) !== key);
      if (m.tenantId !== null) find(m.tenantId).users.push(m.userId);
      break;
    }
    case 'phone': {
      if (m.tenantId !== null) find(m.tenantId);
      for (const t of next.tenants) t.phone_number_ids = t.phone_number_ids.filter((p) => p !== m.phoneNumberId);
      if (m.tenantId !== null) find(m.tenantId).phone_number_ids.push(m.phoneNumberId);
      break;
    }
  }
  return parseDocument(next, 'after change');
}

/** Read-only indexes over one document: what the gateway uses on every request. */
export class TenantDirectory {
  readonly byId: ReadonlyMap<string, Tenant>;
  readonly byUser: ReadonlyMap<string, Tenant>;
  readonly byPhone: ReadonlyMap<string, Tenant>;
  readonly defaultTenant: Tenant;

  constructor(readonly doc: TenantsDocument) {
    const byId = new Map<string, Tenant>();
    const byUser = new Map<string, Tenant>();
    const byPhone = new Map<string, Tenant>();
    for (const t of doc.tenants) {
      byId.set(t.id, t);
      for (const u of t.users) byUser.set(normalizeUserId(u), t);
      for (const p of t.phone_number_ids) byPhone.set(p, t);
    }
    this.byId = byId;
    this.byUser = byUser;
    this.byPhone = byPhone;
    const d = byId.get(DEFAULT_TENANT_ID);
    if (!d) throw new TenantDataError('a tenant with id "default" is required');
    this.defaultTenant = d;
  }
}
