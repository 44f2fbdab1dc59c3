import { describe, expect, it } from '@jest/globals';
import { tap } from 'rxjs';
import { loadContracts } from '../src/core/contracts';
import type { Bar, ExecutionEvent, Fill, Order, OrderEvent } from '../src/core/types';
import { createBook } from '../src/portfolio/book';
import type { PortfolioUpdate } from '../src/portfolio/types';
import { makeBar, marbles } from '../test/support/marbles';
import { markToMarket } from './markToMarket';
import { describeOperatorContract } from '../test/support/operatorContract';

const contracts = loadContracts();
const T0 = Date.parse('2024-03-05T00:00:00Z');
const MIN = 60_000;

const o: Order = { id: 's-1', strategyId: 's', symbol: 'USDJPY', ts: T0 + MIN, side: 'BUY', qty: 100_000, type: 'MARKET' };
const accepted: OrderEvent = { kind: 'order', status: 'Accepted', order: o, ts: o.ts };
const fillAt = (side: Fill['side'], price: number, minute: number, execId: string, commission = 0): Fill => ({
  kind: 'fill',
  execId,
  orderId: execId,
  strategyId: 's',
  symbol: 'USDJPY',
  ts: T0 + minute * MIN,
  side,
  qty: 100_000,
  price,
  commission,
});

describe('markToMarket', () => {
  it('applies order events and fills, marks each bar, and reports each after applying it', () => {
    const book = createBook({ contracts, accountCurrency: 'JPY', initialCash: 1_000_000 });
    const b0 = makeBar({ ts: T0, close: 150 });
    const b1 = makeBar({ ts: T0 + MIN, open: 150, close: 152 });
    const b2 = makeBar({ ts: T0 + 2 * MIN, open: 151, close: 151 });
    const buy = fillAt('BUY', 150, 1, 'e1');
    const sell = fillAt('SELL', 151, 2, 'e2');
    const workingSeen: number[] = [];
    marbles(({ cold, expectObservable }) => {
      const input = cold<Bar | ExecutionEvent>('aAfbg---c|', { a: b0, A: accepted, f: buy, b: b1, g: sell, c: b2 });
      const output = input.pipe(
        markToMarket(book),
        tap((u) => {
          if (u.kind === 'order') workingSeen.push(book.working('s', 'USDJPY'));
        }),
      );
      expectObservable(output).toBe('aAfb(gt)c|', {
        a: { kind: 'mark', bar: b0, equity: 1_000_000 },
        A: accepted,
        f: buy,
        b: { kind: 'mark', bar: b1, equity: 1_200_000 },
        g: sell,
        t: {
          kind: 'trade',
          trade: {
            strategyId: 's',
            symbol: 'USDJPY',
            side: 'LONG',
            qty: 100_000,
            entryTs: buy.ts,
            exitTs: sell.ts,
            entryPrice: 150,
            exitPrice: 151,
            pnl: 100_000,
            pnlNet: 100_000,
            pnlNetAccount: 100_000,
          },
        },
        c: { kind: 'mark', bar: b2, equity: 1_100_000 },
      });
    });
    expect(workingSeen).toEqual([100_000]);
  });

  it('does not apply or pass on a fill twice (same execId) with a deduplicating book', () => {
    const book = createBook({ contracts, accountCurrency: 'JPY', initialCash: 0, dedupe: true });
    const buy = fillAt('BUY', 150, 1, 'e1');
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold<ExecutionEvent>('ff|', { f: buy }).pipe(markToMarket(book))).toBe('f-|', { f: buy });
    });
    expect(book.position('s', 'USDJPY')).toBe(100_000);
  });

  it('errors when the book cannot value something (a cross without its rate)', () => {
    const book = createBook({ contracts, accountCurrency: 'USD', initialCash: 0 });
    const cross: Fill = { ...fillAt('BUY', 160, 1, 'x', 1_000), symbol: 'EURJPY' };
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold<ExecutionEvent>('-f-|', { f: cross }).pipe(markToMarket(book))).toBe(
        '-#',
        undefined,
        expect.objectContaining({ message: expect.stringMatching(/no USDJPY price seen yet/) }),
      );
    });
  });
});

describeOperatorContract<Bar | ExecutionEvent, PortfolioUpdate>('markToMarket', {
  operator: () => markToMarket(createBook({ contracts, accountCurrency: 'JPY', initialCash: 1_000_000 })),
  input: 'abc',
  values: { a: makeBar({ ts: T0, close: 150 }), b: accepted, c: fillAt('BUY', 150, 1, 'e1') },
  expected: 'ABC',
  outputs: { A: { kind: 'mark', bar: makeBar({ ts: T0, close: 150 }), equity: 1_000_000 }, B: accepted, C: fillAt('BUY', 150, 1, 'e1') },
});
