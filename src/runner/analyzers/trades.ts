import { z } from 'zod';
import type { Trade } from '../../core/types';
import type { Analyzer } from './analyzer';
import { count, nullableNum, num } from './resultFields';

/**
 * Closed round trips and fills.
 *
 * - `list`: every closed trade in closing order (kept by design: memory grows with trades, not bars).
 * - `grossPnl` = Σ pnl, `netPnl` = Σ pnlNet (quote currency), `netPnlAccount` = Σ pnlNetAccount.
 * - `avgPnl` / `avgPnlNet`: those sums / count, `null` without trades.
 * - `best` / `worst`: the trade with the highest / lowest pnlNet (the first one on ties), `null` without trades.
 * - `fills` and `commission` (Σ fill commission, quote currency) count every execution, including those of a
 *   trade still open.
 */
export type TradesAnalysis = Readonly<z.infer<typeof tradesFiguresSchema>> & {
  readonly best: Trade | null;
  readonly worst: Trade | null;
  readonly list: readonly Trade[];
};

/** The figures of `TradesAnalysis`, in report order around `best` and `worst` (which the report writes as its own trades). */
export const tradesFiguresSchema = z.object({
  count,
  long: count,
  short: count,
  grossPnl: num,
  netPnl: num,
  netPnlAccount: num,
  avgPnl: nullableNum,
  avgPnlNet: nullableNum,
  fills: count,
  commission: num,
});

export function createTradesAnalyzer(): Analyzer<TradesAnalysis> {
  const list: Trade[] = [];
  let long = 0;
  let grossPnl = 0;
  let netPnl = 0;
  let netPnlAccount = 0;
  let best: Trade | null = null;
  let worst: Trade | null = null;
  let fills = 0;
  let commission = 0;

  return {
    name: 'trades',
    onTrade(trade) {
      list.push(trade);
      if (trade.side === 'LONG') long++;
      grossPnl += trade.pnl;
      netPnl += trade.pnlNet;
      netPnlAccount += trade.pnlNetAccount;
      if (best === null || trade.pnlNet > best.pnlNet) best = trade;
      if (worst === null || trade.pnlNet < worst.pnlNet) worst = trade;
    },
    onFill(fill) {
      fills++;
      commission += fill.commission;
    },
    result() {
      const count = list.length;
      return {
        count,
        long,
        short: count - long,
        grossPnl,
        netPnl,
        netPnlAccount,
        avgPnl: count > 0 ? grossPnl / count : null,
        avgPnlNet: count > 0 ? netPnl / count : null,
        best,
        worst,
        fills,
        commission,
        list: list.slice(),
      };
    },
  };
}
