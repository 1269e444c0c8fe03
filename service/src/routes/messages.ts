/** The JSON API, the hot path: `POST /api/v1/messages`. */
import type express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { ServiceParts } from '../app.js';
import { bearerMatches } from '../auth.js';
import { runWithContext, type RequestContext } from '../context.js';
import type { FaultInjector } from '../http/fault.js';
import { jsonBody } from '../http/json-body.js';
import { allowOnly, sendError } from '../http/respond.js';
import { MAX_TEXT_CHARS } from '../whatsapp/payload.js';

/** The API's bound on a user id; admin keys that name users use it too. */
export const MAX_USER_ID = 128;

export function validateMessage(b: Record<string, unknown> | undefined): string | null {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'body must be a JSON object';
  if (typeof b.user_id !== 'string' || b.user_id.trim() === '' || b.user_id.length > MAX_USER_ID)
    return `"user_id" must be a non-empty string (max ${MAX_USER_ID})`;
  if (typeof b.text !== 'string' || b.text.trim() === '' || b.text.length > MAX_TEXT_CHARS)
    return `"text" must be a non-empty string (max ${MAX_TEXT_CHARS})`;
  if (b.tenant_id !== undefined && typeof b.tenant_id !== 'string') return '"tenant_id" must be a string';
  if (b.conversation_id !== undefined && (typeof b.conversation_id !== 'string' || b.conversation_id.length > 128)) {
    return '"conversation_id" must be a string (max 128)';
  }
  return null;
}

export function messageRoutes(
  app: express.Express,
  p: ServiceParts,
  o: { tenancy: boolean; fault: FaultInjector },
): void {
  const { config, state } = p;
  const json = jsonBody(config.bodyLimitBytes, { requireJson: true });
  const answer = (req: Request, res: Response, next: NextFunction): void => {
    const b = req.body as { user_id: string; text: string; conversation_id?: string };
    p.orchestrator.handle({ userId: b.user_id, text: b.text, conversationId: b.conversation_id }).then((result) => {
      res.json({ ...result, tenant_source: res.locals.tenantSource ?? 'none', request_id: res.locals.requestId });
    }, next);
  };
  // A single route layer doing readiness, content type, body, validation, tenancy, fault, answer.
  app
    .route('/api/v1/messages')
    .post((req, res, next) => {
      if (!state.directory) return sendError(res, 503, 'not_ready', 'tenant data is still loading');
      json(req, res, (err?: unknown) => {
        if (err) return next(err);
        const b = req.body as Record<string, unknown> | undefined;
        const problem = validateMessage(b);
        if (problem) return sendError(res, 400, 'invalid_request', problem);
        if (!o.tenancy) return o.fault.around(res, () => answer(req, res, next));
        const requestId = res.locals.requestId as string;
        const explicit = typeof b!.tenant_id === 'string' ? b!.tenant_id : undefined;
        const trusted = explicit !== undefined && bearerMatches(req, config.adminToken);
        const r = p.resolver.forApi(state.directory!, b!.user_id as string, explicit, trusted, requestId);
        res.locals.tenantId = r.tenant.id;
        res.locals.tenantSource = r.source;
        const ctx: RequestContext = { requestId, tenant: r.tenant, source: r.source };
        runWithContext(ctx, () => o.fault.around(res, () => answer(req, res, next)));
      });
    })
    .all(allowOnly('POST'));
}
