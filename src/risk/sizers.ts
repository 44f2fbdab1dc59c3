import { z } from 'zod';
import { parseConfig } from '../core/configFile';
import { contractFor } from '../core/contracts';
import type { ContractBook, Signal } from '../core/types';

/**
 * Sizer selection (the risk estimator): how many contracts a strategy's target becomes. A strategy's
 * target keeps its sign (long / short / flat); the sizer decides the magnitude.
 *
 * - `{ "type": "fixed", "contracts": n }`: always n contracts (Backtrader's FixedSize).
 * - `{ "type": "percentOfEquity", "percent": p, "step"?: s }`: the largest multiple of `step` contracts
 *   (default 1) whose notional at the last close, in the account currency, is at most p % of the account
 *   equity (Backtrader's PercentSizer, in whole contracts). Too little equity for one step → flat.
 */
export const sizerConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('fixed'), contracts: z.number().finite().positive() }),
  z.strictObject({
    type: z.literal('percentOfEquity'),
    percent: z.number().finite().positive().max(10_000),
    step: z.number().finite().positive().optional(),
  }),
]);

export type SizerConfig = z.infer<typeof sizerConfigSchema>;

/** Validates a sizer config; the error names the field (`sizer.percent: …`). */
export function parseSizerConfig(doc: unknown, source = 'sizer'): SizerConfig {
  return parseConfig(sizerConfigSchema, doc, source);
}

/** What a sizer reads from the portfolio. `Book` satisfies it. */
export interface SizingView {
  equity(): number;
  notionalAccount(symbol: string, units: number): number;
}

/** Signed target contracts for a signal. */
export type Sizer = (signal: Signal) => number;

export function createSizer(config: SizerConfig, view: SizingView, contracts: ContractBook): Sizer {
  switch (config.type) {
    case 'fixed': {
      const size = config.contracts;
      return (signal) => Math.sign(signal.target) * size;
    }
    case 'percentOfEquity': {
      const fraction = config.percent / 100;
      const step = config.step ?? 1;
      return (signal) => {
        if (signal.target === 0) return 0;
        const spec = contractFor(contracts, signal.symbol);
        const perStep = view.notionalAccount(signal.symbol, step * spec.multiplier);
        const budget = view.equity() * fraction;
        // A tiny tolerance so a budget that is an exact multiple of the step on paper is not lost to rounding.
        const steps = Math.floor(budget / perStep + 1e-9);
        return steps > 0 ? Math.sign(signal.target) * steps * step : 0;
      };
    }
  }
}
