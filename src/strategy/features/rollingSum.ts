import type { OperatorFunction } from 'rxjs';
import { incremental, type Incremental } from '../incremental';
import { assertFinite, assertPeriod } from './period';

/**
 * Sum of the last `n` values, in O(1) per value, `undefined` until `n` values have arrived.
 *
 * A plain running sum (add the new value, subtract the one leaving) drifts: each step rounds, and the
 * errors never leave the sum. Over millions of 1-minute bars that drift turns equal averages into unequal
 * ones. Here both the add and the subtract go through Neumaier's compensated summation, so the answer is
 * the window's exact sum rounded once (to within a few ulps), however long the series and even after an
 * outlier many orders of magnitude larger has passed through the window.
 */
export function createRollingSum(n: number): Incremental<number, number> {
  assertPeriod('rollingSum', 'n', n);
  const window = new Float64Array(n);
  // [sum, compensation] in a typed array: V8 boxes a mutable double captured by a closure, so keeping
  // them in `let`s would allocate on every update.
  const total = new Float64Array(2);
  let count = 0;
  let index = 0;

  const add = (x: number): void => {
    const sum = total[0];
    const t = sum + x;
    // Neumaier: recover the low-order bits that the larger operand swallowed.
    total[1] += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    total[0] = t;
  };

  return {
    update(x) {
      assertFinite('rollingSum', x);
      if (count === n) add(-window[index]);
      else count++;
      add(x);
      window[index] = x;
      index = index + 1 === n ? 0 : index + 1;
      return count === n ? total[0] + total[1] : undefined;
    },
  };
}

/**
 * Rolling sum of the last `n` values; emits from the `n`-th value on.
 *
 * ```
 * source:        --1--2--3--4--|
 * rollingSum(3): --------a--b--|    a = 6, b = 9
 * ```
 */
export function rollingSum(n: number): OperatorFunction<number, number> {
  assertPeriod('rollingSum', 'n', n);
  return incremental(() => createRollingSum(n));
}
