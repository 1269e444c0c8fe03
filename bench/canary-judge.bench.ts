/**
 * The canary judge on 100,000 samples per side, as a multiple of sorting the same 200,000
 * numbers (the unavoidable part of any rank test) measured in the same run.
 */
import { DEFAULT_JUDGE_SETTINGS, judge, type IntervalSamples } from '#core/canary/index.js';
import { createRng } from '#core/stats/rng.js';
import type { BenchLine } from './index.js';

const PER_SIDE = 100_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, reps: number): number {
  fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(out);
}

function intervals(k: number, shift: number): IntervalSamples[] {
  const rng = createRng(2026);
  const per = PER_SIDE / k;
  const track = (m: number) => {
    const latencies_ms = new Array<number>(per);
    for (let i = 0; i < per; i++) latencies_ms[i] = 40 * m * Math.exp(0.5 * rng.normal());
    return { total: per, errors: Math.round(per * 0.002), latencies_ms };
  };
  return Array.from({ length: k }, (_, index) => ({ index, baseline: track(1), canary: track(shift) }));
}

export async function run(): Promise<BenchLine[]> {
  const five = intervals(5, 1);
  const one = intervals(1, 1.05);
  const all = Float64Array.from(five.flatMap((iv) => [...iv.baseline.latencies_ms!, ...iv.canary.latencies_ms!]));
  const sortMs = time(() => {
    all.slice().sort();
  }, 7);
  const judge5 = time(() => judge(five, DEFAULT_JUDGE_SETTINGS, 1), 5);
  const judge1 = time(() => judge(one, { ...DEFAULT_JUDGE_SETTINGS, intervals: 1 }, 1), 5);
  return [
    { name: 'reference: sort 200,000 numbers (ms)', value: sortMs, unit: 'ms' },
    { name: 'judge 100k/side, 5 intervals (ms)', value: judge5, unit: 'ms' },
    {
      name: 'judge 100k/side, 5 intervals / sort 200k',
      value: judge5 / sortMs,
      unit: 'x',
      goal: '<= 20',
    },
    {
      name: 'judge 100k/side, 1 interval / sort 200k',
      value: judge1 / sortMs,
      unit: 'x',
      goal: '<= 20',
    },
  ];
}
