import { describe, expect, it } from '@jest/globals';
import { from, Subject, tap } from 'rxjs';
import { loadContracts } from '../core/contracts';
import { orderIdOf, orderIdsOf } from '../core/orders';
import type { Decision, Fill, Order, PlaceOrderIntent, Signal } from '../core/types';
import { makeBar, marbles } from '../../test/support/marbles';
import { createBook, type Book } from './book';
import { ordersFromDecisions, type OrderCommand, type OrderPathOptions, type PlaceCommand } from './orders';
import { describeOperatorContract } from '../../test/support/operatorContract';

const contracts = loadContracts();
const T0 = Date.parse('2024-03-05T01:00:00Z');
const MIN = 60_000;

const signal = (target: number, ts = T0, fields: Partial<Signal> = {}): Signal => ({ strategyId: 's', symbol: 'USDJPY', ts, target, ...fields });
const id = (ts: number, n: number, strategyId = 's', symbol = 'USDJPY'): string => orderIdOf(strategyId, symbol, ts, n);
const market = (orderId: string, side: Order['side'], qty: number, ts = T0, reason: Order['reason'] = 'entry'): Order => ({
  id: orderId,
  strategyId: 's',
  symbol: 'USDJPY',
  ts,
  side,
  qty,
  type: 'MARKET',
  reason,
});
const place = (order: Order, children: readonly Order[] = [], cancelFirst: readonly string[] = []): PlaceCommand => ({ kind: 'place', order, children, cancelFirst });

/** A USD book with USDJPY last marked at 150.000, optionally holding `units` for strategy s. */
function bookAt(units = 0): Book {
  const book = createBook({ contracts, accountCurrency: 'USD', initialCash: 0 });
  book.mark(makeBar({ ts: T0 - MIN, close: 150 }));
  if (units !== 0) book.applyFill(fillOf(market('seed', units > 0 ? 'BUY' : 'SELL', Math.abs(units), T0 - MIN), 150));
  return book;
}

function fillOf(order: Order, price: number, ts = order.ts): Fill {
  return { kind: 'fill', execId: `${order.id}.x`, orderId: order.id, strategyId: order.strategyId, symbol: order.symbol, ts, side: order.side, qty: order.qty, price, commission: 0, reason: order.reason };
}

/**
 * One order manager over `book`, fed with `send(...)`: each command is applied the way risk gate, broker and
 * ledger would (the cancellations first, then accepted and working at once, never filled); fills sent are booked before the manager sees
 * them. `send` returns the commands of that call and throws the stream's error.
 */
function harness(book: Book, options: OrderPathOptions = {}) {
  const input = new Subject<Decision | Fill>();
  let out: OrderCommand[] = [];
  let failure: unknown;
  input
    .pipe(
      tap((i) => i.kind === 'fill' && book.applyFill(i)),
      ordersFromDecisions(book, contracts, options),
    )
    .subscribe({
      next(command) {
        out.push(command);
        const cancel = (orderId: string, ts: number): void => {
          const w = book.workingOrder(orderId);
          if (w !== undefined) book.applyOrderEvent({ kind: 'order', status: 'Cancelled', order: w.order, ts });
        };
        if (command.kind === 'place') {
          for (const orderId of command.cancelFirst) cancel(orderId, command.order.ts);
          for (const o of [command.order, ...command.children]) book.applyOrderEvent({ kind: 'order', status: 'Accepted', order: o, ts: o.ts });
        } else if (command.kind === 'cancel') {
          cancel(command.orderId, command.ts);
        } else if (command.kind === 'modify') {
          book.applyOrderEvent({ kind: 'order', status: 'Submitted', order: command.order, ts: command.order.ts });
        }
      },
      error: (error: unknown) => (failure = error),
    });
  return {
    book,
    send(...inputs: readonly (Decision | Fill)[]): OrderCommand[] {
      out = [];
      for (const i of inputs) input.next(i);
      if (failure !== undefined) throw failure;
      return out;
    },
  };
}

/** The commands of `inputs` on a fresh manager. */
function run(book: Book, inputs: readonly (Decision | Fill)[], options: OrderPathOptions = {}): OrderCommand[] {
  return harness(book, options).send(...inputs);
}

describe('ordersFromDecisions: targets', () => {
  it('orders target − position in units; a reversal is ONE order for twice the size; ids from the decision', () => {
    const book = bookAt(100_000);
    marbles(({ cold, expectObservable }) => {
      const decisions = cold('-a-b-|', { a: signal(-1, T0), b: signal(0.5, T0 + MIN) });
      expectObservable(decisions.pipe(ordersFromDecisions(book, contracts))).toBe('-x-y-|', {
        x: place(market(id(T0, 1), 'SELL', 200_000, T0, 'reverse')),
        // x is not applied to this book, so the position is still +1 contract: 0.5 − 1 → sell 50,000
        y: place(market(id(T0 + MIN, 1), 'SELL', 50_000, T0 + MIN, 'exit')),
      });
    });
    expect(id(T0, 1)).toBe('s.USDJPY.20240305T010000Z.1');
  });

  it('spells order ids the same whoever makes them: milliseconds only when not zero, days and times apart', () => {
    const ids = orderIdsOf('s', 'USDJPY');
    const cases: Array<[number, string]> = [
      [T0, 's.USDJPY.20240305T010000Z.1'],
      [T0 + 250, 's.USDJPY.20240305T010000.250Z.1'],
      [T0 + 7, 's.USDJPY.20240305T010000.007Z.1'],
      [T0 + 23 * 3_600_000 - 1, 's.USDJPY.20240305T235959.999Z.1'],
      [T0 + 23 * 3_600_000, 's.USDJPY.20240306T000000Z.1'],
      [T0 - 2 * 86_400_000 + 59_000, 's.USDJPY.20240303T010059Z.1'],
    ];
    for (const [ts, expected] of cases) {
      expect(ids(ts, 1)).toBe(expected);
      expect(id(ts, 1)).toBe(expected);
    }
  });

  it('counts orders in flight: a target re-sent while its order is working gives no new order', () => {
    const book = bookAt();
    const ts = [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN];
    expect(run(book, [signal(1, ts[0]), signal(1, ts[1]), signal(-1, ts[2]), signal(1, ts[3])])).toEqual([
      place(market(id(ts[0], 1), 'BUY', 100_000, ts[0])),
      place(market(id(ts[2], 1), 'SELL', 200_000, ts[2], 'reverse')),
      place(market(id(ts[3], 1), 'BUY', 200_000, ts[3], 'reverse')),
    ]);
  });

  it('numbers the orders of one decision from 1 and keeps strategies and symbols apart', () => {
    const book = bookAt();
    const limit: Decision = { kind: 'place', ts: T0, clientId: 'dip', side: 'BUY', contracts: 1, type: 'LIMIT', limitPrice: 149.5, strategyId: 's', symbol: 'USDJPY' };
    const commands = run(book, [signal(1), limit, signal(1, T0, { strategyId: 'p' }), signal(1, T0, { symbol: 'EURUSD' })]);
    expect(commands.map((c) => (c.kind === 'place' ? c.order.id : c.kind))).toEqual([id(T0, 1), id(T0, 2), id(T0, 1, 'p'), id(T0, 1, 's', 'EURUSD')]);
  });

  it('re-sizes targets with the sizer, sign kept', () => {
    expect(run(bookAt(), [signal(-1)], { sizer: (s) => Math.sign(s.target) * 3 })).toEqual([place(market(id(T0, 1), 'SELL', 300_000))]);
  });

  it('errors, naming the strategy, on a non-finite target, an unknown symbol or a decision time going back', () => {
    expect(() => run(bookAt(), [signal(Number.NaN)])).toThrow('strategy "s" (USDJPY): signalled a non-finite target NaN');
    expect(() => run(bookAt(), [signal(1, T0, { symbol: 'XAUUSD' })])).toThrow(/unknown symbol "XAUUSD"/);
    expect(() => run(bookAt(), [signal(1, T0), signal(-1, T0 - 1)])).toThrow(`strategy "s" (USDJPY): decision time ${T0 - 1} is earlier than its previous decision (${T0})`);
  });
});

describe('ordersFromDecisions: brackets', () => {
  const bracket = { stopLossTicks: 300, takeProfitTicks: 450 };
  const child = (parent: string, suffix: 'sl' | 'tp', side: Order['side'], qty: number, price: number, ts = T0): Order => ({
    id: `${parent}.${suffix}`,
    strategyId: 's',
    symbol: 'USDJPY',
    ts,
    side,
    qty,
    reason: suffix === 'sl' ? 'stop' : 'takeProfit',
    parentId: parent,
    ocaGroup: parent,
    ...(suffix === 'sl' ? { type: 'STOP', stopPrice: price } : { type: 'LIMIT', limitPrice: price }),
  });

  it('sends an entry with its stop and take-profit, priced in whole ticks from the decision bar’s close', () => {
    const entry = id(T0, 1);
    expect(run(bookAt(), [signal(1)], { bracketOf: () => bracket })).toEqual([
      place(market(entry, 'BUY', 100_000), [child(entry, 'sl', 'SELL', 100_000, 149.7), child(entry, 'tp', 'SELL', 100_000, 150.45)]),
    ]);
  });

  it('re-prices the children from the fill, for the whole position, once the entry has filled', () => {
    const h = harness(bookAt(), { bracketOf: () => bracket });
    const entry = id(T0, 1);
    const [sent] = h.send(signal(1));
    // The entry fills at the next bar's open, 150.123: stop 150.123 − 0.300, take-profit 150.123 + 0.450.
    const commands = h.send(fillOf((sent as PlaceCommand).order, 150.123, T0));
    expect(commands).toEqual([
      { kind: 'modify', order: child(entry, 'sl', 'SELL', 100_000, 149.823) },
      { kind: 'modify', order: child(entry, 'tp', 'SELL', 100_000, 150.573) },
    ]);
  });

  it('places the children on their own after a fill when they are not working, under new ids (an id once sent is never sent again)', () => {
    const book = bookAt();
    const out: OrderCommand[] = [];
    const entry = market(id(T0, 1), 'BUY', 100_000);
    // No broker nor ledger here: the children never start working.
    from<(Decision | Fill)[]>([signal(1), fillOf(entry, 150)])
      .pipe(
        tap((input) => input.kind === 'fill' && book.applyFill(input)),
        ordersFromDecisions(book, contracts, { bracketOf: () => bracket }),
      )
      .subscribe((c) => out.push(c));
    // The first ids went with the entry: whatever became of them, the broker has had them.
    const { parentId: _a, ...sl } = child(entry.id, 'sl', 'SELL', 100_000, 149.7);
    const { parentId: _b, ...tp } = child(entry.id, 'tp', 'SELL', 100_000, 150.45);
    expect(out.slice(1)).toEqual([place({ ...sl, id: `${sl.id}.2` }), place({ ...tp, id: `${tp.id}.2` })]);
  });

  it('protects a reversal’s resulting position, and cancels the old protection first', () => {
    const h = harness(bookAt(), { bracketOf: () => bracket });
    const ts2 = T0 + MIN;
    const [first] = h.send(signal(1));
    h.send(fillOf((first as PlaceCommand).order, 150));
    const reverse = id(ts2, 1);
    // The old children are working (modified from the fill); the reversal replaces them.
    expect(h.send(signal(-1, ts2))).toEqual([
      place(
        market(reverse, 'SELL', 200_000, ts2, 'reverse'),
        [child(reverse, 'sl', 'BUY', 100_000, 150.3, ts2), child(reverse, 'tp', 'BUY', 100_000, 149.55, ts2)],
        [`${id(T0, 1)}.sl`, `${id(T0, 1)}.tp`],
      ),
    ]);
  });

  it('after a protective exit stays flat until the strategy’s own next change of target', () => {
    const h = harness(bookAt(), { bracketOf: () => bracket });
    const [sent] = h.send(signal(1));
    const entry = (sent as PlaceCommand).order;
    h.send(fillOf(entry, 150));
    const stop = h.book.workingOrder(`${entry.id}.sl`)?.order as Order;
    h.send(fillOf(stop, 149.7, T0 + MIN));
    h.book.applyOrderEvent({ kind: 'order', status: 'Cancelled', order: h.book.workingOrder(`${entry.id}.tp`)?.order as Order, ts: T0 + MIN, cancelReason: 'OCO' });
    expect(h.book.position('s', 'USDJPY')).toBe(0);
    // The same target again: nothing. A new one (flat, then short): orders as usual.
    expect(h.send(signal(1, T0 + 2 * MIN))).toEqual([]);
    const short = id(T0 + 4 * MIN, 1);
    expect(h.send(signal(0, T0 + 3 * MIN), signal(-1, T0 + 4 * MIN))).toEqual([
      place(market(short, 'SELL', 100_000, T0 + 4 * MIN), [child(short, 'sl', 'BUY', 100_000, 150.3, T0 + 4 * MIN), child(short, 'tp', 'BUY', 100_000, 149.55, T0 + 4 * MIN)]),
    ]);
  });

  it('a target’s own bracket overrides the strategy’s; null sends none; an exit has none', () => {
    const own = { trailingStopTicks: 25 };
    const [withOwn] = run(bookAt(), [signal(1, T0, { bracket: own })], { bracketOf: () => bracket }) as PlaceCommand[];
    expect(withOwn.children).toEqual([
      { ...child(id(T0, 1), 'sl', 'SELL', 100_000, 0), id: `${id(T0, 1)}.trail`, type: 'TRAILING', stopPrice: 149.975, trail: { ticks: 25 }, reason: 'trailingStop' },
    ]);
    expect((run(bookAt(), [signal(1, T0, { bracket: null })], { bracketOf: () => bracket })[0] as PlaceCommand).children).toEqual([]);
    expect((run(bookAt(100_000), [signal(0)], { bracketOf: () => bracket })[0] as PlaceCommand).children).toEqual([]);
    expect(() => run(bookAt(), [signal(1, T0, { bracket: { stopLossTicks: 10, stopLossPrice: 149 } })])).toThrow(/bracket of .*: one stop per bracket: stopLossTicks and stopLossPrice given/);
  });
});

describe('ordersFromDecisions: order intents', () => {
  const intent = (fields: Partial<PlaceOrderIntent> & Pick<PlaceOrderIntent, 'clientId' | 'type' | 'side'>): Decision => ({
    kind: 'place',
    ts: T0,
    contracts: 1,
    strategyId: 's',
    symbol: 'USDJPY',
    ...fields,
  });

  it('places explicit orders under the strategy’s client id, with their reason, time in force and group', () => {
    const book = bookAt();
    const commands = run(book, [
      intent({ clientId: 'breakout', side: 'BUY', type: 'STOP', stopPrice: 150.2, oco: 'range' }),
      intent({ clientId: 'fade', side: 'SELL', type: 'LIMIT', limitPrice: 150.3, oco: 'range', tif: { type: 'DAY', end: '17:00', zone: 'America/New_York' } }),
    ]) as PlaceCommand[];
    expect(commands.map((c) => c.order)).toEqual([
      { id: id(T0, 1), strategyId: 's', symbol: 'USDJPY', ts: T0, side: 'BUY', qty: 100_000, type: 'STOP', stopPrice: 150.2, reason: 'stopEntry', ocaGroup: `${id(T0, 1)}.oco` },
      {
        id: id(T0, 2),
        strategyId: 's',
        symbol: 'USDJPY',
        ts: T0,
        side: 'SELL',
        qty: 100_000,
        type: 'LIMIT',
        limitPrice: 150.3,
        tif: { type: 'DAY', end: '17:00', zone: 'America/New_York' },
        expiresAt: Date.parse('2024-03-05T22:00:00Z'),
        reason: 'limit',
        ocaGroup: `${id(T0, 1)}.oco`,
      },
    ]);
  });

  it('cancels and modifies by client id, and the latest bracket’s children by stopLoss / takeProfit', () => {
    const book = bookAt();
    const later = T0 + MIN;
    const commands = run(
      book,
      [
        intent({ clientId: 'dip', side: 'BUY', type: 'LIMIT', limitPrice: 149.5 }),
        // The dip's working order counts: one more contract to reach 2.
        signal(2),
        { kind: 'modify', ts: later, clientId: 'dip', limitPrice: 149.6, strategyId: 's', symbol: 'USDJPY' },
        { kind: 'modify', ts: later, clientId: 'stopLoss', stopPrice: 150, strategyId: 's', symbol: 'USDJPY' },
        { kind: 'cancel', ts: later, clientId: 'dip', strategyId: 's', symbol: 'USDJPY' },
        { kind: 'cancel', ts: later, clientId: 'nothing', strategyId: 's', symbol: 'USDJPY' },
      ],
      { bracketOf: () => ({ stopLossTicks: 300 }) },
    );
    expect(commands.slice(2)).toEqual([
      { kind: 'modify', order: expect.objectContaining({ id: id(T0, 1), limitPrice: 149.6 }) },
      { kind: 'modify', order: expect.objectContaining({ id: `${id(T0, 2)}.sl`, stopPrice: 150 }) },
      { kind: 'cancel', orderId: id(T0, 1), strategyId: 's', symbol: 'USDJPY', ts: later, reason: 'REQUESTED' },
    ]);
  });

  it('starts a trailing stop without a stop price from the last close; protective intents are protective', () => {
    const [trail] = run(bookAt(100_000), [intent({ clientId: 'trail', side: 'SELL', type: 'TRAILING', trail: { ticks: 40 }, protective: true })]) as PlaceCommand[];
    expect(trail.order).toMatchObject({ type: 'TRAILING', stopPrice: 149.96, trail: { ticks: 40 }, reason: 'trailingStop' });
    expect(trail.children).toEqual([]);
  });

  it('refuses a malformed intent, naming the strategy and the client id', () => {
    expect(() => run(bookAt(), [intent({ clientId: 'x', side: 'BUY', type: 'LIMIT' })])).toThrow('strategy "s" (USDJPY): place "x": a LIMIT order needs limitPrice > 0');
    expect(() => run(bookAt(), [intent({ clientId: 'x', side: 'SELL', type: 'MARKET', protective: true })])).toThrow(/a protective order is a LIMIT, STOP, STOP_LIMIT or TRAILING order/);
    expect(() => run(bookAt(), [intent({ clientId: 'x', side: 'BUY', type: 'LIMIT', limitPrice: 149, contracts: 0 })])).toThrow(/contracts must be a finite number > 0/);
    const twice = intent({ clientId: 'x', side: 'BUY', type: 'LIMIT', limitPrice: 149 });
    expect(() => run(bookAt(), [twice, twice])).toThrow('strategy "s" (USDJPY): clientId "x" already names a working order');
  });
});

const contractBook = () => bookAt();
describeOperatorContract<Decision | Fill, OrderCommand>('ordersFromDecisions', {
  operator: () => ordersFromDecisions(contractBook(), contracts),
  input: 'abc',
  values: { a: signal(1, T0), b: signal(-1, T0 + MIN), c: signal(2, T0 + 2 * MIN) },
  expected: 'ABC',
  outputs: {
    A: place(market(id(T0, 1), 'BUY', 100_000)),
    B: place(market(id(T0 + MIN, 1), 'SELL', 100_000, T0 + MIN)),
    C: place(market(id(T0 + 2 * MIN, 1), 'BUY', 200_000, T0 + 2 * MIN)),
  },
});
