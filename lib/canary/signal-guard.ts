/**
 * The run's one signal guard. SIGTERM/SIGINT (a cancelled job, Ctrl-C) during a canary run: stop
 * the traffic (abort), undo the canary (a promote in flight settles first, bounded), clean up, and
 * then make the run end with `CanaryInterrupted` carrying the exit status (130/143) for the shell
 * to exit with: only shells end the process.
 */
import { killLiveCommands } from './shell.js';

/**
 * How long a SIGTERM/SIGINT waits for a promote already in flight. Killing it halfway and rolling
 * back at the same time could leave the environment half promoted; waiting without bound could
 * outlast the runner's grace period (it kills the step some seconds after the signal) and skip
 * the clean-up.
 */
export const PROMOTE_SETTLE_MS = 5000;

/** The run was interrupted by a signal; its rollback and clean-up are done. Exit with `exitCode`. */
export class CanaryInterrupted extends Error {
  override name = 'CanaryInterrupted';
  readonly exitCode: number;
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}

export interface GuardActions {
  warn(line: string): void;
  rollback(): Promise<void>;
  cleanup(): Promise<void>;
}

export class SignalGuard {
  readonly abort = new AbortController();
  signalled: NodeJS.Signals | null = null;
  promoted = false;
  /** The promote in flight or done: resolves to its error, or null when it succeeded. */
  private promoting: Promise<Error | null> | null = null;
  private promoteSettled = false;
  /** The handler's rollback and clean-up. */
  private undone: Promise<void> | null = null;
  private readonly handler = (sig: NodeJS.Signals): void => this.onSignal(sig);

  constructor(private readonly actions: GuardActions) {}

  install(): void {
    process.on('SIGTERM', this.handler);
    process.on('SIGINT', this.handler);
  }

  uninstall(): void {
    process.off('SIGTERM', this.handler);
    process.off('SIGINT', this.handler);
  }

  /** Runs the promote under the guard: a signal meanwhile lets it settle before deciding. */
  async promote(run: () => Promise<void>): Promise<Error | null> {
    this.promoting = run().then(
      () => null,
      (err: Error) => err,
    );
    const failed = await this.promoting;
    this.promoteSettled = true;
    return failed;
  }

  /** After a signal: waits for the handler's rollback and clean-up, then throws `CanaryInterrupted`. */
  async checkpoint(): Promise<void> {
    if (this.undone && this.signalled) {
      await this.undone;
      throw new CanaryInterrupted(this.signalled);
    }
  }

  private onSignal(sig: NodeJS.Signals): void {
    if (this.signalled) return;
    this.signalled = sig;
    const { warn } = this.actions;
    warn(`received ${sig}: stopping the canary run, rolling back and cleaning up`);
    this.abort.abort();
    this.undone = (async (): Promise<void> => {
      try {
        const rollBack =
          this.promoting && !this.promoteSettled ? await this.settlePromote(sig, this.promoting) : !this.promoted;
        if (rollBack) await this.actions.rollback();
      } catch (err) {
        warn(`rollback after ${sig} failed: ${(err as Error).message}`);
      }
      try {
        await this.actions.cleanup();
      } catch (err) {
        warn(`clean-up after ${sig} failed: ${(err as Error).message}`);
      }
      killLiveCommands();
    })();
  }

  /**
   * A signal during the promote: let it settle (bounded), keep a promote that succeeded, roll back
   * one that failed or did not finish in time (stopped first, so the two never run at once).
   */
  private async settlePromote(sig: NodeJS.Signals, p: Promise<Error | null>): Promise<boolean> {
    const { warn } = this.actions;
    warn(`${sig} arrived during the promote: waiting up to ${PROMOTE_SETTLE_MS / 1000} s for it to finish`);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), PROMOTE_SETTLE_MS)));
    const r = await Promise.race([p, late]);
    clearTimeout(timer);
    if (r === null) {
      warn('the promote finished: keeping it, no rollback');
      return false;
    }
    if (r === 'late') {
      killLiveCommands();
      warn(`the promote did not finish within ${PROMOTE_SETTLE_MS / 1000} s: stopped it, rolling back`);
    } else warn(`the promote failed (${r.message}): rolling back`);
    return true;
  }
}
