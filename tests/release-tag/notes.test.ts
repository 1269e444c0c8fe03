import { checkSha, checkTagName, ReleaseRefusedError, releasableSmokeReport } from '#core/release/notes.js';

describe('release notes core: input checks', () => {
  it.each(['v1..2', 'v1/', '-v1', 'v1.lock', 'v 1', 'a@{b', ''])('refuses the tag name %j', (tag) => {
    expect(() => checkTagName(tag)).toThrow(ReleaseRefusedError);
  });
  it.each(['v0.5.0-phase5-start', 'release/2026-01', 'v1.2.3_rc1'])('accepts the tag name %j', (tag) => {
    expect(checkTagName(tag)).toBe(tag);
  });

  it('wants a full SHA and lower-cases it', () => {
    expect(() => checkSha('abc1234')).toThrow(/full 40-hex/);
    expect(checkSha('AB'.repeat(20))).toBe('ab'.repeat(20));
  });

  it.each([
    [null, /expected a JSON object/],
    [{ kind: 'canary' }, /"kind" must be "smoke"/],
    [{ kind: 'smoke', schema_version: 2 }, /unsupported schema_version 2/],
    [{ kind: 'smoke', schema_version: 1, commit: 'x', measured: {}, budget: {} }, /"measured" needs/],
  ])('refuses a malformed report %j with one line naming the file', (raw, msg) => {
    expect(() => releasableSmokeReport(raw, 'ab'.repeat(20), 'r.json')).toThrow(msg);
    expect(() => releasableSmokeReport(raw, 'ab'.repeat(20), 'r.json')).toThrow(/^r\.json: [^\n]+$/);
  });
});
