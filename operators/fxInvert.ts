import type { OperatorFunction } from 'rxjs';
import { DataError } from '../src/core/errors';
import type { Bar, QuoteTick, Tick, TradeTick } from '../src/core/types';
import { operate } from './operate';

export interface FxInvertOptions {
  /** New symbol for an old one. Default: swap the currencies of a BASE+QUOTE pair (USDJPY → JPYUSD). */
  readonly rename?: (symbol: string) => string;
}

/** BASEQUOTE, BASE/QUOTE, BASE.QUOTE or BASE_QUOTE with three-letter ISO codes. */
const FX_PAIR = /^([A-Z]{3})([/._]?)([A-Z]{3})$/;

/**
 * Turns a BASE/QUOTE instrument into QUOTE/BASE (USDJPY at 150 → JPYUSD at 0.00667): every price p
 * becomes 1/p.
 *
 * - Bar: open and close inverted; high = 1/low and low = 1/high (inversion reverses order).
 * - Quote: new bid = 1/ask, new ask = 1/bid, and the sizes follow their prices (bidSize ↔ askSize).
 * - Trade: price 1/p.
 * - Symbol: renamed by `options.rename`, or for an FX pair by swapping its currencies (separator kept);
 *   any other symbol without `rename` is a `DataError` naming it.
 * - Volume and sizes are left as they are, still counted in the old base currency (or in quotes, for tick
 *   volume): converting needs the price of each trade inside a bar, which a bar no longer has. Keeping them
 *   makes inverting twice exact for them and lets barBuilder and fxInvert be applied in either order.
 *
 * Applying it twice gives the input back to floating-point rounding. The output carries the fields of
 * `Bar`/`Tick` only: fxInvert cannot know how to invert fields a subtype adds.
 *
 * ```
 * source:  -a---b---|     a = USDJPY bar o 150 h 152 l 148 c 151, b = USDJPY quote bid 150 ask 150.02
 * result:  -A---B---|     A = JPYUSD bar o 1/150 h 1/148 l 1/152 c 1/151, B = JPYUSD quote bid 1/150.02 ask 1/150
 * ```
 */
export function fxInvert<T extends Bar | Tick>(options: FxInvertOptions = {}): OperatorFunction<T, T> {
  const rename = options.rename ?? swapCurrencies;
  return operate((destination) => {
    // One rename per symbol, not per event; the last symbol is kept aside for single-symbol streams.
    const renamed = new Map<string, string>();
    let lastFrom = '';
    let lastTo = '';
    return {
      next(event) {
        const symbol = event.symbol;
        if (symbol !== lastFrom || lastTo === '') {
          let to = renamed.get(symbol);
          if (to === undefined) {
            to = rename(symbol);
            renamed.set(symbol, to);
          }
          lastFrom = symbol;
          lastTo = to;
        }
        destination.next(invertEvent(event, lastTo) as T);
      },
    };
  });
}

/** Swaps the two currencies of an FX pair symbol: USDJPY → JPYUSD, EUR/USD → USD/EUR. */
export function swapCurrencies(symbol: string): string {
  const m = FX_PAIR.exec(symbol);
  if (m === null) {
    throw new DataError(
      'fxInvert renames only FX pairs of two three-letter currency codes (USDJPY, EUR/USD); pass options.rename for other symbols',
      { field: 'symbol' },
      `got "${symbol}"`,
    );
  }
  return `${m[3]}${m[2]}${m[1]}`;
}

/** One bar, quote or trade inverted, under its new symbol. */
export function invertEvent(event: Bar | Tick, symbol: string): Bar | Tick {
  switch (event.kind) {
    case 'bar':
      return invertBar(event, symbol);
    case 'quote':
      return invertQuote(event, symbol);
    case 'trade':
      return invertTrade(event, symbol);
  }
}

function invertBar(bar: Bar, symbol: string): Bar {
  return {
    kind: 'bar',
    symbol,
    ts: bar.ts,
    intervalMs: bar.intervalMs,
    open: 1 / bar.open,
    high: 1 / bar.low,
    low: 1 / bar.high,
    close: 1 / bar.close,
    volume: bar.volume,
  };
}

function invertQuote(quote: QuoteTick, symbol: string): QuoteTick {
  if (quote.bidSize === undefined && quote.askSize === undefined) {
    return { kind: 'quote', symbol, ts: quote.ts, bid: 1 / quote.ask, ask: 1 / quote.bid };
  }
  return {
    kind: 'quote',
    symbol,
    ts: quote.ts,
    bid: 1 / quote.ask,
    ask: 1 / quote.bid,
    bidSize: quote.askSize,
    askSize: quote.bidSize,
  };
}

function invertTrade(trade: TradeTick, symbol: string): TradeTick {
  return { kind: 'trade', symbol, ts: trade.ts, price: 1 / trade.price, size: trade.size };
}
