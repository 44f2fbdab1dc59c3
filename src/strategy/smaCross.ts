import type { Bar, TargetPosition } from '../core/types';
import { incremental, type Incremental } from './incremental';
import { createCrossover } from './signals';
import { defineStrategy, type Strategy } from './types';

export interface SmaCrossParams {
  readonly id: string;
  readonly symbol: string;
  /** Bars in the fast average, an integer ≥ 1 and < slow. */
  readonly fast: number;
  /** Bars in the slow average. */
  readonly slow: number;
  /** Contracts held long or short once in the market, > 0. */
  readonly contracts: number;
  /** Price grid of the symbol (`ContractSpec.tickSize`): closes are compared as whole ticks. */
  readonly tickSize: number;
}

/** Why the target changed (`Signal.reason`). */
export const SMA_CROSS_REASON = { up: 'cross up', down: 'cross down' } as const;

function checkParams(p: SmaCrossParams): void {
  const where = `smaCross "${p.id}"`;
  if (!p.id) throw new RangeError('smaCross: id must be a non-empty string');
  if (!p.symbol) throw new RangeError(`${where}: symbol must be a non-empty string`);
  if (!Number.isInteger(p.fast) || p.fast < 1) throw new RangeError(`${where}: fast must be an integer ≥ 1, got ${String(p.fast)}`);
  if (!Number.isInteger(p.slow) || p.slow <= p.fast) {
    throw new RangeError(`${where}: slow must be an integer greater than fast (${String(p.fast)}), got ${String(p.slow)}`);
  }
  if (!(p.contracts > 0) || !Number.isFinite(p.contracts)) {
    throw new RangeError(`${where}: contracts must be a finite number > 0, got ${String(p.contracts)}`);
  }
  if (!(p.tickSize > 0) || !Number.isFinite(p.tickSize)) {
    throw new RangeError(`${where}: tickSize must be a finite number > 0, got ${String(p.tickSize)}`);
  }
}

/**
 * Fast/slow simple-moving-average crossover on closes, as a stateful form: feed it every bar (other
 * symbols are ignored); it answers a TargetPosition when its target changes.
 *
 * Flat until the first cross, then always in the market: +contracts after a cross up, −contracts after a
 * cross down (a reversal is ONE target from +c to −c; the order layer makes it one order of 2c).
 *
 * Crosses are decided exactly. Float averages kept as rolling sums round differently from bar to bar, so
 * two equal averages come out a few ulps apart and a flat market on 1-minute data "crosses" back and forth.
 * Here each close becomes an integer number of ticks, `round(close / tickSize)`; the window sums are
 * integers, and `fast SMA > slow SMA` is decided as `slow · Σfast > fast · Σslow` between integers. Equal
 * is a tie, which is not a cross and keeps the previous sign (see `createCrossover`); the first sign after
 * warm-up is not a cross, so there is no entry merely because fast > slow once the slow window fills.
 *
 * Exactness bound: while every |ticks| ≤ ⌊(2^53 − 1) / (fast · slow)⌋, all sums and both products are
 * integers below 2^53, so double arithmetic is exact (USDJPY at 150.000 with tick 0.001 is 150,000 ticks; with
 * 20/50 the bound is 9.0e12 ticks). A tick beyond it switches this instance to BigInt sums for good:
 * still exact, but it allocates per bar.
 */
export function createSmaCross(params: SmaCrossParams): Incremental<Bar, TargetPosition> {
  checkParams(params);
  const { id, symbol, fast, slow, contracts, tickSize } = params;
  const tickLimit = Math.floor(Number.MAX_SAFE_INTEGER / (fast * slow));
  const ticks = new Float64Array(slow);
  const cross = createCrossover();
  // [Σfast, Σslow] in ticks, in a typed array: past the small-integer range a mutable number captured by a
  // closure is boxed on every write. Integers below 2^53 are exact in it.
  const sums = new Float64Array(2);
  let count = 0;
  let index = 0;
  let big = false;
  let bigFast = 0n;
  let bigSlow = 0n;
  let target = 0;

  return {
    update(bar) {
      if (bar.symbol !== symbol) return undefined;
      const tick = Math.round(bar.close / tickSize);
      if (!Number.isFinite(tick)) throw new RangeError(`smaCross "${id}": close ${String(bar.close)} is not a finite price`);
      if (!big && Math.abs(tick) > tickLimit) {
        // The number sums are still exact integers here; carry them over.
        big = true;
        bigFast = BigInt(sums[0]);
        bigSlow = BigInt(sums[1]);
      }
      const leavingFast = count >= fast ? ticks[index >= fast ? index - fast : index - fast + slow] : 0;
      const leavingSlow = count >= slow ? ticks[index] : 0;
      ticks[index] = tick;
      index = index + 1 === slow ? 0 : index + 1;
      if (count < slow) count++;

      let difference: number;
      if (big) {
        bigFast += BigInt(tick) - BigInt(leavingFast);
        bigSlow += BigInt(tick) - BigInt(leavingSlow);
        if (count < slow) return undefined;
        const a = BigInt(slow) * bigFast;
        const b = BigInt(fast) * bigSlow;
        difference = a > b ? 1 : a < b ? -1 : 0;
      } else {
        const sumFast = sums[0] + tick - leavingFast;
        const sumSlow = sums[1] + tick - leavingSlow;
        sums[0] = sumFast;
        sums[1] = sumSlow;
        if (count < slow) return undefined;
        const a = slow * sumFast;
        const b = fast * sumSlow;
        difference = a > b ? 1 : a < b ? -1 : 0;
      }

      const direction = cross.update(difference);
      if (direction === 0) return undefined;
      const next = direction > 0 ? contracts : -contracts;
      if (next === target) return undefined;
      target = next;
      return {
        ts: bar.ts + bar.intervalMs,
        target,
        reason: direction > 0 ? SMA_CROSS_REASON.up : SMA_CROSS_REASON.down,
      };
    },
  };
}

/**
 * Fast/slow SMA crossover strategy (see `createSmaCross` for the exact rules).
 *
 * ```
 * closes (fast 1, slow 2):  --a--b--c--d--e--|    100 99 99 100 99: from b on fast − slow is −, 0 (a tie), +, −
 * smaCross:                 -----------L--S--|    L = target +1 ("cross up"), S = target −1 ("cross down")
 * ```
 */
export function smaCross(params: SmaCrossParams): Strategy {
  checkParams(params);
  return defineStrategy({ id: params.id, symbol: params.symbol, decide: incremental(() => createSmaCross(params)) });
}
