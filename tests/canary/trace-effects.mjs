// Preloaded with `node --import` by the dry-run test: records every process spawn and every
// listening socket of the process under test into $TRACE_FILE, so the test can prove a dry run
// started nothing. Builtin ESM exports are re-synced so `import { spawn }` sees the wrappers too.
import childProcess from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { syncBuiltinESMExports } from 'node:module';

const file = process.env.TRACE_FILE;
const record = (what) => fs.appendFileSync(file, `${what}\n`);

for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
  const original = childProcess[name];
  childProcess[name] = function (...args) {
    record(`${name} ${String(args[0])}`);
    return original.apply(this, args);
  };
}
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  record(`listen ${JSON.stringify(args[0])}`);
  return listen.apply(this, args);
};
syncBuiltinESMExports();
