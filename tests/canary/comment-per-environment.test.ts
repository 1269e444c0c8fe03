/** One sticky canary comment per environment on the fake (OpenAPI-checked) GitHub: staging never overwrites production. */
import { commentOnPullRequests } from '#lib/canary/github.js';
import { commentMarker, createGitHubClient, type GitHubClient } from '#lib/github/index.js';
import { startFakeGitHub, type FakeGitHub } from '../support/github-api-server.js';

let fake: FakeGitHub;
let gh: GitHubClient;
const warnings: string[] = [];
const log = { warning: (m: string) => warnings.push(m) };

beforeEach(async () => {
  fake = await startFakeGitHub({ owner: 'acme', repo: 'hotel' });
  gh = createGitHubClient({ token: 'rw-token', repository: 'acme/hotel', baseUrl: fake.url, retryBaseMs: 5, log });
});
afterEach(async () => {
  expect(fake.violations).toEqual([]);
  await fake.close();
});

test('staging and production keep a comment each; a rerun updates its own environment only', async () => {
  const sha = fake.state.commitOn('feature', 1, 'faster replies')[0]!;
  fake.state.addPull({ number: 31, head_sha: sha });
  expect(await commentOnPullRequests(gh, sha, 'production: pass', log, 'production')).toEqual([31]);
  expect(await commentOnPullRequests(gh, sha, 'staging: fail', log, 'staging')).toEqual([31]);
  expect(await commentOnPullRequests(gh, sha, 'staging: pass', log, 'staging')).toEqual([31]);
  expect(fake.state.commentsOn(31).map((c) => c.body)).toEqual([
    `${commentMarker('canary-production')}\nproduction: pass`,
    `${commentMarker('canary-staging')}\nstaging: pass`,
  ]);
  expect(warnings).toEqual([]);
});
