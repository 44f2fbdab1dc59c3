import { describe, expect, it } from '@jest/globals';
import { loadContracts } from '../core/contracts';
import { expiryOf } from '../core/orders';
import type { Bar, ExecutionEvent, Order, TimeInForce } from '../core/types';
import { makeBar } from '../testkit/marbles';
import { createSimBroker } from './simBroker';

/**
 * SimBroker semantics as tables: each row is a few bars and the exact fills and cancellations they cause,
 * written as `fill <order> <price> @<bar>` and `cancel <order> <reason> @<bar>` (the bar an event is stamped
 * with: a fill at the start of its bar, an expiry at its instant). A price one tick off or a bar one off fails
 * the row. USDJPY, tick 0.001, 1-minute bars; an order placed "at bar k" is decided on the close of bar k.
 */

const contracts = loadContracts();
const MIN = 60_000;
type Ohlc = readonly [open: number, high: number, low: number, close: number];

interface Placement {
  /** Decided on the close of this bar. */
  readonly at: number;
  readonly order: Order;
  readonly children?: readonly Order[];
}

/** Runs the bars (bar i starts at `start + i` minutes), placing each order after its bar; returns the log. */
function replay(placements: readonly Placement[], bars: readonly Ohlc[], start = Date.parse('2024-03-05T00:00:00Z')): string[] {
  const broker = createSimBroker({ contracts });
  const log: string[] = [];
  const at = (ts: number): number => (ts - start) / MIN;
  broker.events$.subscribe((e: ExecutionEvent) => {
    if (e.kind === 'fill') log.push(`fill ${e.orderId} ${e.price} @${at(e.ts)}`);
    else if (e.status === 'Cancelled') log.push(`cancel ${e.order.id} ${e.cancelReason ?? ''} @${at(e.ts)}`);
    else if (e.status === 'Rejected') log.push(`reject ${e.order.id}: ${e.message ?? ''}`);
  });
  bars.forEach(([open, high, low, close], i) => {
    const bar: Bar = makeBar({ ts: start + i * MIN, open, high, low, close });
    broker.onBar?.(bar);
    for (const p of placements) {
      if (p.at === i) broker.place({ ...p.order, ts: bar.ts + MIN, ...(p.order.tif ? { expiresAt: expiryOf(p.order.tif, bar.ts + MIN) } : {}) }, p.children?.map((c) => ({ ...c, ts: bar.ts + MIN })));
    }
  });
  return log;
}

const base = { strategyId: 's', symbol: 'USDJPY', ts: 0, qty: 100_000 } as const;
const market = (id: string, side: Order['side']): Order => ({ ...base, id, side, type: 'MARKET', reason: 'entry' });

/** A market entry decided at bar 0 with a stop-loss and a take-profit attached, one cancelling the other. */
function bracket(side: Order['side'], stopPrice: number, limitPrice: number): Placement {
  const exit = side === 'BUY' ? 'SELL' : 'BUY';
  return {
    at: 0,
    order: market('entry', side),
    children: [
      { ...base, id: 'sl', side: exit, type: 'STOP', stopPrice, reason: 'stop', parentId: 'entry', ocaGroup: 'entry' },
      { ...base, id: 'tp', side: exit, type: 'LIMIT', limitPrice, reason: 'takeProfit', parentId: 'entry', ocaGroup: 'entry' },
    ],
  };
}

const FLAT: Ohlc = [150, 150, 150, 150];
/** The entry bar: the entry fills at its open, 150.000; it touches nothing the children could fill on. */
const ENTRY: Ohlc = [150.0, 150.005, 149.995, 150.0];

describe('SimBroker bracket, long: entry at 150.000, stop 149.980, take-profit 150.030', () => {
  const long = bracket('BUY', 149.98, 150.03);
  it.each<[string, readonly Ohlc[], readonly string[]]>([
    ['the low touches the stop: at the stop', [FLAT, ENTRY, [150.0, 150.01, 149.98, 149.99]], ['fill sl 149.98 @2', 'cancel tp OCO @2']],
    ['the low stays one tick above the stop: nothing', [FLAT, ENTRY, [150.0, 150.01, 149.981, 149.99]], []],
    ['a gap through the stop: at the (worse) open', [FLAT, ENTRY, [149.95, 149.96, 149.94, 149.955]], ['fill sl 149.95 @2', 'cancel tp OCO @2']],
    ['a bar touching both legs: the stop, checked first', [FLAT, ENTRY, [150.0, 150.04, 149.97, 150.02]], ['fill sl 149.98 @2', 'cancel tp OCO @2']],
    ['the high touches the take-profit: at the limit', [FLAT, ENTRY, [150.0, 150.03, 149.99, 150.02]], ['fill tp 150.03 @2', 'cancel sl OCO @2']],
    ['the high stays one tick below the limit: nothing', [FLAT, ENTRY, [150.0, 150.029, 149.99, 150.02]], []],
    ['a gap through the take-profit: at the (better) open', [FLAT, ENTRY, [150.05, 150.06, 150.04, 150.045]], ['fill tp 150.05 @2', 'cancel sl OCO @2']],
    ['the entry bar reaches both levels: the children wait for the next bar', [FLAT, [150.0, 150.05, 149.95, 150.0], ENTRY, [150.0, 150.01, 149.98, 149.99]], ['fill sl 149.98 @3', 'cancel tp OCO @3']],
  ])('%s', (_name, bars, expected) => {
    expect(replay([long], bars)).toEqual(['fill entry 150 @1', ...expected]);
  });
});

describe('SimBroker bracket, short: entry at 150.000, stop 150.020, take-profit 149.970', () => {
  const short = bracket('SELL', 150.02, 149.97);
  it.each<[string, readonly Ohlc[], readonly string[]]>([
    ['the high touches the stop: at the stop', [FLAT, ENTRY, [150.0, 150.02, 149.99, 150.01]], ['fill sl 150.02 @2', 'cancel tp OCO @2']],
    ['a gap through the stop: at the open', [FLAT, ENTRY, [150.05, 150.06, 150.04, 150.05]], ['fill sl 150.05 @2', 'cancel tp OCO @2']],
    ['the low touches the take-profit: at the limit', [FLAT, ENTRY, [150.0, 150.01, 149.97, 149.98]], ['fill tp 149.97 @2', 'cancel sl OCO @2']],
    ['a gap through the take-profit: at the open', [FLAT, ENTRY, [149.95, 149.96, 149.94, 149.95]], ['fill tp 149.95 @2', 'cancel sl OCO @2']],
    ['a bar touching both legs: the stop', [FLAT, ENTRY, [150.0, 150.03, 149.96, 149.99]], ['fill sl 150.02 @2', 'cancel tp OCO @2']],
  ])('%s', (_name, bars, expected) => {
    expect(replay([short], bars)).toEqual(['fill entry 150 @1', ...expected]);
  });

  it('a parent that ends unfilled takes its children with it', () => {
    const broker = createSimBroker({ contracts });
    const log: string[] = [];
    broker.events$.subscribe((e) => e.kind === 'order' && log.push(`${e.status} ${e.order.id}${e.cancelReason ? ` ${e.cancelReason}` : ''}`));
    broker.place(short.order, short.children);
    broker.cancel('entry');
    expect(log).toEqual(['Submitted entry', 'Submitted sl', 'Submitted tp', 'Cancelled entry REQUESTED', 'Cancelled sl PARENT', 'Cancelled tp PARENT']);
  });
});

describe('SimBroker trailing stop: steps toward the price on each bar close, never away', () => {
  // SELL TRAILING 20 ticks, initial stop 149.980, placed at bar 0. Each low is one tick above the stop in force
  // during its bar, so a stop one tick off fires a bar early; the comments give the stop after each close.
  const trailing: Placement = {
    at: 0,
    order: { ...base, id: 'trail', side: 'SELL', type: 'TRAILING', stopPrice: 149.98, trail: { ticks: 20 }, reason: 'trailingStop' },
  };
  const before: readonly Ohlc[] = [
    FLAT,
    [150.0, 150.005, 149.981, 150.0], // stop 149.980; after the close 150.000: 150.000 − 0.020 = 149.980, not higher
    [150.0, 150.012, 149.981, 150.01], // after the close 150.010: 149.990
    [150.01, 150.035, 149.991, 150.03], // after 150.030: 150.010
    [150.03, 150.035, 150.011, 150.02], // the close fell: the stop stays at 150.010
  ];

  it('the stop after each bar, then a touch of the last one fills at it', () => {
    expect(replay([trailing], [...before, [150.02, 150.025, 150.01, 150.015]])).toEqual(['fill trail 150.01 @5']);
  });

  it('a gap below the stop fills at the open', () => {
    expect(replay([trailing], [...before, [150.0, 150.005, 149.99, 150.0]])).toEqual(['fill trail 150 @5']);
  });

  it('one tick above the stepped stop does not fill', () => {
    expect(replay([trailing], [...before, [150.02, 150.025, 150.011, 150.015]])).toEqual([]);
  });

  it('a buy trailing stop (protecting a short) steps down with the closes', () => {
    const buy: Placement = {
      at: 0,
      order: { ...base, id: 'trail', side: 'BUY', type: 'TRAILING', stopPrice: 150.02, trail: { ticks: 20 }, reason: 'trailingStop' },
    };
    // stops after each close: 150.020, 150.010 (close 149.990), 149.990 (close 149.970); then the high touches 149.990
    expect(
      replay([buy], [FLAT, [150.0, 150.019, 149.995, 150.0], [150.0, 150.019, 149.985, 149.99], [149.99, 150.009, 149.965, 149.97], [149.97, 149.99, 149.96, 149.98]]),
    ).toEqual(['fill trail 149.99 @4']);
  });

  it('a percent trail rounds the stop to the grid away from the price', () => {
    // 0.01 % of 150.005 is 0.0150005: 149.9899995 rounds down to 149.989; a low at 149.990 does not reach it.
    const percent: Placement = {
      at: 0,
      order: { ...base, id: 'trail', side: 'SELL', type: 'TRAILING', stopPrice: 149.9, trail: { percent: 0.01 }, reason: 'trailingStop' },
    };
    expect(replay([percent], [FLAT, [150.0, 150.006, 149.95, 150.005], [150.0, 150.0, 149.99, 149.995], [149.995, 149.996, 149.989, 149.99]])).toEqual([
      'fill trail 149.989 @3',
    ]);
  });
});

describe('SimBroker time in force', () => {
  // A BUY LIMIT at 149.900, DAY until 17:00 New York. On 2024-03-05 (EST) that is 22:00 UTC; on 2024-07-09 (EDT)
  // 21:00 UTC. The bar ending at 17:00 may fill it; the bar starting at 17:00 finds it expired.
  const day: TimeInForce = { type: 'DAY', end: '17:00', zone: 'America/New_York' };
  const limit: Placement = { at: 0, order: { ...base, id: 'day', side: 'BUY', type: 'LIMIT', limitPrice: 149.9, tif: day, reason: 'limit' } };
  const quiet: Ohlc = [150, 150.01, 149.95, 150];
  const touch: Ohlc = [150, 150.01, 149.9, 149.95];

  it.each<[string, string, readonly Ohlc[], readonly string[]]>([
    // bars 21:57, 21:58, 21:59 (ends 22:00) and 22:00 UTC; decided at 21:58
    ['the last bar of the session touches the limit: filled', '2024-03-05T21:57:00Z', [quiet, quiet, touch, touch], ['fill day 149.9 @2']],
    ['first touched by the bar starting at 17:00: expired at 17:00 instead', '2024-03-05T21:57:00Z', [quiet, quiet, quiet, touch], ['cancel day EXPIRED @3']],
    ['in summer time 17:00 New York is 21:00 UTC', '2024-07-09T20:57:00Z', [quiet, quiet, quiet, touch], ['cancel day EXPIRED @3']],
  ])('%s', (_name, start, bars, expected) => {
    expect(replay([limit], bars, Date.parse(start))).toEqual(expected);
  });

  it('a DAY order decided at 17:00 sharp works until 17:00 the next day', () => {
    const decided = Date.parse('2024-03-05T22:00:00Z');
    expect(expiryOf(day, decided)).toBe(Date.parse('2024-03-06T22:00:00Z'));
    expect(expiryOf(day, decided - 1)).toBe(decided);
  });

  it.each<[string, Ohlc, readonly string[]]>([
    ['an IOC limit not reached on its first bar is cancelled at that bar’s end, and a later touch does nothing', quiet, ['cancel ioc EXPIRED @2']],
    ['an IOC limit reached on its first bar fills', touch, ['fill ioc 149.9 @1']],
  ])('%s', (_name, first, expected) => {
    const ioc: Placement = { at: 0, order: { ...base, id: 'ioc', side: 'BUY', type: 'LIMIT', limitPrice: 149.9, tif: 'IOC', reason: 'limit' } };
    expect(replay([ioc], [FLAT, first, touch])).toEqual(expected);
  });

  it('market orders fill on the next bar whatever their time in force (Backtrader)', () => {
    const dayMarket: Placement = { at: 0, order: { ...market('m', 'BUY'), tif: { type: 'GTD', until: Date.parse('2024-03-05T00:01:30Z') } } };
    expect(replay([dayMarket], [FLAT, [150.1, 150.1, 150.1, 150.1], FLAT])).toEqual(['fill m 150.1 @1']);
  });
});

describe('SimBroker STOP_LIMIT (Backtrader _try_exec_stoplimit)', () => {
  const buy = (stopPrice: number, limitPrice: number): Placement => ({
    at: 0,
    order: { ...base, id: 'sl', side: 'BUY', type: 'STOP_LIMIT', stopPrice, limitPrice, reason: 'stopEntry' },
  });
  const sell = (stopPrice: number, limitPrice: number): Placement => ({
    at: 0,
    order: { ...base, id: 'sl', side: 'SELL', type: 'STOP_LIMIT', stopPrice, limitPrice, reason: 'stopEntry' },
  });
  it.each<[string, Placement, readonly Ohlc[], readonly string[]]>([
    ['buy: a gap through the stop, open within the limit: at the open', buy(150.02, 150.04), [FLAT, [150.03, 150.05, 150.025, 150.04]], ['fill sl 150.03 @1']],
    ['buy: a gap beyond the limit, the low comes back to it: at the limit', buy(150.02, 150.04), [FLAT, [150.05, 150.06, 150.035, 150.05]], ['fill sl 150.04 @1']],
    ['buy: a gap beyond the limit that never comes back: a limit from then on', buy(150.02, 150.04), [FLAT, [150.05, 150.06, 150.045, 150.05], [150.03, 150.04, 150.02, 150.03]], ['fill sl 150.03 @2']],
    ['buy: touched inside the bar, limit at or above the stop: at the stop', buy(150.02, 150.04), [FLAT, [150.0, 150.03, 149.99, 150.01]], ['fill sl 150.02 @1']],
    ['buy: touched on a falling bar, limit below the stop, close at or below the limit: at the limit', buy(150.02, 150.01), [FLAT, [150.015, 150.025, 150.0, 150.005]], ['fill sl 150.01 @1']],
    ['buy: touched on a rising bar, limit below the stop: not filled yet, a limit next bar', buy(150.02, 150.01), [FLAT, [150.0, 150.025, 149.995, 150.015], [150.02, 150.02, 150.01, 150.015]], ['fill sl 150.01 @2']],
    ['buy: the stop never reached: nothing, even where the limit is', buy(150.02, 150.01), [FLAT, [150.0, 150.019, 149.99, 150.0]], []],
    ['sell: touched inside the bar, limit at or below the stop: at the stop', sell(149.98, 149.96), [FLAT, [150.0, 150.01, 149.97, 149.99]], ['fill sl 149.98 @1']],
    ['sell: a gap through the stop, open within the limit: at the open', sell(149.98, 149.96), [FLAT, [149.97, 149.975, 149.95, 149.96]], ['fill sl 149.97 @1']],
    ['sell: touched on a rising bar, limit above the stop, close at or above it: at the limit', sell(149.98, 149.99), [FLAT, [149.985, 150.0, 149.975, 149.995]], ['fill sl 149.99 @1']],
  ])('%s', (_name, placement, bars, expected) => {
    expect(replay([placement], bars)).toEqual(expected);
  });
});

describe('SimBroker orders placed together, modified, grouped', () => {
  it('rejects the children of a rejected parent, and a child attached to another order', () => {
    const log = replay(
      [
        { at: 0, order: { ...market('bad', 'BUY'), qty: 0 }, children: [{ ...base, id: 'c1', side: 'SELL', type: 'STOP', stopPrice: 149, reason: 'stop', parentId: 'bad' }] },
        { at: 0, order: market('ok', 'BUY'), children: [{ ...base, id: 'c2', side: 'SELL', type: 'STOP', stopPrice: 149, reason: 'stop', parentId: 'other' }] },
      ],
      [FLAT, FLAT],
    );
    expect(log).toEqual([
      'reject bad: qty must be a finite number > 0, got 0',
      'reject c1: parent bad was rejected',
      'reject c2: parentId "other" is not the order it is attached to (ok)',
      'fill ok 150 @1',
    ]);
  });

  it('refuses the id of a working order, a DAY order expiring before its decision and a TRAILING order without a trail', () => {
    const broker = createSimBroker({ contracts });
    const messages: string[] = [];
    broker.events$.subscribe((e) => e.kind === 'order' && e.status === 'Rejected' && messages.push(e.message ?? ''));
    broker.place(market('a', 'BUY'));
    broker.place(market('a', 'BUY'));
    broker.place({ ...market('b', 'BUY'), type: 'LIMIT', limitPrice: 150, expiresAt: -1 });
    broker.place({ ...market('c', 'SELL'), type: 'TRAILING', stopPrice: 149 });
    expect(messages).toEqual(['duplicate order id "a"', 'expires (-1) before it is decided (0)', 'a TRAILING order needs trail { ticks } or { percent }']);
  });

  it('modify: new prices from the next bar, Submitted with the new version; side and type cannot change', () => {
    const broker = createSimBroker({ contracts });
    const log: string[] = [];
    broker.events$.subscribe((e) => log.push(e.kind === 'fill' ? `fill ${e.price}` : `${e.status} ${e.order.stopPrice ?? ''}`));
    const stop: Order = { ...base, id: 'x', side: 'SELL', type: 'STOP', stopPrice: 149.9, reason: 'stop' };
    broker.place(stop);
    broker.onBar?.(makeBar({ ts: 0, open: 150, high: 150, low: 149.95, close: 150 }));
    broker.modify({ ...stop, stopPrice: 149.96 });
    broker.onBar?.(makeBar({ ts: MIN, open: 150, high: 150, low: 149.96, close: 150 }));
    expect(log).toEqual(['Submitted 149.9', 'Submitted 149.96', 'fill 149.96', 'Filled 149.96']);
    broker.modify({ ...stop, id: 'gone' });
    expect(() => broker.modify({ ...stop, id: 'x' })).not.toThrow(); // filled: nothing to modify
    broker.place({ ...stop, id: 'y' });
    expect(() => broker.modify({ ...stop, id: 'y', side: 'BUY' })).toThrow(/modify y: symbol, side, type and strategy cannot change/);
  });

  it('an explicit one-cancels-other group: the first to fill cancels the rest', () => {
    const leg = (id: string, side: Order['side'], type: Order['type'], price: number): Placement => ({
      at: 0,
      order: { ...base, id, side, type, ...(type === 'LIMIT' ? { limitPrice: price } : { stopPrice: price }), reason: 'limit', ocaGroup: 'g' },
    });
    // a breakout either way: the buy stop above fills, the sell stop below is cancelled
    expect(replay([leg('up', 'BUY', 'STOP', 150.05), leg('down', 'SELL', 'STOP', 149.95)], [FLAT, [150.0, 150.06, 149.99, 150.05], [150, 150, 149.9, 149.9]])).toEqual([
      'fill up 150.05 @1',
      'cancel down OCO @1',
    ]);
  });
});
