/**
 * Issue 11, row 2: processes a parent starts end within 2 s when the parent is killed with SIGKILL
 * (no handler of the parent runs). Real parents, real children: the smoke CLI with its service, a
 * small parent on lib/service-process, and children that do not cooperate at all (a shell that
 * ignores SIGTERM and has a grandchild, a Prometheus binary), started through lib/tied-child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { alive, freePort } from '../support/ports.js';
import { allEnd, collect, running, stderrMatches } from '../support/processes.js';

const repo = resolve(import.meta.dirname, '../..');
const build = (p: string) => join(repo, 'build', p);
const work = mkdtempSync(join(tmpdir(), 'faults-orphans-'));
const everyPid: number[] = [];
afterAll(() => {
  for (const pid of everyPid) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** Direct children of `pid`, from /proc (field 4 of /proc/<pid>/stat is the parent pid). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === pid ? [Number(d)] : [];
      } catch {
        return []; // ended meanwhile
      }
    });
}
const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

/** Kills `parent` with SIGKILL and returns which of `pids` still run 2 s later (the orphans). */
async function killParentAndCountOrphans(parent: ChildProcess, pids: number[]): Promise<number[]> {
  everyPid.push(...pids);
  for (const pid of pids) expect(running(pid)).toBe(true);
  parent.kill('SIGKILL');
  await allEnd(pids, 2000);
  return pids.filter(running);
}

/** A node parent running `source` (ESM); resolves the JSON object it prints on its first stdout line. */
async function parentScript(source: string): Promise<{ parent: ChildProcess; said: Record<string, number> }> {
  const file = join(work, `parent-${everyPid.length}-${Date.now()}.mjs`);
  writeFileSync(file, source);
  const parent = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = collect(parent);
  const said = await new Promise<Record<string, number>>((res, rej) => {
    let out = '';
    parent.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) res(JSON.parse(out.split('\n')[0]!) as Record<string, number>);
    });
    void done.then((r) => rej(new Error(`parent ended early (${r.code}): ${r.stderr}`)));
  });
  return { parent, said };
}

test('kill -9 of a parent that started a service through lib/service-process: the service ends within 2 s', async () => {
  const { parent, said } = await parentScript(`
    import { startService } from ${JSON.stringify(build('lib/service-process.js'))};
    const s = await startService({ env: { STATE_DIR: ${JSON.stringify(join(work, 'state-1'))}, TENANTS_FILE: '' } });
    console.log(JSON.stringify({ service: s.pid }));
    setInterval(() => {}, 1000);
  `);
  const orphans = await killParentAndCountOrphans(parent, [said.service!]);
  console.log(`orphans after kill -9 of a startService parent: ${orphans.length}`);
  expect(orphans).toEqual([]);
});

test('kill -9 of the smoke CLI mid-load: its service ends within 2 s', async () => {
  const cwd = mkdtempSync(join(work, 'smoke-'));
  const smoke = spawn(process.execPath, [build('cli/smoke.js'), '--driver', 'builtin', '--duration', '60'], {
    cwd,
    env: { ...process.env, NODE_OPTIONS: '', STATE_DIR: join(work, 'state-smoke'), TENANTS_FILE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = collect(smoke);
  await stderrMatches(smoke, done, /smoke: service at /);
  const services = childrenOf(smoke.pid!).filter((pid) => cmdline(pid).includes('build/service/src/main.js'));
  expect(services).toHaveLength(1);
  const orphans = await killParentAndCountOrphans(smoke, services);
  console.log(`orphans after kill -9 of npm run smoke: ${orphans.length}`);
  expect(orphans).toEqual([]);
});

test('children that do not cooperate (SIGTERM ignored, a grandchild, a Prometheus binary) end within 2 s', async () => {
  const promPort = await freePort();
  const { parent, said } = await parentScript(`
    import { spawnTied } from ${JSON.stringify(build('lib/tied-child.js'))};
    import { writeFileSync } from 'node:fs';
    // A shell that ignores SIGTERM, INT and HUP (so does its sleep, which inherits the ignored signals).
    const sh = spawnTied('sh', ['-c', 'trap "" TERM INT HUP; sleep 300 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const grandchild = await new Promise((r) => sh.stdout.once('data', (d) => r(Number(String(d).trim()))));
    writeFileSync(${JSON.stringify(join(work, 'prom.yml'))}, 'global:\\n  scrape_interval: 1s\\n');
    const prom = spawnTied('prometheus', [
      '--config.file=' + ${JSON.stringify(join(work, 'prom.yml'))},
      '--storage.tsdb.path=' + ${JSON.stringify(join(work, 'prom-data'))},
      '--web.listen-address=127.0.0.1:${promPort}',
      '--log.level=warn',
    ], { stdio: 'ignore' });
    for (;;) {
      const up = await fetch('http://127.0.0.1:${promPort}/-/ready').then((r) => r.ok, () => false);
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(JSON.stringify({ sh: sh.pid, grandchild, prometheus: prom.pid }));
    setInterval(() => {}, 1000);
  `);
  const pids = [said.sh!, said.grandchild!, said.prometheus!];
  const orphans = await killParentAndCountOrphans(parent, pids);
  console.log(`orphans after kill -9 of a parent of uncooperative children: ${orphans.length} of ${pids.length}`);
  expect(orphans).toEqual([]);
});
