import type { Order, Position } from '../../core/types';
import { createAnalyzers } from '../analyzers/createAnalyzers';
import { HOUR, T0, makeFill, makeTrade } from '../../../test/support/testTrades';
import { buildReplayReport, parseReplayReport, REJECT_REASONS, replayReportSchema, serializeReport, type ReplayReportInput } from './replayReport';

const entry = T0 + HOUR;
const exit = T0 + 9 * HOUR;
const fills = [
  makeFill({ execId: 'long-1-x', orderId: 'long-1', ts: entry, side: 'BUY', price: 150.25, commission: 100 }),
  makeFill({ execId: 'long-2-x', orderId: 'long-2', ts: exit, side: 'SELL', price: 150.75, commission: 100 }),
];
const trade = makeTrade({
  side: 'LONG',
  entryTs: entry,
  exitTs: exit,
  entryPrice: 150.25,
  exitPrice: 150.75,
  pnl: 50_000,
  pnlNet: 49_800,
  pnlNetAccount: 49_800 / 150.75,
});

function input(overrides: Partial<ReplayReportInput> = {}): ReplayReportInput {
  const analyzers = createAnalyzers(['trades', 'winRate', 'drawdown'], { initialEquity: 1_000_000 });
  fills.forEach((f) => analyzers.onFill(f));
  analyzers.onTrade(trade);
  analyzers.onEquity(entry, 1_000_000);
  analyzers.onEquity(exit, 1_000_000 + trade.pnlNetAccount);
  return {
    account: { currency: 'USD', initialCash: 1_000_000, finalEquity: 1_000_000 + trade.pnlNetAccount },
    period: { firstBarTs: T0, lastBarTs: T0 + 23 * HOUR },
    strategies: [
      {
        id: 'long',
        symbol: 'USDJPY',
        quoteCurrency: 'JPY',
        fills,
        trades: [trade],
        netPnlAccount: trade.pnlNetAccount,
        rejected: { MAX_POSITION: 2, KILL_SWITCH: 1 },
        analyzers: analyzers.results(),
      },
    ],
    run: { bars: 24, wallMs: 3 },
    ...overrides,
  };
}

describe('replay report', () => {
  it('has the documented shape, names and units', () => {
    const report = buildReplayReport(input());
    expect(report.account).toMatchObject({ currency: 'USD', initialCash: 1_000_000, finalEquity: 1_000_000 + trade.pnlNetAccount });
    expect(report.account.netPnl).toBeCloseTo(trade.pnlNetAccount, 9);
    const [s] = report.strategies;
    expect(s.id).toBe('long');
    expect(s.symbol).toBe('USDJPY');
    expect(s.fills[0]).toEqual({ ts: entry, time: '2024-01-01T01:00:00.000Z', side: 'BUY', qty: 100_000, price: 150.25, commission: 100, orderId: 'long-1', execId: 'long-1-x', reason: 'entry' });
    expect(s.trades).toEqual([
      {
        entryTs: entry,
        exitTs: exit,
        entryTime: '2024-01-01T01:00:00.000Z',
        exitTime: '2024-01-01T09:00:00.000Z',
        side: 'LONG',
        qty: 100_000,
        entryPrice: 150.25,
        exitPrice: 150.75,
        pnl: 50_000,
        pnlNet: 49_800,
        pnlNetAccount: 49_800 / 150.75,
        entryReason: 'entry',
        exitReason: 'exit',
      },
    ]);
    expect(s.totals).toEqual({
      trades: 1,
      grossPnl: 50_000,
      netPnl: 49_800,
      netPnlAccount: 49_800 / 150.75,
      exitsByReason: { entry: 0, exit: 1, reverse: 0, limit: 0, stopEntry: 0, stop: 0, takeProfit: 0, trailingStop: 0 },
    });
    expect(report.run).toEqual({ bars: 24, wallMs: 3, barsPerSec: 8000 });
    expect(report.period).toEqual({ firstBarTs: T0, lastBarTs: T0 + 23 * HOUR, firstBarTime: '2024-01-01T00:00:00.000Z', lastBarTime: '2024-01-01T23:00:00.000Z' });
    expect(Object.keys(report)).toEqual(['schemaVersion', 'account', 'period', 'strategies', 'run']);
    expect(replayReportSchema.safeParse(report).success).toBe(true);
  });

  it('counts rejections under every reason code and reports what was left at the end', () => {
    const open: Position = {
      strategyId: 'long',
      symbol: 'USDJPY',
      ts: T0 + 23 * HOUR,
      qty: -100_000,
      avgPrice: 151,
      realizedPnl: 0,
      unrealizedPnl: -2_000,
      realizedPnlAccount: 0,
      unrealizedPnlAccount: -13.2,
      commission: 100,
    };
    const working: Order = { id: 'long-3', strategyId: 'long', symbol: 'USDJPY', ts: T0 + 24 * HOUR, side: 'BUY', qty: 100_000, type: 'MARKET', reason: 'entry' };
    const base = input();
    const report = buildReplayReport({ ...base, strategies: [{ ...base.strategies[0], position: open, workingOrders: [working] }] });
    const [s] = report.strategies;
    expect(Object.keys(s.rejected.byReason)).toEqual([...REJECT_REASONS]);
    expect(s.rejected).toEqual({
      total: 3,
      byReason: { MAX_POSITION: 2, MAX_ORDER_SIZE: 0, MAX_GROSS_NOTIONAL: 0, MAX_DAILY_LOSS: 0, ORDER_RATE: 0, MAX_LOSS_PER_TRADE: 0, KILL_SWITCH: 1, FLATTENED: 0, DISCONNECTED: 0, BROKER: 0 },
    });
    expect(s.position).toMatchObject({ qty: -100_000, avgPrice: 151, unrealizedPnl: -2_000, time: '2024-01-01T23:00:00.000Z' });
    expect(s.workingOrders).toEqual([
      { id: 'long-3', ts: T0 + 24 * HOUR, time: '2024-01-02T00:00:00.000Z', side: 'BUY', qty: 100_000, type: 'MARKET', limitPrice: null, stopPrice: null, reason: 'entry' },
    ]);
    const flat = buildReplayReport({ ...base, strategies: [{ ...base.strategies[0], position: { ...open, qty: 0 } }] });
    expect(flat.strategies[0].position).toBeNull();
    expect(flat.strategies[0].workingOrders).toEqual([]);
  });

  it('keeps analyzer results, without a second copy of the trade list', () => {
    const { analyzers } = buildReplayReport(input()).strategies[0];
    expect(Object.keys(analyzers)).toEqual(['trades', 'drawdown', 'winRate']);
    expect(analyzers.trades).not.toHaveProperty('list');
    expect(analyzers.trades?.best).toMatchObject({ entryTime: '2024-01-01T01:00:00.000Z', pnlNet: 49_800 });
    expect(analyzers.trades).toMatchObject({ count: 1, fills: 2, commission: 200 });
    expect(analyzers.winRate?.winRate).toBe(1);
  });

  it('serializes the same inputs to the same text, whatever order upstream objects had their keys in', () => {
    const base = input();
    const shuffled = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).reverse()) as T;
    const reordered: ReplayReportInput = {
      ...base,
      strategies: base.strategies.map((s) => ({ ...s, fills: s.fills.map(shuffled), trades: s.trades.map(shuffled) })),
    };
    const text = serializeReport(buildReplayReport(base));
    expect(serializeReport(buildReplayReport(reordered))).toBe(text);
    expect(serializeReport(buildReplayReport(input()))).toBe(text);
    // Only the run block carries wall-clock figures.
    const slower = serializeReport(buildReplayReport(input({ run: { bars: 24, wallMs: 7 } })));
    const withoutRun = (t: string) => JSON.stringify({ ...JSON.parse(t), run: null });
    expect(slower).not.toBe(text);
    expect(withoutRun(slower)).toBe(withoutRun(text));
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('keeps full double precision in JSON', () => {
    const odd = makeTrade({ pnl: 0.1 + 0.2, pnlNet: 0.1 + 0.2, pnlNetAccount: 1 / 3 });
    const base = input();
    const text = serializeReport(buildReplayReport({ ...base, strategies: [{ ...base.strategies[0], trades: [odd] }] }), 0);
    expect(text).toContain('"pnl":0.30000000000000004');
    expect(text).toContain('"pnlNetAccount":0.3333333333333333');
    expect(text.split('\n')).toHaveLength(2);
  });

  it('refuses a non-finite figure and names where it is', () => {
    const base = input();
    const broken = { ...base, strategies: [{ ...base.strategies[0], trades: [{ ...trade, pnl: Number.NaN }] }] };
    expect(() => buildReplayReport(broken)).toThrow('replay report: strategies[0].trades[0].pnl: expected a finite number, got NaN');
    expect(() => buildReplayReport({ ...base, account: { ...base.account, finalEquity: Number.POSITIVE_INFINITY } })).toThrow(
      'replay report: account.finalEquity: expected a finite number, got Infinity',
    );
  });

  it('has no bars/s without a measured time, and no period without bars', () => {
    const report = buildReplayReport(input({ run: { bars: 0, wallMs: 0 }, period: null }));
    expect(report.run.barsPerSec).toBeNull();
    expect(report.period).toBeNull();
  });

  it('reads a saved report back, and names the bad field of a broken one', () => {
    const report = buildReplayReport(input());
    const text = serializeReport(report);
    expect(parseReplayReport(text)).toEqual(report);
    expect(serializeReport(parseReplayReport(text))).toBe(text);
    const broken = JSON.parse(text);
    broken.strategies[0].fills[1].side = 'HOLD';
    expect(() => parseReplayReport(JSON.stringify(broken), 'out.json')).toThrow(/^out\.json: strategies\[0\]\.fills\[1\]\.side: /);
    expect(() => parseReplayReport('{', 'out.json')).toThrow(/^out\.json: not JSON/);
    // A report saved before a refusal reason existed reads it as 0.
    const older = JSON.parse(text);
    delete older.strategies[0].rejected.byReason.FLATTENED;
    expect(parseReplayReport(JSON.stringify(older)).strategies[0].rejected.byReason.FLATTENED).toBe(0);
  });
});
