import { marbles } from '../../testkit/marbles';
import { expectSeriesCloseTo, seededRandom } from '../../../test/support/featureHelpers';
import { createRollingStd, rollingStd } from './rollingStd';

/** Two-pass population standard deviation of values[end − n + 1 … end]. */
const naiveStd = (values: readonly number[], end: number, n: number): number => {
  let sum = 0;
  for (let i = end - n + 1; i <= end; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = end - n + 1; i <= end; i++) squares += (values[i] - mean) ** 2;
  return Math.sqrt(squares / n);
};

describe('rollingStd', () => {
  it('emits the population standard deviation from the n-th value on', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', { a: 1, b: 3, c: 3, d: 3 });
      expectObservable(source.pipe(rollingStd(2))).toBe('---x-y-y-|', { x: 1, y: 0 });
    });
  });

  it('matches a naive two-pass recomputation over 10k random values', () => {
    const random = seededRandom(5);
    const values = Array.from({ length: 10_000 }, () => (random() - 0.5) * 1000);
    const n = 30;
    const std = createRollingStd(n);
    expectSeriesCloseTo(
      values.map((x) => std.update(x)),
      values.map((_, i) => (i < n - 1 ? undefined : naiveStd(values, i, n))),
      9,
    );
  });

  it('keeps its digits on prices: large level, tiny spread (where Σx² − (Σx)²/n fails)', () => {
    const random = seededRandom(9);
    let price = 150;
    const closes = Array.from({ length: 10_000 }, () => (price = Math.round((price + (random() - 0.5) * 0.004) * 1000) / 1000));
    const n = 20;
    const std = createRollingStd(n);
    const exact = closes.map((_, i) => (i < n - 1 ? undefined : naiveStd(closes, i, n)));
    expectSeriesCloseTo(
      closes.map((x) => std.update(x)),
      exact,
      12,
    );
    // The one-pass formula on running sums, for contrast: it loses most of the digits of a 0.001 spread.
    let sum = 0;
    let squares = 0;
    let worst = 0;
    closes.forEach((x, i) => {
      sum += x;
      squares += x * x;
      if (i >= n) {
        sum -= closes[i - n];
        squares -= closes[i - n] ** 2;
      }
      const e = exact[i];
      if (e !== undefined) worst = Math.max(worst, Math.abs(Math.sqrt(Math.max(squares / n - (sum / n) ** 2, 0)) - e));
    });
    expect(worst).toBeGreaterThan(1e-9);
  });

  it('is exactly 0 on a flat window', () => {
    const std = createRollingStd(3);
    const out = [150.001, 150.001, 150.001, 150.001].map((x) => std.update(x));
    expect(out).toEqual([undefined, undefined, 0, 0]);
  });

  it('refuses a bad period and non-finite input', () => {
    expect(() => rollingStd(0)).toThrow('rollingStd: n must be an integer ≥ 1, got 0');
    expect(() => createRollingStd(2).update(Number.NaN)).toThrow('rollingStd: input NaN is not a finite number');
  });
});
