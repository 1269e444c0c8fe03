/**
 * `release.json` at the repository root declares the tag the next release gets: `{ "tag": "v1.2.0" }`.
 * Bumping it is how a maintainer cuts the next release; the smoke gate announces it on the pull
 * request and release-tag creates it once that commit passed on main.
 */
import { checkTagName, DEFAULT_RELEASE_TAG, ReleaseRefusedError } from './notes.js';

export const RELEASE_FILE = 'release.json';

export interface ReleaseConfig {
  tag: string;
}

/** Parses the text of a release file; `where` names it in the one-line errors. */
export function parseReleaseConfig(text: string, where = RELEASE_FILE): ReleaseConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ReleaseRefusedError(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  const tag = (raw as { tag?: unknown } | null)?.tag;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || typeof tag !== 'string') {
    throw new ReleaseRefusedError(`${where} must be a JSON object with a string "tag", e.g. {"tag": "v1.2.0"}`);
  }
  try {
    return { tag: checkTagName(tag) };
  } catch (err) {
    throw new ReleaseRefusedError(`${where}: ${(err as Error).message}`);
  }
}

/**
 * The tag a commit declares: its release file's tag, or DEFAULT_RELEASE_TAG when it has no release
 * file (`text` undefined). Shared by release-tag and the perf-smoke workflow so both agree.
 */
export function declaredReleaseTag(text: string | undefined, where = RELEASE_FILE): string {
  return text === undefined ? DEFAULT_RELEASE_TAG : parseReleaseConfig(text, where).tag;
}
