/**
 * Extracts guest text messages from a Cloud API webhook payload; anything else (statuses, media, and
 * texts longer than WhatsApp allows, which cannot come from it) is skipped.
 */
export interface InboundMessage {
  phoneNumberId: string;
  from: string;
  id: string;
  text: string;
  name?: string;
}

/** WhatsApp's limit for the body of a text message (also the JSON API's `text` limit). */
export const MAX_TEXT_CHARS = 4096;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function parseWebhook(
  payload: unknown,
): { ok: true; messages: InboundMessage[]; skipped: number } | { ok: false; error: string } {
  const p = obj(payload);
  if (!p || p.object !== 'whatsapp_business_account' || !Array.isArray(p.entry)) {
    return { ok: false, error: 'expected {"object":"whatsapp_business_account","entry":[...]}' };
  }
  const messages: InboundMessage[] = [];
  let skipped = 0;
  for (const entry of p.entry) {
    for (const change of arr(obj(entry)?.changes)) {
      const c = obj(change);
      const value = obj(c?.value);
      if (c?.field !== 'messages' || !value) continue;
      const phoneNumberId = obj(value.metadata)?.phone_number_id;
      if (typeof phoneNumberId !== 'string') continue;
      const names = new Map<string, string>();
      for (const contact of arr(value.contacts)) {
        const ct = obj(contact);
        const name = obj(ct?.profile)?.name;
        if (typeof ct?.wa_id === 'string' && typeof name === 'string') names.set(ct.wa_id, name);
      }
      for (const message of arr(value.messages)) {
        const m = obj(message);
        const body = obj(m?.text)?.body;
        if (
          m?.type !== 'text' ||
          typeof body !== 'string' ||
          body.length > MAX_TEXT_CHARS ||
          typeof m.from !== 'string' ||
          typeof m.id !== 'string'
        ) {
          skipped++;
          continue;
        }
        const name = names.get(m.from);
        messages.push({ phoneNumberId, from: m.from, id: m.id, text: body, ...(name !== undefined && { name }) });
      }
    }
  }
  return { ok: true, messages, skipped };
}
