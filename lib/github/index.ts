export {
  createGitHubClient,
  degradeOnForbidden,
  GitHubError,
  type GitHubClient,
  type GitHubClientOptions,
  type Logger,
  type Octokit,
} from './client.js';
export { commentMarker, upsertStickyComment, type StickyResult } from './comment.js';
export { ensureBranch, readJsonFile, updateJsonFile, type DataFile } from './data-branch.js';
export { commitAncestors, mergeBaseAncestry } from './ancestry.js';
export { appendHistoryRemote, DEFAULT_HISTORY_BRANCH, historyFile, readHistory } from './history.js';
export { pullRequestsOfCommit, type CommitPullRequest } from './pulls.js';
