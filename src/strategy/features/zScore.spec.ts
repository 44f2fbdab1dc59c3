import { marbles } from '../../testkit/marbles';
import { expectSeriesCloseTo, seededRandom } from '../../../test/support/featureHelpers';
import { createZScore, zScore } from './zScore';

describe('zScore', () => {
  it('scores each value against its own window from the n-th value on; a flat window scores 0', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', { a: 1, b: 3, c: 3, d: 1 });
      expectObservable(source.pipe(zScore(2))).toBe('---x-y-z-|', { x: 1, y: 0, z: -1 });
    });
  });

  it('matches a naive recomputation over 10k random values', () => {
    const random = seededRandom(21);
    const values = Array.from({ length: 10_000 }, () => 150 + (random() - 0.5) * 0.2);
    const n = 40;
    const z = createZScore(n);
    const naive = values.map((x, i) => {
      if (i < n - 1) return undefined;
      const window = values.slice(i - n + 1, i + 1);
      const mean = window.reduce((a, b) => a + b, 0) / n;
      const std = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
      return (x - mean) / std;
    });
    expectSeriesCloseTo(
      values.map((x) => z.update(x)),
      naive,
      9,
    );
  });

  it('refuses a bad period', () => {
    expect(() => zScore(1.5)).toThrow('zScore: n must be an integer ≥ 1, got 1.5');
  });
});
