/** In-process service on an OS-picked port, with its log lines captured for assertions. */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { ServiceHandle } from '#lib/service-process.js';
import { createService, type AppOptions, type Service } from '../../service/src/app.js';
import { loadConfig } from '../../service/src/config.js';
import { createLogger } from '../../service/src/logger.js';
import type { ConversationMemory } from '../../service/src/orchestrator.js';
import { EMBEDDED_TENANTS_FILE } from '../../service/src/paths.js';
import { FileTenantStore } from '../../service/src/tenants/file-store.js';
import type { TenantStore } from '../../service/src/tenants/types.js';

export interface Running {
  url: string;
  service: Service;
  server: Server;
  logs: Record<string, unknown>[];
  tenantsFile: string;
  close(): Promise<void>;
}

/** A writable copy of the embedded tenants file in a fresh temp directory. */
export function tempTenantsFile(): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hotel-tenants-'));
  const file = join(dir, 'tenants.json');
  copyFileSync(EMBEDDED_TENANTS_FILE, file);
  return { file, dir };
}

/** The JSON log lines a service child process wrote so far (anything else it printed is skipped). */
export function logLines(h: Pick<ServiceHandle, 'output'>): Record<string, unknown>[] {
  return h.output().flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

export function captureLogger(level = 'debug') {
  const logs: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        raw.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  return { log: createLogger(level, dest), logs, raw };
}

export async function startInProcess(
  env: Record<string, string> = {},
  opts: AppOptions & {
    store?: (log: ReturnType<typeof createLogger>, file: string) => TenantStore;
    memory?: ConversationMemory;
  } = {},
): Promise<Running & { raw: string[] }> {
  const { file, dir } = tempTenantsFile();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ TENANTS_FILE: file, ...env });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { log, logs, raw } = captureLogger();
  const store = opts.store ? opts.store(log, file) : new FileTenantStore(file, log, 20);
  const service = createService(config, log, store, { ...opts, defaultMetrics: false });
  await service.start();
  const server = service.app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    service,
    server,
    logs,
    raw,
    tenantsFile: file,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const hasBody = method !== 'GET' && method !== 'DELETE';
  const res = await fetch(url, {
    method,
    headers: hasBody ? { 'content-type': 'application/json', ...headers } : headers,
    ...(hasBody && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}

export function getJson(url: string, headers: Record<string, string> = {}) {
  return postJson(url, undefined, headers, 'GET');
}
