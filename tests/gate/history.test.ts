import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import {
  adaptiveErrorRateLimit,
  AdaptiveBudgetError,
  appendHistory,
  budgetSpentFromHistory,
  emptyHistory,
  HistoryFormatError,
  nearestRecordedAncestor,
  noiseBand,
  parseHistoryFile,
} from '#core/gate/index.js';
import { entry, repoRoot, sha } from './support.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
const validateHistory = ajv.compile(
  JSON.parse(readFileSync(join(repoRoot, 'core/src/gate/history.schema.json'), 'utf8')) as object,
);

describe('appendHistory', () => {
  it('keeps the last `max` entries, oldest dropped first, input untouched', () => {
    let h = emptyHistory(5).entries;
    const first = h;
    for (let i = 0; i < 8; i++) h = appendHistory(h, entry(i, 100 + i), 5);
    expect(h.map((e) => e.p95_ms)).toEqual([103, 104, 105, 106, 107]);
    expect(first).toEqual([]);
  });

  it('a re-run of the same commit replaces its entry (no duplicates)', () => {
    let h = [entry(1, 100), entry(2, 110)];
    h = appendHistory(h, { ...entry(1, 120), sha: sha(1).toUpperCase() });
    expect(h.map((e) => [e.sha, e.p95_ms])).toEqual([
      [sha(2), 110],
      [sha(1), 120],
    ]);
  });

  it('refuses a nonsense bound', () => {
    expect(() => appendHistory([], entry(1, 1), 0)).toThrow(RangeError);
  });
});

describe('nearestRecordedAncestor', () => {
  // History in storage order; the PR's merge base is commit 20, whose first parents are 19, 18, ...
  const history = [entry(17, 90), entry(18, 95), entry(30, 300) /* a later main commit, not an ancestor */];

  it('picks the first ancestor that has an entry, not the last stored run', () => {
    const ancestors = [20, 19, 18, 17].map(sha);
    expect(nearestRecordedAncestor(history, ancestors)?.p95_ms).toBe(95);
  });

  it('the merge base itself when recorded', () => {
    expect(nearestRecordedAncestor([...history, entry(20, 80)], [20, 19, 18].map(sha))?.sha).toBe(sha(20));
  });

  it('skips unusable entries (inconclusive or no p95) to the next recorded ancestor', () => {
    const h = [...history, entry(19, 5, { verdict: 'inconclusive' }), entry(20, null, { requests: 0 })];
    expect(nearestRecordedAncestor(h, [20, 19, 18].map(sha))?.sha).toBe(sha(18));
  });

  it('matches SHAs case-insensitively and returns undefined when no ancestor is recorded', () => {
    expect(nearestRecordedAncestor(history, [sha(17).toUpperCase()])?.p95_ms).toBe(90);
    expect(nearestRecordedAncestor(history, [sha(1), sha(2)])).toBeUndefined();
    expect(nearestRecordedAncestor([], [sha(17)])).toBeUndefined();
  });
});

describe('parseHistoryFile', () => {
  it('round-trips a valid file', () => {
    const f = {
      version: 1,
      max_entries: 50,
      entries: [
        entry(1, 100, { p95_ci_ms: [90, 110] }),
        entry(2, null, { error_rate: null, requests: 0, verdict: 'inconclusive' }),
      ],
    };
    expect(parseHistoryFile(JSON.parse(JSON.stringify(f)))).toEqual(f);
  });

  it.each([
    [{ version: 2, entries: [] }, /unsupported history version 2/],
    [{ version: 1 }, /"entries" must be an array/],
    [[], /expected a JSON object/],
    [{ version: 1, entries: [{ ...entry(1, 1), sha: 'main' }] }, /entry 0: "sha"/],
    [{ version: 1, entries: [entry(1, 1), { ...entry(2, 1), verdict: 'ok' }] }, /entry 1: "verdict"/],
    [{ version: 1, entries: [{ ...entry(1, 1), p95_ms: 'fast' }] }, /"p95_ms" must be a number or null/],
    [{ version: 1, entries: [{ ...entry(1, 1), time: 'yesterday' }] }, /"time" must be an ISO date/],
  ])('refuses %j (and so does the JSON Schema)', (raw, msg) => {
    expect(validateHistory(raw)).toBe(false);
    expect(() => parseHistoryFile(raw, 'perf-data/history.json')).toThrow(HistoryFormatError);
    expect(() => parseHistoryFile(raw, 'perf-data/history.json')).toThrow(msg);
  });
});

describe('noiseBand', () => {
  it('uses the floor with fewer than 3 consecutive pairs', () => {
    expect(noiseBand([entry(1, 100), entry(2, 200), entry(3, 100)])).toEqual({ band: 0.1, source: 'floor', pairs: 2 });
  });
  it('is 2 x the median absolute relative difference of consecutive runs when above the floor', () => {
    // relative diffs: 0.2, 0.25, 0.2, 0.25 -> median 0.225 -> band 0.45
    const h = [100, 120, 90, 108, 81].map((p, i) => entry(i, p));
    const b = noiseBand(h);
    expect(b.source).toBe('history');
    expect(b.mard).toBeCloseTo(0.225, 12);
    expect(b.band).toBeCloseTo(0.45, 12);
  });
  it('ignores unusable entries', () => {
    const h = [
      entry(1, 100),
      entry(2, null),
      entry(3, 100, { verdict: 'inconclusive' }),
      entry(4, 101),
      entry(5, 100),
      entry(6, 101),
    ];
    expect(noiseBand(h)).toMatchObject({ source: 'floor', pairs: 3 });
  });
});

describe('adaptiveErrorRateLimit (worked example of the doc comment)', () => {
  it.each([
    [0, 0.01],
    [0.25, 0.0075],
    [0.9, 0.001],
    [1, 0],
    [1.7, 0],
  ])('SLO 99 %%, spent %f -> limit %f', (spent, limit) => {
    const a = adaptiveErrorRateLimit(0.01, { slo: 0.99, budgetSpent: spent, windowDays: 30 });
    expect(a.limit).toBeCloseTo(limit, 12);
    expect(a.exhausted).toBe(spent >= 1);
    expect(a.window_days).toBe(30);
  });
  it('never loosens the budget file', () => {
    expect(adaptiveErrorRateLimit(0.01, { slo: 0.95, budgetSpent: 0.1 }).limit).toBe(0.01);
  });
  it('rejects nonsense inputs with a plain message', () => {
    expect(() => adaptiveErrorRateLimit(0.01, { slo: 99, budgetSpent: 0 })).toThrow(AdaptiveBudgetError);
    expect(() => adaptiveErrorRateLimit(0.01, { slo: 0.99, budgetSpent: -0.1 })).toThrow(/fraction >= 0/);
    expect(() => adaptiveErrorRateLimit(0.01, { slo: 0.99, budgetSpent: Number.NaN })).toThrow(AdaptiveBudgetError);
  });
});

describe('budgetSpentFromHistory', () => {
  const now = new Date(Date.UTC(2026, 10, 30));
  it('is the request-weighted error rate in the window over the allowed rate', () => {
    const h = [
      entry(1, 100, { time: '2026-09-01T00:00:00Z', error_rate: 0.5, requests: 1000 }), // outside 30 days
      entry(2, 100, { time: '2026-11-20T00:00:00Z', error_rate: 0.01, requests: 1000 }),
      entry(3, 100, { time: '2026-11-25T00:00:00Z', error_rate: 0, requests: 3000 }),
      entry(4, null, { time: '2026-11-26T00:00:00Z', error_rate: null, requests: 0 }),
    ];
    const s = budgetSpentFromHistory(h, { slo: 0.99, windowDays: 30, now })!;
    expect(s.runs).toBe(2);
    expect(s.requests).toBe(4000);
    expect(s.spent).toBeCloseTo(10 / 4000 / 0.01, 12); // 0.25
  });
  it('is undefined without evidence', () => {
    expect(budgetSpentFromHistory([], { slo: 0.99, windowDays: 30, now })).toBeUndefined();
  });
});
