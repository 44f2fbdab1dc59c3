import { from, lastValueFrom, toArray, type Observable } from 'rxjs';
import { DataError } from '../src/core/errors';
import { MINUTE_MS } from '../src/core/time';
import type { Bar, QuoteTick, Tick, TradeTick } from '../src/core/types';
import { marbles } from '../src/testkit/marbles';
import { barBuilder } from './barBuilder';
import { fxInvert, swapCurrencies } from './fxInvert';
import { describeOperatorContract } from '../test/support/operatorContract';

const T0 = Date.UTC(2024, 0, 5, 10, 0, 0);

const usdjpyBar: Bar = { kind: 'bar', symbol: 'USDJPY', ts: T0, intervalMs: MINUTE_MS, open: 150, high: 152, low: 148, close: 151, volume: 42 };
const usdjpyQuote: QuoteTick = { kind: 'quote', symbol: 'USDJPY', ts: T0 + 1, bid: 150, ask: 150.02, bidSize: 1e6, askSize: 3e6 };

/** A deterministic spread of prices from 0.001 to 1000 (LCG; no Math.random in tests). */
function prices(n: number): number[] {
  const out: number[] = [];
  let seed = 7;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out.push(10 ** ((seed / 0x100000000) * 6 - 3));
  }
  return out;
}

describe('fxInvert', () => {
  it('inverts bars (high ↔ low) and quotes (bid = 1/ask, ask = 1/bid, sizes follow) — its doc diagram', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold<Bar | Tick>('-a---b---|', { a: usdjpyBar, b: usdjpyQuote });
      expectObservable(source.pipe(fxInvert())).toBe('-A---B---|', {
        A: { kind: 'bar', symbol: 'JPYUSD', ts: T0, intervalMs: MINUTE_MS, open: 1 / 150, high: 1 / 148, low: 1 / 152, close: 1 / 151, volume: 42 },
        B: { kind: 'quote', symbol: 'JPYUSD', ts: T0 + 1, bid: 1 / 150.02, ask: 1 / 150, bidSize: 3e6, askSize: 1e6 },
      });
    });
  });

  it('inverts trades and quotes without sizes, keeping sizes and ts', () => {
    marbles(({ cold, expectObservable }) => {
      const trade: TradeTick = { kind: 'trade', symbol: 'EURUSD', ts: T0, price: 1.25, size: 5 };
      const bare: QuoteTick = { kind: 'quote', symbol: 'EURUSD', ts: T0 + 5, bid: 1.25, ask: 1.28 };
      expectObservable(cold<Tick>('ab|', { a: trade, b: bare }).pipe(fxInvert())).toBe('ab|', {
        a: { kind: 'trade', symbol: 'USDEUR', ts: T0, price: 0.8, size: 5 },
        b: { kind: 'quote', symbol: 'USDEUR', ts: T0 + 5, bid: 1 / 1.28, ask: 0.8 },
      });
    });
  });

  it('gives the input back when applied twice, and keeps low ≤ open, close ≤ high and bid ≤ ask', async () => {
    const ps = prices(1200);
    const bars: Bar[] = [];
    const quotes: QuoteTick[] = [];
    for (let i = 0; i + 3 < ps.length; i += 4) {
      const [a, b, c, d] = ps.slice(i, i + 4).sort((x, y) => x - y);
      bars.push({ kind: 'bar', symbol: 'GBPUSD', ts: T0 + i * MINUTE_MS, intervalMs: MINUTE_MS, open: b, high: d, low: a, close: c, volume: i });
      quotes.push({ kind: 'quote', symbol: 'AUD/USD', ts: T0 + i, bid: a, ask: d, bidSize: i, askSize: i + 1 });
    }
    const once = await lastValueFrom(from(bars).pipe(fxInvert(), toArray()));
    const twice = await lastValueFrom(from(once).pipe(fxInvert(), toArray()));
    expect(twice).toHaveLength(bars.length);
    bars.forEach((original, i) => {
      const inverted = once[i];
      expect(inverted.low).toBeLessThanOrEqual(Math.min(inverted.open, inverted.close));
      expect(inverted.high).toBeGreaterThanOrEqual(Math.max(inverted.open, inverted.close));
      const back = twice[i];
      expect(back.symbol).toBe('GBPUSD');
      expect(back.ts).toBe(original.ts);
      expect(back.volume).toBe(original.volume);
      for (const field of ['open', 'high', 'low', 'close'] as const) {
        expect(back[field]).toBeCloseTo(original[field], 10);
      }
    });
    const quotesOnce = await lastValueFrom(from(quotes).pipe(fxInvert(), toArray()));
    for (const q of quotesOnce) expect(q.bid).toBeLessThanOrEqual(q.ask);
    const quotesTwice = await lastValueFrom(from(quotesOnce).pipe(fxInvert(), toArray()));
    quotesTwice.forEach((back, i) => {
      expect(back.symbol).toBe('AUD/USD');
      expect(back.bid).toBeCloseTo(quotes[i].bid, 10);
      expect(back.ask).toBeCloseTo(quotes[i].ask, 10);
      expect(back.bidSize).toBe(quotes[i].bidSize);
      expect(back.askSize).toBe(quotes[i].askSize);
    });
  });

  it('commutes with barBuilder on trades: invert-then-aggregate equals aggregate-then-invert', async () => {
    const ps = prices(600).map((p) => 100 + p / 10);
    const trades: TradeTick[] = ps.map((price, i) => ({ kind: 'trade', symbol: 'USDJPY', ts: T0 + i * 997, price, size: 1 + (i % 3) }));
    const invertedFirst = await lastValueFrom(from(trades).pipe(fxInvert<TradeTick>(), barBuilder(MINUTE_MS), toArray()));
    const aggregatedFirst = await lastValueFrom(from(trades).pipe(barBuilder(MINUTE_MS), fxInvert(), toArray()));
    expect(invertedFirst.length).toBeGreaterThan(5);
    expect(invertedFirst).toHaveLength(aggregatedFirst.length);
    invertedFirst.forEach((bar, i) => {
      const other = aggregatedFirst[i];
      expect(bar.symbol).toBe(other.symbol);
      expect(bar.ts).toBe(other.ts);
      expect(bar.volume).toBe(other.volume);
      for (const field of ['open', 'high', 'low', 'close'] as const) expect(bar[field]).toBeCloseTo(other[field], 14);
    });
  });

  it('keeps the element type of the stream', () => {
    marbles(({ cold, expectObservable }) => {
      const bars$: Observable<Bar> = cold('a|', { a: usdjpyBar });
      const inverted$: Observable<Bar> = bars$.pipe(fxInvert());
      expectObservable(inverted$).toBe('a|', { a: { ...usdjpyBar, symbol: 'JPYUSD', open: 1 / 150, high: 1 / 148, low: 1 / 152, close: 1 / 151 } });
    });
  });
});

describe('fxInvert: symbols', () => {
  it('swaps the currencies of FX pairs, keeping a separator', () => {
    expect(swapCurrencies('USDJPY')).toBe('JPYUSD');
    expect(swapCurrencies('EUR/USD')).toBe('USD/EUR');
    expect(swapCurrencies('EUR.USD')).toBe('USD.EUR');
    expect(swapCurrencies('GBP_JPY')).toBe('JPY_GBP');
  });

  it('uses options.rename for other symbols', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('a|', { a: { ...usdjpyBar, symbol: 'USD.JPY-IDEALPRO' } });
      const rename = (symbol: string): string => `inv:${symbol}`;
      expectObservable(source.pipe(fxInvert({ rename }))).toBe('a|', {
        a: { ...usdjpyBar, symbol: 'inv:USD.JPY-IDEALPRO', open: 1 / 150, high: 1 / 148, low: 1 / 152, close: 1 / 151 },
      });
    });
  });

  it('fails with a DataError naming a symbol it cannot rename, and unsubscribes the source', () => {
    marbles(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot<Bar>('-a-b-c', { a: usdjpyBar, b: { ...usdjpyBar, symbol: 'ES' }, c: usdjpyBar });
      const error = new DataError(
        'fxInvert renames only FX pairs of two three-letter currency codes (USDJPY, EUR/USD); pass options.rename for other symbols',
        { field: 'symbol' },
        'got "ES"',
      );
      expectObservable(source.pipe(fxInvert())).toBe('-a-#', { a: { ...usdjpyBar, symbol: 'JPYUSD', open: 1 / 150, high: 1 / 148, low: 1 / 152, close: 1 / 151 } }, error);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(() => swapCurrencies('usdjpy')).toThrow('field "symbol": fxInvert renames only FX pairs');
  });

  it('passes errors on and tears down on unsubscribe', () => {
    marbles(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const inverted = { ...usdjpyBar, symbol: 'JPYUSD', open: 1 / 150, high: 1 / 148, low: 1 / 152, close: 1 / 151 };
      const broken = cold<Bar>('a#', { a: usdjpyBar }, new Error('feed broke'));
      expectObservable(broken.pipe(fxInvert())).toBe('a#', { a: inverted }, new Error('feed broke'));
      const source = hot<Bar>('-a-a-a-a', { a: usdjpyBar });
      expectObservable(source.pipe(fxInvert()), '^----!').toBe('-a-a-', { a: inverted });
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });
});

const eurusdTrade: TradeTick = { kind: 'trade', symbol: 'EURUSD', ts: T0, price: 1.25, size: 5 };
describeOperatorContract<Bar | Tick, Bar | Tick>('fxInvert', {
  operator: () => fxInvert(),
  input: 'abc',
  values: { a: usdjpyBar, b: usdjpyQuote, c: eurusdTrade },
  expected: 'ABC',
  outputs: {
    A: { kind: 'bar', symbol: 'JPYUSD', ts: T0, intervalMs: MINUTE_MS, open: 1 / 150, high: 1 / 148, low: 1 / 152, close: 1 / 151, volume: 42 },
    B: { kind: 'quote', symbol: 'JPYUSD', ts: T0 + 1, bid: 1 / 150.02, ask: 1 / 150, bidSize: 3e6, askSize: 1e6 },
    C: { kind: 'trade', symbol: 'USDEUR', ts: T0, price: 1 / 1.25, size: 5 },
  },
});
