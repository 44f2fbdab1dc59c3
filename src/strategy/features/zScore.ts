import type { OperatorFunction } from 'rxjs';
import { incremental, type Incremental } from '../incremental';
import { assertPeriod } from './period';
import { createRollingMoments } from './rollingMoments';

/**
 * How many population standard deviations the latest value lies from the mean of the last `n` values
 * (itself included): `(x − mean) / std`, `undefined` until `n` values have arrived. A flat window
 * (std 0) answers 0: every value, the latest too, equals the mean, so it is no deviation at all.
 */
export function createZScore(n: number): Incremental<number, number> {
  const moments = createRollingMoments('zScore', n);
  return {
    update(x) {
      if (!moments.push(x)) return undefined;
      const variance = moments.variance();
      return variance > 0 ? (x - moments.mean()) / Math.sqrt(variance) : 0;
    },
  };
}

/**
 * Rolling z-score of each value against its own window; emits from the `n`-th value on.
 *
 * ```
 * source:     --1--3--3--1--|
 * zScore(2):  -----a--b--c--|    a = 1, b = 0, c = −1
 * ```
 */
export function zScore(n: number): OperatorFunction<number, number> {
  assertPeriod('zScore', 'n', n);
  return incremental(() => createZScore(n));
}
