import { describe, expect, it } from '@jest/globals';
import { loadContracts } from '../core/contracts';
import type { Bar, ExecutionEvent, Fill, Order, OrderEvent } from '../core/types';
import { makeBar } from '../testkit/marbles';
import { commissionModel } from './commission';
import { addTicks, createSimBroker, type SimBrokerOptions } from './simBroker';

const contracts = loadContracts();
const T0 = Date.parse('2024-03-05T00:00:00Z');
const MIN = 60_000;

/** Bar i of USDJPY (ts = T0 + i minutes). */
function bar(i: number, ohlc: { open: number; high?: number; low?: number; close: number }, symbol = 'USDJPY'): Bar {
  return makeBar({ symbol, ts: T0 + i * MIN, ...ohlc });
}

/** An order decided at the close of bar i. */
function order(i: number, fields: Partial<Order> & Pick<Order, 'side'>): Order {
  return { id: `s-${i}`, strategyId: 's', symbol: 'USDJPY', ts: T0 + (i + 1) * MIN, qty: 100_000, type: 'MARKET', ...fields };
}

function setup(options: Partial<SimBrokerOptions> = {}) {
  const broker = createSimBroker({ contracts, ...options });
  const events: ExecutionEvent[] = [];
  broker.events$.subscribe((e) => events.push(e));
  const fills = (): Fill[] => events.filter((e): e is Fill => e.kind === 'fill');
  const statuses = (): string[] => events.map((e) => (e.kind === 'fill' ? `fill@${e.price}` : e.status));
  return { broker, events, fills, statuses };
}

describe('SimBroker market orders', () => {
  it('fills an order decided on the close of bar t at the OPEN of bar t+1, stamped with bar t+1', () => {
    const { broker, fills, statuses } = setup();
    const bars = [
      bar(0, { open: 150.0, close: 150.1 }),
      bar(1, { open: 150.2, close: 150.3 }),
      bar(2, { open: 150.4, close: 150.5 }),
    ];
    broker.onBar?.(bars[0]);
    broker.place(order(0, { side: 'BUY' }));
    broker.onBar?.(bars[1]);
    broker.onBar?.(bars[2]);
    // Not bar t's close (150.1), not bar t+2's open (150.4): a one-bar shift fails here.
    expect(fills()).toEqual([
      {
        kind: 'fill',
        execId: 's-0.1',
        orderId: 's-0',
        strategyId: 's',
        symbol: 'USDJPY',
        ts: bars[1].ts,
        side: 'BUY',
        qty: 100_000,
        price: 150.2,
        commission: 0,
      },
    ]);
    expect(statuses()).toEqual(['Submitted', 'fill@150.2', 'Filled']);
  });

  it('never fills an order decided on the last bar', () => {
    const { broker, fills, statuses } = setup();
    broker.onBar?.(bar(0, { open: 150, close: 150 }));
    broker.place(order(0, { side: 'SELL' }));
    expect(fills()).toEqual([]);
    expect(statuses()).toEqual(['Submitted']);
  });

  it('fills only on a bar of the order symbol that starts at or after the decision', () => {
    const { broker, fills } = setup();
    broker.place(order(5, { side: 'BUY' }));
    broker.onBar?.(bar(6, { open: 1.1, close: 1.1 }, 'EURUSD'));
    broker.onBar?.(bar(5, { open: 149, close: 149 })); // starts before the decision (bar 5 closes at it)
    expect(fills()).toEqual([]);
    broker.onBar?.(bar(6, { open: 151, close: 152 }));
    expect(fills().map((f) => [f.price, f.ts])).toEqual([[151, T0 + 6 * MIN]]);
  });

  it('slips adversely in ticks: buy pays up, sell receives less, within the bar range', () => {
    const { broker, fills } = setup({ slippageTicks: 2 });
    broker.place(order(0, { id: 'b', side: 'BUY' }));
    broker.place(order(0, { id: 's', side: 'SELL' }));
    broker.onBar?.(bar(1, { open: 150.0, high: 150.01, low: 149.99, close: 150.0 }));
    expect(fills().map((f) => [f.orderId, f.price])).toEqual([
      ['b', 150.002],
      ['s', 149.998],
    ]);
    const capped = setup({ slippageTicks: 5 });
    capped.broker.place(order(0, { id: 'b', side: 'BUY' }));
    capped.broker.place(order(0, { id: 's', side: 'SELL' }));
    capped.broker.onBar?.(bar(1, { open: 150.0, high: 150.003, low: 149.999, close: 150.0 }));
    expect(capped.fills().map((f) => f.price)).toEqual([150.003, 149.999]);
  });

  it('charges the commission model on each fill, in the quote currency', () => {
    const { broker, fills } = setup({ commission: commissionModel({ perContract: 200, bps: 0.1 }) });
    broker.place(order(0, { side: 'BUY', qty: 200_000 }));
    broker.onBar?.(bar(1, { open: 150, close: 150 }));
    // 2 contracts × 200 + 200,000 × 150 × 0.1 / 10,000 = 400 + 300
    expect(fills()[0].commission).toBeCloseTo(700, 9);
  });

  it('fills orders of one bar in placement order with deterministic execIds', () => {
    const { broker, fills } = setup();
    broker.place(order(0, { id: 'a-1', side: 'BUY' }));
    broker.place(order(0, { id: 'b-1', side: 'SELL', qty: 200_000 }));
    broker.onBar?.(bar(1, { open: 150, close: 150 }));
    expect(fills().map((f) => [f.execId, f.side, f.qty])).toEqual([
      ['a-1.1', 'BUY', 100_000],
      ['b-1.1', 'SELL', 200_000],
    ]);
  });
});

describe('SimBroker limit orders (Backtrader semantics)', () => {
  it('buy: fills at the open when the bar gaps below the limit, else at the limit when the low reaches it', () => {
    const gap = setup();
    gap.broker.place(order(0, { side: 'BUY', type: 'LIMIT', limitPrice: 150 }));
    gap.broker.onBar?.(bar(1, { open: 149.5, high: 149.8, low: 149.2, close: 149.6 }));
    expect(gap.fills().map((f) => f.price)).toEqual([149.5]);

    const through = setup();
    through.broker.place(order(0, { side: 'BUY', type: 'LIMIT', limitPrice: 150 }));
    through.broker.onBar?.(bar(1, { open: 150.5, high: 150.6, low: 150.1, close: 150.2 })); // not reached
    expect(through.fills()).toEqual([]);
    through.broker.onBar?.(bar(2, { open: 150.3, high: 150.4, low: 150.0, close: 150.1 })); // low touches it
    expect(through.fills().map((f) => [f.price, f.ts])).toEqual([[150, T0 + 2 * MIN]]);
  });

  it('sell: fills at the open when the bar gaps above the limit, else at the limit when the high reaches it', () => {
    const gap = setup();
    gap.broker.place(order(0, { side: 'SELL', type: 'LIMIT', limitPrice: 150 }));
    gap.broker.onBar?.(bar(1, { open: 150.4, high: 150.5, low: 150.2, close: 150.3 }));
    expect(gap.fills().map((f) => f.price)).toEqual([150.4]);

    const through = setup();
    through.broker.place(order(0, { side: 'SELL', type: 'LIMIT', limitPrice: 150 }));
    through.broker.onBar?.(bar(1, { open: 149.7, high: 150.1, low: 149.6, close: 149.9 }));
    expect(through.fills().map((f) => f.price)).toEqual([150]);
  });

  it('never slips a limit fill past the limit', () => {
    const { broker, fills } = setup({ slippageTicks: 10 });
    broker.place(order(0, { side: 'BUY', type: 'LIMIT', limitPrice: 150.005 }));
    broker.onBar?.(bar(1, { open: 150.0, high: 150.05, low: 149.9, close: 150.0 }));
    expect(fills().map((f) => f.price)).toEqual([150.005]);
  });
});

describe('SimBroker stop orders (Backtrader semantics)', () => {
  it('buy stop: at the open when the bar gaps above the stop, else at the stop when the high reaches it', () => {
    const gap = setup();
    gap.broker.place(order(0, { side: 'BUY', type: 'STOP', stopPrice: 150 }));
    gap.broker.onBar?.(bar(1, { open: 150.6, high: 150.9, low: 150.5, close: 150.7 }));
    expect(gap.fills().map((f) => f.price)).toEqual([150.6]);

    const through = setup();
    through.broker.place(order(0, { side: 'BUY', type: 'STOP', stopPrice: 150 }));
    through.broker.onBar?.(bar(1, { open: 149.5, high: 149.9, low: 149.4, close: 149.8 }));
    expect(through.fills()).toEqual([]);
    through.broker.onBar?.(bar(2, { open: 149.8, high: 150.2, low: 149.7, close: 150.1 }));
    expect(through.fills().map((f) => f.price)).toEqual([150]);
  });

  it('sell stop: at the open when the bar gaps below the stop, else at the stop when the low reaches it', () => {
    const gap = setup();
    gap.broker.place(order(0, { side: 'SELL', type: 'STOP', stopPrice: 150 }));
    gap.broker.onBar?.(bar(1, { open: 149.3, high: 149.5, low: 149.1, close: 149.2 }));
    expect(gap.fills().map((f) => f.price)).toEqual([149.3]);

    const through = setup();
    through.broker.place(order(0, { side: 'SELL', type: 'STOP', stopPrice: 150 }));
    through.broker.onBar?.(bar(1, { open: 150.4, high: 150.5, low: 149.9, close: 150.0 }));
    expect(through.fills().map((f) => f.price)).toEqual([150]);
  });

  it('slips a triggered stop adversely', () => {
    const { broker, fills } = setup({ slippageTicks: 3 });
    broker.place(order(0, { side: 'SELL', type: 'STOP', stopPrice: 150 }));
    broker.onBar?.(bar(1, { open: 150.4, high: 150.5, low: 149.9, close: 150.0 }));
    expect(fills().map((f) => f.price)).toEqual([149.997]);
  });
});

describe('SimBroker order lifecycle', () => {
  it('cancels a working order (Cancelled at the sim clock) and ignores a cancel of a finished one', () => {
    const { broker, events, fills } = setup();
    broker.onBar?.(bar(0, { open: 150, close: 150 }));
    broker.place(order(0, { id: 'x', side: 'BUY', type: 'LIMIT', limitPrice: 140 }));
    broker.cancel('x');
    broker.onBar?.(bar(1, { open: 139, close: 139 }));
    expect(fills()).toEqual([]);
    const cancelled = events.filter((e): e is OrderEvent => e.kind === 'order' && e.status === 'Cancelled');
    expect(cancelled.map((e) => [e.order.id, e.ts])).toEqual([['x', T0 + MIN]]);
    broker.place(order(1, { id: 'y', side: 'BUY' }));
    broker.onBar?.(bar(2, { open: 139, close: 139 }));
    const before = events.length;
    broker.cancel('y');
    broker.cancel('nope');
    expect(events.length).toBe(before);
  });

  it('rejects what it cannot take with reason BROKER', () => {
    const { broker, events } = setup();
    broker.place(order(0, { id: 'u', side: 'BUY', symbol: 'XAUUSD' }));
    broker.place(order(0, { id: 'l', side: 'BUY', type: 'LIMIT' }));
    broker.place(order(0, { id: 'q', side: 'BUY', qty: 0 }));
    broker.place(order(0, { id: 'd', side: 'BUY' }));
    broker.place(order(0, { id: 'd', side: 'BUY' }));
    const rejected = events.filter((e): e is OrderEvent => e.kind === 'order' && e.status === 'Rejected');
    expect(rejected.map((e) => [e.order.id, e.reason])).toEqual([
      ['u', 'BROKER'],
      ['l', 'BROKER'],
      ['q', 'BROKER'],
      ['d', 'BROKER'],
    ]);
    expect(rejected[0].message).toMatch(/unknown symbol "XAUUSD"/);
    expect(rejected[3].message).toMatch(/duplicate order id "d"/);
  });

  it('lets a fill subscriber place a new order re-entrantly; it waits for a later bar', () => {
    const broker = createSimBroker({ contracts });
    const prices: number[] = [];
    broker.events$.subscribe((e) => {
      if (e.kind !== 'fill') return;
      prices.push(e.price);
      if (e.orderId === 'first') broker.place(order(0, { id: 'second', side: 'SELL' }));
    });
    broker.place(order(0, { id: 'first', side: 'BUY' }));
    broker.onBar?.(bar(1, { open: 150, close: 150 }));
    expect(prices).toEqual([150]);
    broker.onBar?.(bar(2, { open: 151, close: 151 }));
    expect(prices).toEqual([150, 151]);
  });

  it('refuses a negative slippage setting', () => {
    expect(() => createSimBroker({ contracts, slippageTicks: -1 })).toThrow(/slippageTicks/);
  });
});

describe('addTicks', () => {
  it('lands on the nearest double of the grid price', () => {
    expect(addTicks(150, 2, 0.001)).toBe(150.002);
    expect(addTicks(1.1, -3, 0.00001)).toBe(1.09997);
    expect(addTicks(4500.25, 1, 0.25)).toBe(4500.5);
    expect(addTicks(100, 2, 5)).toBe(110);
  });
});
