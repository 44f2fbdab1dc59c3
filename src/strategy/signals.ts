import type { OperatorFunction } from 'rxjs';
import { incremental, type Incremental } from './incremental';

/** +1: crossed up; −1: crossed down; 0: no cross. */
export type CrossDirection = 1 | -1 | 0;

/** A crossover detector answers on every value (never `undefined`). */
export interface Crossover extends Incremental<number, CrossDirection> {
  update(difference: number): CrossDirection;
}

/**
 * Crossover of two lines, decided from their difference `a − b` (or any number with its sign, such as an
 * exact integer comparison), one value per bar, O(1). Backtrader's `CrossOver` line, with an exact tie rule:
 *
 * - a zero difference (a tie, the lines touch) is not a cross and keeps the previous sign;
 * - bar i crosses up when its difference is > 0 and the last non-zero difference before i was < 0, and
 *   down symmetrically;
 * - the first non-zero difference is not a cross (there is no opposite sign before it), so lines that
 *   start apart do not "cross" at warm-up.
 *
 * NaN is neither above nor below, so it counts as a tie.
 */
export function createCrossover(): Crossover {
  let lastSign = 0;
  return {
    update(difference) {
      if (difference > 0) {
        const crossed = lastSign < 0;
        lastSign = 1;
        return crossed ? 1 : 0;
      }
      if (difference < 0) {
        const crossed = lastSign > 0;
        lastSign = -1;
        return crossed ? -1 : 0;
      }
      return 0;
    },
  };
}

/**
 * Emits +1 when a stream of differences `a − b` crosses from below zero to above it and −1 for the
 * reverse; ties (0) keep the previous sign and the first sign is not a cross (see `createCrossover`).
 *
 * ```
 * source:       --n--z--p--p--z--n--p--|    n = −1, z = 0, p = +1
 * crossover():  --------u--------d--u--|    u = 1, d = −1
 * ```
 */
export function crossover(): OperatorFunction<number, 1 | -1> {
  return incremental(() => {
    const cross = createCrossover();
    return {
      update(difference) {
        const direction = cross.update(difference);
        return direction === 0 ? undefined : direction;
      },
    };
  });
}
