// Smoke load of the hotel messaging service, run by k6 (TypeScript runs natively since k6 v0.57):
//   k6 run -e BASE_URL=http://127.0.0.1:3000 -e SUMMARY_PATH=reports/performance/k6-summary.json k6/smoke.ts
// The request mix (k6/scenario.json) and the budget (k6/budget.json) are the files the built-in
// driver and the smoke gate read, so k6 and `npm run smoke` load and judge the service the same way.
// Every request is tagged with the scenario entry's `name` (api_message, whatsapp_webhook): a stable
// name per endpoint, whatever the URL, for per-endpoint results.
import { check } from 'k6';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import type { Options } from 'k6/options';
import type { BudgetFile, ScenarioFile, SummaryData } from './types.ts';

const budget = JSON.parse(open('./budget.json')) as BudgetFile;
const scenario = JSON.parse(open('./scenario.json')) as ScenarioFile;

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '');
const APP_SECRET = __ENV.WHATSAPP_APP_SECRET || 'dev-app-secret';
const VUS = Number(__ENV.VUS || budget.smoke.vus);
const DURATION_S = Number(__ENV.DURATION_S || budget.smoke.duration_s);
const MAX_REQUESTS = Number(__ENV.MAX_REQUESTS || budget.smoke.max_requests);

// Bodies are serialised once so that the signed bytes are exactly the bytes sent.
const requests = scenario.requests.map((r) => {
  const body = r.json === undefined ? null : JSON.stringify(r.json);
  const headers: Record<string, string> = body === null ? {} : { 'Content-Type': 'application/json' };
  if (r.sign && body !== null)
    headers['X-Hub-Signature-256'] = 'sha256=' + crypto.hmac('sha256', APP_SECRET, body, 'hex');
  return { name: r.name, method: r.method, url: BASE_URL + r.path, body, params: { headers, tags: { name: r.name } } };
});

export const options: Options = {
  scenarios: {
    // One request per iteration, bounded both in count and in time like the built-in driver.
    smoke: { executor: 'shared-iterations', vus: VUS, iterations: MAX_REQUESTS, maxDuration: `${DURATION_S}s` },
  },
  thresholds: {
    http_req_duration: [`p(95)<=${budget.p95_ms}`],
    http_req_failed: [`rate<=${budget.error_rate}`],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'],
};

type Response = RefinedResponse<ResponseType | undefined>;

export default function (): void {
  const r = requests[exec.scenario.iterationInTest % requests.length]!;
  const res = http.request(r.method, r.url, r.body, r.params);
  if (r.name === 'api_message') {
    check(res, {
      'message answered 200': (x: Response) => x.status === 200,
      'message has a reply': (x: Response) => x.status === 200 && typeof x.json('reply') === 'string',
    });
  } else {
    check(res, { 'webhook accepted 200': (x: Response) => x.status === 200 });
  }
}

// The smoke gate reads this file (the `handleSummary` data form); stdout gets a short line instead of k6's text summary.
export function handleSummary(data: SummaryData): Record<string, string> {
  const path = __ENV.SUMMARY_PATH || 'reports/performance/k6-summary.json';
  const d = data.metrics.http_req_duration;
  const f = data.metrics.http_req_failed;
  const count = data.metrics.http_reqs ? data.metrics.http_reqs.values.count : 0;
  const p95 = d ? d.values['p(95)']!.toFixed(1) : '?';
  const errors = f ? (f.values.rate! * 100).toFixed(2) : '?';
  const line = `smoke: ${count} requests, p95 ${p95} ms, error rate ${errors} %, summary -> ${path}\n`;
  return { [path]: JSON.stringify(data, null, 2), stdout: line };
}
