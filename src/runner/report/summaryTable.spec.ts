import type { Position } from '../../core/types';
import { createAnalyzers } from '../analyzers/createAnalyzers';
import { DAY_MS } from '../../core/time';
import { T0, makeTrade } from '../../../test/support/testTrades';
import { buildReplayReport, type ReplayReport } from './replayReport';
import { formatSummaryTable } from './summaryTable';

function sampleReport(): ReplayReport {
  // Leg A: +150,000 JPY and −50,000 JPY net (1 win of 2); equity 1,000,000 → 1,010,000 → 1,005,000 → 1,006,000.
  const a = createAnalyzers(['sharpe', 'drawdown'], { initialEquity: 1_000_000 });
  [1_010_000, 1_005_000, 1_006_000].forEach((e, i) => a.onEquity(T0 + i * DAY_MS, e));
  const b = createAnalyzers(['sharpe', 'drawdown'], { initialEquity: 1_000_000 });
  b.onEquity(T0, 1_000_000);
  const account = createAnalyzers(['sharpe', 'drawdown'], { initialEquity: 1_000_000 });
  [1_010_000, 1_005_000, 1_006_000].forEach((e, i) => account.onEquity(T0 + i * DAY_MS, e));
  const open: Position = {
    strategyId: 'b<short>',
    symbol: 'EURUSD',
    ts: T0,
    qty: -100_000,
    avgPrice: 1.085,
    realizedPnl: 0,
    unrealizedPnl: -120,
    realizedPnlAccount: 0,
    unrealizedPnlAccount: -120,
    commission: 0,
  };
  return buildReplayReport({
    account: { currency: 'USD', initialCash: 1_000_000, finalEquity: 1_006_000, analyzers: account.results() },
    period: { firstBarTs: T0, lastBarTs: T0 + 2 * DAY_MS },
    strategies: [
      {
        id: 'a',
        symbol: 'USDJPY',
        quoteCurrency: 'JPY',
        fills: [],
        trades: [makeTrade({ pnl: 150_000, pnlNet: 150_000, pnlNetAccount: 1000 }), makeTrade({ pnl: -50_000, pnlNet: -50_000, pnlNetAccount: -333.33 })],
        netPnlAccount: 6_120,
        analyzers: a.results(),
      },
      {
        id: 'b<short>',
        symbol: 'EURUSD',
        quoteCurrency: 'USD',
        fills: [],
        trades: [],
        netPnlAccount: -120,
        position: open,
        rejected: { MAX_DAILY_LOSS: 3 },
        analyzers: b.results(),
      },
    ],
    run: { bars: 1_234_567, wallMs: 987.6 },
  });
}

describe('summary table', () => {
  it('prints one aligned row per strategy, the account, and the speed', () => {
    // Sharpe of A: daily returns 0.01, −0.0049505, 0.00099502: mean 0.0020148, sample std 0.0075272,
    // × √252 → 4.25. Max DD 5,000 = 0.50 % of the 1,010,000 peak. The `*` marks closed-trades-only figures.
    expect(formatSummaryTable(sampleReport())).toBe(
      [
        'Strategy  Symbol  Trades  Win rate  Net PnL (quote)  Net PnL (USD)  Sharpe  Max DD (USD)  Max DD',
        '--------  ------  ------  --------  ---------------  -------------  ------  ------------  ------',
        'a         USDJPY       2    50.0 %    +100,000 JPY       +6,120.00    4.25      5,000.00  0.50 %',
        'b<short>  EURUSD       0         —        0.00 USD*        -120.00       —          0.00  0.00 %',
        '--------  ------  ------  --------  ---------------  -------------  ------  ------------  ------',
        'Account                2    50.0 %                —      +6,000.00    4.25      5,000.00  0.50 %',
        '',
        'Equity: 1,000,000.00 USD → 1,006,000.00 USD (+0.60 %)',
        '* closed trades only: a position is still open at the end (its PnL is in the account column).',
        '  b<short>: open -100,000 units @ 1.085, unrealized -120.00 USD',
        'Rejected orders, b<short>: 3 (MAX_DAILY_LOSS 3)',
        '1,234,567 bars in 0.988 s · 1,250,068 bars/s',
        '',
      ].join('\n'),
    );
  });

  it('shows dashes where an analyzer is not attached', () => {
    const report = sampleReport();
    const bare: ReplayReport = { ...report, account: { ...report.account, analyzers: {} }, strategies: report.strategies.map((s) => ({ ...s, analyzers: {} })) };
    const accountLine = formatSummaryTable(bare)
      .split('\n')
      .find((line) => line.startsWith('Account'));
    expect(accountLine).toMatch(/\+6,000\.00\s+—\s+—\s+—$/);
  });
});
