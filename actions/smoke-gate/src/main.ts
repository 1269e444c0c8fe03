/**
 * Smoke gate action: reads its inputs (lib/smoke/spec.ts), runs the gate (lib/smoke), writes the
 * outputs and the verdict. The flow is the one `npm run smoke` runs.
 */
import { readActionConfig, type ActionRunOptions } from '../../../lib/kit/action.js';
import { readRunContext } from '../../../lib/kit/context.js';
import { maskSecrets } from '../../../lib/kit/github.js';
import { coreHost, oneLine, type Host } from '../../../lib/kit/host.js';
import { InputError } from '../../../lib/inputs.js';
import { K6ScriptsInputError, K6ScriptsRunError } from '../../../lib/k6/scripts.js';
import { announceVerdict, runSmokeGate } from '../../../lib/smoke/action.js';
import { smokeSecrets } from '../../../lib/smoke/slo.js';
import { SMOKE_SPEC } from '../../../lib/smoke/spec.js';

export async function run(host: Host = coreHost(), opts: ActionRunOptions = {}): Promise<void> {
  try {
    const config = readActionConfig(SMOKE_SPEC, opts.inputs);
    // Before anything can be logged: the token, the Prometheus URL's password and header values.
    maskSecrets(host, [config.githubToken, ...smokeSecrets(config)]);
    const { report, reportPath } = await runSmokeGate(config, readRunContext(opts.env), host, opts);
    host.setOutput('passed', String(report.passed));
    host.setOutput('verdict', report.verdict);
    host.setOutput('p95-ms', report.measured.p95_ms ?? '');
    host.setOutput('error-rate', report.measured.error_rate ?? '');
    host.setOutput('requests', report.measured.requests);
    host.setOutput('summary-path', reportPath);
    announceVerdict(report, host);
  } catch (err) {
    const userFacing = err instanceof InputError || err instanceof K6ScriptsRunError;
    host.fail(userFacing ? oneLine(err) : `smoke-gate: ${oneLine(err)}`);
    // A bad script glob, conflicting inputs, no k6: a usage error, exit status 2.
    if (err instanceof K6ScriptsInputError) process.exitCode = err.exitCode;
  }
}
