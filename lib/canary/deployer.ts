/**
 * Deployers: one interface over "where does the canary run". `local` starts the built service as
 * processes on loopback; `command` runs the user's own deploy/promote/rollback/cleanup commands
 * (kubectl, helm, compose ...). Both expose what a separate process (the action's post step) needs
 * to clean up after a cancelled run, as a JSON-able CleanupState.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type ServiceHandle } from '../service-process.js';
import { alive } from '../tied-child.js';
import { checkoutBuild, ensureBuild, settleBuilds, sweepStaleTemps, type SideBuild } from './builds.js';
import type { CanaryPlan } from '#core/canary/plan.js';
import { waitReady, type ReadinessResult } from './readiness.js';
import { lastLine, maskCommandLine, runCommand } from './shell.js';

export interface Targets {
  baselineUrl: string;
  canaryUrl: string;
}

/** Everything the post step needs to undo a run without the Deployer object. */
export interface CleanupState {
  kind: 'local' | 'command';
  /** Processes to end (SIGTERM, then SIGKILL). */
  pids: number[];
  /** Commands to run, in order (rollback when the canary was not promoted, then cleanup). */
  commands: Array<{ name: string; command: string; env: Record<string, string>; timeout_ms: number }>;
  cwd: string;
}

export interface Deployer {
  readonly kind: 'local' | 'command';
  deploy(signal?: AbortSignal): Promise<Targets>;
  waitReady(signal?: AbortSignal): Promise<ReadinessResult>;
  promote(): Promise<void>;
  rollback(): Promise<void>;
  /** Idempotent; safe to call after a failed deploy or twice. */
  cleanup(): Promise<void>;
  cleanupState(): CleanupState;
  /** Each side's build of its own commit (local deployer); absent: nothing was built here. */
  readonly builds?: { baseline: SideBuild | null; canary: SideBuild | null };
}

export class DeployError extends Error {
  override name = 'DeployError';
}

export type Log = (line: string) => void;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

class LocalDeployer implements Deployer {
  readonly kind = 'local' as const;
  private baseline: ServiceHandle | null = null;
  private canary: ServiceHandle | null = null;
  private targets: Targets | null = null;
  /** Each side's build (null: the tool's own build, or an external baseline). */
  builds: { baseline: SideBuild | null; canary: SideBuild | null } = { baseline: null, canary: null };

  constructor(
    private readonly plan: CanaryPlan,
    private readonly d: Extract<CanaryPlan['deployer'], { kind: 'local' }>,
    private readonly log: Log,
    private readonly cwd: string,
  ) {}

  /** Builds each side from its own commit (sides mode `builds`/`external`): docs/canary-baseline.md. */
  private async build(signal?: AbortSignal): Promise<void> {
    const s = this.plan.sides;
    if (s.repo === null || s.canary.sha === null) return;
    sweepStaleTemps(s.repo);
    if (s.baseline.sha !== null) this.builds.baseline = await ensureBuild(s.repo, s.baseline.sha, this.log, signal);
    this.builds.canary = s.canary.worktree
      ? await checkoutBuild(s.repo, s.canary.sha, s.dirty, this.log, signal)
      : s.canary.sha === s.baseline.sha && this.builds.baseline
        ? this.builds.baseline
        : await ensureBuild(s.repo, s.canary.sha, this.log, signal);
  }

  /** Where a side starts from, and the identity it is given (GIT_COMMIT: the commit its build says it is). */
  private sideStart(b: SideBuild | null): { entry?: string; cwd?: string; env: Record<string, string> } {
    return b ? { entry: b.entry, cwd: b.dir, env: { GIT_COMMIT: b.commit } } : { env: { GIT_COMMIT: this.plan.sha } };
  }

  async deploy(signal?: AbortSignal): Promise<Targets> {
    await this.build(signal);
    let baselineUrl: string;
    if (this.d.baseline_url) {
      baselineUrl = this.d.baseline_url;
    } else {
      const side = this.sideStart(this.builds.baseline);
      const baseline = await startService({
        ...side,
        env: { ...(this.builds.baseline ? side.env : {}), SERVICE_TRACK: 'stable' },
        readyTimeoutMs: 30_000,
      });
      this.baseline = baseline;
      baselineUrl = baseline.url;
      this.log(`baseline started locally at ${baselineUrl} (pid ${baseline.pid})`);
    }
    const side = this.sideStart(this.builds.canary);
    const canary = await startService({
      ...side,
      env: {
        ...this.d.canary_env,
        ...(this.d.canary_port ? { PORT: String(this.d.canary_port) } : {}),
        SERVICE_TRACK: 'canary',
        ...side.env,
      },
      waitReady: false,
    });
    this.canary = canary;
    this.log(`canary started locally at ${canary.url} (pid ${canary.pid})`);
    const targets: Targets = { baselineUrl, canaryUrl: canary.url };
    this.targets = targets;
    return targets;
  }

  waitReady(signal?: AbortSignal): Promise<ReadinessResult> {
    if (!this.targets) throw new DeployError('waitReady before deploy');
    return waitReady(this.targets.canaryUrl, this.plan.readiness, signal);
  }

  /** A local canary is ephemeral: promotion is the recorded decision; clean-up stops it. */
  async promote(): Promise<void> {
    this.log('promote: local canary accepted (local processes end at clean-up)');
  }

  async rollback(): Promise<void> {
    if (this.canary) {
      await this.canary.stop(5000);
      this.log(`rollback: canary pid ${this.canary.pid} stopped`);
      this.canary = null;
    }
  }

  async cleanup(): Promise<void> {
    const handles = [this.canary, this.baseline].filter((h): h is ServiceHandle => h !== null);
    this.canary = null;
    this.baseline = null;
    // A build interrupted by a signal removes its own worktree: wait for that before the process exits.
    await Promise.all([...handles.map((h) => h.stop(5000)), settleBuilds()]);
  }

  cleanupState(): CleanupState {
    return {
      kind: 'local',
      pids: [this.canary?.pid, this.baseline?.pid].filter((p): p is number => typeof p === 'number'),
      commands: [],
      cwd: this.cwd,
    };
  }
}

class CommandDeployer implements Deployer {
  readonly kind = 'command' as const;
  private targets: Targets | null = null;
  private port = 0;
  private readonly dir: string;
  private promoted = false;
  private rolledBack = false;
  private rollbackP: Promise<void> | undefined;
  private deployed = false;
  private cleaned = false;

  constructor(
    private readonly plan: CanaryPlan,
    private readonly d: Extract<CanaryPlan['deployer'], { kind: 'command' }>,
    private readonly log: Log,
    private readonly cwd: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'canary-cmd-'));
  }

  private env(action: string): Record<string, string> {
    return {
      CANARY_ACTION: action,
      CANARY_SHA: this.plan.sha,
      CANARY_ENVIRONMENT: this.plan.environment,
      CANARY_PORT: String(this.port),
      CANARY_TRACK: 'canary',
      CANARY_URL_FILE: join(this.dir, 'canary-url'),
      BASELINE_URL: this.d.baseline_url ?? '',
      ...(this.targets && { CANARY_URL: this.targets.canaryUrl }),
    };
  }

  private async run(action: string, command: string, signal?: AbortSignal): Promise<string> {
    this.log(`${action}: running \`${maskCommandLine(command)}\``);
    const r = await runCommand(command, {
      env: this.env(action),
      timeoutMs: this.d.command_timeout_s * 1000,
      cwd: this.cwd,
      ...(signal && { signal }),
    });
    if (r.timedOut) throw new DeployError(`${action} command timed out after ${this.d.command_timeout_s}s`);
    if (r.code !== 0) {
      const why = lastLine(r.stderr) || lastLine(r.stdout) || `signal ${r.signal ?? 'none'}`;
      throw new DeployError(`${action} command exited with ${r.code ?? r.signal}: ${why}`);
    }
    return r.stdout;
  }

  async deploy(signal?: AbortSignal): Promise<Targets> {
    this.port = this.d.canary_port || (await freePort());
    this.deployed = true; // a failing deploy may still have left something behind: clean-up must run
    const stdout = await this.run('deploy', this.d.commands.deploy, signal);
    let canaryUrl: string;
    try {
      canaryUrl = readFileSync(join(this.dir, 'canary-url'), 'utf8').trim();
    } catch {
      const m = [...stdout.matchAll(/^CANARY_URL=(\S+)\s*$/gm)].pop();
      canaryUrl = m?.[1] ?? `http://127.0.0.1:${this.port}`;
    }
    try {
      canaryUrl = new URL(canaryUrl).href.replace(/\/$/, '');
    } catch {
      throw new DeployError(`deploy command reported a canary URL that is not a URL: ${JSON.stringify(canaryUrl)}`);
    }
    this.targets = { baselineUrl: this.d.baseline_url!, canaryUrl };
    this.log(`canary deployed at ${canaryUrl}`);
    return this.targets;
  }

  waitReady(signal?: AbortSignal): Promise<ReadinessResult> {
    if (!this.targets) throw new DeployError('waitReady before deploy');
    return waitReady(this.targets.canaryUrl, this.plan.readiness, signal);
  }

  async promote(): Promise<void> {
    if (this.d.commands.promote) await this.run('promote', this.d.commands.promote);
    // Only a finished promote is kept: a main step killed during it leaves the rollback to the post step.
    this.promoted = true;
  }

  /** Once: a second caller (the signal handler and the run both) waits for the same rollback. */
  rollback(): Promise<void> {
    if (!this.deployed) return Promise.resolve();
    this.rollbackP ??= (async () => {
      this.rolledBack = true;
      if (this.d.commands.rollback) await this.run('rollback', this.d.commands.rollback);
    })();
    return this.rollbackP;
  }

  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    try {
      if (this.deployed && this.d.commands.cleanup) await this.run('cleanup', this.d.commands.cleanup);
      // Only a clean-up that succeeded is done: a failed one stays in cleanupState() for the post step.
      this.cleaned = true;
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  cleanupState(): CleanupState {
    const commands: CleanupState['commands'] = [];
    const timeout_ms = this.d.command_timeout_s * 1000;
    if (this.deployed && !this.promoted && !this.rolledBack && this.d.commands.rollback) {
      commands.push({ name: 'rollback', command: this.d.commands.rollback, env: this.env('rollback'), timeout_ms });
    }
    if (this.deployed && !this.cleaned && this.d.commands.cleanup) {
      commands.push({ name: 'cleanup', command: this.d.commands.cleanup, env: this.env('cleanup'), timeout_ms });
    }
    return { kind: 'command', pids: [], commands, cwd: this.cwd };
  }
}

export function createDeployer(plan: CanaryPlan, log: Log, cwd: string): Deployer {
  return plan.deployer.kind === 'local'
    ? new LocalDeployer(plan, plan.deployer, log, cwd)
    : new CommandDeployer(plan, plan.deployer, log, cwd);
}

/**
 * Undo a run from its saved state alone (the post step after a cancelled job): end the processes,
 * then run the remaining commands. Returns one line per action taken.
 */
export async function cleanupFromState(state: CleanupState): Promise<string[]> {
  const done: string[] = [];
  for (const pid of state.pids) {
    if (!alive(pid)) continue;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      continue;
    }
    const until = Date.now() + 5000;
    while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
    done.push(`stopped process ${pid}`);
  }
  for (const c of state.commands) {
    const r = await runCommand(c.command, { env: c.env, timeoutMs: c.timeout_ms, cwd: state.cwd });
    done.push(`${c.name} command exited with ${r.code ?? r.signal}`);
  }
  return done;
}
