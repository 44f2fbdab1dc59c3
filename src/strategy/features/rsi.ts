import type { OperatorFunction } from 'rxjs';
import { incremental, type Incremental } from '../incremental';
import { createExponentialSmoothing } from './ema';
import { assertFinite, assertPeriod } from './period';

/**
 * Wilder's relative strength index over `n` changes, as Backtrader's `RSI`: the up moves
 * `max(x − prev, 0)` and down moves `max(prev − x, 0)` are each smoothed with Wilder's average
 * (`alpha = 1/n`, seeded with the simple average of the first `n` moves), and
 * `rsi = 100 − 100 / (1 + up/down)`. It needs `n + 1` values, so it is `undefined` for the first `n`.
 * With no down moves it is 100 (50 when there were no moves at all, a flat market). O(1) per value.
 */
export function createRsi(n: number): Incremental<number, number> {
  assertPeriod('rsi', 'n', n);
  const up = createExponentialSmoothing('rsi', n, 1 / n);
  const down = createExponentialSmoothing('rsi', n, 1 / n);
  // The previous value in a typed array: a mutable double captured by a closure is boxed on every write.
  const previous = new Float64Array(1);
  let started = false;
  return {
    update(x) {
      assertFinite('rsi', x);
      if (!started) {
        started = true;
        previous[0] = x;
        return undefined;
      }
      const change = x - previous[0];
      previous[0] = x;
      const avgUp = up.update(change > 0 ? change : 0);
      const avgDown = down.update(change < 0 ? -change : 0);
      if (avgUp === undefined || avgDown === undefined) return undefined;
      if (avgDown === 0) return avgUp === 0 ? 50 : 100;
      return 100 - 100 / (1 + avgUp / avgDown);
    },
  };
}

/**
 * Wilder's RSI; emits from the `(n + 1)`-th value on.
 *
 * ```
 * source:  --10--12--11--14--|
 * rsi(2):  ----------a---b---|    a = 100 − 100/(1 + 1/0.5) = 66.67, b = 100 − 100/(1 + 2/0.25) = 88.89
 * ```
 */
export function rsi(n: number): OperatorFunction<number, number> {
  assertPeriod('rsi', 'n', n);
  return incremental(() => createRsi(n));
}
