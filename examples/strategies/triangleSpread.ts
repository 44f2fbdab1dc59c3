import { z } from 'zod';
import { ConfigError } from '../../src/core/errors';
import type { Bar, TargetPosition } from '../../src/core/types';
import { defineStrategy, incremental } from '../../src/strategy';

/**
 * A cross against its two legs (EURJPY against EURUSD × USDJPY), a strategy that reads more symbols than it
 * trades: its config entry lists the legs under `reads`, and the engine hands it their bars with its own, in
 * the stream's order. Once the three bars of one minute are in, it measures how far the cross's close is from
 * the product of the legs' closes, in the cross's ticks: short `contracts` when the cross is `entryTicks` or more
 * rich, long when as cheap, flat once the gap is back within `exitTicks`.
 *
 * ```json
 * { "id": "triangle", "module": "./strategies/triangleSpread.ts", "symbol": "EURJPY", "reads": ["EURUSD", "USDJPY"],
 *   "params": { "entryTicks": 3, "exitTicks": 0 } }
 * ```
 *
 * The legs multiply in the order `reads` gives them: EURUSD × USDJPY = EUR/JPY.
 */
export default defineStrategy({
  params: z
    .strictObject({
      entryTicks: z.number().int().min(1).default(3),
      exitTicks: z.number().int().min(0).default(0),
      contracts: z.number().positive().default(1),
    })
    .refine((p) => p.exitTicks < p.entryTicks, { path: ['exitTicks'], message: 'exitTicks must be below entryTicks' }),
  warmup: { bars: 1 },
  create: ({ entryTicks, exitTicks, contracts }, { id, symbol, reads, contract }) => {
    if (reads.length !== 2) throw new ConfigError(`strategy "${id}": reads must list the two legs whose product is ${symbol}, such as ["EURUSD", "USDJPY"]`);
    const [first, second] = reads;
    return incremental<Bar, TargetPosition>(() => {
      const latest = new Map<string, Bar>();
      let target = 0;
      return {
        update(bar) {
          latest.set(bar.symbol, bar);
          const cross = latest.get(symbol);
          const a = latest.get(first);
          const b = latest.get(second);
          // Only bars of one time compare: a leg that missed the minute leaves it undecided.
          if (cross === undefined || a === undefined || b === undefined || cross.ts !== bar.ts || a.ts !== bar.ts || b.ts !== bar.ts) return undefined;
          const gapTicks = Math.round((cross.close - a.close * b.close) / contract.tickSize);
          let next = target;
          if (gapTicks >= entryTicks) next = -contracts;
          else if (gapTicks <= -entryTicks) next = contracts;
          else if (Math.abs(gapTicks) <= exitTicks) next = 0;
          if (next === target) return undefined;
          target = next;
          return { ts: bar.ts + bar.intervalMs, target, reason: `gap ${gapTicks} ticks` };
        },
      };
    });
  },
});
