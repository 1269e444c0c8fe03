/**
 * Admin API, mounted only when ADMIN_TOKEN is set (otherwise the routes do not exist: 404).
 * Every change goes through the tenant store, so it is persisted and every replica picks it up.
 * A change's scope is never guessed: a query parameter the route does not take, given twice or as an
 * array (`tenant_id[]=`), is 400, as are keys longer than the API allows.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { ServiceParts } from '../app.js';
import { bearerMatches } from '../auth.js';
import { FLAG_NAMES, FLAGS, isFlagName, type FlagName } from '../flags.js';
import { jsonBody } from '../http/json-body.js';
import { allowOnly, sendError } from '../http/respond.js';
import { keyDigest } from '../tenancy.js';
import { MAX_TENANT_ID } from '../tenants/document.js';
import { StoreUnavailableError, TenantDataError, type Mutation } from '../tenants/types.js';
import { RecordingSender } from '../whatsapp/sender.js';
import { MAX_USER_ID } from './messages.js';

/** Phone-number ids are digits in practice; bounded like user ids. */
const MAX_PHONE_NUMBER_ID = MAX_USER_ID;

/** Only the named query parameters, each at most once, as a plain string; anything else is 400. */
function queryOnly(...names: string[]): RequestHandler {
  return (req, res, next) => {
    for (const [key, value] of Object.entries(req.query as Record<string, unknown>)) {
      const k = JSON.stringify(key.slice(0, 40));
      if (!names.includes(key)) {
        const allowed = names.length ? `takes only ${names.join(', ')}` : 'takes no query parameters';
        return sendError(res, 400, 'invalid_request', `unknown query parameter ${k}: this route ${allowed}`);
      }
      if (typeof value !== 'string')
        return sendError(res, 400, 'invalid_request', `query parameter ${k} must be given once, as a plain value`);
    }
    next();
  };
}

/** `value` when it is a string of at most `max` characters; otherwise answers 400 and returns undefined. */
function bounded(res: Response, what: string, value: unknown, max: number): string | undefined {
  if (typeof value === 'string' && value.length <= max) return value;
  const problem = typeof value === 'string' ? `at most ${max} characters` : 'a string';
  sendError(res, 400, 'invalid_request', `"${what}" must be ${problem}`);
  return undefined;
}

function guards(p: ServiceParts, token: string): RequestHandler[] {
  return [
    (req, res, next) => {
      if (bearerMatches(req, token)) return next();
      res.setHeader('www-authenticate', 'Bearer');
      sendError(res, 401, 'unauthorized', 'a valid "Authorization: Bearer <ADMIN_TOKEN>" header is required');
    },
    (_req, res, next) =>
      p.state.directory ? next() : sendError(res, 503, 'not_ready', 'tenant data is still loading'),
  ];
}

/** Applies a change through the store and answers `after()`; a refused change is 400/404, a store that cannot write 503. */
async function apply(p: ServiceParts, res: Response, m: Mutation, after: () => unknown): Promise<void> {
  try {
    await p.store.apply(m);
  } catch (err) {
    if (err instanceof TenantDataError)
      return sendError(res, /unknown tenant/.test(err.message) ? 404 : 400, 'invalid_change', err.message);
    if (err instanceof StoreUnavailableError) return sendError(res, 503, 'store_unavailable', err.message);
    throw err;
  }
  // A user mapping's key is a guest's phone number: logged as a digest, like unknown-tenant warnings.
  const change = m.kind === 'user' ? { kind: m.kind, tenantId: m.tenantId, user_digest: keyDigest(m.userId) } : m;
  p.log.info({ event: 'admin_change', change }, 'admin change applied');
  res.json(after());
}

function flagRoutes(r: express.Router, p: ServiceParts, json: RequestHandler): void {
  const view = (name: FlagName) => {
    const doc = p.store.document();
    const tenants: Record<string, boolean> = {};
    for (const t of doc.tenants) if (t.flags[name] !== undefined) tenants[t.id] = t.flags[name];
    return {
      name,
      description: FLAGS[name].description,
      default: FLAGS[name].default,
      store: p.flags.storeValue(name) ?? null,
      environment: p.flags.envOverride(name) ?? null,
      enabled: p.flags.explain(name).enabled,
      tenants,
      effective: Object.fromEntries(doc.tenants.map((t) => [t.id, p.flags.isEnabled(name, t)])),
    };
  };
  const flagParam = (req: Request, res: Response): FlagName | undefined => {
    const name = req.params.flag as string;
    if (isFlagName(name)) return name;
    sendError(res, 404, 'unknown_flag', `unknown flag "${name.slice(0, 64)}" (known: ${FLAG_NAMES.join(', ')})`);
    return undefined;
  };
  const set: RequestHandler = async (req, res) => {
    const name = flagParam(req, res);
    if (!name) return;
    const b = (req.body ?? {}) as { enabled?: unknown; tenant_id?: unknown };
    if (b.enabled !== null && typeof b.enabled !== 'boolean')
      return sendError(
        res,
        400,
        'invalid_request',
        '"enabled" must be true, false or null (null removes the override)',
      );
    const tenantId = b.tenant_id === undefined ? null : bounded(res, 'tenant_id', b.tenant_id, MAX_TENANT_ID);
    if (tenantId === undefined) return;
    await apply(p, res, { kind: 'flag', flag: name, tenantId, enabled: b.enabled }, () => view(name));
  };
  const remove: RequestHandler = async (req, res) => {
    const name = flagParam(req, res);
    if (!name) return;
    const q = req.query.tenant_id;
    const tenantId = q === undefined ? null : bounded(res, 'tenant_id', q, MAX_TENANT_ID);
    if (tenantId === undefined) return;
    await apply(p, res, { kind: 'flag', flag: name, tenantId, enabled: null }, () => view(name));
  };
  r.route('/feature-flags')
    .get(queryOnly(), (_req, res) => {
      res.json({ precedence: ['default', 'store', 'tenant', 'environment'], flags: FLAG_NAMES.map(view) });
    })
    .all(allowOnly('GET'));
  r.route('/feature-flags/:flag')
    .put(queryOnly(), json, set)
    .patch(queryOnly(), json, set)
    .delete(queryOnly('tenant_id'), remove)
    .all(allowOnly('PUT', 'PATCH', 'DELETE'));
}

function tenantRoutes(r: express.Router, p: ServiceParts): void {
  r.route('/tenants')
    .get(queryOnly(), (_req, res) => {
      res.json(tenantsView(p));
    })
    .all(allowOnly('GET'));
  r.route('/tenants/:id')
    .get(queryOnly(), (req, res) => {
      const id = bounded(res, 'id', req.params.id, MAX_TENANT_ID);
      if (id === undefined) return;
      const t = p.state.directory!.byId.get(id);
      if (!t) return sendError(res, 404, 'unknown_tenant', `unknown tenant "${id}"`);
      res.json(t);
    })
    .all(allowOnly('GET'));
}

function tenantsView(p: ServiceParts) {
  return {
    store: p.store.kind,
    tenants: p.store.document().tenants.map((t) => ({
      id: t.id,
      name: t.hotel.name,
      language: t.hotel.language,
      phone_number_ids: t.phone_number_ids,
      users: t.users,
      flags: t.flags,
    })),
  };
}

function mappingRoutes(r: express.Router, p: ServiceParts, json: RequestHandler): void {
  const mapping =
    (kind: 'user' | 'phone'): RequestHandler =>
    async (req, res) => {
      const max = kind === 'user' ? MAX_USER_ID : MAX_PHONE_NUMBER_ID;
      const key = bounded(res, kind === 'user' ? 'user id' : 'phone number id', req.params.key, max);
      if (key === undefined) return;
      let tenantId: string | null = null;
      if (req.method !== 'DELETE') {
        const given = bounded(
          res,
          'tenant_id',
          (req.body as { tenant_id?: unknown } | undefined)?.tenant_id,
          MAX_TENANT_ID,
        );
        if (given === undefined) return;
        tenantId = given;
      }
      const m: Mutation = kind === 'user' ? { kind, userId: key, tenantId } : { kind, phoneNumberId: key, tenantId };
      await apply(p, res, m, () => tenantsView(p));
    };
  for (const [path, kind] of [
    ['/mappings/users/:key', 'user'],
    ['/mappings/phone-numbers/:key', 'phone'],
  ] as const) {
    r.route(path)
      .put(queryOnly(), json, mapping(kind))
      .delete(queryOnly(), mapping(kind))
      .all(allowOnly('PUT', 'DELETE'));
  }
}

export function adminRouter(p: ServiceParts, token: string): express.Router {
  const r = express.Router();
  r.use(...guards(p, token));
  const json = jsonBody(p.config.bodyLimitBytes, { requireJson: false });
  flagRoutes(r, p, json);
  tenantRoutes(r, p);
  mappingRoutes(r, p, json);
  r.route('/whatsapp/outbox')
    .get(queryOnly(), (_req, res) => {
      if (!(p.sender instanceof RecordingSender))
        return sendError(res, 404, 'no_outbox', 'replies are sent through the Graph API, not recorded');
      res.json({ messages: p.sender.sent });
    })
    .all(allowOnly('GET'));
  r.use((req, res) =>
    sendError(res, 404, 'not_found', `no admin route for ${req.method.slice(0, 20)} ${req.path.slice(0, 200)}`),
  );
  return r;
}
