/** Ports and processes on loopback, as the process-level tests see them from outside. */
import { connect } from 'node:net';

// The product's own free-port finder: the tests pick ports the way the local deployer does.
export { freePort } from '#lib/canary/deployer.js';

/** true when something accepts connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      res(true);
    });
    c.once('error', () => res(false));
  });
}

/** true while a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
