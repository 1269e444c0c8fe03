/**
 * Which budget file a run uses, one rule for the smoke gate, the canary and their CLIs: the one
 * given (relative to the workspace), else the workspace's k6/budget.json, else the budget that
 * ships with this code (this repository's, bundled into each action's dist).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_BUDGET_PATH } from '#core/budget.js';

export const WORKSPACE_BUDGET = 'k6/budget.json';

export interface BudgetFile {
  path: string;
  /** Where it came from: a bundled budget is worth telling the user about. */
  source: 'given' | 'workspace' | 'bundled';
}

export function budgetFile(given: string | undefined, workspace: string): BudgetFile {
  if (given) return { path: resolve(workspace, given), source: 'given' };
  const inWorkspace = join(workspace, WORKSPACE_BUDGET);
  if (existsSync(inWorkspace)) return { path: inWorkspace, source: 'workspace' };
  return { path: DEFAULT_BUDGET_PATH, source: 'bundled' };
}
