/**
 * The dashboard's HTML: everything a reader needs is in the markup (the table of runs, the release
 * tags, the canary verdicts), so the page works without JavaScript; the charts are drawn from the
 * same data, embedded as JSON, by assets/dashboard.js with uPlot. Every text that comes from a
 * commit, a ref, a tag or a report is escaped here; the script only ever sets textContent.
 */
import type { DashboardData, DashboardRun } from '#core/dashboard/data.js';
import { fmtMs, fmtPct, shortSha } from '#core/gate/format.js';

/** Files of the site besides index.html: where the page expects them. */
export const ASSETS = {
  uplotJs: 'assets/uPlot.iife.min.js',
  uplotCss: 'assets/uPlot.min.css',
  js: 'assets/dashboard.js',
  css: 'assets/dashboard.css',
} as const;

/** The table's columns, which are also the hover box's lines. */
export const RUN_COLUMNS = [
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
] as const;

/** The words shown for run i, column by column: the table's cells and the hover box say the same. */
export function runTexts(r: DashboardRun, i: number): string[] {
  return [
    String(i + 1),
    r.sha,
    r.subject ?? 'unknown',
    r.ref,
    fmtTime(r.time),
    fmtMs(r.p95_ms),
    fmtPct(r.error_rate),
    String(r.requests),
    r.verdict,
    r.tags.join(', '),
  ];
}

/** What assets/dashboard.js draws from; index i = the i-th run of the history (oldest first). */
export interface ChartData {
  budget: { p95_ms: number; error_rate: number };
  /** Run times, ms since the epoch. */
  t: number[];
  p95: (number | null)[];
  err: (number | null)[];
  /** [run index, tag name] for each release tag on a recorded commit. */
  tags: [number, string][];
  columns: readonly string[];
  /** runTexts of each run. */
  texts: string[][];
}

export function chartData(data: DashboardData): ChartData {
  return {
    budget: data.budget,
    t: data.runs.map((r) => Date.parse(r.time)),
    p95: data.runs.map((r) => r.p95_ms),
    err: data.runs.map((r) => r.error_rate),
    tags: data.runs.flatMap((r, i) => r.tags.map((tag): [number, string] => [i, tag])),
    columns: RUN_COLUMNS,
    texts: data.runs.map(runTexts),
  };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * JSON inside a `<script type="application/json">` element: `<` is written as \u003c so no text
 * can close the element or open a comment; U+2028/2029 are escaped for older parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** "2025-03-01 14:05 UTC": one format for every time on the page. */
export function fmtTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const verdictCell = (v: string) => `<td class="verdict ${escapeHtml(v)}">${escapeHtml(v)}</td>`;

function runRow(r: DashboardRun, i: number): string {
  const [run, sha, subject, ref, time, p95, errorRate, requests] = runTexts(r, i).map(escapeHtml) as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return [
    `<tr id="run-${i}">`,
    `<td class="num">${run}</td>`,
    `<td><code title="${sha}">${escapeHtml(shortSha(r.sha))}</code></td>`,
    `<td class="subject">${r.subject === null ? `<span class="muted">${subject}</span>` : subject}</td>`,
    `<td>${ref}</td>`,
    `<td><time datetime="${escapeHtml(r.time)}">${time}</time></td>`,
    `<td class="num">${p95}</td>`,
    `<td class="num">${errorRate}</td>`,
    `<td class="num">${requests}</td>`,
    verdictCell(r.verdict),
    `<td>${r.tags.map((t) => `<span class="tag">${escapeHtml(t)}</span>`).join(' ')}</td>`,
    '</tr>',
  ].join('');
}

/** Runs `from`..end of the history as a table, newest first. */
function runsTable(data: DashboardData, from: number, caption: string): string {
  if (data.runs.length === 0) return '<p>No runs recorded yet.</p>';
  const rows: string[] = [];
  for (let i = data.runs.length - 1; i >= from; i--) rows.push(runRow(data.runs[i]!, i));
  return [
    '<table class="runs">',
    `<caption>${caption}</caption>`,
    '<thead><tr>',
    ...RUN_COLUMNS.map((h) => `<th scope="col">${h}</th>`),
    '</tr></thead>',
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}

function tagsSection(data: DashboardData): string {
  if (!data.repository_read)
    return '<p>Release tags and commit subjects were not read (no <code>--repo</code> given).</p>';
  const placed = data.runs.flatMap((r, i) => r.tags.map((tag) => ({ tag, i, sha: r.sha })));
  const items = [
    ...placed.map(
      (p) =>
        `<li><span class="tag">${escapeHtml(p.tag)}</span> on <a href="${RUNS_PAGE}#run-${p.i}"><code>${escapeHtml(shortSha(p.sha))}</code></a> (run ${p.i + 1})</li>`,
    ),
    ...data.unplaced_tags.map(
      (t) =>
        `<li><span class="tag">${escapeHtml(t.tag)}</span> on <code>${escapeHtml(shortSha(t.sha))}</code>: no recorded run of this commit</li>`,
    ),
  ];
  return items.length ? `<ul class="tags">${items.join('\n')}</ul>` : '<p>No release tags in the repository.</p>';
}

function canarySection(data: DashboardData, unmatched: readonly string[]): string {
  const notes = unmatched.map((g) => `<p class="muted">No canary report matched <code>${escapeHtml(g)}</code>.</p>`);
  if (data.canaries.length === 0) return [...notes, '<p>No canary reports.</p>'].join('\n');
  const rows = data.canaries.map((c) =>
    [
      '<tr>',
      `<td><time datetime="${escapeHtml(c.generated_at)}">${escapeHtml(fmtTime(c.generated_at))}</time></td>`,
      `<td>${escapeHtml(c.environment)}</td>`,
      `<td><code title="${escapeHtml(c.sha)}">${escapeHtml(shortSha(c.sha))}</code></td>`,
      verdictCell(c.verdict),
      `<td class="num">${fmtMs(c.baseline_p95_ms)}</td>`,
      `<td class="num">${fmtMs(c.canary_p95_ms)}</td>`,
      `<td>${escapeHtml(c.action)}</td>`,
      `<td>${c.reasons.map((r) => escapeHtml(r)).join('<br>')}</td>`,
      `<td><a href="${escapeHtml(c.href)}">report</a></td>`,
      '</tr>',
    ].join(''),
  );
  return [
    ...notes,
    '<table class="canaries">',
    `<caption>Canary verdicts, newest first (${data.canaries.length})</caption>`,
    '<thead><tr>',
    ...['time', 'environment', 'commit', 'verdict', 'baseline p95', 'canary p95', 'action', 'reasons', 'report'].map(
      (h) => `<th scope="col">${h}</th>`,
    ),
    '</tr></thead>',
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}

export interface PageOptions {
  /** Canary globs that matched nothing, stated on the page. */
  unmatchedCanaryGlobs?: readonly string[];
}

/** The table of every run has a page of its own, so the charts page stays light for long histories. */
export const RUNS_PAGE = 'runs.html';
/** How many of the newest runs the charts page lists itself (the history's default bound). */
export const RECENT_RUNS = 100;

function head(title: string, stylesheets: readonly string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
${stylesheets.map((href) => `<link rel="stylesheet" href="${href}">`).join('\n')}
</head>`;
}

function intro(data: DashboardData): string {
  const b = data.budget;
  return `<p>${data.runs.length} recorded runs from <code>${escapeHtml(data.source)}</code>; generated ${escapeHtml(fmtTime(data.generated_at))}.
Budget: p95 &le; ${fmtMs(b.p95_ms)}, error rate &le; ${fmtPct(b.error_rate)}.</p>`;
}

/** index.html: the charts, release tags, canary verdicts and the newest runs. */
export function renderDashboardHtml(data: DashboardData, opts: PageOptions = {}): string {
  const b = data.budget;
  const n = data.runs.length;
  const from = Math.max(0, n - RECENT_RUNS);
  const all = `<a href="${RUNS_PAGE}">the table of all ${n} runs</a>`;
  return `${head('Performance history', [ASSETS.uplotCss, ASSETS.css])}
<body>
<a class="skip" href="#runs">Skip to the table of runs</a>
<header>
<h1>Performance history</h1>
${intro(data)}
</header>
<main>
<section aria-labelledby="charts-h">
<h2 id="charts-h">p95 and error rate per recorded commit</h2>
<noscript><p>The charts need JavaScript; ${all} holds the same data.</p></noscript>
<div id="chart-p95" class="chart" role="img" aria-label="p95 latency of each recorded run against the ${fmtMs(b.p95_ms)} budget; the table of runs holds the same data"></div>
<div id="chart-errors" class="chart" role="img" aria-label="error rate of each recorded run against the ${fmtPct(b.error_rate)} budget; the table of runs holds the same data"></div>
<div id="tooltip" class="tooltip" role="status" hidden></div>
</section>
<section aria-labelledby="tags-h">
<h2 id="tags-h">Release tags</h2>
${tagsSection(data)}
</section>
<section aria-labelledby="canary-h">
<h2 id="canary-h">Canary verdicts</h2>
${canarySection(data, opts.unmatchedCanaryGlobs ?? [])}
</section>
<section id="runs" aria-labelledby="runs-h">
<h2 id="runs-h">Runs</h2>
<p>Every run is in ${all}.</p>
${runsTable(data, from, from > 0 ? `The newest ${n - from} of ${n} runs, newest first` : `Smoke runs per recorded commit, newest first (${n})`)}
</section>
</main>
<script type="application/json" id="dashboard-data">${jsonForScript(chartData(data))}</script>
<script src="${ASSETS.uplotJs}"></script>
<script src="${ASSETS.js}"></script>
</body>
</html>
`;
}

/** runs.html: every run in one table, no script at all. */
export function renderRunsHtml(data: DashboardData): string {
  return `${head('Performance history: all runs', [ASSETS.css])}
<body>
<header>
<h1>Performance history: all runs</h1>
${intro(data)}
<p><a href="index.html">Charts, release tags and canary verdicts</a></p>
</header>
<main id="runs">
${runsTable(data, 0, `Smoke runs per recorded commit, newest first (${data.runs.length})`)}
</main>
</body>
</html>
`;
}
