/** Order statistics over several sorted runs (no merge), and the histogram's stated error bound. */
import { bucketOf, CombinedSamples, HISTOGRAM_ERROR_BOUND, SampleStore } from '#core/stats/sample-store.js';
import { SortedRuns } from '#core/stats/sorted-runs.js';
import { percentile } from '#core/stats/percentile.js';
import { createRng } from '#core/stats/rng.js';

const rng = createRng(20261201);
const rand = (): number => rng.next();

test('the k-th smallest of several runs, ties across runs included, is the k-th of them merged', () => {
  const runs = [0, 1, 2, 3, 4].map((i) =>
    Float64Array.from({ length: 50 + i * 37 }, () => Math.round(rand() * 40) / 4).sort(),
  );
  const merged = Float64Array.from(runs.flatMap((r) => [...r])).sort();
  const s = new SortedRuns([...runs, new Float64Array(0)]);
  expect(s.length).toBe(merged.length);
  for (let k = 0; k < merged.length; k++) expect(s.at(k)).toBe(merged[k]);
  expect(() => s.at(merged.length)).toThrow(RangeError);
});

test('exact stores give k6 percentiles of the union; past toHistogram(), within the bound', () => {
  const values = Array.from({ length: 20_000 }, () => Math.exp(2 + rand() * 3)); // 7 ms .. 150 ms, skewed
  const stores = [new SampleStore(), new SampleStore()];
  values.forEach((v, i) => stores[i % 2]!.push(v));
  const exact = new CombinedSamples(stores.map((s) => s.stored()));
  expect(exact.exact).toBe(true);
  for (const p of [0.5, 0.9, 0.95, 0.99]) expect(exact.percentile(p)).toBe(percentile(values, p));
  stores[1]!.toHistogram();
  const mixed = new CombinedSamples(stores.map((s) => s.stored()));
  expect(mixed.exact).toBe(false);
  for (const p of [0.5, 0.9, 0.95, 0.99]) {
    const want = percentile(values, p);
    expect(Math.abs(mixed.percentile(p) - want) / want).toBeLessThanOrEqual(HISTOGRAM_ERROR_BOUND);
  }
  expect(mixed.min()).toBe(Math.min(...values));
  expect(mixed.max()).toBe(Math.max(...values));
  expect(mixed.length).toBe(values.length);
});

test('bucket keys are monotonic in the value and 2^-7 of it wide', () => {
  let prev = -1;
  for (let v = 0.001; v < 1e6; v *= 1.003) {
    const k = bucketOf(v);
    expect(k).toBeGreaterThanOrEqual(prev);
    prev = k;
  }
  expect(bucketOf(100)).not.toBe(bucketOf(100 * (1 + 2 ** -7)));
  expect(bucketOf(128)).toBe(bucketOf(128 * (1 + 2 ** -8)));
});
