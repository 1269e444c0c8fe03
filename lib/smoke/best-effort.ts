/**
 * The smoke gate's GitHub steps are best effort: 403/404 (fork pull request, read-only token) and
 * any other failure after retries become warnings, never a changed verdict.
 */
import { degradeOnForbidden } from '../github/client.js';
import { oneLine, type Logger } from '../kit/host.js';

export async function bestEffort<T>(what: string, log: Logger, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await degradeOnForbidden(
      what,
      { warning: (m) => log.warning(`${m} Results are in the job summary and the report.`) },
      fn,
    );
  } catch (err) {
    log.warning(`${what} failed: ${oneLine(err)}`);
    return undefined;
  }
}
