import type { OperatorFunction } from 'rxjs';
import type { Bar, ExecutionEvent } from '../src/core/types';
import type { Book } from '../src/portfolio/book';
import type { PortfolioUpdate } from '../src/portfolio/types';
import { operate } from './operate';

/**
 * The one writer of the book: applies order events and fills, marks on bars, and reports each change in
 * order, after applying it (so whoever handles an update and queries the book sees that update).
 * - a bar → `{ kind: 'mark', bar, equity }`: the bar's close is the symbol's mark; `equity` is the account's
 *   at that close, in the account currency (one small object per bar; per-strategy figures are queries on the
 *   book);
 * - an order event → the same event, once the book has updated its working orders;
 * - a fill → the same fill, once positions and PnL include it, then `{ kind: 'trade', trade }` if it closed a
 *   round trip. A fill the book refuses as a duplicate (a book created with `dedupe`) is not passed on.
 *
 * ```
 * input:  --b--o--f-----b--|     b: bar   o: order event   f: fill closing a trade
 * output: --m--o--(ft)--m--|    m: mark  t: the trade f closed
 * ```
 *
 * A book error (an unknown symbol, a conversion rate not seen yet) errors the stream.
 */
export function markToMarket(book: Book): OperatorFunction<Bar | ExecutionEvent, PortfolioUpdate> {
  return operate((destination) => ({
    next(input) {
      switch (input.kind) {
        case 'bar':
          destination.next({ kind: 'mark', bar: input, equity: book.mark(input) });
          return;
        case 'fill': {
          const result = book.applyFill(input);
          if (!result.applied) return;
          destination.next(input);
          if (result.closedTrade !== undefined) destination.next({ kind: 'trade', trade: result.closedTrade });
          return;
        }
        case 'order':
          book.applyOrderEvent(input);
          destination.next(input);
          return;
      }
    },
  }));
}
