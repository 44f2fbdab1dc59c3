import { marbles } from '../../testkit/marbles';
import { expectSeriesCloseTo, seededRandom } from '../../../test/support/featureHelpers';
import { createRollingSum, rollingSum } from './rollingSum';

const naiveSum = (values: readonly number[], end: number, n: number): number => {
  let s = 0;
  for (let i = end - n + 1; i <= end; i++) s += values[i];
  return s;
};

describe('rollingSum', () => {
  it('emits the window sum from the n-th value on', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', { a: 1, b: 2, c: 3, d: 4 });
      expectObservable(source.pipe(rollingSum(3))).toBe('-----x-y-|', { x: 6, y: 9 });
    });
  });

  it('matches a naive recomputation over 10k random values', () => {
    const random = seededRandom(7);
    const values = Array.from({ length: 10_000 }, () => (random() - 0.5) * 2000);
    const n = 50;
    const sum = createRollingSum(n);
    expectSeriesCloseTo(
      values.map((x) => sum.update(x)),
      values.map((_, i) => (i < n - 1 ? undefined : naiveSum(values, i, n))),
      9,
    );
  });

  it('recovers exactly after an outlier passes through, where a plain running sum stays off', () => {
    const n = 10;
    const values = [...Array<number>(n).fill(0.1), 1e16, ...Array<number>(3 * n).fill(0.1)];
    const sum = createRollingSum(n);
    let compensated = 0;
    let plain = 0;
    values.forEach((x, i) => {
      plain += x;
      if (i >= n) plain -= values[i - n];
      compensated = sum.update(x) ?? 0;
    });
    expect(compensated).toBeCloseTo(1, 12);
    expect(Math.abs(plain - 1)).toBeGreaterThan(1e-3); // the trap is real
  });

  it('refuses a bad period and non-finite input', () => {
    expect(() => createRollingSum(0)).toThrow('rollingSum: n must be an integer ≥ 1, got 0');
    expect(() => rollingSum(2.5)).toThrow('rollingSum: n must be an integer ≥ 1, got 2.5');
    expect(() => createRollingSum(3).update(Number.NaN)).toThrow('rollingSum: input NaN is not a finite number');
  });
});
