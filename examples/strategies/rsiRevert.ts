import { z } from 'zod';
import { toTicks } from '../../src/core/ticks';
import type { StrategyInput, StrategyOutput } from '../../src/core/types';
import { createRsi, defineStrategy, incremental } from '../../src/strategy';

/**
 * RSI mean reversion, a strategy of the user's own: long `contracts` when Wilder's RSI(`period`) of the closes
 * falls below `lower`, short above `upper`, flat when it comes back through 50. With `breakEvenTicks`, once a
 * close is that many ticks beyond its entry fill, it moves its stop-loss (the bracket's, named `stopLoss`) to
 * the entry price — so it reads its own fills as well as the bars.
 *
 * A config runs it without any change to the engine:
 *
 * ```json
 * { "id": "rsi", "module": "./strategies/rsiRevert.ts", "symbol": "USDJPY",
 *   "params": { "period": 14, "lower": 25, "upper": 75, "breakEvenTicks": 100 }, "bracket": { "stopLossTicks": 200 } }
 * ```
 */
export default defineStrategy({
  params: z
    .strictObject({
      period: z.number().int().min(2).default(14),
      lower: z.number().min(0).max(100).default(30),
      upper: z.number().min(0).max(100).default(70),
      contracts: z.number().positive().default(1),
      /** 0: never move the stop. */
      breakEvenTicks: z.number().int().min(0).default(0),
    })
    .refine((p) => p.lower < p.upper, { path: ['lower'], message: 'lower must be below upper' }),
  // RSI(n) needs n + 1 closes.
  warmup: (p) => ({ bars: p.period + 1 }),
  input: 'barsAndFills',
  create: ({ period, lower, upper, contracts, breakEvenTicks }, { symbol, contract }) =>
    incremental<StrategyInput, StrategyOutput>(() => {
      const rsi = createRsi(period);
      let target = 0;
      /** The price of the fill that opened the position, until the stop has been moved to it. */
      let entry: number | undefined;
      return {
        update(input) {
          if (input.symbol !== symbol) return undefined;
          if (input.kind === 'fill') {
            // An entry (or a reversal) opens a position to protect; anything else closed it.
            entry = input.reason === 'entry' || input.reason === 'reverse' ? input.price : undefined;
            return undefined;
          }
          const ts = input.ts + input.intervalMs;
          const value = rsi.update(input.close);
          if (value === undefined) return undefined;
          let next = target;
          if (value < lower) next = contracts;
          else if (value > upper) next = -contracts;
          else if ((target > 0 && value >= 50) || (target < 0 && value <= 50)) next = 0;
          if (next !== target) {
            target = next;
            entry = undefined;
            return { ts, target, reason: `rsi ${value.toFixed(1)}` };
          }
          if (breakEvenTicks > 0 && entry !== undefined && target !== 0) {
            const gained = Math.sign(target) * (toTicks(input.close, contract.tickSize) - toTicks(entry, contract.tickSize));
            if (gained >= breakEvenTicks) {
              const stopPrice = entry;
              entry = undefined;
              return { kind: 'modify', ts, clientId: 'stopLoss', stopPrice };
            }
          }
          return undefined;
        },
      };
    }),
});
