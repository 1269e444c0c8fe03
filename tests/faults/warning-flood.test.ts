/**
 * Issue 11, row 8: 30k new unknown user ids wrote 30k warning lines (8 MB of log), and every bad
 * webhook signature one line. Repeated warnings are now rate-limited per event, and what was held
 * back is reported as a count (at the end of each window, and when the service closes).
 */
import { postJson, startInProcess } from '../service/helpers.js';

const UNKNOWN_USERS = 1000;
const BAD_SIGNATURES = 200;

/** Runs `task(i)` for i < n with `concurrency` at a time. */
async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

test('a flood of unknown users and bad signatures logs a few lines and the count of the rest', async () => {
  const s = await startInProcess({ LOG_LEVEL: 'info' });
  try {
    await pool(UNKNOWN_USERS, 16, async (i) => {
      const r = await postJson(`${s.url}/api/v1/messages`, { user_id: `flood-user-${i}`, text: 'hello' });
      expect(r.status).toBe(200);
    });
    await pool(BAD_SIGNATURES, 16, async (i) => {
      const r = await postJson(`${s.url}/webhooks/whatsapp`, `{"n":${i}}`, { 'x-hub-signature-256': 'sha256=00' });
      expect(r.status).toBe(401);
    });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    // Every event is still counted in the metrics; only the log lines are limited.
    expect(metrics).toContain(`tenant_unknown_total{source="user"} ${UNKNOWN_USERS}`);
    expect(metrics).toContain(`whatsapp_signature_failures_total ${BAD_SIGNATURES}`);
  } finally {
    await s.close();
  }
  for (const [event, total] of [
    ['unknown_tenant', UNKNOWN_USERS],
    ['bad_signature', BAD_SIGNATURES],
  ] as const) {
    const shown = s.logs.filter((l) => l.event === event);
    const summaries = s.logs.filter((l) => l.event === 'warnings_suppressed' && l.of === event);
    const suppressed = summaries.reduce((n, l) => n + (l.suppressed as number), 0);
    console.log(`${event}: ${total} events, ${shown.length} lines, ${suppressed} counted as suppressed`);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThanOrEqual(20);
    expect(shown.length + suppressed).toBe(total);
    expect(summaries[0]).toMatchObject({ level: 'warn', of: event });
  }
  // The warnings stay a few kilobytes, not a line per request (the test logger also keeps debug lines).
  const warnings = s.raw.filter((l) => l.includes('"level":"warn"'));
  expect(warnings.join('\n').length).toBeLessThan(16 * 1024);
});
