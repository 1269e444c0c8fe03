/**
 * Issue 11 row 3: `npm run smoke -- --results <a FIFO>` hung forever (the open blocks until a writer
 * comes; SIGTERM and SIGINT printed "stopping" but never exited). Anything but a regular file is
 * refused before it is opened: one line, exit 2, at once.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSmoke } from './k6-support.js';

const dir = mkdtempSync(join(tmpdir(), 'faults-results-'));
let server: Server | undefined;
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function expectRefused(path: string, kind: string): Promise<void> {
  const started = Date.now();
  const r = await runSmoke(['--results', path], dir, 10_000);
  expect(r.hung).toBe(false);
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toBe(`smoke: ${path}: is ${kind}, not a regular file: give the k6 output file`);
}

test('a FIFO is refused at once, not opened (it would block until a writer comes)', async () => {
  const fifo = join(dir, 'results.fifo');
  execFileSync('mkfifo', [fifo]);
  await expectRefused(fifo, 'a FIFO (named pipe)');
});

test('a socket is refused', async () => {
  const sock = join(dir, 'results.sock');
  server = createServer();
  await new Promise<void>((r) => server!.listen(sock, r));
  await expectRefused(sock, 'a socket');
});

test('a device is refused', async () => {
  await expectRefused('/dev/zero', 'a device');
});

test('a directory is refused', async () => {
  await expectRefused(dir, 'a directory');
});
