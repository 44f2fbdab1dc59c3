import { createDrawdownAnalyzer } from '../analyzers/drawdown';
import { createEquitySampler } from './equitySampler';

const MINUTE = 60_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');

/** A deterministic wobbly curve (no randomness): trend + two waves + a crash in the middle. */
function equityAt(i: number, n: number): number {
  const crash = i > n / 2 && i < n / 2 + n / 20 ? -30_000 * Math.sin((Math.PI * (i - n / 2)) / (n / 20)) : 0;
  return 1_000_000 + 0.5 * i + 20_000 * Math.sin(i / 977) + 3_000 * Math.sin(i / 13.7) + crash;
}

describe('equity sampler', () => {
  it('keeps every point while buckets are finer than the points', () => {
    const sampler = createEquitySampler({ initialEquity: 100, minBucketMs: MINUTE });
    const equities = [100, 104, 101, 107, 99];
    equities.forEach((e, i) => sampler.onEquity!(T0 + i * MINUTE, e));
    expect(sampler.result()).toEqual({
      ts: equities.map((_, i) => T0 + i * MINUTE),
      equity: equities,
      peak: [100, 104, 104, 107, 107],
      months: { ts: [Date.UTC(new Date(T0).getUTCFullYear(), new Date(T0).getUTCMonth(), 1)], equity: [99] },
    });
  });

  it('keeps the last equity of every UTC month, for monthly returns', () => {
    const sampler = createEquitySampler({ initialEquity: 100 });
    const at = (iso: string, equity: number): void => sampler.onEquity!(Date.parse(iso), equity);
    at('2024-01-30T23:59:00Z', 101);
    at('2024-01-31T23:59:00Z', 102);
    at('2024-02-01T00:00:00Z', 103);
    at('2024-04-10T00:00:00Z', 99);
    expect(sampler.result().months).toEqual({ ts: [Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1), Date.UTC(2024, 3, 1)], equity: [102, 103, 99] });
  });

  it('keeps first, min, max, deepest drawdown and last of each bucket, in time order', () => {
    const sampler = createEquitySampler({ initialEquity: 100, minBucketMs: 10 * MINUTE });
    // One 10-minute bucket: 100, 120 (max), 125 is higher… then 90 (min) after the peak 125.
    const equities = [100, 120, 125, 110, 90, 95, 97];
    equities.forEach((e, i) => sampler.onEquity!(T0 + i * MINUTE, e));
    const result = sampler.result();
    expect(result.ts).toEqual([0, 2, 4, 6].map((i) => T0 + i * MINUTE));
    expect(result.equity).toEqual([100, 125, 90, 97]);
    expect(result.peak).toEqual([100, 125, 125, 125]);
  });

  it('keeps the point of deepest drawdown even when it is not the bucket minimum', () => {
    const sampler = createEquitySampler({ initialEquity: 100, minBucketMs: 10 * MINUTE });
    // The minimum (80, drawdown 20 from 100) comes before the peak 150; the deepest drawdown is 120 (30 from
    // 150), which is neither the minimum nor the maximum, and must stay in the sample.
    [100, 80, 150, 120, 140].forEach((e, i) => sampler.onEquity!(T0 + i * MINUTE, e));
    const { equity, peak } = sampler.result();
    expect(equity).toEqual([100, 80, 150, 120, 140]);
    const drawdowns = equity.map((e, i) => peak[i] - e);
    expect(Math.max(...drawdowns)).toBe(30);
  });

  it('stays bounded on a long run and keeps its extremes and its max drawdown', () => {
    const n = 100_000;
    const sampler = createEquitySampler({ initialEquity: 1_000_000, maxBuckets: 256 });
    const drawdown = createDrawdownAnalyzer({ initialEquity: 1_000_000 });
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const ts = T0 + i * MINUTE;
      const e = equityAt(i, n);
      if (e < min) min = e;
      if (e > max) max = e;
      sampler.onEquity!(ts, e);
      drawdown.onEquity!(ts, e);
    }
    const result = sampler.result();
    expect(result.ts.length).toBeLessThanOrEqual(5 * 257);
    expect(result.ts.length).toBeGreaterThan(256);
    for (let i = 1; i < result.ts.length; i++) expect(result.ts[i]).toBeGreaterThan(result.ts[i - 1]);
    expect(result.ts[0]).toBe(T0);
    expect(result.ts[result.ts.length - 1]).toBe(T0 + (n - 1) * MINUTE);
    expect(Math.min(...result.equity)).toBe(min);
    expect(Math.max(...result.equity)).toBe(max);
    const sampledMaxDrawdown = Math.max(...result.equity.map((e, i) => result.peak[i] - e));
    expect(sampledMaxDrawdown).toBe(drawdown.result().maxDrawdown);
    // Every sampled point is a real point of the curve with its exact running peak.
    for (let k = 0; k < result.ts.length; k += 97) {
      const i = (result.ts[k] - T0) / MINUTE;
      expect(result.equity[k]).toBe(equityAt(i, n));
    }
  });

  it('merges across gaps (weekends) and gives the same sample twice', () => {
    const run = () => {
      const sampler = createEquitySampler({ maxBuckets: 8 });
      for (let day = 0; day < 30; day++) {
        if (day % 7 === 5 || day % 7 === 6) continue;
        for (let h = 0; h < 24; h++) sampler.onEquity!(T0 + day * 86_400_000 + h * 3_600_000, 100 + day + Math.sin(h));
      }
      return sampler.result();
    };
    const first = run();
    expect(first.ts.length).toBeLessThanOrEqual(5 * 9);
    expect(run()).toEqual(first);
    expect(first.peak[0]).toBe(first.equity[0]);
  });

  it('is empty without points', () => {
    expect(createEquitySampler().result()).toEqual({ ts: [], equity: [], peak: [], months: { ts: [], equity: [] } });
  });
});
