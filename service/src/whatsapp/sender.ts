/**
 * Outbound WhatsApp messages. By default they are recorded in memory (development, tests, the admin
 * outbox); only with WHATSAPP_TOKEN set are they sent through the Graph API.
 */
import type { Logger } from 'pino';

export interface OutboundMessage {
  tenant_id: string;
  phone_number_id: string;
  to: string;
  text: string;
  in_reply_to?: string;
}

export interface Sender {
  readonly kind: 'recording' | 'graph';
  send(m: OutboundMessage): Promise<void>;
}

export class RecordingSender implements Sender {
  readonly kind = 'recording';
  readonly sent: (OutboundMessage & { at: string })[] = [];
  constructor(private readonly capacity = 1000) {}

  async send(m: OutboundMessage): Promise<void> {
    this.sent.push({ ...m, at: new Date().toISOString() });
    if (this.sent.length > this.capacity) this.sent.splice(0, this.sent.length - this.capacity);
  }
}

/** Cloud API "send a text message": POST {graph}/{phone_number_id}/messages with a bearer token. */
export class GraphApiSender implements Sender {
  readonly kind = 'graph';
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly log: Logger,
    private readonly timeoutMs = 10000,
  ) {}

  async send(m: OutboundMessage): Promise<void> {
    const res = await fetch(`${this.baseUrl.replace(/\/$/, '')}/${encodeURIComponent(m.phone_number_id)}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: m.to,
        type: 'text',
        text: { preview_url: false, body: m.text },
        ...(m.in_reply_to && { context: { message_id: m.in_reply_to } }),
      }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) {
      const body = (await res.text()).slice(0, 300);
      this.log.error({ status: res.status, body }, 'WhatsApp Graph API send failed');
      throw new Error(`Graph API answered ${res.status}`);
    }
  }
}
