/**
 * Orchestrator: classifies a guest message, chooses between a direct answer and a fallback, and keeps
 * per-conversation state. The tenant comes from the request context, never from a parameter.
 */
import { currentContext } from './context.js';
import type { FlagRegistry } from './flags.js';
import { classify, DEFAULT_THRESHOLD } from './nlp/classifier.js';
import type { Intent } from './nlp/lexicon.js';
import { clarifyingReply, handoverReply, legacyFallbackReply, replyFor } from './replies.js';
import type { Language, Tenant } from './tenants/types.js';
import type { Logger } from 'pino';

export interface ConversationState {
  /** Consecutive low-confidence messages. */
  misses: number;
}

/** Where conversation state lives; async so a shared store (Redis, SQL) can replace the in-memory one. */
export interface ConversationMemory {
  get(key: string): ConversationState | undefined | Promise<ConversationState | undefined>;
  set(key: string, state: ConversationState | undefined): void | Promise<void>;
}

/** Bounded in-memory LRU: a Map keeps insertion order, so re-inserting on access makes the first key the oldest. */
export class LruConversationMemory implements ConversationMemory {
  private readonly map = new Map<string, ConversationState>();
  constructor(readonly capacity = 10000) {}

  // Synchronous on purpose: no promise per message on the hot path (the interface allows async stores).
  get(key: string): ConversationState | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, state: ConversationState | undefined): void {
    this.map.delete(key);
    if (state === undefined) return;
    this.map.set(key, state);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }

  get size(): number {
    return this.map.size;
  }
}

export interface MessageInput {
  userId: string;
  text: string;
  conversationId?: string | undefined;
}

export type FallbackKind = false | 'legacy' | 'improved';

export interface MessageResult {
  tenant_id: string;
  intent: Intent | 'unknown';
  confidence: number;
  reply: string;
  fallback: FallbackKind;
  language: Language;
  /** Likely intents named by the improved fallback. */
  candidates?: Intent[];
  /** True when the conversation was handed over to a person. */
  handover?: boolean;
}

export interface OrchestratorOptions {
  flags: FlagRegistry;
  memory?: ConversationMemory;
  /** Tenant used when no request context exists (the app built without the tenancy middleware). */
  fallbackTenant: () => Tenant;
  threshold?: number;
  /** Consecutive misses in one conversation after which the improved fallback hands over to a person. */
  handoverAfter?: number;
  onClassified?: (lowConfidence: boolean, intent: string, fallback: string) => void;
  log?: Logger;
}

export class Orchestrator {
  readonly memory: ConversationMemory;
  private readonly threshold: number;
  private readonly handoverAfter: number;

  constructor(private readonly o: OrchestratorOptions) {
    this.memory = o.memory ?? new LruConversationMemory();
    this.threshold = o.threshold ?? DEFAULT_THRESHOLD;
    this.handoverAfter = o.handoverAfter ?? 2;
  }

  async handle(input: MessageInput): Promise<MessageResult> {
    const tenant = currentContext()?.tenant ?? this.o.fallbackTenant();
    const improved = this.o.flags.isEnabled('improved_nlp_fallback', tenant);
    let c = classify(input.text);
    if (improved && c.confidence < this.threshold) c = classify(input.text, { fuzzy: true });
    const lang: Language = c.language ?? tenant.hotel.language;
    const key = `${tenant.id}\u0000${input.conversationId ?? input.userId}`;
    const got = this.memory.get(key);
    const state = got instanceof Promise ? await got : got;
    // Re-read after the await: the context must still be this request's (proved by the isolation test).
    const hotel = (currentContext()?.tenant ?? tenant).hotel;

    let result: MessageResult;
    if (c.intent !== null && c.confidence >= this.threshold) {
      if (state) await this.memory.set(key, undefined);
      result = {
        tenant_id: tenant.id,
        intent: c.intent,
        confidence: c.confidence,
        reply: replyFor(c.intent, hotel, lang, input.text),
        fallback: false,
        language: lang,
      };
    } else if (!improved) {
      result = {
        tenant_id: tenant.id,
        intent: 'unknown',
        confidence: c.confidence,
        reply: legacyFallbackReply(lang),
        fallback: 'legacy',
        language: lang,
      };
    } else {
      const misses = (state?.misses ?? 0) + 1;
      const candidates = c.ranked.slice(0, 2).map((r) => r.intent);
      if (misses >= this.handoverAfter) {
        await this.memory.set(key, undefined);
        result = {
          tenant_id: tenant.id,
          intent: 'human_handoff',
          confidence: c.confidence,
          reply: handoverReply(hotel, lang),
          fallback: 'improved',
          language: lang,
          candidates,
          handover: true,
        };
      } else {
        await this.memory.set(key, { misses });
        result = {
          tenant_id: tenant.id,
          intent: 'unknown',
          confidence: c.confidence,
          reply: clarifyingReply(candidates, hotel, lang),
          fallback: 'improved',
          language: lang,
          candidates,
        };
      }
    }
    this.o.onClassified?.(result.fallback !== false, result.intent, String(result.fallback));
    if (result.intent === 'human_handoff') {
      this.o.log?.info(
        { event: 'handover', after_misses: result.handover === true },
        'conversation handed over to a person',
      );
    }
    return result;
  }
}
