/** Action entry: inputs and outputs only; the work is in release.ts. */
import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import { releaseTag, type OnConflict } from './release.js';

function onConflictInput(): OnConflict {
  const v = core.getInput('on-conflict').trim().toLowerCase() || 'fail';
  if (v !== 'fail' && v !== 'skip') throw new Error(`on-conflict must be "fail" or "skip", got "${v}"`);
  return v;
}

/** The commit the triggering event is about: a workflow_run's head, else GITHUB_SHA. */
function eventSha(): string {
  const eventPath = process.env.GITHUB_EVENT_PATH;
  if (eventPath) {
    try {
      const event = JSON.parse(readFileSync(eventPath, 'utf8')) as { workflow_run?: { head_sha?: unknown } };
      if (typeof event.workflow_run?.head_sha === 'string') return event.workflow_run.head_sha;
    } catch {
      // no readable event: fall back to GITHUB_SHA
    }
  }
  return process.env.GITHUB_SHA ?? '';
}

export async function run(): Promise<void> {
  try {
    const token = core.getInput('github-token', { required: true });
    core.setSecret(token);
    const result = await releaseTag({
      tag: core.getInput('tag').trim(),
      releaseFile: core.getInput('release-file').trim() || undefined,
      onConflict: onConflictInput(),
      sha: core.getInput('sha') || eventSha(),
      token,
      repository: process.env.GITHUB_REPOSITORY ?? '',
      apiUrl: process.env.GITHUB_API_URL,
      smokeReportPath: core.getInput('smoke-report') || 'reports/performance/smoke-summary.json',
      canaryReportPath: core.getInput('canary-report') || undefined,
      log: { info: core.info, notice: core.notice, warning: core.warning, debug: core.debug },
    });
    core.setOutput('tag', result.tag);
    core.setOutput('sha', result.sha);
    core.setOutput('created', String(result.created));
    core.setOutput('skipped', String(result.skipped));
    core.setOutput('release-url', result.releaseUrl);
    // Outside a runner there is no job summary; the tag and release are done and must not fail here.
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(result.summary).write();
  } catch (err) {
    core.setFailed(err instanceof Error ? err.message : String(err));
  }
}

void run();
