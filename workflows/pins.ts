/**
 * Third-party actions, pinned to the full commit SHA of a release (a tag can be moved, a SHA cannot).
 * The version is written as a YAML comment next to each `uses:` so a reviewer (or Dependabot) sees
 * what the SHA stands for. Change a pin here, run `npm run workflows`, commit both.
 */
export interface Pin {
  uses: string;
  version: string;
}

const pin = (repo: string, sha: string, version: string): Pin => ({ uses: `${repo}@${sha}`, version });

export const PINS = {
  checkout: pin('actions/checkout', '11bd71901bbe5b1630ceea73d27597364c9af683', 'v4.2.2'),
  setupNode: pin('actions/setup-node', '49933ea5288caeca8642d1e84afbd3f7d6820020', 'v4.4.0'),
  uploadArtifact: pin('actions/upload-artifact', 'ea165f8d65b6e75b540449e92b4886f43607fa02', 'v4.6.2'),
  downloadArtifact: pin('actions/download-artifact', 'd3f86a106a0bac45b974a628896c90dbdf5c8093', 'v4.3.0'),
  setupK6: pin('grafana/setup-k6-action', 'ffe7d7290dfa715e48c2ccc924d068444c94bde2', 'v1.1.0'),
  // The Pages pair: upload-pages-artifact v4 writes the artifact deploy-pages v4 reads.
  uploadPagesArtifact: pin('actions/upload-pages-artifact', '7b1f4a764d45c48632c6b24a0339c27f5614fb0b', 'v4.0.0'),
  deployPages: pin('actions/deploy-pages', 'd6db90164ac5ed86f2b6aed7e0febac5b3c0c03e', 'v4.0.5'),
} as const satisfies Record<string, Pin>;

/**
 * The k6 release the workflows install. k6 runs TypeScript natively since v0.57 (v0.52-v0.56 only
 * with --compatibility-mode=experimental_enhanced), so k6/*.ts run as they are; the 1.x line still
 * has every flag the workflows use (-e; the smoke gate adds --summary-export and --out json).
 */
export const K6_VERSION = '1.7.1';

/** `uses` value -> version comment, for the renderer. */
export const PIN_VERSIONS: ReadonlyMap<string, string> = new Map(Object.values(PINS).map((p) => [p.uses, p.version]));
