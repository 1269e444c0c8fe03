/**
 * canary: manual statistical canary of one commit in one environment. The job names the
 * environment, so the environment's protection rules (required reviewers, branch policy) and its
 * secrets and variables apply. The commit under test is checked out with its whole history and
 * tags (fetch-depth 0): the local deployer builds the canary from that commit and the baseline from
 * its own commit (`baseline-ref`, default: the newest release tag before it, else the merge base
 * with the default branch, else the first parent; docs/canary-baseline.md), each in its own
 * worktree. The trust boundary is who may dispatch (write access) plus the environment's required
 * reviewers; deployer settings come from environment variables (`vars`). k6 is installed so
 * `driver: auto` uses it.
 */
import type { WorkflowDispatchInput } from '@schemastore/github-workflow';
import { checkout, setupNode, uploadReport, type Workflow } from './common.js';
import { K6_VERSION, PINS } from './pins.js';

interface Input {
  description: string;
  type: 'choice' | 'string' | 'boolean';
  required: boolean;
  default: string | boolean;
  options?: [string, ...string[]];
}
// The generated schemastore types model `default` as an object (a generator artifact); the
// tests validate the rendered file against the real JSON schema instead.
const input = (i: Input): WorkflowDispatchInput => i as unknown as WorkflowDispatchInput;

export const canary: Workflow = {
  name: 'canary',
  on: {
    workflow_dispatch: {
      inputs: {
        environment: input({
          description: 'Environment to run the canary in (its protection rules apply)',
          type: 'choice',
          options: ['staging', 'production'],
          required: true,
          default: 'staging',
        }),
        sha: input({
          description: 'Commit to deploy as the canary (default: the dispatched ref)',
          type: 'string',
          required: false,
          default: '',
        }),
        'baseline-ref': input({
          description:
            'Commit, tag or branch the baseline is built from (default: newest release tag before the sha, else merge base with the default branch, else first parent)',
          type: 'string',
          required: false,
          default: '',
        }),
        'dry-run': input({
          description: 'Only print the resolved canary plan; deploy and judge nothing',
          type: 'boolean',
          required: false,
          default: false,
        }),
      },
    },
  },
  permissions: {},
  // One canary per environment at a time; a running canary is never cancelled by a new dispatch.
  concurrency: { group: 'canary-${{ inputs.environment }}', 'cancel-in-progress': false },
  jobs: {
    canary: {
      name: 'Canary (${{ inputs.environment }})',
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 45,
      environment: '${{ inputs.environment }}',
      // pull-requests: the canary comments its verdict on the pull request of the commit.
      permissions: { contents: 'read', 'pull-requests': 'write' },
      steps: [
        // The whole history and the tags: the baseline's commit must be there to be built.
        checkout({ ref: '${{ inputs.sha || github.sha }}', 'fetch-depth': 0 }),
        ...setupNode(),
        { name: 'Install k6', uses: PINS.setupK6.uses, with: { 'k6-version': K6_VERSION } },
        { name: 'Build', run: 'npm run build' },
        {
          name: 'Canary',
          id: 'canary',
          uses: './actions/canary',
          with: {
            environment: '${{ inputs.environment }}',
            sha: '${{ inputs.sha || github.sha }}',
            'baseline-ref': '${{ inputs.baseline-ref }}',
            'dry-run': '${{ inputs.dry-run }}',
            deployer: '${{ vars.CANARY_DEPLOYER }}',
            'baseline-url': '${{ vars.CANARY_BASELINE_URL }}',
            'prometheus-url': '${{ vars.PROMETHEUS_URL }}',
            'deploy-command': '${{ vars.CANARY_DEPLOY_COMMAND }}',
            'promote-command': '${{ vars.CANARY_PROMOTE_COMMAND }}',
            'rollback-command': '${{ vars.CANARY_ROLLBACK_COMMAND }}',
            'cleanup-command': '${{ vars.CANARY_CLEANUP_COMMAND }}',
            'github-token': '${{ github.token }}',
          },
        },
        uploadReport('canary-report', 'reports/performance/'),
      ],
    },
  },
};
