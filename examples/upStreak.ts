import { distinctUntilChanged, filter, map, pairwise, scan, skipWhile } from 'rxjs';
import { defineStrategy, type Strategy } from '../src/strategy/types';

export interface UpStreakParams {
  readonly id: string;
  readonly symbol: string;
  /** Consecutive higher closes needed to go long. */
  readonly bars: number;
  readonly contracts: number;
}

/**
 * Long `contracts` after `bars` higher closes in a row, flat on the first lower or equal close.
 * A strategy names itself and its symbol, and decides with an operator from closed bars to target
 * positions: no broker, no clock, no I/O.
 *
 * ```
 * close:   1   2   3   4   3
 * target:          1       0      (bars = 2, contracts = 1)
 * ```
 */
export function upStreak({ id, symbol, bars, contracts }: UpStreakParams): Strategy {
  return defineStrategy({
    id,
    symbol,
    decide: (bars$) =>
      bars$.pipe(
        filter((bar) => bar.symbol === symbol),
        pairwise(),
        scan((streak, [previous, bar]) => ({ n: bar.close > previous.close ? streak.n + 1 : 0, ts: bar.ts + bar.intervalMs }), { n: 0, ts: 0 }),
        map((streak) => ({ ts: streak.ts, target: streak.n >= bars ? contracts : 0 })),
        skipWhile((wish) => wish.target === 0),
        distinctUntilChanged((a, b) => a.target === b.target),
      ),
  });
}
