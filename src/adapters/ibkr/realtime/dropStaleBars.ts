import { defer, filter, type MonoTypeOperatorFunction } from 'rxjs';
import type { Bar } from '../../../core/types';

/**
 * Lets a bar through only when it starts after the last bar let through, so a resubscription after a reconnect
 * or a 1101 (which may repeat the bar in progress) never hands the bar builder the same interval twice.
 *
 * ```
 * bars: a-b-b-c-b-d-|    (by start time a < b < c < d)
 * out:  a-b---c---d-|
 * ```
 */
export function dropStaleBars(): MonoTypeOperatorFunction<Bar> {
  return (source) =>
    defer(() => {
      let last = -Infinity;
      return source.pipe(
        filter((bar) => {
          if (bar.ts <= last) return false;
          last = bar.ts;
          return true;
        }),
      );
    });
}
