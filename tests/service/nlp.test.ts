/** Intent classifier and orchestrator: unit behaviour and accuracy on the labelled set, per fallback mode. */
import { readFileSync } from 'node:fs';
import { runWithContext } from '../../service/src/context.js';
import { FlagRegistry } from '../../service/src/flags.js';
import { classify, DEFAULT_THRESHOLD, FUZZY_TOKEN_LIMIT } from '../../service/src/nlp/classifier.js';
import { INTENTS } from '../../service/src/nlp/lexicon.js';
import { editDistance, fold } from '../../service/src/nlp/text.js';
import { LruConversationMemory, Orchestrator } from '../../service/src/orchestrator.js';
import { EMBEDDED_TENANTS_FILE } from '../../service/src/paths.js';
import { parseDocument } from '../../service/src/tenants/document.js';
import type { Tenant } from '../../service/src/tenants/types.js';

const doc = parseDocument(JSON.parse(readFileSync(EMBEDDED_TENANTS_FILE, 'utf8')));
const sol = doc.tenants.find((t) => t.id === 'hotel-sol')!;
const harbor = doc.tenants.find((t) => t.id === 'hotel-harbor')!;
const labelled = (
  JSON.parse(readFileSync(new URL('./fixtures/labelled-messages.json', import.meta.url), 'utf8')) as {
    messages: { text: string; intent: string; lang: 'es' | 'en' }[];
  }
).messages;

function orchestrator(improved: boolean, memory = new LruConversationMemory()) {
  const flags = new FlagRegistry({ improved_nlp_fallback: improved });
  return new Orchestrator({ flags, memory, fallbackTenant: () => sol });
}
const inTenant = <T>(tenant: Tenant, fn: () => Promise<T>) =>
  runWithContext({ requestId: 't', tenant, source: 'user' }, fn);

describe('classifier', () => {
  test('folds accents and case, so "Disponibilidad" and "DISPONIBILIDAD" classify the same', () => {
    expect(fold('¿Habitación ÑANDÚ?')).toBe('¿habitacion nandu?');
    expect(classify('¿Hay DISPONIBILIDAD?').intent).toBe('availability');
    expect(classify('¿Hay disponibilidad?').confidence).toBe(classify('¿hay Disponibilidad?').confidence);
  });
  test('documented rules: greeting yields to a real intent, cancellation suppresses booking', () => {
    expect(classify('Hola, quiero reservar una habitación').intent).toBe('booking');
    expect(classify('Quiero cancelar mi reserva')).toMatchObject({ intent: 'cancellation' });
    expect(classify('Quiero cancelar mi reserva').ranked.map((r) => r.intent)).not.toContain('booking');
  });
  test('confidence is high for one strong cue, low for a lone hint or a tie, zero for nothing', () => {
    expect(classify('What are your rates?').confidence).toBeGreaterThan(0.8);
    expect(classify('tonight').confidence).toBeLessThan(DEFAULT_THRESHOLD);
    const tie = classify('pool prices');
    expect(tie.ranked).toHaveLength(2);
    expect(tie.confidence).toBeLessThan(DEFAULT_THRESHOLD);
    expect(classify('xyzzy')).toMatchObject({ intent: null, confidence: 0 });
  });
  test('typo tolerance only in fuzzy mode', () => {
    expect(classify('disponiblidad?').intent).toBeNull();
    expect(classify('disponiblidad?', { fuzzy: true }).intent).toBe('availability');
    expect(editDistance('breakfats', 'breakfast', 1)).toBe(1);
    expect(editDistance('kitten', 'sitting', 5)).toBe(3);
  });
  test('typo matching tries only the first FUZZY_TOKEN_LIMIT words, so a long message cannot buy unbounded CPU', () => {
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `qqzzx${i}`).join(' ');
    expect(classify(`${filler(FUZZY_TOKEN_LIMIT - 1)} disponiblidad`, { fuzzy: true }).intent).toBe('availability');
    expect(classify(`${filler(FUZZY_TOKEN_LIMIT)} disponiblidad`, { fuzzy: true }).intent).toBeNull();
    // Exact matching still reads the whole message.
    expect(classify(`${filler(300)} disponibilidad`).intent).toBe('availability');
  });
  test('detects the message language', () => {
    expect(classify('¿Tenéis piscina?').language).toBe('es');
    expect(classify('Do you have a pool?').language).toBe('en');
  });
});

describe('orchestrator', () => {
  test('replies with the tenant’s own data in the guest’s language', async () => {
    const o = orchestrator(false);
    const es = await inTenant(sol, () => o.handle({ userId: 'u', text: '¿Cuánto cuesta la habitación?' }));
    expect(es.reply).toMatch(/Hotel Sol y Mar.*120\s?€/);
    const en = await inTenant(sol, () => o.handle({ userId: 'u', text: 'What time is check-out?' }));
    expect(en).toMatchObject({ language: 'en', intent: 'checkin_checkout' });
    expect(en.reply).toContain('12:00');
    const pool = await inTenant(harbor, () => o.handle({ userId: 'u', text: 'Is there parking?' }));
    expect(pool.reply).toContain('Valet parking ($55 per night)');
    expect(pool.reply).not.toContain('Fitness');
  });
  test('legacy fallback says it did not understand', async () => {
    const r = await inTenant(harbor, () => orchestrator(false).handle({ userId: 'u', text: 'xyzzy' }));
    expect(r).toMatchObject({
      fallback: 'legacy',
      intent: 'unknown',
      reply: 'Sorry, I did not understand your message.',
    });
  });
  test('improved fallback asks about the likely intents, then hands over after the second miss in a conversation', async () => {
    const o = orchestrator(true);
    const first = await inTenant(harbor, () => o.handle({ userId: 'u', conversationId: 'c1', text: 'pool prices' }));
    expect(first).toMatchObject({ fallback: 'improved', intent: 'unknown' });
    expect(first.candidates!.sort()).toEqual(['amenities', 'prices']);
    expect(first.reply).toMatch(/prices or the hotel amenities|the hotel amenities or prices/);
    // Another conversation is unaffected.
    expect(
      (await inTenant(harbor, () => o.handle({ userId: 'u', conversationId: 'c2', text: 'hmm' }))).handover,
    ).toBeUndefined();
    const second = await inTenant(harbor, () => o.handle({ userId: 'u', conversationId: 'c1', text: 'blah' }));
    expect(second).toMatchObject({ fallback: 'improved', intent: 'human_handoff', handover: true });
    expect(second.reply).toContain('Harbor View Hotel front desk');
    // A success in between resets the count.
    await inTenant(harbor, () => o.handle({ userId: 'u', conversationId: 'c3', text: 'blah' }));
    await inTenant(harbor, () => o.handle({ userId: 'u', conversationId: 'c3', text: 'What are your rates?' }));
    expect(
      (await inTenant(harbor, () => o.handle({ userId: 'u', conversationId: 'c3', text: 'blah' }))).handover,
    ).toBeUndefined();
  });
  test('conversation memory is a bounded LRU', async () => {
    const m = new LruConversationMemory(3);
    for (const k of ['a', 'b', 'c']) await m.set(k, { misses: 1 });
    await m.get('a');
    await m.set('d', { misses: 1 });
    expect(m.size).toBe(3);
    expect(await m.get('b')).toBeUndefined();
    expect(await m.get('a')).toEqual({ misses: 1 });
  });
});

describe('labelled set', () => {
  test('has at least 150 messages, both languages, every intent and out-of-scope ones', () => {
    expect(labelled.length).toBeGreaterThanOrEqual(150);
    for (const i of [...INTENTS, 'none'])
      expect(labelled.filter((m) => m.intent === i).length).toBeGreaterThanOrEqual(10);
    expect(labelled.filter((m) => m.lang === 'es').length).toBeGreaterThan(60);
    expect(labelled.filter((m) => m.lang === 'en').length).toBeGreaterThan(60);
  });

  test('accuracy and fallback rate per fallback mode', async () => {
    const evaluate = async (improved: boolean) => {
      const o = orchestrator(improved);
      let correct = 0;
      let fallbacks = 0;
      let clarifiedRight = 0;
      let inScopeFallbacks = 0;
      const misses: string[] = [];
      for (const [i, m] of labelled.entries()) {
        // A fresh conversation per message: the set measures single messages, not hand-over.
        const r = await inTenant(m.lang === 'es' ? sol : harbor, () => o.handle({ userId: `u${i}`, text: m.text }));
        const fellBack = r.fallback !== false;
        if (fellBack) fallbacks++;
        const ok = m.intent === 'none' ? fellBack : !fellBack && r.intent === m.intent;
        if (ok) correct++;
        else misses.push(`${m.intent} <- "${m.text}" (${fellBack ? 'fallback' : r.intent})`);
        if (fellBack && m.intent !== 'none') {
          inScopeFallbacks++;
          if (r.candidates?.includes(m.intent as (typeof INTENTS)[number])) clarifiedRight++;
        }
      }
      return {
        accuracy: correct / labelled.length,
        fallback_rate: fallbacks / labelled.length,
        clarifying_question_names_right_intent: inScopeFallbacks ? clarifiedRight / inScopeFallbacks : 0,
        misses,
      };
    };
    const legacy = await evaluate(false);
    const improved = await evaluate(true);
    const fmt = (x: number) => `${(x * 100).toFixed(1)} %`;
    console.log(
      [
        `labelled set: ${labelled.length} messages`,
        `legacy fallback:   accuracy ${fmt(legacy.accuracy)}, fallback rate ${fmt(legacy.fallback_rate)}`,
        `improved fallback: accuracy ${fmt(improved.accuracy)}, fallback rate ${fmt(improved.fallback_rate)}, ` +
          `clarifying question names the right intent in ${fmt(improved.clarifying_question_names_right_intent)} of in-scope fallbacks`,
        `improved misses:\n  ${improved.misses.join('\n  ')}`,
      ].join('\n'),
    );
    expect(legacy.accuracy).toBeGreaterThanOrEqual(0.75);
    expect(improved.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(improved.accuracy).toBeGreaterThan(legacy.accuracy);
    expect(improved.fallback_rate).toBeLessThan(legacy.fallback_rate);
    // Out-of-scope messages must still fall back, not be forced into an intent.
    expect(legacy.fallback_rate).toBeGreaterThanOrEqual(
      labelled.filter((m) => m.intent === 'none').length / labelled.length - 0.02,
    );
  });
});
