/**
 * Release-tag action: reads its inputs (lib/release/spec.ts), tags and releases the commit
 * (lib/release/release.ts), writes the outputs and the job summary.
 */
import { readActionConfig, type ActionRunOptions } from '../../../lib/kit/action.js';
import { readRunContext } from '../../../lib/kit/context.js';
import { maskSecrets } from '../../../lib/kit/github.js';
import { coreHost, type Host } from '../../../lib/kit/host.js';
import { InputError } from '../../../lib/inputs.js';
import { releaseTag } from '../../../lib/release/release.js';
import { RELEASE_SPEC } from '../../../lib/release/spec.js';

export async function run(host: Host = coreHost(), opts: ActionRunOptions = {}): Promise<void> {
  try {
    const config = readActionConfig(RELEASE_SPEC, opts.inputs);
    if (!config.githubToken) throw new InputError('Input required and not supplied: github-token');
    maskSecrets(host, [config.githubToken]);
    const onConflict = config.onConflict.toLowerCase();
    if (onConflict !== 'fail' && onConflict !== 'skip')
      throw new InputError(`on-conflict must be "fail" or "skip", got "${onConflict}"`);
    const ctx = readRunContext(opts.env);
    const result = await releaseTag({
      tag: config.tag ?? '',
      releaseFile: config.releaseFile,
      onConflict,
      // The commit the triggering event is about: a workflow_run's head, else GITHUB_SHA.
      sha: config.sha || ctx.workflowRunHeadSha || ctx.sha,
      token: config.githubToken,
      repository: ctx.repository,
      apiUrl: ctx.apiUrl,
      retryBaseMs: opts.retryBaseMs,
      smokeReportPath: config.smokeReport,
      canaryReportPath: config.canaryReport || undefined,
      log: host,
    });
    host.setOutput('tag', result.tag);
    host.setOutput('sha', result.sha);
    host.setOutput('created', String(result.created));
    host.setOutput('skipped', String(result.skipped));
    host.setOutput('release-url', result.releaseUrl);
    await host.summary(result.summary);
  } catch (err) {
    host.fail(err instanceof Error ? err.message : String(err));
  }
}
