import { describe, expect, it } from '@jest/globals';
import { loadContracts } from '../src/core/contracts';
import type { Order, OrderEvent, RejectReason, Side } from '../src/core/types';
import { createBook } from '../src/portfolio/book';
import { parseRiskLimits, type RiskLimits } from '../src/risk/limits';
import { makeBar, marbles } from '../test/support/marbles';
import { riskGate } from './riskGate';
import { describeOperatorContract } from '../test/support/operatorContract';

const contracts = loadContracts();
const T0 = Date.parse('2024-03-05T00:00:00Z');
const DAY = 86_400_000;

let seq = 0;
function order(side: Side, qty: number, fields: Partial<Order> = {}): Order {
  seq++;
  return { id: `s-${seq}`, strategyId: 's', symbol: 'USDJPY', ts: T0, side, qty, type: 'MARKET', ...fields };
}
const accepted = (o: Order): OrderEvent => ({ kind: 'order', status: 'Accepted', order: o, ts: o.ts });
const rejected = (o: Order, reason: RejectReason): OrderEvent => ({
  kind: 'order',
  status: 'Rejected',
  order: o,
  ts: o.ts,
  reason,
  message: expect.stringContaining(o.id) as unknown as string,
});

/** A USD account holding `usdjpy` units of USDJPY (marked at 150) and nothing else. */
function bookHolding(usdjpy: number) {
  const book = createBook({ contracts, accountCurrency: 'USD', initialCash: 1_000_000 });
  book.mark(makeBar({ symbol: 'USDJPY', ts: T0 - 60_000, close: 150 }));
  if (usdjpy !== 0) {
    book.applyFill({
      kind: 'fill',
      execId: 'seed',
      orderId: 'seed',
      strategyId: 'other',
      symbol: 'USDJPY',
      ts: T0 - 60_000,
      side: usdjpy > 0 ? 'BUY' : 'SELL',
      qty: Math.abs(usdjpy),
      price: 150,
      commission: 0,
    });
  }
  return book;
}

/** Runs `orders` through riskGate(limits) and expects one decision per order, in order. */
function expectDecisions(limits: RiskLimits, book: ReturnType<typeof bookHolding>, cases: ReadonlyArray<readonly [Order, OrderEvent]>) {
  marbles(({ cold, expectObservable }) => {
    const letters = 'abcdefghij'.slice(0, cases.length);
    const input: Record<string, Order> = {};
    const output: Record<string, OrderEvent> = {};
    cases.forEach(([o, decision], i) => {
      input[letters[i]] = o;
      output[letters[i]] = decision;
    });
    expectObservable(cold(`${letters}|`, input).pipe(riskGate(limits, { book, contracts }))).toBe(`${letters}|`, output);
  });
}

describe('riskGate', () => {
  it('refuses nothing without limits', () => {
    const book = bookHolding(0);
    const huge = order('BUY', 1e12);
    const tiny = order('SELL', 1);
    expectDecisions({}, book, [
      [huge, accepted(huge)],
      [tiny, accepted(tiny)],
    ]);
  });

  it('maxOrderContracts: at the limit passes, one unit over is refused, a reversal counts its full size', () => {
    const book = bookHolding(100_000);
    const at = order('SELL', 100_000);
    const over = order('BUY', 100_001);
    const reversal = order('SELL', 200_000);
    expectDecisions({ maxOrderContracts: 1 }, book, [
      [at, accepted(at)],
      [over, rejected(over, 'MAX_ORDER_SIZE')],
      [reversal, rejected(reversal, 'MAX_ORDER_SIZE')],
    ]);
  });

  it('maxPositionContracts: the account net position with working orders, at the limit passes, over is refused', () => {
    const book = bookHolding(100_000);
    book.applyOrderEvent(accepted(order('BUY', 50_000, { id: 'working' })));
    const at = order('BUY', 50_000); // 100,000 + 50,000 working + 50,000 = 2 contracts
    const over = order('BUY', 50_001);
    const shortOver = order('SELL', 350_001); // to −200,001
    const shortAt = order('SELL', 350_000);
    const reduce = order('SELL', 100_000);
    expectDecisions({ maxPositionContracts: 2 }, book, [
      [at, accepted(at)],
      [over, rejected(over, 'MAX_POSITION')],
      [shortOver, rejected(shortOver, 'MAX_POSITION')],
      [shortAt, accepted(shortAt)],
      [reduce, accepted(reduce)],
    ]);
  });

  it('never traps a position over the limit: a reducing order passes', () => {
    const book = bookHolding(300_000);
    const reduce = order('SELL', 100_000);
    const add = order('BUY', 1);
    const cross = order('SELL', 600_000); // through zero to −300,000: not a reduction
    expectDecisions({ maxPositionContracts: 1, maxGrossNotional: 1, maxDailyLoss: 0 }, book, [
      [reduce, accepted(reduce)],
      [add, rejected(add, 'MAX_POSITION')],
      [cross, rejected(cross, 'MAX_POSITION')],
    ]);
  });

  it('maxGrossNotional: Σ |net position| at the last close in the account currency', () => {
    const book = bookHolding(100_000); // USDJPY with a USD account: 100,000 USD
    book.mark(makeBar({ symbol: 'EURUSD', ts: T0 - 60_000, close: 1.5 }));
    const at = order('BUY', 100_000, { symbol: 'EURUSD' }); // + 150,000 USD = 250,000
    const over = order('BUY', 100_001, { symbol: 'EURUSD' }); // 250,001.5
    const overJpy = order('BUY', 1); // USDJPY 100,001 + nothing else = 100,001
    expectDecisions({ maxGrossNotional: 250_000 }, book, [
      [at, accepted(at)],
      [over, rejected(over, 'MAX_GROSS_NOTIONAL')],
      [overJpy, accepted(overJpy)],
    ]);
    expectDecisions({ maxGrossNotional: 100_000 }, book, [[overJpy, rejected(overJpy, 'MAX_GROSS_NOTIONAL')]]);
  });

  it('maxDailyLoss: the loss since the last mark of the previous UTC day, at the limit passes, over is refused', () => {
    const book = createBook({ contracts, accountCurrency: 'USD', initialCash: 1_000_000 });
    book.mark(makeBar({ symbol: 'EURUSD', ts: T0 - 120_000, close: 1.5 }));
    book.applyFill({
      kind: 'fill',
      execId: 'e',
      orderId: 'e',
      strategyId: 'other',
      symbol: 'EURUSD',
      ts: T0 - 60_000,
      side: 'BUY',
      qty: 100_000,
      price: 1.5,
      commission: 0,
    });
    book.mark(makeBar({ symbol: 'EURUSD', ts: T0 - 60_000, close: 1.5 })); // last mark of the day: 1,000,000
    book.mark(makeBar({ symbol: 'EURUSD', ts: T0 + DAY, close: 1.25 })); // next day: −25,000
    const next = { ts: T0 + DAY + 60_000, symbol: 'EURUSD' };
    const add = order('BUY', 100_000, next);
    const reduce = order('SELL', 50_000, next);
    const add2 = order('BUY', 1, next);
    expectDecisions({ maxDailyLoss: 25_000 }, book, [[add, accepted(add)]]);
    expectDecisions({ maxDailyLoss: 24_999 }, book, [
      [add2, rejected(add2, 'MAX_DAILY_LOSS')],
      [reduce, accepted(reduce)],
    ]);
  });

  it('orderRate: at most max accepted orders in any perMs window of event time; refusals use no budget', () => {
    const book = bookHolding(0);
    const at = (ts: number) => order('BUY', 1, { ts: T0 + ts });
    const [a, b, c, d, e, f] = [at(0), at(500), at(999), at(1000), at(1400), at(1500)];
    expectDecisions({ orderRate: { max: 2, perMs: 1000 } }, book, [
      [a, accepted(a)],
      [b, accepted(b)],
      [c, rejected(c, 'ORDER_RATE')],
      [d, accepted(d)],
      [e, rejected(e, 'ORDER_RATE')],
      [f, accepted(f)],
    ]);
  });

  it('refuses everything while the kill switch is on', () => {
    const book = bookHolding(100_000);
    const [a, b, c, d] = [order('BUY', 1), order('SELL', 100_000), order('SELL', 100_000), order('BUY', 1)];
    marbles(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const kill = hot('f---t---f---', { t: true, f: false });
      const orders = cold('-a---b-c-d|', { a, b, c, d });
      expectObservable(orders.pipe(riskGate({}, { book, contracts, killSwitch$: kill }))).toBe('-a---b-c-d|', {
        a: accepted(a),
        b: rejected(b, 'KILL_SWITCH'),
        c: rejected(c, 'KILL_SWITCH'),
        d: accepted(d),
      });
      expectSubscriptions(kill.subscriptions).toBe('^---------!');
    });
  });

  it('errors when the kill switch errors: trading never goes on unguarded', () => {
    const book = bookHolding(0);
    marbles(({ cold, hot, expectObservable }) => {
      const kill = hot('f--#', { f: false }, new Error('kill switch feed lost'));
      const orders = cold('-a----|', { a: order('BUY', 1) });
      expectObservable(orders.pipe(riskGate({}, { book, contracts, killSwitch$: kill }))).toBe(
        '-a-#',
        { a: expect.objectContaining({ status: 'Accepted' }) },
        new Error('kill switch feed lost'),
      );
    });
  });

  it('names the limit and the numbers in a refusal', () => {
    const book = bookHolding(0);
    const big = order('BUY', 200_000);
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: big }).pipe(riskGate({ maxOrderContracts: 1 }, { book, contracts }))).toBe('a|', {
        a: expect.objectContaining({
          message: `order ${big.id} for 200000 units of USDJPY exceeds maxOrderContracts 1 (100000 units)`,
        }),
      });
    });
  });
});

describe('riskLimitsSchema', () => {
  it('accepts all-optional limits and names a bad field', () => {
    expect(parseRiskLimits({})).toEqual({});
    expect(parseRiskLimits({ maxOrderContracts: 2, orderRate: { max: 5, perMs: 1000 } })).toEqual({
      maxOrderContracts: 2,
      orderRate: { max: 5, perMs: 1000 },
    });
    expect(() => parseRiskLimits({ orderRate: { max: 0, perMs: 1000 } })).toThrow(/risk: orderRate\.max: /);
    expect(() => parseRiskLimits({ maxPosition: 1 })).toThrow(/maxPosition/);
    expect(() => parseRiskLimits({ maxDailyLoss: -5 })).toThrow(/maxDailyLoss/);
  });
});

const contractOrders = { a: order('BUY', 1), b: order('SELL', 2), c: order('BUY', 3) };
describeOperatorContract<Order, OrderEvent>('riskGate', {
  operator: () => riskGate({ maxOrderContracts: 1 }, { book: bookHolding(0), contracts }),
  input: 'abc',
  values: contractOrders,
  expected: 'ABC',
  outputs: { A: accepted(contractOrders.a), B: accepted(contractOrders.b), C: accepted(contractOrders.c) },
});
