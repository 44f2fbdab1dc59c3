import { marbles } from '../../testkit/marbles';
import { expectSeriesCloseTo, seededRandom } from '../../../test/support/featureHelpers';
import { createSma, sma } from './sma';

describe('sma', () => {
  it('averages the last n values from the n-th value on', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', { a: 1, b: 3, c: 5, d: 7 });
      expectObservable(source.pipe(sma(2))).toBe('---x-y-z-|', { x: 2, y: 4, z: 6 });
    });
  });

  it('is the value itself for n = 1', () => {
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-|', { a: 150.123, b: 150.124 }).pipe(sma(1))).toBe('-a-b-|', { a: 150.123, b: 150.124 });
    });
  });

  it('matches a naive recomputation over a 10k-bar random walk of prices on a 0.001 grid', () => {
    const random = seededRandom(11);
    let price = 150;
    const closes = Array.from({ length: 10_000 }, () => (price = Math.round((price + (random() - 0.5) * 0.05) * 1000) / 1000));
    for (const n of [20, 50]) {
      const average = createSma(n);
      const naive = closes.map((_, i) => {
        if (i < n - 1) return undefined;
        let sum = 0;
        for (let j = i - n + 1; j <= i; j++) sum += closes[j];
        return sum / n;
      });
      expectSeriesCloseTo(
        closes.map((x) => average.update(x)),
        naive,
        10,
      );
    }
  });

  it('refuses a bad period', () => {
    expect(() => sma(0)).toThrow('sma: n must be an integer ≥ 1, got 0');
  });
});
