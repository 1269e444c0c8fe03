// The canary judge's power by median latency (docs/canary-judge.md#power-where-the-figures-hold):
// `npm run build && node scripts/canary-power.mjs [runs]`. Default settings and traffic (5 x 300
// requests per side), log-normal latencies (sigma 0.5), the canary slower by a factor.
import { DEFAULT_JUDGE_SETTINGS, judge } from '../build/core/src/canary/index.js';
import { createRng } from '../build/core/src/stats/rng.js';

const track = (rng, n, medianMs) => {
  const latencies = [];
  let errors = 0;
  for (let i = 0; i < n; i++) {
    latencies.push(medianMs * Math.exp(0.5 * rng.normal()));
    if (rng.next() < 0.002) errors++;
  }
  return { total: n, errors, latencies_ms: latencies };
};
const runs = Number(process.argv[2] ?? 300);
const cases = [
  [5, 1.25],
  [5, 1.5],
  [5, 2],
  [10, 1.25],
  [20, 1.25],
  [30, 1.25],
  [40, 1.25],
  [60, 1.25],
  [100, 1.25],
];
for (const [median, factor] of cases) {
  const rng = createRng(1000 + median);
  let caught = 0;
  for (let r = 0; r < runs; r++) {
    const intervals = Array.from({ length: 5 }, (_, index) => ({
      index,
      baseline: track(rng, 300, median),
      canary: track(rng, 300, median * factor),
    }));
    // The bootstrap only feeds the reported p95 interval, not the verdict: fewer resamples, same verdicts.
    if (judge(intervals, { ...DEFAULT_JUDGE_SETTINGS, bootstrapResamples: 200 }, r).verdict === 'fail') caught++;
  }
  console.log(`median ${median} ms x${factor}: caught ${((100 * caught) / runs).toFixed(1)} % of ${runs}`);
}
