import { makeBar, marbles } from '../../testkit/marbles';
import { expectSeriesCloseTo, seededRandom } from '../../../test/support/featureHelpers';
import { atr, createAtr, type RangeBar } from './atr';

const bar = (high: number, low: number, close: number) => makeBar({ ts: 0, open: close, high, low, close });

describe('atr', () => {
  it('averages true ranges (from the second bar) and emits from the (n+1)-th bar on', () => {
    marbles(({ cold, expectObservable }) => {
      // b: max(12, 10) − min(10, 10) = 2; c: max(11, 11) − min(8, 11) = 3; seed 2.5; d: gap up, max(15, 9) − min(14, 9) = 6 → 2.5·½ + 6·½
      const source = cold('-a-b-c-d-|', { a: bar(11, 9, 10), b: bar(12, 10, 11), c: bar(11, 8, 9), d: bar(15, 14, 15) });
      expectObservable(source.pipe(atr(2))).toBe('-----x-y-|', { x: 2.5, y: 4.25 });
    });
  });

  it('matches a naive true range and Wilder average over 10k random bars', () => {
    const random = seededRandom(17);
    let close = 150;
    const bars: RangeBar[] = Array.from({ length: 10_000 }, () => {
      const open = close;
      close = open + (random() - 0.5) * 0.2;
      return { high: Math.max(open, close) + random() * 0.05, low: Math.min(open, close) - random() * 0.05, close };
    });
    const n = 14;
    const indicator = createAtr(n);
    const ranges = bars.map((b, i) => (i === 0 ? Number.NaN : Math.max(b.high, bars[i - 1].close) - Math.min(b.low, bars[i - 1].close)));
    let reference = Number.NaN;
    const expected = bars.map((_, i) => {
      if (i < n) return undefined;
      reference = i === n ? ranges.slice(1, n + 1).reduce((a, r) => a + r, 0) / n : (reference * (n - 1) + ranges[i]) / n;
      return reference;
    });
    expectSeriesCloseTo(
      bars.map((b) => indicator.update(b)),
      expected,
      10,
    );
  });

  it('refuses a bad period', () => {
    expect(() => atr(0)).toThrow('atr: n must be an integer ≥ 1, got 0');
  });
});
