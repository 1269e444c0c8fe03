/**
 * Post step: GitHub runs it after the job, also when the main step was cancelled or killed. The
 * main step saves what it deployed (core.saveState) and marks itself finished once its own
 * clean-up ran; anything else means the canary may still be serving, so undo it from the state.
 */
import * as core from '@actions/core';
import { runPostCleanup } from '#lib/canary/post.js';

try {
  for (const line of await runPostCleanup(core.getState('cleanup'))) core.info(line);
} catch (err) {
  core.warning(`canary post clean-up: ${(err as Error).message}`);
}
