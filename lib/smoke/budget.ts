/** The smoke gate's budget: the budget file (lib/budget-file.ts) with the limit settings as overrides. */
import { BudgetError, loadBudget, parseBudget, withOverrides, type Budget } from '#core/budget.js';
import { budgetFile } from '../budget-file.js';
import { InputError } from '../inputs.js';
import type { Logger } from '../kit/host.js';
import type { SmokeConfig } from './config.js';

export function readSmokeBudget(
  config: Pick<SmokeConfig, 'budget' | 'maxP95Ms' | 'maxErrorRate' | 'minRequests'>,
  workspace: string,
  log: Pick<Logger, 'info'>,
): Budget {
  const overrides = {
    p95_ms: config.maxP95Ms,
    error_rate: config.maxErrorRate,
    min_requests: config.minRequests,
  };
  const file = budgetFile(config.budget, workspace);
  try {
    if (file.source === 'bundled') {
      // No budget file in the workspace: every limit given as a setting, or the bundled defaults.
      if (Object.values(overrides).every((v) => v !== undefined))
        return parseBudget({ version: 1, ...overrides }, 'action inputs');
      log.info(`No budget input and no k6/budget.json in the workspace: using the action's default budget`);
    }
    return withOverrides(loadBudget(file.path), overrides);
  } catch (err) {
    if (err instanceof BudgetError) throw new InputError(err.message);
    throw err;
  }
}
