import type { OperatorFunction } from 'rxjs';
import { incremental, type Incremental } from '../incremental';
import { assertPeriod } from './period';
import { createRollingMoments } from './rollingMoments';

/**
 * Population standard deviation of the last `n` values (Backtrader's `StdDev`), `undefined` until `n`
 * values have arrived. O(1) amortized; numerically stable on prices (see `createRollingMoments`).
 */
export function createRollingStd(n: number): Incremental<number, number> {
  const moments = createRollingMoments('rollingStd', n);
  return {
    update(x) {
      return moments.push(x) ? Math.sqrt(moments.variance()) : undefined;
    },
  };
}

/**
 * Rolling population standard deviation; emits from the `n`-th value on.
 *
 * ```
 * source:         --1--3--3--3--|
 * rollingStd(2):  -----a--b--b--|    a = 1, b = 0
 * ```
 */
export function rollingStd(n: number): OperatorFunction<number, number> {
  assertPeriod('rollingStd', 'n', n);
  return incremental(() => createRollingStd(n));
}
