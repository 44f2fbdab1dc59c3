import { marbles } from '../testkit/marbles';
import { createCrossover, crossover } from './signals';

const run = (differences: readonly number[]): number[] => {
  const cross = createCrossover();
  return differences.map((d) => cross.update(d));
};

describe('crossover', () => {
  it('emits +1 / −1 at crosses only; a tie keeps the previous sign', () => {
    marbles(({ cold, expectObservable }) => {
      const differences = cold('-n-z-p-p-z-n-p-|', { n: -1, z: 0, p: 1 });
      expectObservable(differences.pipe(crossover())).toBe('-----u-----d-u-|', { u: 1, d: -1 });
    });
  });

  it('does not cross on the first sign (lines that start apart)', () => {
    expect(run([2, 3, 1])).toEqual([0, 0, 0]);
    expect(run([0, 0, -1, -2])).toEqual([0, 0, 0, 0]);
    expect(run([0, 5, -5])).toEqual([0, 0, -1]);
  });

  it('crosses up when the difference is > 0 and the last non-zero one before it was < 0, however many ties between', () => {
    expect(run([-1, 0, 0, 0, 1])).toEqual([0, 0, 0, 0, 1]);
  });

  it('does not cross when the lines touch and part the way they came', () => {
    expect(run([-1, 0, -1, 1, 0, 1])).toEqual([0, 0, 0, 1, 0, 0]);
  });

  it('treats NaN as a tie', () => {
    expect(run([-1, Number.NaN, 1])).toEqual([0, 0, 1]);
  });

  it('gives every subscription its own state', () => {
    marbles(({ cold, expectObservable }) => {
      const crosses = cold('-p-n-|', { p: 1, n: -1 }).pipe(crossover());
      expectObservable(crosses).toBe('---d-|', { d: -1 });
      expectObservable(crosses).toBe('---d-|', { d: -1 });
    });
  });
});
