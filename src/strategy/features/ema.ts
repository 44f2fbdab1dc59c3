import type { OperatorFunction } from 'rxjs';
import { incremental, type Incremental } from '../incremental';
import { assertFinite, assertPeriod } from './period';

/**
 * Exponential moving average with `alpha = 2 / (n + 1)`, seeded, as Backtrader's `EMA` is, with the simple
 * average of the first `n` values: `undefined` for the first `n − 1` values, then
 * `ema = ema · (1 − alpha) + x · alpha`. O(1) per value; the recursion forgets old rounding, so it does not
 * drift.
 */
export function createEma(n: number): Incremental<number, number> {
  return createExponentialSmoothing('ema', n, 2 / (n + 1));
}

/**
 * Exponential smoothing with a given `alpha`, seeded with the simple average of the first `n` values
 * (Backtrader's `ExponentialSmoothing`; Wilder's smoothing in RSI and ATR is `alpha = 1 / n`).
 */
export function createExponentialSmoothing(indicator: string, n: number, alpha: number): Incremental<number, number> {
  assertPeriod(indicator, 'n', n);
  const keep = 1 - alpha;
  // [value, seed sum] in a typed array: a mutable double captured by a closure is boxed on every write.
  const state = new Float64Array(2);
  let count = 0;
  return {
    update(x) {
      assertFinite(indicator, x);
      if (count >= n) {
        const value = state[0] * keep + x * alpha;
        state[0] = value;
        return value;
      }
      state[1] += x;
      count++;
      if (count < n) return undefined;
      state[0] = state[1] / n;
      return state[0];
    },
  };
}

/**
 * Exponential moving average, seeded with the SMA of the first `n` values.
 *
 * ```
 * source:  --2--4--6--2--|
 * ema(3):  --------a--b--|    a = 4 (the seed), b = 4·½ + 2·½ = 3   (alpha = 2/(3+1) = ½)
 * ```
 */
export function ema(n: number): OperatorFunction<number, number> {
  assertPeriod('ema', 'n', n);
  return incremental(() => createEma(n));
}
