/**
 * Admin API, mounted only when ADMIN_TOKEN is set (otherwise the routes do not exist: 404).
 * Every change goes through the tenant store, so it is persisted and every replica picks it up.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { ServiceParts } from './app.js';
import { bearerMatches } from './auth.js';
import { FLAG_NAMES, FLAGS, isFlagName, type FlagName } from './flags.js';
import { keyDigest } from './tenancy.js';
import { TenantDataError, type Mutation } from './tenants/types.js';
import { RecordingSender } from './whatsapp/sender.js';

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: code, message, request_id: res.locals.requestId });
}

export function adminRouter(p: ServiceParts, token: string, json: RequestHandler): express.Router {
  const r = express.Router();
  r.use((req, res, next) => {
    if (bearerMatches(req, token)) return next();
    res.setHeader('www-authenticate', 'Bearer');
    fail(res, 401, 'unauthorized', 'a valid "Authorization: Bearer <ADMIN_TOKEN>" header is required');
  });
  r.use((_req, res, next) =>
    p.state.directory ? next() : fail(res, 503, 'not_ready', 'tenant data is still loading'),
  );

  const flagView = (name: FlagName) => {
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

  const apply = async (res: Response, m: Mutation, after: () => unknown) => {
    try {
      await p.store.apply(m);
    } catch (err) {
      if (err instanceof TenantDataError)
        return fail(res, /unknown tenant/.test(err.message) ? 404 : 400, 'invalid_change', err.message);
      throw err;
    }
    // A user mapping's key is a guest's phone number: logged as a digest, like unknown-tenant warnings.
    const change = m.kind === 'user' ? { kind: m.kind, tenantId: m.tenantId, user_digest: keyDigest(m.userId) } : m;
    p.log.info({ event: 'admin_change', change }, 'admin change applied');
    res.json(after());
  };

  const flagParam = (req: Request, res: Response): FlagName | undefined => {
    const name = req.params.flag as string;
    if (isFlagName(name)) return name;
    fail(res, 404, 'unknown_flag', `unknown flag "${name}" (known: ${FLAG_NAMES.join(', ')})`);
    return undefined;
  };

  r.get('/feature-flags', (_req, res) => {
    res.json({ precedence: ['default', 'store', 'tenant', 'environment'], flags: FLAG_NAMES.map(flagView) });
  });

  const setFlag = async (req: Request, res: Response) => {
    const name = flagParam(req, res);
    if (!name) return;
    const b = (req.body ?? {}) as { enabled?: unknown; tenant_id?: unknown };
    if (b.enabled !== null && typeof b.enabled !== 'boolean')
      return fail(res, 400, 'invalid_request', '"enabled" must be true, false or null (null removes the override)');
    if (b.tenant_id !== undefined && typeof b.tenant_id !== 'string')
      return fail(res, 400, 'invalid_request', '"tenant_id" must be a string');
    await apply(
      res,
      { kind: 'flag', flag: name, tenantId: (b.tenant_id as string | undefined) ?? null, enabled: b.enabled },
      () => flagView(name),
    );
  };
  r.put('/feature-flags/:flag', json, setFlag);
  r.patch('/feature-flags/:flag', json, setFlag);
  r.delete('/feature-flags/:flag', async (req, res) => {
    const name = flagParam(req, res);
    if (!name) return;
    const tenant = typeof req.query.tenant_id === 'string' ? req.query.tenant_id : null;
    await apply(res, { kind: 'flag', flag: name, tenantId: tenant, enabled: null }, () => flagView(name));
  });

  const tenantsView = () => ({
    store: p.store.kind,
    tenants: p.store.document().tenants.map((t) => ({
      id: t.id,
      name: t.hotel.name,
      language: t.hotel.language,
      phone_number_ids: t.phone_number_ids,
      users: t.users,
      flags: t.flags,
    })),
  });
  r.get('/tenants', (_req, res) => {
    res.json(tenantsView());
  });
  r.get('/tenants/:id', (req, res) => {
    const t = p.state.directory!.byId.get(req.params.id as string);
    if (!t) return fail(res, 404, 'unknown_tenant', `unknown tenant "${req.params.id as string}"`);
    res.json(t);
  });

  const mapping = (kind: 'user' | 'phone') => async (req: Request, res: Response) => {
    const key = req.params.key as string;
    let tenantId: string | null = null;
    if (req.method !== 'DELETE') {
      const b = (req.body ?? {}) as { tenant_id?: unknown };
      if (typeof b.tenant_id !== 'string') return fail(res, 400, 'invalid_request', '"tenant_id" must be a string');
      tenantId = b.tenant_id;
    }
    const m: Mutation = kind === 'user' ? { kind, userId: key, tenantId } : { kind, phoneNumberId: key, tenantId };
    await apply(res, m, tenantsView);
  };
  r.put('/mappings/users/:key', json, mapping('user'));
  r.delete('/mappings/users/:key', mapping('user'));
  r.put('/mappings/phone-numbers/:key', json, mapping('phone'));
  r.delete('/mappings/phone-numbers/:key', mapping('phone'));

  r.get('/whatsapp/outbox', (_req, res) => {
    if (!(p.sender instanceof RecordingSender))
      return fail(res, 404, 'no_outbox', 'replies are sent through the Graph API, not recorded');
    res.json({ messages: p.sender.sent });
  });

  r.use((req: Request, res: Response, _next: NextFunction) =>
    fail(res, 404, 'not_found', `no admin route for ${req.method} ${req.path.slice(0, 200)}`),
  );
  return r;
}
