import type { OperatorFunction } from 'rxjs';
import { operate } from '../../../../operators/operate';
import type { QuoteTick } from '../../../core/types';

/** A TWS market-data tick of one subscription, already validated (see `messages.ts`). */
export type IbTick =
  | { readonly kind: 'price'; readonly tickType: number; readonly price: number }
  | { readonly kind: 'size'; readonly tickType: number; readonly size: number };

/** TWS tick types: live and delayed bid/ask prices and sizes. */
const BID = new Set([1, 66]);
const ASK = new Set([2, 67]);
const BID_SIZE = new Set([0, 69]);
const ASK_SIZE = new Set([3, 70]);

/**
 * Folds TWS's separate bid/ask price and size ticks of one instrument into QuoteTicks.
 *
 * A quote is emitted on each bid or ask price tick once both sides are known, stamped `now()` (TWS does not
 * time-stamp market-data ticks). Sizes ride along from the latest size ticks (TWS sends a price's size right
 * after it, so a quote's size may be one tick behind its price). A price of −1 or 0 (TWS's "no quote", e.g.
 * when the market closes) clears that side until it is quoted again. A crossed book (bid above ask, seen for a
 * moment when one side moves before the other) is held back rather than emitted.
 *
 * ```
 * ticks:  b--a--B--x--a--b--|    b = bid 150.000, a = ask 150.010, B = bid 150.005, x = bid −1 (no quote)
 * quotes: ---q--r--------s--|    q = 150.000/150.010, r = 150.005/150.010, s = 150.000/150.010
 * ```
 */
export function quoteTicks(symbol: string, now: () => number): OperatorFunction<IbTick, QuoteTick> {
  return operate((destination) => {
    let bid = NaN;
    let ask = NaN;
    let bidSize: number | undefined;
    let askSize: number | undefined;
    return {
      next(t) {
        if (t.kind === 'size') {
          if (BID_SIZE.has(t.tickType)) bidSize = t.size;
          else if (ASK_SIZE.has(t.tickType)) askSize = t.size;
          return;
        }
        const value = t.price > 0 ? t.price : NaN;
        if (BID.has(t.tickType)) bid = value;
        else if (ASK.has(t.tickType)) ask = value;
        else return;
        if (Number.isNaN(bid) || Number.isNaN(ask) || bid > ask) return;
        destination.next({
          kind: 'quote',
          symbol,
          ts: now(),
          bid,
          ask,
          ...(bidSize !== undefined ? { bidSize } : {}),
          ...(askSize !== undefined ? { askSize } : {}),
        });
      },
    };
  });
}
