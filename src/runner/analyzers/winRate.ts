import { z } from 'zod';
import type { Analyzer } from './analyzer';
import { count, nullableNum, reasonText } from './resultFields';

/**
 * Wins and losses of closed trades, judged on pnlNet (after commission):
 *
 * - a win has pnlNet > 0, a loss pnlNet < 0, a breakeven pnlNet = 0;
 * - `winRate` = wins / trades (a fraction; breakevens count in the denominator). Backtrader's `TradeAnalyzer`
 *   counts pnlcomm ≥ 0 as won; here a breakeven is not a win, and is reported apart.
 * - `avgWin` = Σ pnlNet of wins / wins (> 0), `avgLoss` = Σ pnlNet of losses / losses (< 0, signed);
 *   `null` when there is none.
 * - `maxConsecutiveWins` / `maxConsecutiveLosses`: longest runs in closing order (a breakeven ends both).
 *
 * `winRate` is `null`, with `reason`, without trades.
 */
export const winRateAnalysisSchema = z
  .object({
    trades: count,
    wins: count,
    losses: count,
    breakeven: count,
    winRate: nullableNum,
    reason: reasonText,
    avgWin: nullableNum,
    avgLoss: nullableNum,
    maxConsecutiveWins: count,
    maxConsecutiveLosses: count,
  })
  .readonly();

export type WinRateAnalysis = z.infer<typeof winRateAnalysisSchema>;

export function createWinRateAnalyzer(): Analyzer<WinRateAnalysis> {
  let trades = 0;
  let wins = 0;
  let losses = 0;
  let winSum = 0;
  let lossSum = 0;
  let winRun = 0;
  let lossRun = 0;
  let maxConsecutiveWins = 0;
  let maxConsecutiveLosses = 0;

  return {
    name: 'winRate',
    onTrade(trade) {
      trades++;
      const pnl = trade.pnlNet;
      if (pnl > 0) {
        wins++;
        winSum += pnl;
        winRun++;
        lossRun = 0;
        if (winRun > maxConsecutiveWins) maxConsecutiveWins = winRun;
      } else if (pnl < 0) {
        losses++;
        lossSum += pnl;
        lossRun++;
        winRun = 0;
        if (lossRun > maxConsecutiveLosses) maxConsecutiveLosses = lossRun;
      } else {
        winRun = 0;
        lossRun = 0;
      }
    },
    result() {
      return {
        trades,
        wins,
        losses,
        breakeven: trades - wins - losses,
        winRate: trades > 0 ? wins / trades : null,
        reason: trades > 0 ? null : 'no closed trade',
        avgWin: wins > 0 ? winSum / wins : null,
        avgLoss: losses > 0 ? lossSum / losses : null,
        maxConsecutiveWins,
        maxConsecutiveLosses,
      };
    },
  };
}
