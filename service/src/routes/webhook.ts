/**
 * WhatsApp Cloud API webhook: the verification handshake (GET) and signed deliveries (POST).
 * Work per delivery is bounded: at most MAX_MESSAGES_PER_DELIVERY messages (more is 413 before any is
 * answered), each at most WhatsApp's 4,096 characters (longer ones are skipped by the parser), and
 * messages are answered one per event-loop turn across all deliveries, so that however many arrive at
 * once, other requests (health probes included) never wait longer than one message takes.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import express, { type RequestHandler, type Response } from 'express';
import type { ServiceParts } from '../app.js';
import { runWithContext } from '../context.js';
import type { FaultInjector } from '../http/fault.js';
import { allowOnly, sendError } from '../http/respond.js';
import type { Resolution } from '../tenancy.js';
import { parseWebhook, type InboundMessage } from '../whatsapp/payload.js';
import { safeEqual, verifySignature } from '../whatsapp/signature.js';

/** Far above what Meta batches into one delivery (usually one message), far below what fits in 64 KB. */
export const MAX_MESSAGES_PER_DELIVERY = 100;

/**
 * Turns of the event loop handed out one at a time, in order of asking: classifying a message is
 * synchronous CPU work, and a plain `await setImmediate()` per message would still run one message of
 * every concurrent delivery back to back in the same turn.
 */
let lastTurn: Promise<void> = Promise.resolve();
function myTurn(): Promise<void> {
  const turn = lastTurn.then(() => nextTurn());
  lastTurn = turn;
  return turn;
}

interface Resolved {
  m: InboundMessage;
  r: Resolution;
}

function handshake(p: ServiceParts): RequestHandler {
  return (req, res) => {
    const q = req.query as Record<string, unknown>;
    const mode = q['hub.mode'];
    const token = q['hub.verify_token'];
    const challenge = q['hub.challenge'];
    if (
      mode === 'subscribe' &&
      typeof token === 'string' &&
      typeof challenge === 'string' &&
      safeEqual(token, p.config.verifyToken)
    ) {
      // The challenge is echoed as given: never let a browser sniff it into HTML.
      res.setHeader('x-content-type-options', 'nosniff');
      res.type('text/plain').send(challenge);
    } else {
      sendError(res, 403, 'verification_failed', 'hub.mode must be "subscribe" and hub.verify_token must match');
    }
  };
}

/** Signature, JSON, payload shape and size, tenants: leaves `res.locals.webhook` for `reply`. */
function accept(p: ServiceParts, tenancy: boolean): RequestHandler {
  const { config, metrics, state } = p;
  return (req, res, next) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifySignature(raw, req.headers['x-hub-signature-256'] as string | undefined, config.appSecret)) {
      metrics.signatureFailures.inc();
      p.warnings.warn(
        { event: 'bad_signature', request_id: res.locals.requestId },
        'WhatsApp webhook rejected: bad X-Hub-Signature-256',
      );
      return sendError(res, 401, 'invalid_signature', 'X-Hub-Signature-256 is missing or does not match the body');
    }
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendError(res, 400, 'invalid_json', 'request body is not valid JSON');
    }
    const parsed = parseWebhook(payload);
    if (!parsed.ok) return sendError(res, 400, 'invalid_payload', parsed.error);
    if (parsed.messages.length > MAX_MESSAGES_PER_DELIVERY) {
      return sendError(
        res,
        413,
        'too_many_messages',
        `the delivery carries ${parsed.messages.length} messages; at most ${MAX_MESSAGES_PER_DELIVERY} are answered per delivery`,
      );
    }
    const requestId = res.locals.requestId as string;
    const resolved: Resolved[] = parsed.messages.map((m) => ({
      m,
      r: p.resolver.forPhoneNumber(state.directory!, m.phoneNumberId, requestId),
    }));
    res.locals.webhook = { resolved, skipped: parsed.skipped };
    const first = resolved[0]?.r;
    res.locals.tenantId = first?.tenant.id ?? 'default';
    if (!first || !tenancy) return next();
    runWithContext({ requestId, tenant: first.tenant, source: first.source }, next);
  };
}

/** Answers each message in its own tenant context, each in a turn of its own. */
async function reply(p: ServiceParts, res: Response): Promise<void> {
  const { resolved, skipped } = res.locals.webhook as { resolved: Resolved[]; skipped: number };
  const requestId = res.locals.requestId as string;
  let replied = 0;
  let failed = 0;
  for (const { m, r } of resolved) {
    await myTurn();
    // One payload may carry messages for several of the group's numbers: each gets its own context.
    await runWithContext({ requestId, tenant: r.tenant, source: r.source }, async () => {
      const result = await p.orchestrator.handle({ userId: m.from, text: m.text, conversationId: m.from });
      try {
        await p.sender.send({
          tenant_id: r.tenant.id,
          phone_number_id: m.phoneNumberId,
          to: m.from,
          text: result.reply,
          in_reply_to: m.id,
        });
        replied++;
      } catch (err) {
        failed++;
        p.log.error({ err: (err as Error).message }, 'reply could not be sent');
      }
    });
  }
  // Meta retries deliveries that do not get a 200, which would duplicate replies: failures are logged, not returned.
  res.json({ received: resolved.length, replied, failed, skipped, request_id: requestId });
}

export function webhookRoutes(
  app: express.Express,
  p: ServiceParts,
  o: { tenancy: boolean; fault: FaultInjector },
): void {
  const needStore: RequestHandler = (_req, res, next) => {
    if (!p.state.directory) sendError(res, 503, 'not_ready', 'tenant data is still loading');
    else next();
  };
  app
    .route('/webhooks/whatsapp')
    .get(handshake(p))
    .post(
      needStore,
      express.raw({ type: () => true, limit: p.config.bodyLimitBytes }),
      accept(p, o.tenancy),
      o.fault.middleware,
      (_req, res, next) => void reply(p, res).catch(next),
    )
    .all(allowOnly('GET', 'POST'));
}
