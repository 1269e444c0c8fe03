/**
 * Tenant context isolation: 1,000 interleaved concurrent requests of different tenants, each delayed at a
 * random point deep in the orchestrator, never see another request's tenant.
 */
import { currentContext } from '../../service/src/context.js';
import {
  LruConversationMemory,
  type ConversationMemory,
  type ConversationState,
} from '../../service/src/orchestrator.js';
import { postJson, startInProcess, type Running } from './helpers.js';

interface Probe {
  key: string;
  tenant: string | undefined;
  requestId: string | undefined;
}

/** A real memory with random delays, recording the context it observes after each await. */
class ProbingMemory implements ConversationMemory {
  readonly probes: Probe[] = [];
  private readonly inner = new LruConversationMemory(100000);
  private async pause(): Promise<void> {
    await new Promise((r) => setTimeout(r, Math.random() * 5));
  }
  async get(key: string): Promise<ConversationState | undefined> {
    await this.pause();
    const ctx = currentContext();
    this.probes.push({ key, tenant: ctx?.tenant.id, requestId: ctx?.requestId });
    return this.inner.get(key);
  }
  async set(key: string, state: ConversationState | undefined): Promise<void> {
    await this.pause();
    const ctx = currentContext();
    this.probes.push({ key, tenant: ctx?.tenant.id, requestId: ctx?.requestId });
    return this.inner.set(key, state);
  }
}

const HOTEL = {
  'hotel-sol': 'Hotel Sol y Mar',
  'hotel-harbor': 'Harbor View Hotel',
  default: 'Hotel Perf Group',
} as const;
type TenantId = keyof typeof HOTEL;

let s: Running;
const memory = new ProbingMemory();
beforeAll(async () => {
  // Latency fault adds a random timer between tenancy resolution and the orchestrator too.
  s = await startInProcess(
    { ADMIN_TOKEN: 'tok', FAULT_LATENCY_MS: '0-3', FEATURE_IMPROVED_NLP_FALLBACK: 'on' },
    { memory },
  );
});
afterAll(async () => {
  await s.close();
});

test('1,000 interleaved concurrent requests of three tenants never see each other’s context', async () => {
  const texts = ['¿Cuánto cuesta la habitación?', 'What time is check-out?', 'hola', 'blorp zzz', 'Is there parking?'];
  const cases = Array.from({ length: 1000 }, (_, i) => {
    const kind = i % 4;
    const expected: TenantId =
      kind === 0
        ? 'hotel-sol'
        : kind === 1
          ? 'hotel-harbor'
          : kind === 2
            ? 'default'
            : i % 8 === 3
              ? 'hotel-sol'
              : 'hotel-harbor';
    const body: Record<string, string> = {
      user_id:
        kind === 0
          ? `+3460000000${(i % 5) + 1}`
          : kind === 1
            ? `+1415000000${(i % 5) + 1}`
            : kind === 2
              ? `guest-${i}`
              : 'ops-console',
      text: texts[i % texts.length]!,
      conversation_id: `conv-${i}`,
    };
    const headers: Record<string, string> = { 'x-request-id': `iso-${i}` };
    if (kind === 3) {
      body.tenant_id = expected;
      headers.authorization = 'Bearer tok';
    }
    return { i, expected, body, headers };
  });
  const results = await Promise.all(cases.map((c) => postJson(`${s.url}/api/v1/messages`, c.body, c.headers)));

  const byRequest = new Map<string, TenantId>(cases.map((c) => [`iso-${c.i}`, c.expected]));
  for (const [n, c] of cases.entries()) {
    const r = results[n]!;
    expect(r.status).toBe(200);
    expect(r.body.request_id).toBe(`iso-${c.i}`);
    expect(r.body.tenant_id).toBe(c.expected);
    // The reply is built from the context's tenant after the orchestrator's awaits.
    expect(r.body.reply).toContain(HOTEL[c.expected]);
    for (const other of Object.keys(HOTEL) as TenantId[])
      if (other !== c.expected) expect(r.body.reply).not.toContain(HOTEL[other]);
  }
  const probes = memory.probes.filter((p) => p.requestId?.startsWith('iso-'));
  expect(probes.length).toBeGreaterThanOrEqual(1000);
  for (const p of probes) {
    const expected = byRequest.get(p.requestId!);
    expect(p.tenant).toBe(expected);
    expect(p.key.startsWith(`${expected}\u0000`)).toBe(true);
  }
  // Every request was observed deep in the orchestrator, i.e. the check above covered all of them.
  expect(new Set(probes.map((p) => p.requestId)).size).toBe(1000);
});
