import type { OperatorFunction } from 'rxjs';
import type { Bar } from '../../core/types';
import { incremental, type Incremental } from '../incremental';
import { createExponentialSmoothing } from './ema';
import { assertPeriod } from './period';

/** The fields of a bar that true range reads. */
export type RangeBar = Pick<Bar, 'high' | 'low' | 'close'>;

/**
 * Wilder's average true range over `n` bars, as Backtrader's `ATR`: the true range
 * `max(high, prevClose) − min(low, prevClose)` needs the previous close, so it starts at the second bar,
 * and is smoothed with Wilder's average (`alpha = 1/n`, seeded with the simple average of the first `n`
 * ranges). `undefined` for the first `n` bars. O(1) per bar. Feed it bars of one symbol.
 */
export function createAtr(n: number): Incremental<RangeBar, number> {
  assertPeriod('atr', 'n', n);
  const average = createExponentialSmoothing('atr', n, 1 / n);
  // The previous close in a typed array: a mutable double captured by a closure is boxed on every write.
  const previous = new Float64Array(1);
  let started = false;
  return {
    update(bar) {
      const prevClose = previous[0];
      previous[0] = bar.close;
      if (!started) {
        started = true;
        return undefined;
      }
      const high = bar.high > prevClose ? bar.high : prevClose;
      const low = bar.low < prevClose ? bar.low : prevClose;
      return average.update(high - low);
    },
  };
}

/**
 * Average true range of bars; emits from the `(n + 1)`-th bar on.
 *
 * ```
 * source (h/l/c):  --a--b--c--|    a = 11/9/10, b = 12/10/11, c = 11/8/9
 * atr(2):          --------x--|    ranges b: 12 − 10 = 2, c: 11 − 8 = 3 → x = 2.5
 * ```
 */
export function atr(n: number): OperatorFunction<RangeBar, number> {
  assertPeriod('atr', 'n', n);
  return incremental(() => createAtr(n));
}
