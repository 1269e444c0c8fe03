/** Building blocks shared by the workflows, so a step (and its hardening) is written once. */
import type { HttpsJsonSchemastoreOrgGithubWorkflowJson, NormalJob, Step } from '@schemastore/github-workflow';
import { PINS } from './pins.js';

export type Workflow = HttpsJsonSchemastoreOrgGithubWorkflowJson;
export type Job = NormalJob;
export type { Step };

/** The Node.js major the project declares in package.json `engines` and tests on. */
export const NODE_VERSION = '20';

/** Name of the artifact perf-smoke uploads and release downloads. */
export const SMOKE_ARTIFACT = 'perf-smoke-report';

/** Checkout without leaving the token in .git/config, so later steps (npm scripts, k6) cannot read it. */
export function checkout(extra: Record<string, string | number | boolean> = {}): Step {
  return { name: 'Check out', uses: PINS.checkout.uses, with: { 'persist-credentials': false, ...extra } };
}

export function setupNode(): Step[] {
  return [
    { name: 'Set up Node.js', uses: PINS.setupNode.uses, with: { 'node-version': NODE_VERSION, cache: 'npm' } },
    { name: 'Install dependencies', run: 'npm ci --no-audit --no-fund' },
  ];
}

export function uploadReport(name: string, path: string): Step {
  return {
    name: `Upload ${name}`,
    if: 'always()',
    uses: PINS.uploadArtifact.uses,
    with: { name, path, 'if-no-files-found': 'warn', 'retention-days': 30 },
  };
}
