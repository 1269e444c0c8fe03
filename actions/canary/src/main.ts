/**
 * The canary action's main step: inputs in, lib/canary/orchestrate.ts does the work, outputs,
 * job summary and the PR comment out. Clean-up state goes to core.saveState for the post step.
 */
import * as core from '@actions/core';
import { commentOnPullRequests } from '../../../lib/canary/github.js';
import { executeCanary, type Shell } from '../../../lib/canary/orchestrate.js';
import { createGitHubClient } from '../../../lib/github/index.js';
import { parseBool, parseKeyValues } from '../../../lib/inputs.js';
import { readSettings } from '../../../lib/canary/settings.js';
import { parseHeaderLines, prometheusSecrets } from '../../../lib/prometheus.js';

const boolInput = (name: string): boolean | undefined => parseBool(`input ${name}`, core.getInput(name));

export async function run(): Promise<void> {
  try {
    const token = core.getInput('github-token');
    if (token) core.setSecret(token);
    // Before anything can be logged: the URL's password and every header value are masked.
    const prometheusUrl = core.getInput('prometheus-url');
    // Untrimmed, so the line numbers of an error match the workflow's lines.
    const headerLines = core.getInput('prometheus-headers', { trimWhitespace: false }).split(/\r?\n/);
    for (const s of prometheusSecrets(prometheusUrl, headerLines)) core.setSecret(s);
    const repository = process.env.GITHUB_REPOSITORY ?? '';
    const shell: Shell = {
      log: (l) => core.info(l),
      warn: (l) => core.warning(l),
      error: (l) => core.error(l),
      saveState: (s) => core.saveState('cleanup', s),
      setOutput: (n, v) => core.setOutput(n, v),
      summary: async (md) => {
        if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(md, true).write();
      },
      ...(token &&
        repository && {
          comment: async (sha, md, environment) => {
            const gh = createGitHubClient({
              token,
              repository,
              ...(process.env.GITHUB_API_URL && { baseUrl: process.env.GITHUB_API_URL }),
              log: { warning: (m) => core.warning(m), debug: (m) => core.debug(m) },
            });
            const prs = await commentOnPullRequests(gh, sha, md, { warning: (m) => core.warning(m) }, environment);
            core.info(
              prs.length
                ? `commented on pull request(s) ${prs.map((n) => `#${n}`).join(', ')}`
                : `no pull request contains ${sha}`,
            );
          },
        }),
    };
    const code = await executeCanary(
      {
        environment: core.getInput('environment', { required: true }),
        sha: core.getInput('sha') || process.env.GITHUB_SHA || '',
        dryRun: boolInput('dry-run') ?? false,
        cwd: process.env.GITHUB_WORKSPACE || process.cwd(),
        ...readSettings(
          (n) => core.getInput(n),
          (n) => `input ${n}`,
        ),
        prometheusHeaders: parseHeaderLines('input prometheus-headers', headerLines),
        canaryEnv: parseKeyValues('input canary-env', core.getMultilineInput('canary-env')),
      },
      shell,
    );
    if (code !== 0)
      core.setFailed(
        code === 1
          ? 'canary not promoted (see the verdict and the report)'
          : 'canary did not run (see the error above)',
      );
  } catch (err) {
    core.setFailed((err as Error).message);
  }
}

await run();
