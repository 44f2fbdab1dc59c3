import { marbles } from '../../testkit/marbles';
import { expectSeriesCloseTo, seededRandom } from '../../../test/support/featureHelpers';
import { createEma, ema } from './ema';

describe('ema', () => {
  it('seeds with the SMA of the first n values, then smooths with alpha = 2/(n+1)', () => {
    marbles(({ cold, expectObservable }) => {
      // alpha = 1/2: seed (2+4+6)/3 = 4; then 4·½ + 8·½ = 6; 6·½ + 2·½ = 4
      const source = cold('-a-b-c-d-e-|', { a: 2, b: 4, c: 6, d: 8, e: 2 });
      expectObservable(source.pipe(ema(3))).toBe('-----x-y-z-|', { x: 4, y: 6, z: 4 });
    });
  });

  it('matches the textbook recursion over 10k random values', () => {
    const random = seededRandom(3);
    const values = Array.from({ length: 10_000 }, () => 100 + random() * 10);
    const n = 20;
    const alpha = 2 / (n + 1);
    const average = createEma(n);
    let reference = Number.NaN;
    const expected = values.map((x, i) => {
      if (i < n - 1) return undefined;
      reference = i === n - 1 ? values.slice(0, n).reduce((a, b) => a + b, 0) / n : reference + alpha * (x - reference);
      return reference;
    });
    expectSeriesCloseTo(
      values.map((x) => average.update(x)),
      expected,
      10,
    );
  });

  it('refuses a bad period and non-finite input', () => {
    expect(() => ema(-1)).toThrow('ema: n must be an integer ≥ 1, got -1');
    expect(() => createEma(2).update(Number.POSITIVE_INFINITY)).toThrow('ema: input Infinity is not a finite number');
  });
});
