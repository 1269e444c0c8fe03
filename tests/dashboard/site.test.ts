/**
 * `npm run dashboard` as a user runs it (the built CLI in a child process) on a real git repository,
 * a smoke history and canary reports made by the canary's own code: what the page says, that every
 * author-controlled text is escaped, and that bad input is one line, exit 2, nothing written.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDashboardData } from '#core/dashboard/data.js';
import { fmtMs, fmtPct } from '#core/gate/format.js';
import { jsonForScript, type ChartData } from '#lib/dashboard/page.js';
import {
  entry,
  HEALTHY,
  HOSTILE_REF,
  HOSTILE_SUBJECT,
  makeRepo,
  runDashboard,
  SCRIPT_SUBJECT,
  SLOW,
  writeCanaryReport,
  writeHistory,
  type TestRepo,
} from './fixtures.js';

let work: string;
let repo: TestRepo;
const UNKNOWN_SHA = 'deadbeef'.repeat(5);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'dashboard-site-'));
  repo = makeRepo(join(work, 'repo'), 4);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The history of the test repo's commits 2-4 plus one commit the repo does not have. */
function history(path: string) {
  const [, c2, c3, c4] = repo.commits;
  return writeHistory(path, [
    entry(c2!.sha, 0, { ref: HOSTILE_REF }),
    entry(c3!.sha, 1, { p95_ms: null, error_rate: null, requests: 0, verdict: 'inconclusive' }),
    entry(UNKNOWN_SHA, 2),
    entry(c4!.sha, 3),
  ]);
}

const embedded = (html: string): ChartData => {
  const m = /<script type="application\/json" id="dashboard-data">([^<]*)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!) as ChartData;
};
const row = (html: string, i: number) => new RegExp(`<tr id="run-${i}">(.*?)</tr>`).exec(html)?.[1] ?? '';

test('writes the site: runs in history order with subjects and tags from git, canary verdicts linked, text escaped', () => {
  const dir = join(work, 'full');
  mkdirSync(join(dir, 'reports'), { recursive: true });
  const h = history(join(dir, 'history.json'));
  const [c1, c2, , c4] = repo.commits;
  const passed = writeCanaryReport(join(dir, 'reports/canary-staging-a.json'), {
    environment: 'staging',
    sha: c4!.sha,
    canary: HEALTHY,
    generatedAt: '2026-01-02T10:00:00Z',
    seed: 7,
  });
  const failed = writeCanaryReport(join(dir, 'reports/canary-production-b.json'), {
    environment: 'production',
    sha: c2!.sha,
    canary: SLOW,
    generatedAt: '2026-01-03T10:00:00Z',
    seed: 8,
  });
  expect([passed.verdict, failed.verdict]).toEqual(['pass', 'fail']);

  const out = join(dir, 'site');
  const r = runDashboard(
    ['--history', 'history.json', '--out', 'site', '--repo', repo.dir, '--canary', 'reports/canary-*.json'],
    dir,
  );
  expect(r).toMatchObject({ status: 0, stderr: '' });
  expect(r.stdout.trim()).toBe(
    `dashboard: wrote ${join(out, 'index.html')} (4 runs, 3 release tags, 2 canary reports)`,
  );
  expect(readdirSync(join(out, 'assets')).sort()).toEqual([
    'dashboard.css',
    'dashboard.js',
    'uPlot.iife.min.js',
    'uPlot.min.css',
  ]);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  const runsHtml = readFileSync(join(out, 'runs.html'), 'utf8');
  expect(runsHtml).not.toContain('<script'); // the table of every run needs no script

  // The charts' data: one point per history entry, in the history's order, nulls kept as gaps.
  const chart = embedded(html);
  expect(chart.p95).toEqual(h.entries.map((e) => e.p95_ms));
  expect(chart.err).toEqual(h.entries.map((e) => e.error_rate));
  expect(chart.t).toEqual(h.entries.map((e) => Date.parse(e.time)));
  expect(chart.budget).toEqual({ p95_ms: 450, error_rate: 0.01 });
  expect(chart.tags).toEqual([
    [0, 'v1.0.0'],
    [3, 'v1.1.0'],
  ]);
  // The hover box's words are the table's: one list per run, column by column.
  expect(chart.columns).toEqual([
    'run',
    'commit',
    'subject',
    'ref',
    'time',
    'p95',
    'error rate',
    'requests',
    'verdict',
    'release tag',
  ]);
  expect(chart.texts[0]).toEqual([
    '1',
    c2!.sha,
    HOSTILE_SUBJECT,
    HOSTILE_REF,
    '2026-01-01 00:00 UTC',
    fmtMs(h.entries[0]!.p95_ms),
    fmtPct(h.entries[0]!.error_rate),
    '2000',
    'fail',
    'v1.0.0',
  ]);
  expect(chart.texts[2]![2]).toBe('unknown');

  // The tables (both pages, all 4 runs: fewer than the charts page lists itself): subjects from git
  // (unknown for a commit the repo lacks), tags beside them.
  expect(html.match(/<tr id="run-\d+">/g)).toHaveLength(4);
  for (let i = 0; i < 4; i++) expect(row(runsHtml, i)).toBe(row(html, i));
  expect(row(html, 3)).toContain('Change number 4');
  expect(row(html, 3)).toContain(fmtMs(h.entries[3]!.p95_ms));
  expect(row(html, 3)).toContain('<span class="tag">v1.1.0</span>');
  expect(row(html, 2)).toContain('<span class="muted">unknown</span>');
  expect(row(html, 1)).toContain('<td class="num">n/a</td>');
  expect(row(html, 1)).toContain('<td class="verdict inconclusive">inconclusive</td>');
  // v0.9.0 is on a commit with no recorded run: listed, not placed.
  expect(html).toContain(`<span class="tag">v0.9.0</span> on <code>${c1!.sha.slice(0, 7)}</code>: no recorded run`);
  expect(html).toContain(`<span class="tag">v1.1.0</span> on <a href="runs.html#run-3">`);

  // Author-controlled text is escaped wherever it appears.
  expect(row(html, 0)).toContain('Speed up replies &lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;');
  expect(row(html, 1)).toContain(
    'Fix &lt;/script&gt;&lt;script&gt;window.__pwned=2&lt;/script&gt; &amp; &quot;quotes&quot; &#39;too&#39;',
  );
  expect(row(html, 0)).toContain('refs/heads/&lt;b onmouseover=&quot;window.__pwned=3&quot;&gt;main&lt;/b&gt;');
  for (const raw of [HOSTILE_SUBJECT, SCRIPT_SUBJECT, HOSTILE_REF, '<img', '<b ', 'window.__pwned=2</script>'])
    for (const page of [html, runsHtml]) expect(page).not.toContain(raw);
  expect(html.match(/<script/g)).toHaveLength(3); // the data block and the two asset scripts, nothing else

  // Canary verdicts, newest first, each linking to its copied report.
  const canaries = /<table class="canaries">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1]!;
  const rows = canaries.match(/<tr>.*?<\/tr>/g)!;
  expect(rows).toHaveLength(2);
  expect(rows[0]).toContain('<td>production</td>');
  expect(rows[0]).toContain('<td class="verdict fail">fail</td>');
  expect(rows[0]).toContain(failed.reasons[0]!.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  expect(rows[0]).toContain('<a href="canary/canary-production-b.json">report</a>');
  expect(rows[1]).toContain('<td class="verdict pass">pass</td>');
  expect(rows[1]).toContain('<a href="canary/canary-staging-a.json">report</a>');
  expect(JSON.parse(readFileSync(join(out, 'canary/canary-production-b.json'), 'utf8'))).toEqual(failed);
});

test('without --repo the page says tags and subjects were not read; an unmatched canary glob is a note', () => {
  const dir = join(work, 'plain');
  mkdirSync(dir);
  history(join(dir, 'history.json'));
  const r = runDashboard(['--history', 'history.json', '--out', 'site', '--canary', 'nothing/canary-*.json'], dir);
  expect(r.status).toBe(0);
  expect(r.stderr.trim()).toBe('dashboard: note: no canary report matched nothing/canary-*.json');
  const html = readFileSync(join(dir, 'site/index.html'), 'utf8');
  expect(html).toContain('Release tags and commit subjects were not read (no <code>--repo</code> given).');
  expect(html).toContain('No canary report matched <code>nothing/canary-*.json</code>.');
  expect(embedded(html).tags).toEqual([]);
});

test('an earlier dashboard is replaced whole; a foreign non-empty --out is refused and left alone', () => {
  const dir = join(work, 'replace');
  mkdirSync(dir);
  history(join(dir, 'history.json'));
  expect(runDashboard(['--history', 'history.json', '--out', 'site'], dir).status).toBe(0);
  writeFileSync(join(dir, 'site/stale.txt'), 'from an earlier build');
  expect(runDashboard(['--history', 'history.json', '--out', 'site'], dir).status).toBe(0);
  expect(existsSync(join(dir, 'site/stale.txt'))).toBe(false);
  expect(existsSync(join(dir, 'site/index.html'))).toBe(true);

  mkdirSync(join(dir, 'mine'));
  writeFileSync(join(dir, 'mine/notes.txt'), 'keep me');
  const r = runDashboard(['--history', 'history.json', '--out', 'mine'], dir);
  expect(r.status).toBe(2);
  expect(r.stderr.trim()).toBe(
    'dashboard: --out mine is a non-empty directory that is not an earlier dashboard; give a new or empty directory',
  );
  expect(readdirSync(join(dir, 'mine'))).toEqual(['notes.txt']);
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});

describe('bad input: one line on stderr, exit 2, nothing written', () => {
  let dir: string;
  beforeAll(() => {
    dir = join(work, 'bad');
    mkdirSync(dir);
    history(join(dir, 'history.json'));
    writeFileSync(join(dir, 'not-json.json'), '{"version": 1, ');
    writeFileSync(join(dir, 'v2.json'), JSON.stringify({ version: 2, entries: [] }));
    writeFileSync(join(dir, 'bad-entry.json'), JSON.stringify({ version: 1, entries: [{ sha: 'xyz' }] }));
    writeFileSync(join(dir, 'budget.json'), JSON.stringify({ version: 1, p95_ms: -1 }));
    mkdirSync(join(dir, 'reports'));
    writeFileSync(join(dir, 'reports/canary-x.json'), JSON.stringify({ kind: 'smoke' }));
  });

  const cases: [string, string[], RegExp][] = [
    ['no --history', ['--out', 'site'], /^dashboard: --history <file> is required \(--help for usage\)$/],
    ['no --out', ['--history', 'history.json'], /^dashboard: --out <dir> is required \(--help for usage\)$/],
    [
      'an unknown flag',
      ['--history', 'history.json', '--out', 'site', '--colour'],
      /^dashboard: Unknown option '--colour'/,
    ],
    [
      'a missing history',
      ['--history', 'nope.json', '--out', 'site'],
      /^dashboard: cannot read history file nope\.json: no such file$/,
    ],
    [
      'a history that is not JSON',
      ['--history', 'not-json.json', '--out', 'site'],
      /^dashboard: history file not-json\.json is not valid JSON: /,
    ],
    [
      'an unknown history version',
      ['--history', 'v2.json', '--out', 'site'],
      /^dashboard: v2\.json: unsupported history version 2 \(expected 1\)$/,
    ],
    [
      'a bad history entry',
      ['--history', 'bad-entry.json', '--out', 'site'],
      /^dashboard: bad-entry\.json entry 0: "sha" must be a hex commit SHA$/,
    ],
    [
      'a bad budget',
      ['--history', 'history.json', '--out', 'site', '--budget', 'budget.json'],
      /^dashboard: .*budget\.json: "p95_ms" must be a number/,
    ],
    [
      '--repo that is not a git repository',
      ['--history', 'history.json', '--out', 'site', '--repo', 'reports'],
      /^dashboard: cannot read git repository reports: fatal: not a git repository/,
    ],
    [
      'a file that is not a canary report',
      ['--history', 'history.json', '--out', 'site', '--canary', 'reports/*.json'],
      /^dashboard: .*canary-x\.json: "kind" must be "canary", got "smoke"$/,
    ],
    [
      'a missing canary file (no glob)',
      ['--history', 'history.json', '--out', 'site', '--canary', 'reports/canary-y.json'],
      /^dashboard: cannot read canary report .*canary-y\.json: no such file$/,
    ],
  ];
  test.each(cases)('%s', (_name, args, message) => {
    const r = runDashboard(args, dir);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: '' });
    expect(r.stderr.endsWith('\n') && r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    expect(readdirSync(dir).filter((f) => f === 'site' || f.endsWith('.tmp'))).toEqual([]);
  });
});

test('pure parts: abbreviated SHAs meet their commits; embedded JSON cannot end its script element', () => {
  const full = 'a'.repeat(8) + 'b'.repeat(32);
  const data = buildDashboardData({
    history: { version: 1, max_entries: 10, entries: [entry(full.slice(0, 12), 0)] },
    source: 'h.json',
    budget: { p95_ms: 450, error_rate: 0.01 },
    tags: [
      { tag: 'v2.0.0', sha: full },
      { tag: 'v1.0.0', sha: 'c'.repeat(40) },
    ],
    subjects: new Map([[full, 'the subject']]),
  });
  expect(data.runs[0]).toMatchObject({ subject: 'the subject', tags: ['v2.0.0'] });
  expect(data.unplaced_tags).toEqual([{ tag: 'v1.0.0', sha: 'c'.repeat(40) }]);

  const text = jsonForScript({ s: '</script><!-- \u2028' });
  expect(text).not.toMatch(/<|\u2028/);
  expect(JSON.parse(text)).toEqual({ s: '</script><!-- \u2028' });
});
