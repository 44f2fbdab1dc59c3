import { marbles } from '../../testkit/marbles';
import { expectSeriesCloseTo, seededRandom } from '../../../test/support/featureHelpers';
import { createRsi, rsi } from './rsi';

describe('rsi', () => {
  it("emits Wilder's RSI from the (n+1)-th value on", () => {
    marbles(({ cold, expectObservable }) => {
      // changes +2, −1, +3; seed up (2+0)/2 = 1, down (0+1)/2 = ½ → 100 − 100/3; then up 2, down ¼ → 100 − 100/9
      const source = cold('-a-b-c-d-|', { a: 10, b: 12, c: 11, d: 14 });
      expectObservable(source.pipe(rsi(2))).toBe('-----x-y-|', { x: 100 - 100 / 3, y: 100 - 100 / 9 });
    });
  });

  it('is 100 with no down moves and 50 on a flat market', () => {
    const rising = createRsi(2);
    expect([1, 2, 3, 4].map((x) => rising.update(x))).toEqual([undefined, undefined, 100, 100]);
    const flat = createRsi(2);
    expect([5, 5, 5].map((x) => flat.update(x))).toEqual([undefined, undefined, 50]);
  });

  it("matches Wilder's (avg·(n−1) + move)/n form over 10k random values", () => {
    const random = seededRandom(4);
    let price = 150;
    const closes = Array.from({ length: 10_000 }, () => (price += (random() - 0.5) * 0.1));
    const n = 14;
    const indicator = createRsi(n);
    let up = 0;
    let down = 0;
    const expected = closes.map((x, i) => {
      if (i === 0) return undefined;
      const move = x - closes[i - 1];
      if (i <= n) {
        up += Math.max(move, 0) / n;
        down += Math.max(-move, 0) / n;
      } else {
        up = (up * (n - 1) + Math.max(move, 0)) / n;
        down = (down * (n - 1) + Math.max(-move, 0)) / n;
      }
      return i < n ? undefined : 100 - 100 / (1 + up / down);
    });
    expectSeriesCloseTo(
      closes.map((x) => indicator.update(x)),
      expected,
      9,
    );
  });

  it('refuses a bad period and non-finite input', () => {
    expect(() => rsi(0)).toThrow('rsi: n must be an integer ≥ 1, got 0');
    expect(() => createRsi(3).update(Number.NaN)).toThrow('rsi: input NaN is not a finite number');
  });
});
