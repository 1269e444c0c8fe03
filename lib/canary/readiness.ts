/**
 * Readiness: poll the canary's readiness endpoint with exponential backoff until it answers 2xx
 * or the timeout passes. Each probe has its own short timeout so a hanging canary cannot stall us.
 */
import type { ReadinessResult, ReadinessSettings } from '#core/canary/plan.js';

export type { ReadinessResult, ReadinessSettings } from '#core/canary/plan.js';

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export async function waitReady(baseUrl: string, s: ReadinessSettings, signal?: AbortSignal): Promise<ReadinessResult> {
  const url = new URL(s.path, baseUrl).href;
  const start = Date.now();
  const deadline = start + s.timeout_s * 1000;
  let backoff = s.initial_backoff_ms;
  let attempts = 0;
  let last = 'not probed';
  for (;;) {
    if (signal?.aborted) break;
    attempts++;
    const probeTimeout = Math.max(100, Math.min(2000, deadline - Date.now()));
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(probeTimeout) });
      await res.arrayBuffer().catch(() => undefined);
      last = `HTTP ${res.status}`;
      if (res.ok) return { ready: true, attempts, elapsed_ms: Date.now() - start, last };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      last = e.cause?.code ?? e.name ?? String(err);
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(backoff, left), signal);
    backoff = Math.min(backoff * 2, s.max_backoff_ms);
  }
  return { ready: false, attempts, elapsed_ms: Date.now() - start, last };
}
