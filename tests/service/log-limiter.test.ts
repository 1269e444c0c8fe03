/** The log limiter alone: lines per window, the suppressed count at the window's end, a fresh window after. */
import { LogLimiter } from '../../service/src/log-limiter.js';
import { captureLogger, until } from './helpers.js';

test('burst lines per event and window; the rest counted and reported when the window ends; then lines again', async () => {
  const { log, logs } = captureLogger('info');
  const limiter = new LogLimiter(log, { windowMs: 300, burst: 3 });
  for (let i = 0; i < 10; i++) limiter.warn({ event: 'noisy', i }, 'noisy thing');
  limiter.warn({ event: 'other' }, 'another kind, its own budget');
  expect(logs.filter((l) => l.event === 'noisy').map((l) => l.i)).toEqual([0, 1, 2]);
  expect(logs.filter((l) => l.event === 'other')).toHaveLength(1);
  expect(logs.some((l) => l.event === 'warnings_suppressed')).toBe(false);

  // No further event needed: the count comes at the end of the window by itself.
  await until(() => logs.some((l) => l.event === 'warnings_suppressed'), 3000);
  expect(logs.filter((l) => l.event === 'warnings_suppressed')).toEqual([
    expect.objectContaining({ level: 'warn', of: 'noisy', suppressed: 7, window_ms: 300 }),
  ]);

  limiter.warn({ event: 'noisy', i: 10 }, 'noisy thing');
  expect(logs.filter((l) => l.event === 'noisy').map((l) => l.i)).toEqual([0, 1, 2, 10]);
  limiter.flush();
  expect(logs.filter((l) => l.event === 'warnings_suppressed')).toHaveLength(1); // nothing more was held back
});
