import { describe, expect, it } from '@jest/globals';
import { tap } from 'rxjs';
import { loadContracts } from '../core/contracts';
import type { Order, Signal } from '../core/types';
import { marbles } from '../../test/support/marbles';
import { createBook } from './book';
import { ordersFromSignals } from './orders';
import { describeOperatorContract } from '../../test/support/operatorContract';

const contracts = loadContracts();

const signal = (target: number, ts = 1, strategyId = 's', symbol = 'USDJPY'): Signal => ({ strategyId, symbol, ts, target });
const order = (id: string, side: Order['side'], qty: number, ts = 1, strategyId = 's', symbol = 'USDJPY'): Order => ({
  id,
  strategyId,
  symbol,
  ts,
  side,
  qty,
  type: 'MARKET',
});

/** A book whose orders are accepted (working) as soon as they are emitted, and never filled. */
function acceptingBook() {
  const book = createBook({ contracts, accountCurrency: 'USD', initialCash: 0 });
  const accept = tap((o: Order) => book.applyOrderEvent({ kind: 'order', status: 'Accepted', order: o, ts: o.ts }));
  return { book, accept };
}

describe('ordersFromSignals', () => {
  it('orders target − position in units; a reversal is ONE order for twice the size', () => {
    const book = createBook({ contracts, accountCurrency: 'USD', initialCash: 0 });
    book.applyFill({
      kind: 'fill',
      execId: 'e1',
      orderId: 'old',
      strategyId: 's',
      symbol: 'USDJPY',
      ts: 0,
      side: 'BUY',
      qty: 100_000,
      price: 150,
      commission: 0,
    });
    marbles(({ cold, expectObservable }) => {
      const signals = cold('-a-b-|', { a: signal(-1, 5), b: signal(0.5, 6) });
      expectObservable(signals.pipe(ordersFromSignals(book, contracts))).toBe('-x-y-|', {
        x: order('s-1', 'SELL', 200_000, 5),
        // x is not applied to this book, so the position is still +1 contract: 0.5 − 1 → sell 50,000
        y: order('s-2', 'SELL', 50_000, 6),
      });
    });
  });

  it('counts orders in flight: a target re-sent while its order is working gives no new order', () => {
    const { book, accept } = acceptingBook();
    marbles(({ cold, expectObservable }) => {
      const signals = cold('a-a-b-a|', { a: signal(1), b: signal(-1) });
      expectObservable(signals.pipe(ordersFromSignals(book, contracts), accept)).toBe('x---y-z|', {
        x: order('s-1', 'BUY', 100_000),
        y: order('s-2', 'SELL', 200_000),
        z: order('s-3', 'BUY', 200_000),
      });
    });
  });

  it('numbers orders per strategy, deterministically per subscription', () => {
    const { book, accept } = acceptingBook();
    const run = () =>
      marbles(({ cold, expectObservable }) => {
        const signals = cold('abc|', { a: signal(1, 1, 'p'), b: signal(1, 1, 'q'), c: signal(2, 1, 'p', 'EURUSD') });
        expectObservable(signals.pipe(ordersFromSignals(book, contracts), accept)).toBe('xyz|', {
          x: order('p-1', 'BUY', 100_000, 1, 'p'),
          y: order('q-1', 'BUY', 100_000, 1, 'q'),
          z: order('p-2', 'BUY', 200_000, 1, 'p', 'EURUSD'),
        });
      });
    run();
    const fresh = acceptingBook();
    marbles(({ cold, expectObservable }) => {
      const signals = cold('a|', { a: signal(1, 1, 'p') });
      expectObservable(signals.pipe(ordersFromSignals(fresh.book, contracts))).toBe('x|', { x: order('p-1', 'BUY', 100_000, 1, 'p') });
    });
  });

  it('errors on an unknown symbol or a non-finite target, naming them', () => {
    const { book } = acceptingBook();
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: signal(1, 1, 's', 'XAUUSD') }).pipe(ordersFromSignals(book, contracts))).toBe(
        '#',
        undefined,
        expect.objectContaining({ message: expect.stringMatching(/unknown symbol "XAUUSD"/) }),
      );
      expectObservable(cold('a|', { a: signal(Number.NaN) }).pipe(ordersFromSignals(book, contracts))).toBe(
        '#',
        undefined,
        expect.objectContaining({ message: expect.stringMatching(/non-finite target/) }),
      );
    });
  });
});

describeOperatorContract<Signal, Order>('ordersFromSignals', {
  operator: () => ordersFromSignals({ position: () => 0, working: () => 0 }, contracts),
  input: 'abc',
  values: { a: signal(1), b: signal(0), c: signal(-2) },
  expected: 'A-C',
  outputs: { A: order('s-1', 'BUY', 100_000), C: order('s-2', 'SELL', 200_000) },
});
