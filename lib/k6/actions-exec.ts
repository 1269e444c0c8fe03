/**
 * A K6Executor on `@actions/exec` (the toolkit's runner for tools: PATH lookup the runner's way,
 * output split into lines), for the smoke-gate action's `script` input.
 *
 * `@actions/exec` does not hand out the child it spawns, and spawns it in our process group (so a
 * cancelled job's signal to the group reaches k6 too). To stop one run early (fail-fast, our own
 * SIGTERM) we find that child among our children by its argument list, which is unique per run
 * (each run has its own output files), and send it SIGINT (k6 then ends gracefully and writes its
 * outputs), SIGKILL when it is still there after a grace period. The lookup reads /proc (Linux, the
 * runners k6 jobs use); elsewhere it falls back to `ps`.
 */
import { exec } from '@actions/exec';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { lineSplitter, stopOnLimits, type K6Executor } from './run.js';

/** How long a stopped k6 gets to write its outputs before SIGKILL. */
export const STOP_GRACE_MS = 5000;

interface ProcessEntry {
  pid: number;
  argv: string[];
}

/** Our direct children with their argument lists. */
function childProcesses(): ProcessEntry[] {
  try {
    return procChildren();
  } catch {
    return psChildren();
  }
}

function procChildren(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command name (field 2) is in parentheses and may hold spaces: fields start after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.at(-1) === '') argv.pop();
      out.push({ pid: Number(name), argv });
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

function psChildren(): ProcessEntry[] {
  const text = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const out: ProcessEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    // ps joins the arguments with spaces: good enough to match the run's unique output paths.
    if (m && Number(m[2]) === process.pid) out.push({ pid: Number(m[1]), argv: m[3]!.split(' ') });
  }
  return out;
}

/** True when `argv` ends with `args` (a script-interpreted k6, such as a wrapper, has its interpreter first). */
function endsWith(argv: readonly string[], args: readonly string[]): boolean {
  if (args.length === 0 || argv.length < args.length) return false;
  const off = argv.length - args.length;
  return args.every((a, i) => argv[off + i] === a);
}

function signalRun(args: readonly string[], sig: NodeJS.Signals): boolean {
  const found = childProcesses().filter((p) => endsWith(p.argv, args));
  for (const p of found) {
    try {
      process.kill(p.pid, sig);
    } catch {
      /* already gone */
    }
  }
  return found.length > 0;
}

export const actionsExecExecutor: K6Executor = async (file, args, opts) => {
  let done = false;
  let stopping: NodeJS.Timeout | undefined;
  let killer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (stopping || done) return;
    // The child may not be spawned yet (the PATH lookup is asynchronous): look again until it is.
    const attempt = (): void => {
      if (done) return;
      if (signalRun(args, 'SIGINT')) {
        killer = setTimeout(() => signalRun(args, 'SIGKILL'), STOP_GRACE_MS);
        killer.unref();
      } else stopping = setTimeout(attempt, 50);
    };
    stopping = setTimeout(attempt, 0);
  };
  const limits = stopOnLimits(opts, stop);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
  // Our own splitter on the raw chunks: @actions/exec's line listeners drop a last line without a newline.
  const out = lineSplitter((l) => opts.onLine(l, 'stdout'));
  const err = lineSplitter((l) => opts.onLine(l, 'stderr'));
  try {
    const code = await exec(file, [...args], {
      env,
      ...(opts.cwd !== undefined && { cwd: opts.cwd }),
      silent: true,
      ignoreReturnCode: true,
      listeners: { stdout: (d) => out.push(d.toString()), stderr: (d) => err.push(d.toString()) },
    });
    out.end();
    err.end();
    return { code, signal: null, timedOut: limits.timedOut() };
  } catch (err) {
    // @actions/io's lookup: the same contract as spawn's ENOENT.
    if (/Unable to locate executable file/.test((err as Error).message))
      throw Object.assign(new Error((err as Error).message), { code: 'ENOENT' });
    throw err;
  } finally {
    done = true;
    limits.dispose();
    if (stopping) clearTimeout(stopping);
    if (killer) clearTimeout(killer);
  }
};
