/**
 * Release tagging's pure core: which smoke report may be released, and the text of the tag
 * message, the release notes and the pull-request comment (the same numbers in all three).
 */
import type { CanaryReport } from '../canary/types.js';
import { fmtMs, fmtPct, shortSha } from '../gate/format.js';
import type { SmokeReport } from '../gate/report.js';

export const DEFAULT_RELEASE_TAG = 'v0.5.0-phase5-start';

export class ReleaseRefusedError extends Error {
  override name = 'ReleaseRefusedError';
}

/** A git tag name GitHub accepts as `refs/tags/<name>` (git check-ref-format, simplified to be strict). */
export function checkTagName(tag: string): string {
  const ok =
    /^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(tag) && !/\.\.|\/\/|\/$|\.$|\.lock$|@\{/.test(tag) && tag.length <= 200;
  if (!ok) throw new ReleaseRefusedError(`"${tag}" is not a valid tag name`);
  return tag;
}

export function checkSha(sha: string): string {
  if (!/^[0-9a-f]{40}$/i.test(sha)) throw new ReleaseRefusedError(`sha must be a full 40-hex commit SHA, got "${sha}"`);
  return sha.toLowerCase();
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const numOrNull = (v: unknown) => v === null || isNum(v);

/**
 * Checks the fields release tagging relies on (a parsed `reports/performance/smoke-summary.json`)
 * and refuses anything but a `pass` for exactly `sha`. Errors are one line and name the file.
 */
export function releasableSmokeReport(raw: unknown, sha: string, file = 'smoke report'): SmokeReport {
  const refuse = (msg: string): never => {
    throw new ReleaseRefusedError(`${file}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) refuse('expected a JSON object (a smoke report)');
  const r = raw as Record<string, unknown>;
  if (r.kind !== 'smoke') refuse(`"kind" must be "smoke", got ${JSON.stringify(r.kind)}`);
  if (r.schema_version !== 1) refuse(`unsupported schema_version ${JSON.stringify(r.schema_version)} (expected 1)`);
  if (typeof r.commit !== 'string') refuse('"commit" must be a string');
  const measured = r.measured as Record<string, unknown> | undefined;
  const budget = r.budget as Record<string, unknown> | undefined;
  if (typeof measured !== 'object' || measured === null) refuse('"measured" must be an object');
  if (typeof budget !== 'object' || budget === null) refuse('"budget" must be an object');
  if (!numOrNull(measured!.p95_ms) || !numOrNull(measured!.error_rate) || !isNum(measured!.requests)) {
    refuse('"measured" needs p95_ms, error_rate (number or null) and requests (number)');
  }
  if (!isNum(budget!.p95_ms) || !isNum(budget!.error_rate_limit)) refuse('"budget" needs p95_ms and error_rate_limit');
  if (!['pass', 'fail', 'inconclusive'].includes(r.verdict as string))
    refuse(`unknown verdict ${JSON.stringify(r.verdict)}`);
  const report = raw as SmokeReport;
  if (report.verdict !== 'pass') {
    const why =
      Array.isArray(r.reasons) && r.reasons.length ? `: ${(r.reasons as unknown[]).map(String).join('; ')}` : '';
    refuse(`smoke verdict is "${report.verdict}", only a "pass" is released${why}`);
  }
  if (report.commit.toLowerCase() !== sha.toLowerCase()) {
    refuse(
      `the report is for commit ${shortSha(report.commit)}, not ${shortSha(sha)}; refusing to tag a commit the gate did not measure`,
    );
  }
  return report;
}

/** A canary that failed blocks the release; one for another commit is refused as a mix-up. */
export function releasableCanary(report: CanaryReport, sha: string, file = 'canary report'): CanaryReport {
  if (report.sha.toLowerCase() !== sha.toLowerCase()) {
    throw new ReleaseRefusedError(`${file}: the canary ran ${shortSha(report.sha)}, not ${shortSha(sha)}`);
  }
  if (report.verdict === 'fail') {
    throw new ReleaseRefusedError(
      `${file}: canary verdict is "fail" in ${report.environment}: ${report.reasons.join('; ')}`,
    );
  }
  return report;
}

export interface ReleaseNotesInput {
  tag: string;
  sha: string;
  smoke: SmokeReport;
  canary?: CanaryReport | undefined;
}

export function renderTagMessage(i: ReleaseNotesInput): string {
  const m = i.smoke.measured;
  return `${i.tag}: smoke gate passed for ${shortSha(i.sha)} (p95 ${fmtMs(m.p95_ms)}, error rate ${fmtPct(m.error_rate)}, ${m.requests} requests)`;
}

export function renderReleaseNotes(i: ReleaseNotesInput): string {
  const { smoke, canary } = i;
  const m = smoke.measured;
  const b = smoke.budget;
  const rows = [
    '| | measured | budget |',
    '| --- | --- | --- |',
    `| p95 latency | ${fmtMs(m.p95_ms)} | ≤ ${fmtMs(b.p95_ms)} |`,
    `| error rate | ${fmtPct(m.error_rate)} | ≤ ${fmtPct(b.error_rate_limit)} |`,
    `| requests | ${m.requests} | ≥ ${b.min_requests} |`,
    `| smoke verdict | **${smoke.verdict}** | |`,
  ];
  if (canary) {
    rows.push(
      `| canary verdict (${canary.environment}) | **${canary.verdict}** | p95 baseline ${fmtMs(canary.baseline_p95_ms)}, canary ${fmtMs(canary.canary_p95_ms)} |`,
    );
  }
  const lines = [
    `Commit \`${shortSha(i.sha)}\` passed the performance smoke gate on \`${smoke.ref || 'main'}\`.`,
    '',
    ...rows,
  ];
  if (!canary) lines.push('', 'No canary report was given for this release.');
  if (smoke.run.url) lines.push('', `Smoke run: ${smoke.run.url}`);
  return `${lines.join('\n')}\n`;
}

/** Independent of whether this run created the tag, so a rerun leaves the sticky comment as it is. */
export function renderReleaseComment(i: ReleaseNotesInput & { releaseUrl: string }): string {
  const m = i.smoke.measured;
  const canary = i.canary ? `, canary ${i.canary.verdict} in ${i.canary.environment}` : '';
  return `### Release ${i.tag}\n\nTagged \`${i.tag}\` at ${shortSha(i.sha)}: smoke p95 ${fmtMs(m.p95_ms)}, error rate ${fmtPct(m.error_rate)}${canary}. [Release notes](${i.releaseUrl})\n`;
}
