/**
 * The release-tag action's settings (action.yml, checked by tests/actions/spec.test.ts), read by
 * one rule (lib/kit/spec.ts).
 */
import type { ActionSpec, ConfigOf } from '../kit/spec.js';

export const RELEASE_SPEC = {
  tag: {
    kind: 'string',
    description:
      'Tag to create (also the release name). Empty (the default): the "tag" declared in release-file as it is in the commit being tagged (read through the API at sha, so a later bump on the default branch never relabels an earlier commit); when that commit has no such file, v0.5.0-phase5-start. A given tag always wins over the file.',
  },
  'release-file': {
    kind: 'string',
    description:
      'Repository path of the JSON file declaring the release tag, {"tag": "v1.2.0"}. Bump its tag to cut the next release. Read only when tag is empty; a malformed file fails the step.',
    default: 'release.json',
  },
  'on-conflict': {
    kind: 'string',
    description:
      'When the tag already points at another commit: "fail" (default) fails the step; "skip" ends the step green with a notice ("<tag> already released at <sha>; bump release.json to release this commit") and sets the output skipped to "true". The tag is never moved either way.',
    default: 'fail',
  },
  sha: {
    kind: 'string',
    description:
      "Commit to tag (full 40-hex SHA). Empty: the triggering event's commit (workflow_run.head_sha for a workflow_run event, GITHUB_SHA otherwise).",
  },
  'github-token': {
    kind: 'string',
    only: 'action',
    description: 'Token with contents:write (tag, release) and pull-requests:write (comment).',
    default: '${{ github.token }}',
  },
  'smoke-report': {
    kind: 'string',
    description: 'Smoke report JSON written by the smoke gate; its verdict must be "pass" for this commit.',
    default: 'reports/performance/smoke-summary.json',
  },
  'canary-report': {
    kind: 'string',
    description: 'Optional canary report JSON; its verdict goes into the notes, and a "fail" blocks the release.',
  },
} as const satisfies ActionSpec;

export type ReleaseConfig = ConfigOf<typeof RELEASE_SPEC>;
