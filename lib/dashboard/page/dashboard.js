// @ts-check
/*
 * Draws the dashboard's charts with uPlot (loaded before this script) from the JSON embedded in the
 * page. The hover box shows the run's words as the table's cells have them (written once, by
 * lib/dashboard/page.ts); text is only ever set through textContent. Type-checked by
 * lib/dashboard/page/tsconfig.json (`npm run typecheck`).
 */
(function () {
  'use strict';
  performance.mark('dashboard-script-start');

  /**
   * @typedef {{ budget: { p95_ms: number, error_rate: number }, t: number[], p95: (number | null)[],
   *   err: (number | null)[], tags: [number, string][], columns: string[], texts: string[][] }} ChartData
   */

  const dataEl = document.getElementById('dashboard-data');
  if (!dataEl || !dataEl.textContent) return;
  /** @type {ChartData} */
  const data = JSON.parse(dataEl.textContent);
  const n = data.t.length;
  if (n === 0) return;

  const x = Array.from({ length: n }, (_, i) => i);
  const errPct = data.err.map((v) => (v === null ? null : v * 100));
  const budgetPct = data.budget.error_rate * 100;
  const day = (/** @type {number} */ i) => new Date(data.t[i] ?? 0).toISOString().slice(0, 10);
  const INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
  // Markers on every point only while they stay apart; a long history is drawn as a line.
  const showPoints = n <= 300;

  /** Release tags: a dashed line at the tagged run, the tag's name beside it (canvas text, no markup). */
  const tagMarkers = {
    hooks: {
      draw: [
        (/** @type {uPlot} */ u) => {
          const ctx = u.ctx;
          const ratio = window.devicePixelRatio || 1;
          ctx.save();
          ctx.strokeStyle = '#7a3fc4';
          ctx.fillStyle = '#7a3fc4';
          ctx.lineWidth = ratio;
          ctx.setLineDash([4 * ratio, 3 * ratio]);
          ctx.font = `${11 * ratio}px sans-serif`;
          ctx.textBaseline = 'top';
          // Names of tags close together go on the next free line instead of over each other.
          /** @type {number[]} */
          const lineEnds = [];
          for (const [i, tag] of data.tags) {
            const left = Math.round(u.valToPos(i, 'x', true));
            ctx.beginPath();
            ctx.moveTo(left, u.bbox.top);
            ctx.lineTo(left, u.bbox.top + u.bbox.height);
            ctx.stroke();
            const textLeft = left + 3 * ratio;
            let line = lineEnds.findIndex((end) => end < textLeft);
            if (line < 0) line = lineEnds.push(0) - 1;
            lineEnds[line] = textLeft + ctx.measureText(tag).width + 4 * ratio;
            ctx.fillText(tag, textLeft, u.bbox.top + (2 + 13 * line) * ratio);
          }
          ctx.restore();
        },
      ],
    },
  };

  const tooltip = /** @type {HTMLElement} */ (document.getElementById('tooltip'));
  /** @type {uPlot | null} */
  let hovered = null;

  /** Fills the hover box with the run's words (the table's cells) and places it beside the cursor. */
  function showRun(/** @type {uPlot} */ u) {
    if (u !== hovered) return; // the other chart follows the cursor through sync; one box is enough
    const idx = u.cursor.idx;
    const texts = idx === null || idx === undefined ? undefined : data.texts[idx];
    if (!texts) {
      tooltip.hidden = true;
      return;
    }
    tooltip.replaceChildren(
      ...texts.flatMap((value, c) => {
        if (!value) return [];
        const div = document.createElement('div');
        div.textContent = `${data.columns[c] ?? ''}: ${value}`;
        return [div];
      }),
    );
    tooltip.dataset.run = String(idx);
    tooltip.hidden = false;
    const over = u.over.getBoundingClientRect();
    const host = /** @type {HTMLElement} */ (tooltip.offsetParent ?? document.body).getBoundingClientRect();
    const left = over.left - host.left + (u.cursor.left ?? 0);
    const top = over.top - host.top + (u.cursor.top ?? 0);
    const flip = left + tooltip.offsetWidth + 16 > host.width;
    tooltip.style.left = `${Math.max(0, flip ? left - tooltip.offsetWidth - 12 : left + 12)}px`;
    tooltip.style.top = `${top + 12}px`;
  }

  // uPlot draws in a microtask after construction and fires `ready` once drawn: the page is done
  // when both charts are. For the browser test and the bench: the chart instances and a mark.
  let drawn = 0;
  function chartDrawn() {
    if (++drawn < 2) return;
    performance.mark('dashboard-charts-drawn');
    document.documentElement.dataset.charts = 'drawn';
  }

  /**
   * @param {string} id
   * @param {string} label
   * @param {string} unit
   * @param {(number | null)[]} values
   * @param {number} budget
   * @param {string} color
   */
  function chart(id, label, unit, values, budget, color) {
    const target = /** @type {HTMLElement} */ (document.getElementById(id));
    /** @type {uPlot.Options} */
    const opts = {
      width: Math.max(320, target.clientWidth),
      height: 240,
      cursor: { sync: { key: 'runs' }, points: { size: 8 } },
      legend: { live: false },
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, budget) * 1.1] } },
      axes: [
        {
          incrs: INCRS,
          space: 100,
          values: (_u, splits) => splits.map((i) => (Number.isInteger(i) && i < n ? `#${i + 1}\n${day(i)}` : '')),
          size: 48,
        },
        { label: `${label} (${unit})`, size: 64 },
      ],
      series: [
        { label: 'run' },
        { label, stroke: color, width: 2, points: { show: showPoints, size: 5, fill: color }, spanGaps: false },
        { label: `budget ${budget} ${unit}`, stroke: '#c0392b', width: 1, dash: [6, 4], points: { show: false } },
      ],
      hooks: { setCursor: [showRun], ready: [chartDrawn] },
      plugins: [tagMarkers],
    };
    const u = new uPlot(opts, [x, values, x.map(() => budget)], target);
    u.over.addEventListener('mouseenter', () => (hovered = u));
    u.over.addEventListener('mouseleave', () => {
      hovered = null;
      tooltip.hidden = true;
    });
    return u;
  }

  const charts = [
    chart('chart-p95', 'p95', 'ms', data.p95, data.budget.p95_ms, '#1f6fb2'),
    chart('chart-errors', 'error rate', '%', errPct, budgetPct, '#d35400'),
  ];
  window.addEventListener('resize', () => {
    for (const u of charts) u.setSize({ width: Math.max(320, u.root.parentElement?.clientWidth ?? 320), height: 240 });
  });
  /** @type {any} */ (window).hotelPerfDashboard = { charts, runs: n };
})();
