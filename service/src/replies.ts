/** Reply texts, filled with the tenant's own hotel data, in Spanish or English. */
import type { Intent } from './nlp/lexicon.js';
import type { Hotel, Language } from './tenants/types.js';
import { fold } from './nlp/text.js';

const money = new Map<string, Intl.NumberFormat>();
function price(amount: number, currency: string, lang: Language): string {
  const key = `${lang}:${currency}`;
  let f = money.get(key);
  if (!f) {
    f = new Intl.NumberFormat(lang === 'es' ? 'es-ES' : 'en-US', {
      style: 'currency',
      currency,
      maximumFractionDigits: 0,
    });
    money.set(key, f);
  }
  return f.format(amount);
}

function list(items: string[], lang: Language, alternative = false): string {
  if (items.length <= 1) return items.join('');
  const conj = alternative ? (lang === 'es' ? 'o' : 'or') : lang === 'es' ? 'y' : 'and';
  return `${items.slice(0, -1).join(', ')} ${conj} ${items[items.length - 1]}`;
}

const TOPIC: Record<Intent, Record<Language, string>> = {
  greeting: { es: 'un saludo', en: 'a greeting' },
  availability: { es: 'la disponibilidad', en: 'availability' },
  booking: { es: 'hacer una reserva', en: 'making a booking' },
  cancellation: { es: 'cancelar una reserva', en: 'cancelling a booking' },
  prices: { es: 'los precios', en: 'prices' },
  checkin_checkout: { es: 'los horarios de entrada y salida', en: 'check-in and check-out times' },
  amenities: { es: 'los servicios del hotel', en: 'the hotel amenities' },
  human_handoff: { es: 'hablar con una persona', en: 'talking to a person' },
};

export function replyFor(intent: Intent, h: Hotel, lang: Language, text: string): string {
  const es = lang === 'es';
  const rooms = h.rooms.map((r) => r.name);
  switch (intent) {
    case 'greeting':
      return es
        ? `¡Hola! Bienvenido a ${h.name}. Puedo ayudarte con disponibilidad, reservas, precios, horarios de entrada y salida y servicios del hotel.`
        : `Hello! Welcome to ${h.name}. I can help with availability, bookings, prices, check-in and check-out times and the hotel's amenities.`;
    case 'availability':
      return es
        ? `Para comprobar la disponibilidad en ${h.name} dime las fechas de llegada y salida y cuántas personas sois. Tenemos: ${list(rooms, lang)}.`
        : `To check availability at ${h.name}, tell me your arrival and departure dates and the number of guests. We have: ${list(rooms, lang)}.`;
    case 'booking':
      return es
        ? `¡Encantados de preparar tu reserva en ${h.name}! Indícame fechas, número de personas y tipo de habitación: ${list(rooms, lang)}.`
        : `Happy to book you in at ${h.name}! Please send your dates, the number of guests and the room type: ${list(rooms, lang)}.`;
    case 'cancellation':
      return es
        ? `Para cancelar tu reserva en ${h.name} envíame el número de reserva o llama al ${h.phone}. La cancelación es gratuita hasta 48 horas antes de la llegada.`
        : `To cancel your booking at ${h.name}, send me the booking number or call ${h.phone}. Cancellation is free up to 48 hours before arrival.`;
    case 'prices': {
      const lines = h.rooms.map((r) => `${r.name}: ${price(r.price_per_night, h.currency, lang)}`);
      return es
        ? `Precios por noche en ${h.name}: ${lines.join('; ')}.`
        : `Nightly rates at ${h.name}: ${lines.join('; ')}.`;
    }
    case 'checkin_checkout':
      return es
        ? `En ${h.name} la entrada (check-in) es a partir de las ${h.check_in} y la salida (check-out) hasta las ${h.check_out}.`
        : `At ${h.name}, check-in is from ${h.check_in} and check-out is until ${h.check_out}.`;
    case 'amenities': {
      const words = ` ${fold(text)} `;
      const asked = h.amenities.filter((a) => (a.keywords ?? [fold(a.name)]).some((k) => words.includes(k)));
      const shown = asked.length > 0 ? asked : h.amenities;
      const items = shown.map((a) => `${a.name} (${a.detail})`);
      return es ? `En ${h.name}: ${list(items, lang)}.` : `At ${h.name}: ${list(items, lang)}.`;
    }
    case 'human_handoff':
      return handoverReply(h, lang);
  }
}

export function handoverReply(h: Hotel, lang: Language): string {
  return lang === 'es'
    ? `Te paso con una persona de recepción de ${h.name}; te escribirá en breve. También puedes llamar al ${h.phone}.`
    : `I'm passing you to a person at the ${h.name} front desk; they will write to you shortly. You can also call ${h.phone}.`;
}

export function legacyFallbackReply(lang: Language): string {
  return lang === 'es' ? 'Lo siento, no he entendido tu mensaje.' : 'Sorry, I did not understand your message.';
}

export function clarifyingReply(candidates: Intent[], h: Hotel, lang: Language): string {
  const topics = (candidates.length > 0 ? candidates : (['availability', 'prices', 'booking'] as Intent[])).map(
    (i) => TOPIC[i][lang],
  );
  return lang === 'es'
    ? `No estoy seguro de haberte entendido. ¿Me preguntas por ${list(topics, 'es', true)}? Así te ayudo mejor en ${h.name}.`
    : `I'm not sure I understood. Are you asking about ${list(topics, 'en', true)}? Then I can help you better at ${h.name}.`;
}
