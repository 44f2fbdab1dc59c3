import type { OperatorFunction } from 'rxjs';
import { incremental, type Incremental } from '../incremental';
import { assertPeriod } from './period';
import { createRollingSum } from './rollingSum';

/**
 * Simple moving average of the last `n` values, O(1) per value, `undefined` until `n` values have
 * arrived. The window sum is compensated (see `createRollingSum`), so it does not drift.
 */
export function createSma(n: number): Incremental<number, number> {
  assertPeriod('sma', 'n', n);
  const sum = createRollingSum(n);
  return {
    update(x) {
      const s = sum.update(x);
      return s === undefined ? undefined : s / n;
    },
  };
}

/**
 * Simple moving average; emits from the `n`-th value on (Backtrader's `SMA(period=n)`).
 *
 * ```
 * source:  --1--3--5--7--|
 * sma(2):  -----a--b--c--|    a = 2, b = 4, c = 6
 * ```
 */
export function sma(n: number): OperatorFunction<number, number> {
  assertPeriod('sma', 'n', n);
  return incremental(() => createSma(n));
}
