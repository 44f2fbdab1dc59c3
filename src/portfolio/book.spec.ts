import { describe, expect, it } from '@jest/globals';
import { contractFor, loadContracts, parseContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import type { Fill, Order, OrderEvent, Side } from '../core/types';
import { makeBar } from '../testkit/marbles';
import { DAY_MS } from '../core/time';
import { createBook, type BookOptions } from './book';
import { describeConversion } from './currency';
import { ACCOUNT_ID } from './types';

const contracts = loadContracts();
const T0 = Date.parse('2024-03-05T00:00:00Z');
const MIN = 60_000;

let execSeq = 0;
function fill(side: Side, qty: number, price: number, fields: Partial<Fill> = {}): Fill {
  execSeq++;
  return {
    kind: 'fill',
    execId: `x${execSeq}`,
    orderId: `o${execSeq}`,
    strategyId: 's',
    symbol: 'USDJPY',
    ts: T0 + execSeq * MIN,
    side,
    qty,
    price,
    commission: 0,
    reason: 'entry',
    ...fields,
  };
}

function mark(symbol: string, close: number, minute = 0) {
  return makeBar({ symbol, ts: T0 + minute * MIN, close });
}

function book(options: Partial<BookOptions> = {}) {
  return createBook({ contracts, accountCurrency: 'USD', initialCash: 1_000_000, ...options });
}

describe('book: USDJPY PnL in JPY and USD', () => {
  it('realizes buy 100,000 @ 150.000 / sell @ 151.000 as 100,000 JPY = 100,000 / 151 USD', () => {
    const b = book();
    b.applyFill(fill('BUY', 100_000, 150.0));
    const result = b.applyFill(fill('SELL', 100_000, 151.0));
    expect(result.applied).toBe(true);
    expect(result.closedTrade).toMatchObject({
      strategyId: 's',
      symbol: 'USDJPY',
      side: 'LONG',
      qty: 100_000,
      entryPrice: 150,
      exitPrice: 151,
      pnl: 100_000,
      pnlNet: 100_000,
    });
    expect(result.closedTrade?.pnlNetAccount).toBeCloseTo(662.2516556, 6);
    const [position] = b.positions();
    expect(position).toMatchObject({ strategyId: 's', symbol: 'USDJPY', qty: 0, avgPrice: 0, realizedPnl: 100_000 });
    expect(position.realizedPnlAccount).toBeCloseTo(662.25, 2);
    expect(b.equity()).toBeCloseTo(1_000_662.25, 2);
    expect(b.equity('s')).toBeCloseTo(1_000_662.25, 2);
  });

  it('keeps JPY figures as they are with a JPY account', () => {
    const b = book({ accountCurrency: 'JPY', initialCash: 150_000_000 });
    b.applyFill(fill('BUY', 100_000, 150.0));
    const { closedTrade } = b.applyFill(fill('SELL', 100_000, 151.0));
    expect(closedTrade?.pnlNetAccount).toBe(100_000);
    expect(b.equity()).toBe(150_100_000);
  });

  it('marks unrealized PnL at the last close, converted at that close', () => {
    const b = book();
    b.mark(mark('USDJPY', 150, 0));
    b.applyFill(fill('BUY', 100_000, 150.0));
    const equity = b.mark(mark('USDJPY', 152, 1));
    const [position] = b.accountPositions();
    expect(position.strategyId).toBe(ACCOUNT_ID);
    expect(position.unrealizedPnl).toBe(200_000);
    expect(position.unrealizedPnlAccount).toBeCloseTo(200_000 / 152, 9);
    expect(equity).toBeCloseTo(1_000_000 + 200_000 / 152, 6);
  });

  it('converts commission at the rate of its fill', () => {
    const b = book();
    b.applyFill(fill('BUY', 100_000, 150, { commission: 300 }));
    b.applyFill(fill('SELL', 100_000, 150, { commission: 302 }));
    const [position] = b.positions();
    expect(position.commission).toBe(602);
    expect(position.commissionAccount).toBeCloseTo(300 / 150 + 302 / 150, 9);
    expect(b.equity()).toBeCloseTo(1_000_000 - 602 / 150, 6);
  });
});

describe('book: a cross (EURJPY) with a USD account', () => {
  it('converts JPY to USD at the latest USDJPY close seen on the bars stream', () => {
    const b = book();
    b.mark(mark('USDJPY', 150, 0));
    b.applyFill(fill('BUY', 100_000, 160, { symbol: 'EURJPY', commission: 1_500 }));
    expect(b.positions()[0].commissionAccount).toBeCloseTo(10, 9); // 1,500 / 150
    b.mark(mark('USDJPY', 151, 1));
    const equity = b.mark(mark('EURJPY', 161, 1));
    expect(equity).toBeCloseTo(1_000_000 - 10 + 100_000 / 151, 6);
    b.mark(mark('USDJPY', 152, 2));
    const { closedTrade } = b.applyFill(fill('SELL', 100_000, 162, { symbol: 'EURJPY', commission: 1_520 }));
    // pnl 200,000 JPY; pnlNet = 200,000 − 1,500 − 1,520 = 196,980 JPY. In USD as booked: the realized
    // 200,000 and the exit commission at 152, the entry commission at 150 (the rate when it was paid).
    expect(closedTrade).toMatchObject({ pnl: 200_000, pnlNet: 196_980 });
    expect(closedTrade?.pnlNetAccount).toBeCloseTo(200_000 / 152 - 1_500 / 150 - 1_520 / 152, 9);
    expect(b.equity()).toBeCloseTo(1_000_000 + (closedTrade?.pnlNetAccount ?? Number.NaN), 9);
    expect(b.positions()[0].realizedPnlAccount).toBeCloseTo(200_000 / 152, 9);
  });

  it('values a cross notional through the rate pair and a base-currency pair as its units', () => {
    const b = book();
    b.mark(mark('USDJPY', 150, 0));
    b.mark(mark('EURJPY', 165, 0));
    b.mark(mark('EURUSD', 1.1, 0));
    expect(b.notionalAccount('USDJPY', -300_000)).toBe(300_000);
    expect(b.notionalAccount('EURJPY', 100_000)).toBeCloseTo(110_000, 9);
    expect(b.notionalAccount('EURUSD', 100_000)).toBeCloseTo(110_000, 9);
  });

  it('is a clear error when no rate has been seen yet, not a guess', () => {
    const b = book();
    expect(() => b.applyFill(fill('BUY', 100_000, 160, { symbol: 'EURJPY', commission: 1_500 }))).toThrow(
      /no USDJPY price seen yet to convert JPY to USD for EURJPY/,
    );
  });

  it('is a ConfigError when the contracts have no pair linking the currencies', () => {
    const only = parseContracts({
      EURJPY: {
        secType: 'CASH',
        baseCurrency: 'EUR',
        quoteCurrency: 'JPY',
        multiplier: 100000,
        tickSize: 0.001,
        exchange: 'IDEALPRO',
        ib: { symbol: 'EUR', secType: 'CASH', exchange: 'IDEALPRO', currency: 'JPY' },
      },
    });
    const b = createBook({ contracts: only, accountCurrency: 'USD', initialCash: 0 });
    expect(() => b.track('s', 'EURJPY')).toThrow(ConfigError);
    expect(() => b.track('s', 'EURJPY')).toThrow(/no USD\/JPY or JPY\/USD pair/);
  });
});

describe('book: rates at the time of each fill (several symbols on one stream)', () => {
  // Bars of several symbols come in close-time order; a fill is at the open of its bar, before that bar's close.
  const at = (minute: number) => T0 + minute * MIN;

  it('converts a fill at the last rate close at or before it, never a close that came after it', () => {
    const b = book();
    b.mark(mark('USDJPY', 150, 0)); // closes at minute 1
    b.mark(mark('USDJPY', 160, 1)); // closes at minute 2: marked before the EURJPY bar of minute 1 settles
    b.applyFill(fill('BUY', 100_000, 160, { symbol: 'EURJPY', ts: at(1), commission: 1_500 }));
    // The rate at minute 1 is 150 (look-ahead would take 160).
    expect(b.positions()[0].commissionAccount).toBeCloseTo(1_500 / 150, 9);
    b.mark(mark('USDJPY', 170, 2));
    const { closedTrade } = b.applyFill(fill('SELL', 100_000, 161, { symbol: 'EURJPY', ts: at(2) }));
    expect(closedTrade?.pnlNetAccount).toBeCloseTo(100_000 / 160 - 1_500 / 150, 9);
    // Marks value what is open at the latest close: nothing open now.
    expect(b.equity()).toBeCloseTo(1_000_000 + 100_000 / 160 - 1_500 / 150, 9);
  });

  it('keeps a rate’s closes as far back as the longest bar marked may need', () => {
    const b = book();
    b.track('s', 'EURJPY');
    // In close-time order: USDJPY minutes 0–58, the hourly EURJPY bar [0, 60) (closing with minute 59: E before U), minutes 59–119.
    for (let m = 0; m < 59; m++) b.mark(mark('USDJPY', 150 + m / 100, m));
    b.mark(makeBar({ symbol: 'EURJPY', ts: at(0), intervalMs: 60 * MIN, close: 161 }));
    for (let m = 59; m < 120; m++) b.mark(mark('USDJPY', 150 + m / 100, m));
    // The next hourly bar [60, 120) settles now: its fill at minute 60 takes minute 59's close, an hour back.
    b.applyFill(fill('BUY', 100_000, 160, { symbol: 'EURJPY', ts: at(60), commission: 1_000 }));
    expect(b.positions()[0].commissionAccount).toBeCloseTo(1_000 / 150.59, 9);
  });

  it('a symbol that becomes a rate after its first marks (a rebuilt book) starts from the closes it kept', () => {
    const b = book();
    b.mark(mark('USDJPY', 150, 0));
    b.mark(mark('USDJPY', 160, 1));
    b.mark(mark('USDJPY', 170, 2));
    // Not tracked before: the first EURJPY fill resolves the conversion; minutes 1 and 2 are what USDJPY kept.
    b.applyFill(fill('BUY', 100_000, 160, { symbol: 'EURJPY', ts: at(2), commission: 1_600 }));
    expect(b.positions()[0].commissionAccount).toBeCloseTo(1_600 / 160, 9);
    // Older than both: the oldest kept (an older journal holds only the latest mark before each fill).
    b.applyFill(fill('BUY', 100_000, 160, { symbol: 'EURJPY', ts: at(0), commission: 1_600 }));
    expect(b.positions()[0].commissionAccount).toBeCloseTo(1_600 / 160 + 1_600 / 160, 9);
  });

  it('derives a rate through two pairs when the direct one is not loaded: JPY → USD → EUR', () => {
    const b = createBook({ contracts, accountCurrency: 'EUR', initialCash: 1_000_000, pricedSymbols: ['USDJPY', 'EURUSD'] });
    b.track('s', 'USDJPY');
    b.mark(mark('EURUSD', 1.1, 0));
    b.mark(mark('USDJPY', 150, 0));
    b.applyFill(fill('BUY', 100_000, 150, { ts: at(1) }));
    b.mark(mark('EURUSD', 1.2, 1));
    const { closedTrade } = b.applyFill(fill('SELL', 100_000, 151, { ts: at(2) }));
    // 100,000 JPY ÷ 151 (its own fill price) = USD, ÷ 1.2 (EURUSD at the fill) = EUR.
    expect(closedTrade?.pnlNetAccount).toBeCloseTo(100_000 / 151 / 1.2, 9);
  });

  it('refuses at the start a conversion no loaded symbol can make, naming what to load', () => {
    const eurAccount = createBook({ contracts, accountCurrency: 'EUR', initialCash: 1_000_000, pricedSymbols: ['USDJPY'] });
    expect(() => eurAccount.track('s', 'USDJPY')).toThrow(ConfigError);
    expect(() => eurAccount.track('s', 'USDJPY')).toThrow(/cannot convert JPY to the account currency EUR for USDJPY: no rate can be derived from the symbols loaded \(USDJPY\); load EURJPY bars beside it/);
  });

  it('says how it converts', () => {
    const eur = ['USDJPY', 'EURUSD'];
    expect(describeConversion(contractFor(contracts, 'USDJPY'), 'EUR', contracts, new Set(eur))).toBe('JPY → EUR for USDJPY: ÷ its own price, then ÷ EURUSD');
    expect(describeConversion(contractFor(contracts, 'EURJPY'), 'USD', contracts)).toBe('JPY → USD for EURJPY: ÷ USDJPY');
    expect(describeConversion(contractFor(contracts, 'EURUSD'), 'JPY', contracts)).toBe('USD → JPY for EURUSD: × USDJPY');
  });
});

describe('book: trades', () => {
  it('splits a reversing fill: closes the trade, opens the next with the remainder, commission pro rata', () => {
    const b = book({ accountCurrency: 'JPY', initialCash: 0 });
    b.applyFill(fill('BUY', 100_000, 150, { commission: 300 }));
    const reversal = b.applyFill(fill('SELL', 300_000, 151, { commission: 900 }));
    expect(reversal.closedTrade).toMatchObject({
      side: 'LONG',
      qty: 100_000,
      entryPrice: 150,
      exitPrice: 151,
      pnl: 100_000,
      pnlNet: 100_000 - 300 - 300,
    });
    expect(b.position('s', 'USDJPY')).toBe(-200_000);
    expect(b.positions()[0].avgPrice).toBe(151);
    const close = b.applyFill(fill('BUY', 200_000, 150, { commission: 600 }));
    expect(close.closedTrade).toMatchObject({
      side: 'SHORT',
      qty: 200_000,
      entryPrice: 151,
      exitPrice: 150,
      pnl: 200_000,
      pnlNet: 200_000 - 600 - 600,
    });
    expect(b.trades()).toHaveLength(2);
    expect(b.trades()[1].entryTs).toBe(b.trades()[0].exitTs);
    expect(b.positions()[0]).toMatchObject({ realizedPnl: 300_000, commission: 1_800 });
  });

  it('keeps a trade open through a partial close (avg price unchanged, realized accumulates)', () => {
    const b = book({ accountCurrency: 'JPY', initialCash: 0 });
    b.applyFill(fill('BUY', 200_000, 150));
    expect(b.applyFill(fill('SELL', 100_000, 151)).closedTrade).toBeUndefined();
    expect(b.positions()[0]).toMatchObject({ qty: 100_000, avgPrice: 150, realizedPnl: 100_000 });
    expect(b.trades()).toEqual([]);
    const { closedTrade } = b.applyFill(fill('SELL', 100_000, 149.5));
    // all opened 200,000 @ 150; closed 100,000 @ 151 and 100,000 @ 149.5 → exit 150.25
    expect(closedTrade).toMatchObject({ qty: 200_000, entryPrice: 150, exitPrice: 150.25, pnl: 50_000 });
    expect(b.positions()[0].realizedPnl).toBe(50_000);
  });

  it('re-averages on adds; trade pnl = qty × (exit − entry) equals realized PnL', () => {
    const b = book({ accountCurrency: 'JPY', initialCash: 0 });
    b.applyFill(fill('SELL', 100_000, 150));
    b.applyFill(fill('SELL', 100_000, 152));
    expect(b.positions()[0].avgPrice).toBe(151);
    b.applyFill(fill('BUY', 100_000, 149));
    b.applyFill(fill('SELL', 200_000, 153)); // add after a partial close
    const { closedTrade } = b.applyFill(fill('BUY', 300_000, 150));
    expect(closedTrade).toMatchObject({ side: 'SHORT', qty: 400_000, entryPrice: 152, exitPrice: 149.75 });
    expect(closedTrade?.pnl).toBeCloseTo(900_000, 6);
    expect(b.positions()[0].realizedPnl).toBeCloseTo(900_000, 6);
  });
});

describe('book: working orders and fills', () => {
  const order = (id: string, side: Side, qty: number, strategyId = 's'): Order => ({
    id,
    strategyId,
    symbol: 'USDJPY',
    ts: T0,
    side,
    qty,
    type: 'MARKET',
    reason: 'entry',
  });
  const event = (status: OrderEvent['status'], o: Order): OrderEvent => ({ kind: 'order', status, order: o, ts: T0 });

  it('counts an order as working from Accepted until its fills cover it', () => {
    const b = book({ dedupe: true });
    const o = order('s-1', 'SELL', 200_000);
    b.applyOrderEvent(event('Accepted', o));
    b.applyOrderEvent(event('Submitted', o));
    expect(b.working('s', 'USDJPY')).toBe(-200_000);
    expect(b.accountWorking('USDJPY')).toBe(-200_000);
    b.applyFill(fill('SELL', 50_000, 150, { orderId: 's-1' }));
    expect(b.working('s', 'USDJPY')).toBe(-150_000);
    expect(b.position('s', 'USDJPY')).toBe(-50_000);
    b.applyOrderEvent(event('Filled', o)); // status before the last execution: still working
    expect(b.working('s', 'USDJPY')).toBe(-150_000);
    b.applyFill(fill('SELL', 150_000, 150, { orderId: 's-1' }));
    expect(b.working('s', 'USDJPY')).toBe(0);
    expect(b.workingOrders()).toEqual([]);
    b.applyOrderEvent(event('Submitted', o)); // a late status does not bring it back
    expect(b.working('s', 'USDJPY')).toBe(0);
  });

  it('drops a cancelled or rejected order and lists the rest as working', () => {
    const b = book();
    b.applyOrderEvent(event('Accepted', order('a', 'BUY', 100_000)));
    b.applyOrderEvent(event('Accepted', order('b', 'BUY', 100_000, 't')));
    b.applyOrderEvent(event('Accepted', order('c', 'SELL', 300_000)));
    b.applyOrderEvent(event('Cancelled', order('a', 'BUY', 100_000)));
    b.applyOrderEvent(event('Rejected', order('b', 'BUY', 100_000, 't')));
    expect(b.workingOrders().map((w) => [w.order.id, w.remaining])).toEqual([['c', 300_000]]);
    expect(b.accountWorking('USDJPY')).toBe(-300_000);
  });

  it("lists one strategy's working orders in a symbol, in the order they started working", () => {
    const b = book();
    for (const [id, strategy] of [['a', 's'], ['b', 't'], ['c', 's'], ['d', 's']] as const) b.applyOrderEvent(event('Accepted', order(id, 'BUY', 100_000, strategy)));
    b.applyOrderEvent(event('Cancelled', order('c', 'BUY', 100_000)));
    expect(b.workingOrdersOf('s', 'USDJPY').map((w) => w.order.id)).toEqual(['a', 'd']);
    expect(b.workingOrdersOf('t', 'USDJPY').map((w) => w.order.id)).toEqual(['b']);
    expect(b.workingOrdersOf('s', 'EURUSD')).toEqual([]);
    expect(b.workingOrdersOf('nobody', 'USDJPY')).toEqual([]);
  });

  it('with dedupe, applies a fill once per execId', () => {
    const b = book({ dedupe: true });
    const f = fill('BUY', 100_000, 150);
    expect(b.applyFill(f).applied).toBe(true);
    expect(b.applyFill(f).applied).toBe(false);
    expect(b.position('s', 'USDJPY')).toBe(100_000);
  });

  it('nets strategies on the account', () => {
    const b = book();
    b.applyFill(fill('BUY', 100_000, 150, { strategyId: 'long' }));
    b.applyFill(fill('SELL', 100_000, 151, { strategyId: 'short' }));
    expect(b.position('long', 'USDJPY')).toBe(100_000);
    expect(b.position('short', 'USDJPY')).toBe(-100_000);
    expect(b.accountPosition('USDJPY')).toBe(0);
    // The account realized 100,000 JPY netting them; each strategy is still open.
    expect(b.accountPositions()[0].realizedPnl).toBe(100_000);
    expect(b.trades()).toEqual([]);
    expect(b.symbols()).toEqual(['USDJPY']);
  });

  it('refuses the reserved account id as a strategy id', () => {
    expect(() => book().applyFill(fill('BUY', 1, 150, { strategyId: ACCOUNT_ID }))).toThrow(/reserved/);
  });
});

describe('book: equity curve and day start', () => {
  it('keeps one point per UTC day (its last mark) plus the latest mark, per account and strategy', () => {
    const b = book({ accountCurrency: 'JPY', initialCash: 0 });
    b.track('s', 'USDJPY');
    const day1 = T0;
    const day2 = T0 + DAY_MS;
    b.mark(makeBar({ ts: day1, close: 150 }));
    b.applyFill(fill('BUY', 100_000, 150));
    b.mark(makeBar({ ts: day1 + MIN, close: 151 }));
    b.mark(makeBar({ ts: day2, close: 149 }));
    expect(b.equityCurve()).toEqual([
      { ts: day1 + 2 * MIN, equity: 100_000 },
      { ts: day2 + MIN, equity: -100_000 },
    ]);
    expect(b.equityCurve('s')).toEqual(b.equityCurve());
    expect(b.equityCurve('unknown')).toEqual([]);
    expect(b.dayStartEquity(day2 + MIN)).toBe(100_000);
    expect(b.dayStartEquity(day2 + DAY_MS)).toBe(-100_000);
  });

  it('samples a day at its last mark, not after a fill at the next day’s first open', () => {
    const b = book({ accountCurrency: 'JPY', initialCash: 0 });
    b.track('s', 'USDJPY');
    b.applyFill(fill('BUY', 100_000, 150));
    b.mark(makeBar({ ts: T0, close: 151 })); // day 1 ends at +100,000
    b.applyFill(fill('SELL', 100_000, 152, { commission: 1_000 })); // at day 2's first open
    b.mark(makeBar({ ts: T0 + DAY_MS, open: 152, close: 153 }));
    const expected = [
      { ts: T0 + MIN, equity: 100_000 },
      { ts: T0 + DAY_MS + MIN, equity: 199_000 },
    ];
    expect(b.equityCurve('s')).toEqual(expected);
    expect(b.equityCurve()).toEqual(expected);
    expect(b.equity('s')).toBe(199_000);
  });

  it('keeps every mark with equityIntervalMs 0', () => {
    const b = book({ accountCurrency: 'JPY', initialCash: 10, equityIntervalMs: 0 });
    b.mark(makeBar({ ts: T0, close: 150 }));
    b.mark(makeBar({ ts: T0 + MIN, close: 150 }));
    b.mark(makeBar({ ts: T0 + 2 * MIN, close: 150 }));
    expect(b.equityCurve().map((p) => p.ts)).toEqual([T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
  });

  it('rejects a bad account currency or cash', () => {
    expect(() => book({ accountCurrency: 'usd' })).toThrow(/three-letter/);
    expect(() => book({ initialCash: Number.NaN })).toThrow(/initial cash/);
  });
});

describe('book: the account is the sum of its strategies', () => {
  it('adds up to the cent even when netting would realize JPY on other fills, at other rates', () => {
    const b = book();
    // Two strategies overlap on USDJPY; the netted account position never returns to zero in between, so a
    // netted ledger would realize JPY at different fills (and USDJPY rates) than the strategies do.
    b.mark(mark('USDJPY', 150, 0));
    b.applyFill(fill('BUY', 100_000, 150, { strategyId: 'a', commission: 100 }));
    b.applyFill(fill('BUY', 200_000, 151, { strategyId: 'b', commission: 200 }));
    b.mark(mark('USDJPY', 152, 1));
    const a = b.applyFill(fill('SELL', 100_000, 152, { strategyId: 'a', commission: 100 })).closedTrade;
    b.mark(mark('USDJPY', 149, 2));
    const c = b.applyFill(fill('SELL', 200_000, 149, { strategyId: 'b', commission: 200 })).closedTrade;
    const total = (a?.pnlNetAccount ?? Number.NaN) + (c?.pnlNetAccount ?? Number.NaN);
    expect(b.equity()).toBeCloseTo(1_000_000 + total, 9);
    expect(b.equity('a') - 1_000_000 + (b.equity('b') - 1_000_000)).toBeCloseTo(b.equity() - 1_000_000, 9);
  });
});

describe('book: equityReader', () => {
  it('reads what equity(id) says, after marks and between fills, and refuses a strategy it does not know', () => {
    const b = book();
    b.track('s', 'USDJPY');
    const read = b.equityReader('s');
    expect(read()).toBe(b.equity('s'));
    b.mark(mark('USDJPY', 150, 0));
    b.applyFill(fill('BUY', 100_000, 150, { commission: 150 }));
    // After a fill and before the next mark the reader values the position as equity() does.
    expect(read()).toBe(b.equity('s'));
    b.mark(mark('USDJPY', 151, 1));
    expect(read()).toBe(b.equity('s'));
    expect(read()).toBeCloseTo(1_000_000 + 100_000 / 151 - 1, 9);
    expect(() => b.equityReader('nobody')).toThrow(/not tracked/);
  });
});
