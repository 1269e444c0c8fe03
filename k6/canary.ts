// Canary traffic, run by k6 (the canary uses it per analysis interval when k6 is on PATH; TypeScript
// runs natively since k6 v0.57):
//   k6 run -e BASELINE_URL=http://127.0.0.1:3000 -e CANARY_URL=http://127.0.0.1:3001 -e RATE=20 \
//          -e DURATION_S=10 -e VUS=4 --out json=points.ndjson k6/canary.ts
// Both targets get the same mix (k6/scenario.json) at the same constant arrival rate at once, each
// request tagged target=baseline|canary so the judge can split the points, and name=<scenario entry
// name> (api_message, whatsapp_webhook), a stable name per endpoint. The canary's thresholds come
// from k6/budget.json, the file the judge reads too.
import type { Options, Scenario } from 'k6/options';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import http from 'k6/http';
import type { BudgetFile, ScenarioFile, SummaryData } from './types.ts';

const budget = JSON.parse(open('./budget.json')) as BudgetFile;
const scenario = JSON.parse(open('./scenario.json')) as ScenarioFile;

type Target = 'baseline' | 'canary';

const APP_SECRET = __ENV.WHATSAPP_APP_SECRET || 'dev-app-secret';
const RATE = Number(__ENV.RATE || 20);
const DURATION_S = Number(__ENV.DURATION_S || 10);
const VUS = Number(__ENV.VUS || 4);
const targets: Record<Target, string> = {
  baseline: (__ENV.BASELINE_URL || 'http://127.0.0.1:3000').replace(/\/+$/, ''),
  canary: (__ENV.CANARY_URL || 'http://127.0.0.1:3001').replace(/\/+$/, ''),
};

// Bodies are serialised once so that the signed bytes are exactly the bytes sent.
const mix = scenario.requests.map((r) => {
  const body = r.json === undefined ? null : JSON.stringify(r.json);
  const headers: Record<string, string> = body === null ? {} : { 'Content-Type': 'application/json' };
  if (r.sign && body !== null)
    headers['X-Hub-Signature-256'] = 'sha256=' + crypto.hmac('sha256', APP_SECRET, body, 'hex');
  return { name: r.name, method: r.method, path: r.path, body, headers };
});

// One scenario per target with identical arrival rate and bounds: same traffic, at the same time.
function shape(target: Target): Scenario {
  return {
    executor: 'constant-arrival-rate',
    exec: target,
    rate: RATE,
    timeUnit: '1s',
    duration: `${DURATION_S}s`,
    preAllocatedVUs: VUS,
    maxVUs: VUS,
    gracefulStop: '2s',
    tags: { target },
  };
}

export const options: Options = {
  scenarios: { baseline: shape('baseline'), canary: shape('canary') },
  thresholds: {
    'http_req_duration{target:canary}': [`p(95)<=${budget.p95_ms}`],
    'http_req_failed{target:canary}': [`rate<=${budget.error_rate}`],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'],
};

function send(target: Target): void {
  const r = mix[exec.scenario.iterationInTest % mix.length]!;
  http.request(r.method, targets[target] + r.path, r.body, { headers: r.headers, tags: { name: r.name, target } });
}

export function baseline(): void {
  send('baseline');
}

export function canary(): void {
  send('canary');
}

// The canary reads the NDJSON points; stdout gets one line instead of k6's text summary.
export function handleSummary(data: SummaryData): Record<string, string> {
  const n = data.metrics.http_reqs ? data.metrics.http_reqs.values.count : 0;
  return { stdout: `canary traffic: ${n} requests to baseline and canary\n` };
}
