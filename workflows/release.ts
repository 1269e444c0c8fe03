/**
 * release: after perf-smoke succeeded for a push to main, tag that commit and publish a release.
 * `workflow_run` runs in the base repository's context with the workflow file from the default
 * branch; the guards below make sure the triggering run was a push to main of this repository
 * (never a fork's pull request), and nothing from the triggering run is executed: only its report
 * artifact is downloaded, as data.
 *
 * The tag is the one the released commit declares in release.json (the action reads it at that
 * commit). Once a tag is released, later merges that did not bump release.json end green with a
 * notice instead of a red run: `on-conflict: skip`; the tag is never moved.
 */
import { checkout, SMOKE_ARTIFACT, type Workflow } from './common.js';
import { PERF_SMOKE_NAME } from './perf-smoke.js';
import { PINS } from './pins.js';

const run = 'github.event.workflow_run';

export const release: Workflow = {
  name: 'release',
  on: { workflow_run: { workflows: [PERF_SMOKE_NAME], types: ['completed'], branches: ['main'] } },
  permissions: {},
  concurrency: { group: 'release-tag', 'cancel-in-progress': false },
  jobs: {
    'release-tag': {
      name: 'Tag and release the commit that passed the smoke gate',
      if: [
        `${run}.conclusion == 'success'`,
        `${run}.event == 'push'`,
        `${run}.head_branch == 'main'`,
        `${run}.head_repository.full_name == github.repository`,
      ].join(' && '),
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 10,
      // contents: tag + release; pull-requests: comment on the merged PR; actions: read the other run's artifact.
      permissions: { contents: 'write', 'pull-requests': 'write', actions: 'read' },
      steps: [
        // The default branch's action code (trusted), not the triggering commit.
        checkout(),
        {
          name: 'Download the smoke report',
          uses: PINS.downloadArtifact.uses,
          with: {
            name: SMOKE_ARTIFACT,
            path: 'reports/performance',
            'run-id': `\${{ ${run}.id }}`,
            'github-token': '${{ github.token }}',
          },
        },
        {
          name: 'Tag and release',
          id: 'release',
          uses: './actions/release-tag',
          with: {
            sha: `\${{ ${run}.head_sha }}`,
            'release-file': 'release.json',
            'on-conflict': 'skip',
            'smoke-report': 'reports/performance/smoke-summary.json',
            'github-token': '${{ github.token }}',
          },
        },
      ],
    },
  },
};
