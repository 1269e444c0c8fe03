/**
 * k6 cannot run on this machine, so k6/canary.ts is evaluated as the ES module it is with the k6
 * modules replaced by recorders: both targets must get the same mix (k6/scenario.json, signed like
 * the built-in driver signs it) at the same arrival rate, tagged by target, and the canary's
 * thresholds must come from k6/budget.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { smokeRequests } from '#lib/load/driver.js';
import { k6Dir, loadK6Script } from '../support/k6-sandbox.js';

test('both targets get the same signed mix at the same rate, tagged by target; thresholds from the budget', async () => {
  const budget = JSON.parse(readFileSync(join(k6Dir, 'budget.json'), 'utf8')) as { p95_ms: number; error_rate: number };
  const env = {
    BASELINE_URL: 'http://127.0.0.1:1111/',
    CANARY_URL: 'http://127.0.0.1:2222',
    RATE: '25',
    DURATION_S: '7',
    VUS: '3',
  };
  const { ns, sent, exec } = await loadK6Script('canary.ts', env);
  const o = ns.options as { scenarios: Record<string, Record<string, unknown>>; thresholds: Record<string, string[]> };
  expect(o.thresholds).toEqual({
    'http_req_duration{target:canary}': [`p(95)<=${budget.p95_ms}`],
    'http_req_failed{target:canary}': [`rate<=${budget.error_rate}`],
  });
  const { exec: _b, tags: _tb, ...baselineShape } = o.scenarios.baseline!;
  const { exec: _c, tags: _tc, ...canaryShape } = o.scenarios.canary!;
  expect(baselineShape).toEqual(canaryShape);
  expect(canaryShape).toMatchObject({
    executor: 'constant-arrival-rate',
    rate: 25,
    duration: '7s',
    preAllocatedVUs: 3,
  });

  const mix = smokeRequests();
  for (let i = 0; i < mix.length; i++) {
    exec.scenario.iterationInTest = i;
    (ns.baseline as () => void)();
    (ns.canary as () => void)();
  }
  const to = (target: string) => sent.filter((s) => s.params.tags.target === target);
  for (const [target, base] of [
    ['baseline', 'http://127.0.0.1:1111'],
    ['canary', 'http://127.0.0.1:2222'],
  ] as const) {
    // The same requests, bytes and signatures as the built-in driver sends.
    expect(to(target).map((s) => ({ method: s.method, url: s.url, body: s.body, name: s.params.tags.name }))).toEqual(
      mix.map((r) => ({ method: r.method, url: base + r.path, body: r.body ?? null, name: r.name })),
    );
    const signed = mix.flatMap((r, i) =>
      r.headers?.['x-hub-signature-256'] ? [[i, r.headers['x-hub-signature-256']] as const] : [],
    );
    expect(signed.length).toBeGreaterThan(0);
    for (const [i, sig] of signed) expect(to(target)[i]!.params.headers['X-Hub-Signature-256']).toBe(sig);
  }
});
