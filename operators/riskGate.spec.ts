import { describe, expect, it } from '@jest/globals';
import { filter, from } from 'rxjs';
import { loadContracts } from '../src/core/contracts';
import type { Order, OrderEvent, RejectReason, Side } from '../src/core/types';
import { createBook } from '../src/portfolio/book';
import type { StrategyHalt } from '../src/core/halts';
import type { HaltsChange, OrderCommand, PlaceCommand } from '../src/portfolio/orders';
import { parseRiskLimits, type RiskLimits } from '../src/risk/limits';
import { makeBar, marbles } from '../test/support/marbles';
import { riskGate, type RoutedCommand } from './riskGate';
import { describeOperatorContract } from '../test/support/operatorContract';

const contracts = loadContracts();
const T0 = Date.parse('2024-03-05T00:00:00Z');
const DAY = 86_400_000;

let seq = 0;
function order(side: Side, qty: number, fields: Partial<Order> = {}): Order {
  seq++;
  return { id: `s-${seq}`, strategyId: 's', symbol: 'USDJPY', ts: T0, side, qty, type: 'MARKET', reason: 'entry', ...fields };
}
const place = (o: Order, children: readonly Order[] = [], cancelFirst: readonly string[] = []): PlaceCommand => ({ kind: 'place', order: o, children, cancelFirst });
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
      reason: 'entry',
    });
  }
  return book;
}

const isDecision = (e: RoutedCommand): e is OrderEvent => e.kind === 'order';

/** Places `orders` through riskGate(limits) and expects one decision per order, in order. */
function expectDecisions(limits: RiskLimits, book: ReturnType<typeof bookHolding>, cases: ReadonlyArray<readonly [Order, OrderEvent]>) {
  marbles(({ cold, expectObservable }) => {
    const letters = 'abcdefghij'.slice(0, cases.length);
    const input: Record<string, OrderCommand> = {};
    const output: Record<string, OrderEvent> = {};
    cases.forEach(([o, decision], i) => {
      input[letters[i]] = place(o);
      output[letters[i]] = decision;
    });
    expectObservable(cold(`${letters}|`, input).pipe(riskGate(limits, { book, contracts }), filter(isDecision))).toBe(`${letters}|`, output);
  });
}

/** Everything riskGate emits for `commands`, synchronously. */
function gate(limits: RiskLimits, book: ReturnType<typeof bookHolding>, commands: readonly OrderCommand[]): RoutedCommand[] {
  const out: RoutedCommand[] = [];
  from(commands).pipe(riskGate(limits, { book, contracts })).subscribe((e) => out.push(e));
  return out;
}

/** A stop-loss child of `parent` at `stopPrice`. */
const stopChild = (parent: Order, stopPrice: number): Order => ({
  ...parent,
  id: `${parent.id}.sl`,
  side: parent.side === 'BUY' ? 'SELL' : 'BUY',
  type: 'STOP',
  stopPrice,
  reason: 'stop',
  parentId: parent.id,
  ocaGroup: parent.id,
});

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
      reason: 'entry',
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

  it('passes an accepted placement on after its decisions: cancellations first, the order, its children', () => {
    const book = bookHolding(0);
    const entry = order('BUY', 100_000);
    const sl = stopChild(entry, 149.7);
    expect(gate({}, book, [place(entry, [sl], ['old.sl', 'old.tp'])])).toEqual([
      { kind: 'cancel', orderId: 'old.sl', strategyId: 's', symbol: 'USDJPY', ts: entry.ts, reason: 'TARGET_CHANGED' },
      { kind: 'cancel', orderId: 'old.tp', strategyId: 's', symbol: 'USDJPY', ts: entry.ts, reason: 'TARGET_CHANGED' },
      accepted(entry),
      accepted(sl),
      place(entry, [sl], ['old.sl', 'old.tp']),
    ]);
  });

  it('refuses the children with their parent, and keeps the protective orders a refused target change would replace', () => {
    const book = bookHolding(100_000);
    const add = order('BUY', 100_000);
    const sl = stopChild(add, 149.7);
    expect(gate({ maxPositionContracts: 1 }, book, [place(add, [sl], ['old.sl'])])).toEqual([
      rejected(add, 'MAX_POSITION'),
      { ...rejected(sl, 'MAX_POSITION'), message: expect.stringMatching(new RegExp(`^parent ${add.id} refused: order ${add.id} would take`)) as unknown as string },
    ]);
  });

  it('never refuses a protective order, and protective orders use no order-rate budget', () => {
    const book = bookHolding(500_000);
    const stop = order('SELL', 500_000, { type: 'STOP', stopPrice: 149, reason: 'stop' });
    const takeProfit = order('SELL', 500_000, { type: 'LIMIT', limitPrice: 151, reason: 'takeProfit' });
    const entry = order('BUY', 1);
    expectDecisions({ maxPositionContracts: 1, maxOrderContracts: 1, orderRate: { max: 1, perMs: 1000 }, maxLossPerTradeTicks: 10 }, book, [
      [stop, accepted(stop)],
      [takeProfit, accepted(takeProfit)],
      [entry, rejected(entry, 'MAX_POSITION')],
    ]);
    expectDecisions({ orderRate: { max: 1, perMs: 1000 } }, book, [
      [stop, accepted(stop)],
      [entry, accepted(entry)],
    ]);
  });

  it('passes cancels and modifications as they are', () => {
    const book = bookHolding(0);
    const cancel: OrderCommand = { kind: 'cancel', orderId: 'x', strategyId: 's', symbol: 'USDJPY', ts: T0, reason: 'REQUESTED' };
    const modify: OrderCommand = { kind: 'modify', order: order('SELL', 1, { type: 'STOP', stopPrice: 149, reason: 'stop' }) };
    expect(gate({ maxOrderContracts: 0 }, book, [cancel, modify])).toEqual([cancel, modify]);
  });

  describe('maxLossPerTradeTicks: an entry carries a stop-loss at most that far from its price', () => {
    const limits = { maxLossPerTradeTicks: 300 };
    it.each<[string, number, RejectReason | undefined]>([
      ['a market entry, its stop 300 ticks below the last close (150): passes', 149.7, undefined],
      ['a market entry, its stop 301 ticks below: refused', 149.699, 'MAX_LOSS_PER_TRADE'],
    ])('%s', (_name, stopPrice, reason) => {
      const entry = order('BUY', 100_000);
      const [decision] = gate(limits, bookHolding(0), [place(entry, [stopChild(entry, stopPrice)])]);
      expect(decision).toMatchObject(reason === undefined ? { status: 'Accepted' } : { status: 'Rejected', reason });
    });

    it('measures a limit entry from its limit, and a trailing stop from its initial stop', () => {
      const limit = order('SELL', 100_000, { type: 'LIMIT', limitPrice: 151, reason: 'limit' });
      const trailing: Order = { ...stopChild(limit, 151.3), type: 'TRAILING', trail: { ticks: 300 }, reason: 'trailingStop' };
      expect(gate(limits, bookHolding(0), [place(limit, [trailing])])[0]).toMatchObject({ status: 'Accepted' });
      expect(gate(limits, bookHolding(0), [place(limit, [{ ...trailing, stopPrice: 151.301 }])])[0]).toMatchObject({
        status: 'Rejected',
        reason: 'MAX_LOSS_PER_TRADE',
        message: `order ${limit.id}: its stop-loss 151.301 is 301 ticks from 151, over maxLossPerTradeTicks 300`,
      });
    });

    it('refuses an entry without a stop-loss, and lets an exit without one pass', () => {
      const book = bookHolding(0);
      const entry = order('BUY', 100_000);
      const takeProfitOnly: Order = { ...stopChild(entry, 0), type: 'LIMIT', stopPrice: undefined, limitPrice: 150.5, reason: 'takeProfit' };
      expect(gate(limits, book, [place(entry, [takeProfitOnly])])[0]).toMatchObject({
        status: 'Rejected',
        reason: 'MAX_LOSS_PER_TRADE',
        message: `order ${entry.id} opens exposure without a stop-loss (maxLossPerTradeTicks 300)`,
      });
      book.applyFill({ kind: 'fill', execId: 'mine', orderId: 'mine', strategyId: 's', symbol: 'USDJPY', ts: T0, side: 'BUY', qty: 100_000, price: 150, commission: 0, reason: 'entry' });
      const exit = order('SELL', 100_000, { reason: 'exit' });
      expect(gate(limits, book, [place(exit)])[0]).toMatchObject({ status: 'Accepted' });
    });
  });

  it('kill switch: refuses new exposure, cancels working entries when it goes on, lets exits and protective orders through', () => {
    const book = bookHolding(0);
    // The strategy holds +1 contract, has an entry working (buy 1) and an exit working (sell 1 of it), and a stop.
    book.applyFill({ kind: 'fill', execId: 'mine', orderId: 'mine', strategyId: 's', symbol: 'USDJPY', ts: T0, side: 'BUY', qty: 100_000, price: 150, commission: 0, reason: 'entry' });
    const workingEntry = order('BUY', 100_000, { type: 'LIMIT', limitPrice: 149, reason: 'limit' });
    const workingExit = order('SELL', 100_000, { type: 'LIMIT', limitPrice: 151, reason: 'limit' });
    const workingStop = order('SELL', 100_000, { type: 'STOP', stopPrice: 149.5, reason: 'stop' });
    for (const o of [workingEntry, workingExit, workingStop]) book.applyOrderEvent(accepted(o));
    const [add, exit, stop, reverse, later] = [
      order('BUY', 100_000),
      order('SELL', 100_000, { reason: 'exit' }),
      order('SELL', 100_000, { type: 'STOP', stopPrice: 149.4, reason: 'stop' }),
      order('SELL', 300_000, { reason: 'reverse' }),
      order('BUY', 100_000),
    ];
    const halts = (killAll: boolean): HaltsChange => ({ kind: 'halts', halts: { killAll, strategies: {} }, ts: T0 });
    marbles(({ cold, expectObservable }) => {
      const commands = cold('-a----tb-c----d----e-f--g---|', { t: halts(true), f: halts(false), a: place(add), b: place(add), c: place(exit), d: place(stop), e: place(reverse), g: place(later) });
      expectObservable(commands.pipe(riskGate({}, { book, contracts }))).toBe('-(aA)-Kb-(cC)-(dD)-e----(gG)|', {
        a: accepted(add),
        A: place(add),
        K: { kind: 'cancel', orderId: workingEntry.id, strategyId: 's', symbol: 'USDJPY', ts: workingEntry.ts, reason: 'KILL_SWITCH' },
        b: rejected(add, 'KILL_SWITCH'),
        c: accepted(exit),
        C: place(exit),
        d: accepted(stop),
        D: place(stop),
        e: rejected(reverse, 'KILL_SWITCH'),
        g: accepted(later),
        G: place(later),
      });
    });
  });

  it('one strategy killed or flattened: only its orders are judged so; a flatten close passes every check', () => {
    const book = bookHolding(0);
    const other = { ...order('BUY', 100_000), id: 'other.1', strategyId: 'other' };
    const entry = order('BUY', 100_000);
    const close = order('SELL', 100_000, { reason: 'exit' });
    const halted = (halt: StrategyHalt): HaltsChange => ({ kind: 'halts', halts: { killAll: false, strategies: { s: halt } }, ts: T0 });
    marbles(({ cold, expectObservable }) => {
      const commands = cold('k-a-o-f-a-c|', { k: halted('killed'), f: halted('flat'), a: place(entry), o: place(other), c: { ...place(close), flatten: true as const } });
      expectObservable(commands.pipe(riskGate({ maxOrderContracts: 0.5 }, { book, contracts }), filter(isDecision))).toBe('--a-o---b-c|', {
        a: rejected(entry, 'KILL_SWITCH'),
        o: rejected(other, 'MAX_ORDER_SIZE'),
        b: rejected(entry, 'FLATTENED'),
        c: accepted(close),
      });
    });
  });

  it('names the limit and the numbers in a refusal', () => {
    const book = bookHolding(0);
    const big = order('BUY', 200_000);
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: place(big) }).pipe(riskGate({ maxOrderContracts: 1 }, { book, contracts }))).toBe('a|', {
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
    expect(() => parseRiskLimits({ maxLossPerTradeTicks: 2.5 })).toThrow(/risk: maxLossPerTradeTicks: a whole number of ticks/);
  });
});

// Refusals and cancels: one output per input, as the contract's sample needs.
const contractOrders = { a: order('BUY', 1), b: order('SELL', 2) };
const contractCancel: OrderCommand = { kind: 'cancel', orderId: 'x', strategyId: 's', symbol: 'USDJPY', ts: T0, reason: 'REQUESTED' };
describeOperatorContract<OrderCommand, RoutedCommand>('riskGate', {
  operator: () => riskGate({ maxOrderContracts: 0 }, { book: bookHolding(0), contracts }),
  input: 'abc',
  values: { a: place(contractOrders.a), b: place(contractOrders.b), c: contractCancel },
  expected: 'ABC',
  outputs: {
    A: { ...rejected(contractOrders.a, 'MAX_ORDER_SIZE'), message: expect.any(String) as unknown as string },
    B: { ...rejected(contractOrders.b, 'MAX_ORDER_SIZE'), message: expect.any(String) as unknown as string },
    C: contractCancel,
  },
});
