/**
 * The performance dashboard on GitHub Pages, rebuilt after every push to main has recorded its
 * smoke run (jobs of perf-smoke, so the page follows the history it draws). Two jobs because Pages
 * wants it and because permissions are per job: the build reads the repository (every commit and
 * tag, for release marks and commit subjects), the data branch and the canary runs' report
 * artifacts; only the deploy job may write Pages and mint the OIDC token deploy-pages needs.
 */
import { DEFAULT_HISTORY_BRANCH, historyFile } from '#lib/github/history.js';
import { checkout, setupNode, type Job } from './common.js';
import { PINS } from './pins.js';

/** The artifact canary.yml uploads its report in (checked against canary.yml by the workflow tests). */
export const CANARY_ARTIFACT = 'canary-report';
const DATA_DIR = 'perf-data';
const CANARY_DIR = 'canary-reports';
const SITE_DIR = '_site';
/** How many recent canary runs to list (their artifacts expire after the retention period anyway). */
const CANARY_RUNS = 30;

export function dashboardJobs(smokeJob: string): Record<string, Job> {
  const history = `${DATA_DIR}/${historyFile(DEFAULT_HISTORY_BRANCH, 'main').path}`;
  return {
    'dashboard-build': {
      name: 'Dashboard (build from the data branch)',
      needs: smokeJob,
      // A failed gate still recorded its run: the page shows it. Only a cancelled run has nothing new.
      if: "github.event_name == 'push' && !cancelled()",
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 10,
      // actions: read lists the canary runs and downloads their report artifacts.
      permissions: { contents: 'read', actions: 'read' },
      steps: [
        checkout({ 'fetch-depth': 0 }),
        { ...checkout({ ref: DEFAULT_HISTORY_BRANCH, path: DATA_DIR }), name: 'Check out the data branch' },
        ...setupNode(),
        {
          // A canary run that was a dry run, or whose artifact expired, has no report: said, not failed.
          name: 'Download recent canary reports',
          env: { GH_TOKEN: '${{ github.token }}' },
          run: [
            `mkdir -p ${CANARY_DIR}`,
            `gh run list --repo "$GITHUB_REPOSITORY" --workflow canary.yml --limit ${CANARY_RUNS} --json databaseId --jq '.[].databaseId' |`,
            '  while read -r id; do',
            `    gh run download "$id" --repo "$GITHUB_REPOSITORY" --name ${CANARY_ARTIFACT} --dir "${CANARY_DIR}/$id" ||`,
            `      echo "::notice::canary run $id has no ${CANARY_ARTIFACT} artifact"`,
            '  done',
            '',
          ].join('\n'),
        },
        {
          name: 'Build the dashboard',
          run: `npm run dashboard -- --history ${history} --out ${SITE_DIR} --repo . --canary '${CANARY_DIR}/*/canary-*.json'\n`,
        },
        { name: 'Upload the site', uses: PINS.uploadPagesArtifact.uses, with: { path: SITE_DIR } },
      ],
    },
    'dashboard-deploy': {
      name: 'Dashboard (publish with GitHub Pages)',
      needs: 'dashboard-build',
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 10,
      permissions: { pages: 'write', 'id-token': 'write' },
      environment: { name: 'github-pages', url: '${{ steps.deployment.outputs.page_url }}' },
      // One deployment at a time, in order; a running one is never cancelled halfway.
      concurrency: { group: 'pages', 'cancel-in-progress': false },
      steps: [{ name: 'Deploy to GitHub Pages', id: 'deployment', uses: PINS.deployPages.uses }],
    },
  };
}
