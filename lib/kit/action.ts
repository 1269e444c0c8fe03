/**
 * An action's inputs read through its spec: `core.getInput` on a runner, a plain map for a test
 * running the shell in-process. Errors name the input (`input max-p95-ms must be ...`).
 */
import * as core from '@actions/core';
import { inputLabel, readConfig, type ActionSpec, type ConfigOf, type RawReader } from './spec.js';

/** Reads inputs from the runner's INPUT_* variables, or from `inputs` when given. */
export function inputReader(inputs?: Record<string, string>): RawReader {
  if (inputs) return (name) => inputs[name];
  return (name, spec) => core.getInput(name, { trimWhitespace: !spec.raw });
}

/** The action's typed config (one object, camelCase keys) from its spec. */
export function readActionConfig<S extends ActionSpec>(
  spec: S,
  inputs?: Record<string, string>,
  opts: { defaults?: boolean } = {},
): ConfigOf<S> {
  return readConfig(spec, inputReader(inputs), inputLabel, 'action', opts);
}

/** What a test may hand an action's run() instead of the runner's: inputs, environment, a short GitHub retry delay. */
export interface ActionRunOptions {
  /** Inputs by name instead of the runner's INPUT_* variables. */
  inputs?: Record<string, string>;
  /** The environment the run's context is read from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** First GitHub retry delay (default 1 s). */
  retryBaseMs?: number;
}
