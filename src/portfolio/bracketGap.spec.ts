import { describe, expect, it } from '@jest/globals';
import { filter, map, Subject } from 'rxjs';
import type { Broker } from '../broker/types';
import { loadContracts } from '../core/contracts';
import { orderIdOf } from '../core/orders';
import type { Bar, BracketSpec, CancelReason, ExecutionEvent, Order, TargetPosition } from '../core/types';
import { buildGraph, type GraphEvent } from '../runner/graph';
import { makeStrategy } from '../strategy/types';
import { makeBar } from '../testkit/marbles';
import { createBook } from './book';
import type { ProtectionAlert } from './orders';

/**
 * The order path against a broker whose exchange acts at once but whose acknowledgements come late, as a live
 * one's do: a cancel takes the order off the exchange when asked, its Cancelled comes when the test says so;
 * a modification of an order the exchange no longer has is lost (or, `answerGone`, answered with a rejection
 * as TWS answers with error 104). Fills come when the test says so. What protects the position is read from
 * the exchange itself, not from the book.
 */

const contracts = loadContracts();
const T0 = Date.parse('2024-03-05T00:00:00Z');
const MIN = 60_000;
const BRACKET: BracketSpec = { stopLossTicks: 300, takeProfitTicks: 500 };

type ExchangeState = 'held' | 'live' | 'gone' | 'filled';
interface ExchangeOrder {
  order: Order;
  state: ExchangeState;
}

function lateBroker(options: { answerGone?: boolean } = {}) {
  const events$ = new Subject<ExecutionEvent>();
  const exchange = new Map<string, ExchangeOrder>();
  /** Cancels done at the exchange whose Cancelled has not been sent yet. */
  const unacknowledged: Array<{ order: Order; reason: CancelReason }> = [];
  const lostModifications: string[] = [];
  const submitted = (order: Order): void => events$.next({ kind: 'order', status: 'Submitted', order, ts: order.ts });
  const broker: Broker = {
    name: 'late',
    events$: events$.asObservable(),
    place(order, children = []) {
      exchange.set(order.id, { order, state: 'live' });
      submitted(order);
      for (const child of children) {
        exchange.set(child.id, { order: child, state: 'held' });
        submitted(child);
      }
    },
    cancel(orderId, reason = 'REQUESTED') {
      const o = exchange.get(orderId);
      if (o === undefined || o.state === 'gone' || o.state === 'filled') return;
      o.state = 'gone';
      unacknowledged.push({ order: o.order, reason });
    },
    modify(order) {
      const o = exchange.get(order.id);
      if (o === undefined) return;
      if (o.state === 'gone' || o.state === 'filled') {
        lostModifications.push(order.id);
        if (options.answerGone === true) {
          events$.next({ kind: 'order', status: 'Rejected', order, ts: order.ts, reason: 'BROKER', message: 'TWS 104: Cannot modify a filled or cancelled order.' });
        }
        return;
      }
      o.order = order;
      submitted(order);
    },
  };
  return {
    broker,
    lostModifications,
    /** The exchange fills `orderId` in full at `price`; the children held with it start working. */
    fill(orderId: string, price: number, ts: number): void {
      const o = exchange.get(orderId);
      if (o === undefined || o.state !== 'live') throw new Error(`${orderId} is not live at the exchange`);
      o.state = 'filled';
      const { order } = o;
      for (const child of exchange.values()) if (child.order.parentId === orderId && child.state === 'held') child.state = 'live';
      events$.next({ kind: 'fill', execId: `${orderId}.x`, orderId, strategyId: order.strategyId, symbol: order.symbol, ts, side: order.side, qty: order.qty, price, commission: 0, reason: order.reason });
      events$.next({ kind: 'order', status: 'Filled', order, ts, filledQty: order.qty });
    },
    /** The exchange drops `orderId` by itself (its Cancelled comes with the next acknowledgements). */
    drop(orderId: string): void {
      const o = exchange.get(orderId);
      if (o === undefined) throw new Error(`no ${orderId}`);
      o.state = 'gone';
      unacknowledged.push({ order: o.order, reason: 'REQUESTED' });
    },
    /** The late acknowledgements of the cancels, now. */
    acknowledgeCancels(ts: number): void {
      for (const { order, reason } of unacknowledged.splice(0)) events$.next({ kind: 'order', status: 'Cancelled', order, ts, cancelReason: reason });
    },
    /** Orders the exchange works now (held children are not working yet). */
    live(): Order[] {
      return [...exchange.values()].filter((o) => o.state === 'live').map((o) => o.order);
    },
  };
}

/** A strategy that targets `targets[i]` contracts on the close of its i-th bar (none when undefined), with the bracket above. */
function scripted(targets: ReadonlyArray<number | undefined>) {
  return makeStrategy({
    id: 's',
    symbol: 'USDJPY',
    bracket: BRACKET,
    decide: (bars$) =>
      bars$.pipe(
        map((bar, i): TargetPosition | undefined => (targets[i] === undefined ? undefined : { ts: bar.ts + bar.intervalMs, target: targets[i] as number })),
        filter((t): t is TargetPosition => t !== undefined),
      ),
  });
}

/** The protective orders the exchange works, as `[id, side, type, price, qty]`. */
const protectionAt = (orders: readonly Order[]) =>
  orders.filter((o) => o.type !== 'MARKET').map((o) => [o.id, o.side, o.type, o.stopPrice ?? o.limitPrice, o.qty]);

function setup(targets: ReadonlyArray<number | undefined>, options: { answerGone?: boolean } = {}) {
  const bars$ = new Subject<Bar>();
  const book = createBook({ contracts, accountCurrency: 'JPY', initialCash: 10_000_000 });
  const late = lateBroker(options);
  const graph = buildGraph({ bars$, strategies: [scripted(targets)], broker: late.broker, book, contracts });
  const events: GraphEvent[] = [];
  let failure: unknown;
  graph.events$.subscribe({ next: (e) => events.push(e), error: (e: unknown) => (failure = e) });
  let bar = 0;
  return {
    book,
    late,
    /** The next minute bar, flat at `close`: the strategy decides on it. */
    sendBar(close: number): void {
      bars$.next(makeBar({ ts: T0 + MIN * bar++, open: close, close }));
      if (failure !== undefined) throw failure;
    },
    events,
    alerts: (): ProtectionAlert[] => events.filter((e): e is ProtectionAlert => e.kind === 'error'),
    /** The order decided on the close of minute bar `i`. */
    idOf: (i: number): string => orderIdOf('s', 'USDJPY', T0 + (i + 1) * MIN, 1),
    ts: (): number => T0 + MIN * bar,
  };
}

describe('protective orders through cancels in flight (late acknowledgements)', () => {
  it('a burst of reversals whose fills come late: every settled position has exactly its stop-loss and take-profit at replay\'s levels', () => {
    const t = setup([1, -1, 1]);
    const [a, b, c] = [t.idOf(0), t.idOf(1), t.idOf(2)];
    t.sendBar(150);
    t.late.fill(a, 150.05, t.ts());
    // Long 1: the children re-priced from the fill (∓ 300 / ± 500 ticks of 0.001).
    expect(protectionAt(t.late.live())).toEqual([
      [`${a}.sl`, 'SELL', 'STOP', 149.75, 100_000],
      [`${a}.tp`, 'SELL', 'LIMIT', 150.55, 100_000],
    ]);
    // The burst: a reversal to short, then back to long, before either fill or any cancel is acknowledged.
    t.sendBar(150.1);
    t.sendBar(150.2);
    expect(t.book.workingOrdersOf('s', 'USDJPY').map((w) => [w.order.id, w.order.side, w.order.qty])).toEqual(
      expect.arrayContaining([
        [b, 'SELL', 200_000],
        [c, 'BUY', 200_000],
      ]),
    );
    // B fills late: short 1. Its children were cancelled by C's target change (not yet acknowledged): new versions.
    t.late.fill(b, 150.0, t.ts());
    t.late.acknowledgeCancels(t.ts());
    expect(t.book.position('s', 'USDJPY')).toBe(-100_000);
    expect(protectionAt(t.late.live())).toEqual([
      [`${b}.sl.2`, 'BUY', 'STOP', 150.3, 100_000],
      [`${b}.tp.2`, 'BUY', 'LIMIT', 149.5, 100_000],
    ]);
    // C fills: long 1, protected by C's own children, started by the exchange and re-priced from C's fill.
    t.late.fill(c, 150.1, t.ts());
    t.late.acknowledgeCancels(t.ts());
    expect(t.book.position('s', 'USDJPY')).toBe(100_000);
    expect(protectionAt(t.late.live())).toEqual([
      [`${c}.sl`, 'SELL', 'STOP', 149.8, 100_000],
      [`${c}.tp`, 'SELL', 'LIMIT', 150.6, 100_000],
    ]);
    expect(t.late.lostModifications).toEqual([]);
    expect(t.alerts()).toEqual([]);
    // The book agrees with the exchange.
    expect(protectionAt(t.book.workingOrdersOf('s', 'USDJPY').map((w) => w.order))).toEqual(protectionAt(t.late.live()));
  });

  it('a fill while its own children are being cancelled: never modified, placed again as <parent>.sl.2 / .tp.2, gone once flat', () => {
    // Long 1 decided; before its fill comes, flat again: the exit cancels the entry's children (acknowledged late).
    const t = setup([1, 0]);
    const [a, exit] = [t.idOf(0), t.idOf(1)];
    t.sendBar(150);
    t.sendBar(150.1);
    t.late.fill(a, 150.0, t.ts());
    t.late.acknowledgeCancels(t.ts());
    expect(t.book.position('s', 'USDJPY')).toBe(100_000);
    expect(protectionAt(t.late.live())).toEqual([
      [`${a}.sl.2`, 'SELL', 'STOP', 149.7, 100_000],
      [`${a}.tp.2`, 'SELL', 'LIMIT', 150.5, 100_000],
    ]);
    // The exit fills: flat, and nothing left that could open exposure.
    t.late.fill(exit, 150.1, t.ts());
    t.late.acknowledgeCancels(t.ts());
    expect(t.book.position('s', 'USDJPY')).toBe(0);
    expect(t.late.live()).toEqual([]);
    expect(t.book.workingOrders()).toEqual([]);
    expect(t.late.lostModifications).toEqual([]);
    expect(t.alerts()).toEqual([]);
  });

  it('a modification the exchange answers "order gone" (TWS 104) places the child again instead of losing it', () => {
    const t = setup([1], { answerGone: true });
    const a = t.idOf(0);
    t.sendBar(150);
    // The exchange drops the take-profit by itself just before the entry's fill re-prices it.
    t.late.drop(`${a}.tp`);
    t.late.fill(a, 150.05, t.ts());
    expect(t.late.lostModifications).toEqual([`${a}.tp`]);
    t.late.acknowledgeCancels(t.ts());
    expect(protectionAt(t.late.live())).toEqual([
      [`${a}.sl`, 'SELL', 'STOP', 149.75, 100_000],
      [`${a}.tp.2`, 'SELL', 'LIMIT', 150.55, 100_000],
    ]);
    expect(t.alerts()).toEqual([]);
  });

  it('the watchdog: a settled position found without a leg of its bracket is an error event, once', () => {
    const t = setup([1]);
    const a = t.idOf(0);
    t.sendBar(150);
    t.late.fill(a, 150.05, t.ts());
    expect(t.alerts()).toEqual([]);
    // The exchange drops the stop-loss by itself (nothing this engine asked for, no modification in flight).
    t.late.drop(`${a}.sl`);
    t.late.acknowledgeCancels(t.ts());
    const why = `strategy "s" (USDJPY): position 100000 is not protected as the bracket of ${a} says:`;
    expect(t.alerts()).toEqual([{ kind: 'error', ts: t.ts(), strategyId: 's', symbol: 'USDJPY', position: 100_000, message: `${why} no working stop-loss` }]);
    // The next finding is a new alert; the same one is not repeated.
    t.late.drop(`${a}.tp`);
    t.late.acknowledgeCancels(t.ts());
    expect(t.alerts().map((alert) => alert.message)).toEqual([`${why} no working stop-loss`, `${why} no working stop-loss; no working take-profit`]);
  });
});
