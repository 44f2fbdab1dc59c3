import { createProfitFactorAnalyzer } from './profitFactor';
import { createTradesAnalyzer } from './trades';
import { makeFill, makeTrade } from '../../../test/support/testTrades';
import { createWinRateAnalyzer } from './winRate';

// pnlNet: +990, −510, 0 (breakeven after commission), +290, +1990.
const trades = [
  makeTrade({ side: 'LONG', pnl: 1000, pnlNet: 990, pnlNetAccount: 6.6 }),
  makeTrade({ side: 'SHORT', pnl: -500, pnlNet: -510, pnlNetAccount: -3.4 }),
  makeTrade({ side: 'LONG', pnl: 10, pnlNet: 0, pnlNetAccount: 0 }),
  makeTrade({ side: 'SHORT', pnl: 300, pnlNet: 290, pnlNetAccount: 2 }),
  makeTrade({ side: 'LONG', pnl: 2000, pnlNet: 1990, pnlNetAccount: 13 }),
];

describe('trades analyzer', () => {
  it('sums, averages and picks the best and worst trade by pnlNet', () => {
    const analyzer = createTradesAnalyzer();
    trades.forEach((trade) => analyzer.onTrade!(trade));
    analyzer.onFill!(makeFill({ commission: 12.5 }));
    analyzer.onFill!(makeFill({ commission: 7.5, side: 'SELL' }));
    const result = analyzer.result();
    expect(result).toMatchObject({ count: 5, long: 3, short: 2, grossPnl: 2810, netPnl: 2760, fills: 2, commission: 20 });
    expect(result.netPnlAccount).toBeCloseTo(18.2, 12);
    expect(result.avgPnl).toBeCloseTo(562, 12);
    expect(result.avgPnlNet).toBeCloseTo(552, 12);
    expect(result.best).toBe(trades[4]);
    expect(result.worst).toBe(trades[1]);
    expect(result.list).toEqual(trades);
  });

  it('keeps the first trade on ties and has no averages without trades', () => {
    const analyzer = createTradesAnalyzer();
    expect(analyzer.result()).toMatchObject({ count: 0, avgPnl: null, avgPnlNet: null, best: null, worst: null, list: [] });
    const first = makeTrade({ pnlNet: 5 });
    analyzer.onTrade!(first);
    analyzer.onTrade!(makeTrade({ pnlNet: 5 }));
    expect(analyzer.result().best).toBe(first);
    expect(analyzer.result().worst).toBe(first);
  });

  it('returns a copy of the list', () => {
    const analyzer = createTradesAnalyzer();
    analyzer.onTrade!(trades[0]);
    const before = analyzer.result().list;
    analyzer.onTrade!(trades[1]);
    expect(before).toHaveLength(1);
  });
});

describe('winRate analyzer', () => {
  it('counts wins and losses on pnlNet, breakevens apart', () => {
    const analyzer = createWinRateAnalyzer();
    trades.forEach((trade) => analyzer.onTrade!(trade));
    // The third trade made +10 gross but 0 net: judged on gross it would be a 4th win (0.8).
    expect(analyzer.result()).toEqual({
      trades: 5,
      wins: 3,
      losses: 1,
      breakeven: 1,
      winRate: 0.6,
      reason: null,
      avgWin: 1090,
      avgLoss: -510,
      maxConsecutiveWins: 2,
      maxConsecutiveLosses: 1,
    });
  });

  it('tracks the longest losing run', () => {
    const analyzer = createWinRateAnalyzer();
    for (const pnlNet of [-1, -2, 3, -1, -1, -1, 0, -4]) analyzer.onTrade!(makeTrade({ pnlNet }));
    expect(analyzer.result()).toMatchObject({ wins: 1, losses: 6, breakeven: 1, maxConsecutiveWins: 1, maxConsecutiveLosses: 3, avgWin: 3, avgLoss: -10 / 6 });
  });

  it('has no rate without trades', () => {
    expect(createWinRateAnalyzer().result()).toMatchObject({ trades: 0, winRate: null, reason: 'no closed trade', avgWin: null, avgLoss: null });
  });
});

describe('profitFactor analyzer', () => {
  const run = (pnls: readonly number[]) => {
    const analyzer = createProfitFactorAnalyzer();
    for (const pnlNet of pnls) analyzer.onTrade!(makeTrade({ pnlNet }));
    return analyzer.result();
  };

  it('divides gross wins by gross losses, both positive', () => {
    const analyzer = createProfitFactorAnalyzer();
    trades.forEach((trade) => analyzer.onTrade!(trade));
    const result = analyzer.result();
    // (990 + 290 + 1990) / 510; a sign error on the losses would give a negative factor.
    expect(result.grossWins).toBe(3270);
    expect(result.grossLosses).toBe(510);
    expect(result.profitFactor).toBeCloseTo(3270 / 510, 12);
    expect(result.profitFactor).toBeCloseTo(6.411765, 5);
    expect(result.reason).toBeNull();
  });

  it('is 0 with losses and no win', () => {
    expect(run([-10, -5])).toEqual({ profitFactor: 0, reason: null, grossWins: 0, grossLosses: 15 });
  });

  it('is null, with the reason, when there is no loss', () => {
    expect(run([10, 0])).toEqual({ profitFactor: null, reason: 'no losing trade: the profit factor is infinite', grossWins: 10, grossLosses: 0 });
    expect(run([0, 0]).reason).toBe('no winning or losing trade (all breakeven)');
    expect(run([]).reason).toBe('no closed trade');
  });
});
