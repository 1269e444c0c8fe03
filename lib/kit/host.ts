/**
 * Where a shell's messages, outputs and job summary go: the runner (`coreHost`, @actions/core), a
 * terminal (`consoleHost`, the CLIs) or memory (`recordingHost`, tests running a shell in-process).
 * Orchestration in lib takes a Host (or the Logger part of it) and never imports @actions/core.
 */
import * as core from '@actions/core';

/** The one logger shape of lib: what a module needs to tell the user (GitHub retries, k6 lines, release steps). */
export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  debug?(message: string): void;
}

export interface Host extends Logger {
  debug(message: string): void;
  notice(message: string): void;
  error(message: string): void;
  setOutput(name: string, value: string | number | boolean): void;
  /** Appends markdown to the job summary; nothing outside a runner. */
  summary(markdown: string): Promise<void>;
  /** Hides a secret in every later line of the log. */
  mask(secret: string): void;
  /** State for the action's post step. */
  saveState(name: string, value: string): void;
  /** The step fails with this one line (the process's exit status is 1). */
  fail(message: string): void;
}

/** The runner: workflow commands through @actions/core. */
export function coreHost(): Host {
  return {
    info: (m) => core.info(m),
    warning: (m) => core.warning(m),
    debug: (m) => core.debug(m),
    notice: (m) => core.notice(m),
    error: (m) => core.error(m),
    setOutput: (n, v) => core.setOutput(n, v),
    summary: async (md) => {
      // Outside a runner there is no job summary file: nothing to write, not an error.
      if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(md, true).write();
    },
    mask: (s) => core.setSecret(s),
    saveState: (n, v) => core.saveState(n, v),
    fail: (m) => core.setFailed(m),
  };
}

/**
 * A terminal: everything on stderr, prefixed with the command's name, so stdout stays the
 * command's result (a table, a JSON report). Outputs, summary, masks and state have no place here.
 */
export function consoleHost(name: string, opts: { debug?: boolean } = {}): Host {
  const err = (m: string) => console.error(`${name}: ${m}`);
  return {
    info: err,
    warning: (m) => err(`warning: ${m}`),
    debug: (m) => {
      if (opts.debug) err(`debug: ${m}`);
    },
    notice: err,
    error: err,
    setOutput: () => undefined,
    summary: async () => undefined,
    mask: () => undefined,
    saveState: () => undefined,
    fail: err,
  };
}

export interface RecordingHost extends Host {
  lines: { level: 'info' | 'warning' | 'debug' | 'notice' | 'error'; message: string }[];
  outputs: Record<string, string>;
  summaries: string[];
  masked: string[];
  state: Record<string, string>;
  failed: string[];
  /** Messages of one level, in order. */
  of(level: RecordingHost['lines'][number]['level']): string[];
  /** Everything in order as the runner's log shows it (workflow commands: `::warning::...`, `::add-mask::...`). */
  transcript(): string;
}

/** Memory: what a shell did, for tests that run it in-process. */
export function recordingHost(): RecordingHost {
  const log: string[] = [];
  // Escaped as @actions/core escapes a command's data.
  const escape = (m: string) => m.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const command = (name: string) => (m: string) => log.push(`::${name}::${escape(m)}`);
  type Level = RecordingHost['lines'][number]['level'];
  /** A message of one level: recorded, and shown as the runner shows it (a workflow command but for info). */
  const at = (level: Level) => (message: string) => {
    h.lines.push({ level, message });
    if (level === 'info') log.push(message);
    else command(level)(message);
  };
  const h: RecordingHost = {
    lines: [],
    outputs: {},
    summaries: [],
    masked: [],
    state: {},
    failed: [],
    of: (level) => h.lines.filter((l) => l.level === level).map((l) => l.message),
    transcript: () => log.map((l) => `${l}\n`).join(''),
    info: at('info'),
    warning: at('warning'),
    debug: at('debug'),
    notice: at('notice'),
    error: at('error'),
    setOutput: (n, v) => (h.outputs[n] = String(v)),
    summary: async (md) => {
      h.summaries.push(md);
    },
    mask: (s) => {
      h.masked.push(s);
      command('add-mask')(s);
    },
    saveState: (n, v) => (h.state[n] = v),
    fail: (m) => {
      h.failed.push(m);
      command('error')(m);
    },
  };
  return h;
}

/** The first line of an error's message: what a one-line failure shows. */
export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}
