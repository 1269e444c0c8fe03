/**
 * The clean-up state a run saves while it has something deployed, and the post-step logic that
 * reads it back. Kept apart from the action shell so the CLI's signal path and tests share it.
 */
import { cleanupFromState, type CleanupState } from './deployer.js';

export interface SavedState extends CleanupState {
  /** true once the main step's own clean-up completed: nothing is left to undo. */
  finished: boolean;
}

export function encodeState(state: CleanupState, finished: boolean): string {
  return JSON.stringify({ ...state, finished } satisfies SavedState);
}

export async function runPostCleanup(raw: string): Promise<string[]> {
  if (!raw) return ['canary post: nothing was deployed, nothing to clean up'];
  const state = JSON.parse(raw) as SavedState;
  if (state.finished) return ['canary post: the main step cleaned up already'];
  const done = await cleanupFromState(state);
  return ['canary post: the main step did not finish; cleaning up what it left', ...done];
}
