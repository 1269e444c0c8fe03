/**
 * The canary action's main step: reads its inputs (lib/canary/settings.ts), runs the canary
 * (lib/canary/orchestrate.ts, as `npm run canary`), the verdict as the step's status. Outputs, job
 * summary, PR comment and the post step's clean-up state go through the host.
 */
import { hostShell } from '../../../lib/canary/host-shell.js';
import { executeCanary } from '../../../lib/canary/orchestrate.js';
import { CANARY_SPEC, planSettings } from '../../../lib/canary/settings.js';
import { readActionConfig, type ActionRunOptions } from '../../../lib/kit/action.js';
import { readRunContext } from '../../../lib/kit/context.js';
import { maskSecrets } from '../../../lib/kit/github.js';
import { coreHost, type Host } from '../../../lib/kit/host.js';
import { inputLabel } from '../../../lib/kit/spec.js';
import { prometheusSecrets } from '../../../lib/prometheus.js';

export async function run(host: Host = coreHost(), opts: ActionRunOptions = {}): Promise<void> {
  try {
    // No defaults applied: GitHub passes action.yml's, and an empty setting falls back to the config file.
    const config = readActionConfig(CANARY_SPEC, opts.inputs, { defaults: false });
    // Before anything can be logged: the token, the URL's password and every header value.
    maskSecrets(host, [config.githubToken, ...prometheusSecrets(config.prometheusUrl ?? '', config.prometheusHeaders)]);
    const ctx = readRunContext(opts.env);
    const code = await executeCanary(
      {
        environment: config.environment,
        sha: config.sha || ctx.sha,
        dryRun: config.dryRun ?? false,
        cwd: ctx.workspace,
        ...planSettings(config, inputLabel),
      },
      hostShell(host, ctx, config.githubToken, opts),
    );
    if (code !== 0)
      host.fail(
        code === 1
          ? 'canary not promoted (see the verdict and the report)'
          : 'canary did not run (see the error above)',
      );
  } catch (err) {
    host.fail((err as Error).message);
  }
}
