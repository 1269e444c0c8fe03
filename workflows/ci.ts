/**
 * ci: the same `.ci/run` a maintainer runs locally (typecheck, lint, tests, dist drift, workflow
 * drift), on every pull request and push to main, with the PostgreSQL and Prometheus the tests use.
 */
import { checkout, NODE_VERSION, type Workflow } from './common.js';
import { PINS } from './pins.js';

export const ci: Workflow = {
  name: 'ci',
  on: { pull_request: { branches: ['main'] }, push: { branches: ['main'] } },
  permissions: {},
  concurrency: {
    group: 'ci-${{ github.event.pull_request.number || github.sha }}',
    'cancel-in-progress': "${{ github.event_name == 'pull_request' }}",
  },
  jobs: {
    ci: {
      name: 'Typecheck, lint, test, drift checks',
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 60,
      permissions: { contents: 'read' },
      services: {
        postgres: {
          image: 'postgres:16',
          env: { POSTGRES_DB: 'test', POSTGRES_HOST_AUTH_METHOD: 'trust' },
          ports: ['5432:5432'],
          options: '--health-cmd "pg_isready -U postgres" --health-interval 5s --health-timeout 5s --health-retries 10',
        },
      },
      env: { TEST_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' },
      steps: [
        checkout(),
        { name: 'Set up Node.js', uses: PINS.setupNode.uses, with: { 'node-version': NODE_VERSION, cache: 'npm' } },
        {
          // The Debian package would start a system-wide Prometheus on :9090; the tests start their own.
          name: 'Install Prometheus',
          run: 'sudo apt-get update -qq\nsudo apt-get install -y -qq --no-install-recommends prometheus\nsudo systemctl stop prometheus || true\n',
        },
        { name: 'Run .ci/run', run: 'bash .ci/run' },
      ],
    },
  },
};
