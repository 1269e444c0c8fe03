/**
 * The smoke request mix, shared with k6/smoke.ts: both read k6/scenario.json, so the built-in
 * driver and k6 send the same requests and sign webhooks the same way.
 */
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestSpec } from './driver.js';

/** Embedded development secret, the service's default when WHATSAPP_APP_SECRET is unset. */
export const DEV_APP_SECRET = 'dev-app-secret';

interface ScenarioEntry {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  json?: unknown;
  sign?: boolean;
}

/**
 * Finds a file of the repository (k6/scenario.json, k6/budget.json) by walking up from this module:
 * the same code runs from the sources (ts-jest) and from build/, at different depths.
 */
export function repoFile(relative: string, from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${relative} above ${from}`);
    dir = parent;
  }
}

/** Meta's webhook signature header value: `sha256=` + hex HMAC-SHA256 of the raw body. */
export function signWebhook(body: string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body, 'utf8').digest('hex')}`;
}

function parseScenario(file: string): ScenarioEntry[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown; requests?: unknown };
  if (raw.version !== 1 || !Array.isArray(raw.requests) || raw.requests.length === 0) {
    throw new Error(`${file}: expected {"version": 1, "requests": [...]} with at least one request`);
  }
  return raw.requests.map((r: Partial<ScenarioEntry>, i: number) => {
    if (
      typeof r.name !== 'string' ||
      (r.method !== 'GET' && r.method !== 'POST') ||
      typeof r.path !== 'string' ||
      !r.path.startsWith('/')
    ) {
      throw new Error(`${file}: requests[${i}] needs a name, a method GET|POST and a path starting with /`);
    }
    return r as ScenarioEntry;
  });
}

/** The smoke mix as driver requests; webhook bodies are signed with `appSecret` (default: the service's dev secret). */
export function smokeRequests(opts: { appSecret?: string; scenarioFile?: string } = {}): RequestSpec[] {
  const secret = opts.appSecret ?? process.env.WHATSAPP_APP_SECRET ?? DEV_APP_SECRET;
  return parseScenario(opts.scenarioFile ?? repoFile('k6/scenario.json')).map((e) => {
    const spec: RequestSpec = { name: e.name, method: e.method, path: e.path };
    if (e.json !== undefined) {
      const body = JSON.stringify(e.json);
      spec.body = body;
      spec.headers = {
        'content-type': 'application/json',
        ...(e.sign && { 'x-hub-signature-256': signWebhook(body, secret) }),
      };
    }
    return spec;
  });
}
