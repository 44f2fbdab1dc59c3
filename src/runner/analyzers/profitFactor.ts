import { z } from 'zod';
import type { Analyzer } from './analyzer';
import { nullableNum, num, reasonText } from './resultFields';

/**
 * Profit factor of closed trades, on pnlNet (quote currency):
 *
 *   profitFactor = grossWins / grossLosses,   grossWins = Σ pnlNet > 0,   grossLosses = −Σ pnlNet < 0 (≥ 0)
 *
 * `null`, with `reason`, when grossLosses is 0: without trades, with only breakevens, or with wins and no
 * loss (the factor would be +∞, which JSON cannot carry). 0 when there are losses and no win.
 */
export const profitFactorAnalysisSchema = z.object({ profitFactor: nullableNum, reason: reasonText, grossWins: num, grossLosses: num }).readonly();

export type ProfitFactorAnalysis = z.infer<typeof profitFactorAnalysisSchema>;

export function createProfitFactorAnalyzer(): Analyzer<ProfitFactorAnalysis> {
  let trades = 0;
  let grossWins = 0;
  let grossLosses = 0;

  return {
    name: 'profitFactor',
    onTrade(trade) {
      trades++;
      if (trade.pnlNet > 0) grossWins += trade.pnlNet;
      else if (trade.pnlNet < 0) grossLosses -= trade.pnlNet;
    },
    result() {
      let reason: string | null = null;
      if (grossLosses === 0) {
        if (trades === 0) reason = 'no closed trade';
        else if (grossWins === 0) reason = 'no winning or losing trade (all breakeven)';
        else reason = 'no losing trade: the profit factor is infinite';
      }
      return { profitFactor: reason === null ? grossWins / grossLosses : null, reason, grossWins, grossLosses };
    },
  };
}
