/**
 * Server side of bench/service.bench.ts, run as a child process so the load generator and the server
 * do not share a CPU: `node build/bench/service-target.js bare|full|lean`. Prints {"port":n} once listening.
 *   bare: Express hello-world on the same route (parses the JSON body, answers a constant); full: the service as shipped; lean: the service without
 *   the tenancy and metrics middlewares; tenancy, metrics: lean plus one of them; lean-als: lean with AsyncLocalStorage
 *   switched on but unused (what its promise hooks cost alone).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createService } from '../service/src/app.js';
import { loadConfig } from '../service/src/config.js';
import { createLogger } from '../service/src/logger.js';
import { EMBEDDED_TENANTS_FILE } from '../service/src/paths.js';
import { FileTenantStore } from '../service/src/tenants/file-store.js';

const variant = process.argv[2];
let app: express.Express;
if (variant === 'bare') {
  // Reads the same JSON body (an unread body makes Node drain it after the response, which slows keep-alive).
  app = express();
  app.post('/api/v1/messages', express.json(), (_req, res) => {
    res.json({ hello: 'world' });
  });
} else if (['full', 'lean', 'lean-als', 'tenancy', 'metrics'].includes(variant ?? '')) {
  // One run() turns the storage on for good: from then on Node 20 tracks every promise for it.
  if (variant === 'lean-als') new AsyncLocalStorage().run({}, () => undefined);
  const config = loadConfig({ ...process.env, PORT: '0', TENANTS_FILE: EMBEDDED_TENANTS_FILE, LOG_LEVEL: 'warn' });
  const log = createLogger('warn');
  const service = createService(config, log, new FileTenantStore(EMBEDDED_TENANTS_FILE, log), {
    tenancy: variant === 'full' || variant === 'tenancy',
    metrics: variant === 'full' || variant === 'metrics',
  });
  await service.start();
  app = service.app;
} else {
  process.stderr.write('usage: service-target.js bare|full|lean|lean-als|tenancy|metrics\n');
  process.exit(2);
}
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
// With an IPC channel, the bench asks for this process's CPU time: CPU per request is far less sensitive
// to a busy shared machine than requests per second.
process.on('message', (m) => {
  if (m === 'cpu') process.send?.(process.cpuUsage());
});
