import { createPriceSampler } from './priceSampler';
import type { Bar } from '../../core/types';

const MINUTE = 60_000;
const bar = (i: number, close = 150 + i / 1000): Bar => ({ kind: 'bar', symbol: 'USDJPY', ts: i * MINUTE, intervalMs: MINUTE, open: close, high: close + 0.01, low: close - 0.01, close, volume: 1 });

describe('createPriceSampler', () => {
  it('re-aggregates to the next bar size when the overview grows past its cap, exactly as at that size from the start', () => {
    const sampler = createPriceSampler({ symbol: 'USDJPY', maxOverviewBars: 10 });
    for (let i = 0; i < 60; i++) sampler.record({ kind: 'mark', bar: bar(i) });
    const { overview, overviewMs } = sampler.result();
    expect(overviewMs).toBe(15 * MINUTE);
    expect(overview).toHaveLength(4);
    expect(overview[1]).toEqual({ kind: 'bar', symbol: 'USDJPY', ts: 15 * MINUTE, intervalMs: 15 * MINUTE, open: bar(15).open, high: bar(29).high, low: bar(15).low, close: bar(29).close, volume: 15 });
  });

  it('keeps the bars around each fill at the replay resolution, merging windows that meet', () => {
    const sampler = createPriceSampler({ symbol: 'USDJPY', windowBars: 2 });
    for (let i = 0; i < 30; i++) {
      if (i === 10 || i === 12 || i === 25) sampler.record({ kind: 'fill', symbol: 'USDJPY', ts: i * MINUTE });
      sampler.record({ kind: 'mark', bar: bar(i) });
    }
    const { detail, detailMs, detailComplete } = sampler.result();
    expect(detailMs).toBe(MINUTE);
    expect(detail.map((b) => b.ts / MINUTE)).toEqual([8, 9, 10, 11, 12, 13, 14, 23, 24, 25, 26, 27]);
    expect(detailComplete).toBe(true);
  });

  it('ignores other symbols and stops adding windows at its cap, saying so', () => {
    const sampler = createPriceSampler({ symbol: 'USDJPY', windowBars: 5, maxDetailBars: 3 });
    sampler.record({ kind: 'mark', bar: { ...bar(0), symbol: 'EURUSD' } });
    sampler.record({ kind: 'fill', symbol: 'USDJPY', ts: 0 });
    for (let i = 0; i < 10; i++) sampler.record({ kind: 'mark', bar: bar(i) });
    const result = sampler.result();
    expect(result.overview).toHaveLength(10);
    expect(result.detail).toHaveLength(3);
    expect(result.detailComplete).toBe(false);
  });
});
