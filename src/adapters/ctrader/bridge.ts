import type { EventEmitter } from 'node:events';
import { Observable, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { Bar, QuoteTick, Tick } from '../../core/types';
import { barBuilder, type BarBuilderOptions } from '../../../operators/barBuilder';
import { zodDataError } from './zodDataError';

/**
 * cTrader quote streaming: bridge ANY quote source into the graph's ticks and, through `barBuilder`,
 * its bars. A source is one of
 *
 * - an async iterable of quotes (an async generator, a Node stream in object mode, …);
 * - a callback-registering function `(onQuote, onError?, onComplete?) => unregister`;
 * - a Node `EventEmitter` with the event name that carries quotes (`{ emitter, event }`).
 *
 * A quote is `{ bid, ask, ts?, bidSize?, askSize? }` in price units (not cTrader's 1/100000 integers: the Open API
 * client scales those itself). `ts` is UTC epoch ms; a quote without one is stamped with the receive time.
 *
 * ```
 * source:            --q1----q2------q3--|
 * ctraderQuotes(s):  --t1----t2------t3--|     tN = { kind: 'quote', symbol, ts, bid, ask }
 * bad quote:         --q1----{bid:-1}
 * ctraderQuotes(s):  --t1----#                 DataError "… row 2, field "bid": …"
 * ```
 *
 * Cold: nothing is read, and no listener is registered, until subscription; each subscriber reads the source
 * anew (share it on purpose). Unsubscribing removes the listeners, calls the unregister function, or returns the
 * iterator. Every quote is validated with zod: this is a boundary, and a live feed's rate (tens to hundreds of
 * quotes a second) leaves room for the ~0.3 µs a parse costs.
 */

export interface RawQuote {
  readonly bid: number;
  readonly ask: number;
  readonly ts?: number;
  readonly bidSize?: number;
  readonly askSize?: number;
}

/** Registers the handlers with some feed and returns how to unregister them. */
export type QuoteCallbackSource = (
  onQuote: (quote: unknown) => void,
  onError?: (error: unknown) => void,
  onComplete?: () => void,
) => (() => void) | void;

export interface EmitterQuoteSource {
  readonly emitter: EventEmitter;
  /** The event whose first argument is a quote. */
  readonly event: string;
  /** An event that fails the stream with its first argument; default `'error'`, `null` for none. */
  readonly errorEvent?: string | null;
  /** An event that completes the stream; default `'end'`, `null` for none. */
  readonly endEvent?: string | null;
}

export type QuoteSource = AsyncIterable<unknown> | QuoteCallbackSource | EmitterQuoteSource;

export interface CtraderQuotesOptions {
  readonly symbol: string;
  /** Receive-time clock for quotes without `ts`; default `Date.now`. */
  readonly now?: () => number;
}

export interface CtraderBarsOptions extends CtraderQuotesOptions {
  readonly intervalMs: number;
  /** The live watermark clock `barBuilder` closes quiet buckets with (`watermarkClock` in src/core/clocks.ts). */
  readonly clock$?: Observable<number>;
  /** Any other `barBuilder` option (late-event policy, quote volume, daily session). */
  readonly barBuilder?: BarBuilderOptions;
}

const finitePositive = z.number().finite().positive('must be a finite number > 0');
const size = z.number().finite().nonnegative('must be a finite number ≥ 0').optional();

export const rawQuoteSchema = z
  .object({
    bid: finitePositive,
    ask: finitePositive,
    ts: z.number().int('must be an integer (UTC epoch ms)').nonnegative('must be UTC epoch ms ≥ 0').optional(),
    bidSize: size,
    askSize: size,
  })
  .refine((q) => q.bid <= q.ask, { message: 'bid must not exceed ask', path: ['bid'] });

/** Quotes from any source as validated `QuoteTick`s of `symbol`. */
export function ctraderQuotes(source: QuoteSource, options: CtraderQuotesOptions): Observable<QuoteTick> {
  const { symbol } = options;
  if (symbol.length === 0) throw new RangeError('ctraderQuotes: options.symbol must be a non-empty symbol such as "USDJPY"');
  const now = options.now ?? Date.now;
  const label = `cTrader quotes ${symbol}`;

  return new Observable<QuoteTick>((subscriber) => {
    let row = 0;
    /** Validates and forwards one quote; false once the stream has failed. */
    const push = (input: unknown): boolean => {
      row++;
      const parsed = rawQuoteSchema.safeParse(input);
      if (!parsed.success) {
        subscriber.error(zodDataError(parsed.error, { file: label, row }, input));
        return false;
      }
      const q = parsed.data;
      const tick: QuoteTick = {
        kind: 'quote',
        symbol,
        ts: q.ts ?? now(),
        bid: q.bid,
        ask: q.ask,
        ...(q.bidSize !== undefined ? { bidSize: q.bidSize } : {}),
        ...(q.askSize !== undefined ? { askSize: q.askSize } : {}),
      };
      subscriber.next(tick);
      return !subscriber.closed;
    };

    if (typeof source === 'function') return fromCallback(source, push, subscriber);
    if (isAsyncIterable(source)) return fromAsyncIterable(source, push, subscriber);
    if (isEmitterSource(source)) return fromEmitter(source, push, subscriber);
    subscriber.error(
      new TypeError(`${label}: the source must be an async iterable, a callback-registering function or { emitter, event }`),
    );
    return undefined;
  });
}

/** Quotes → `barBuilder(intervalMs)` bars of `symbol`. */
export function ctraderBars(source: QuoteSource, options: CtraderBarsOptions): Observable<Bar> {
  const barOptions: BarBuilderOptions = { ...options.barBuilder, ...(options.clock$ !== undefined ? { clock$: options.clock$ } : {}) };
  const toBars: OperatorFunction<Tick | Bar, Bar> = barBuilder(options.intervalMs, barOptions);
  return ctraderQuotes(source, options).pipe(toBars);
}

interface Sink {
  error(error: unknown): void;
  complete(): void;
  readonly closed: boolean;
}

function fromCallback(source: QuoteCallbackSource, push: (q: unknown) => boolean, sink: Sink): () => void {
  let unregister: (() => void) | void = undefined;
  let released = false;
  const release = (): void => {
    released = true;
    const registered = unregister;
    unregister = undefined;
    if (typeof registered === 'function') registered();
  };
  unregister = source(
    (quote) => {
      if (!sink.closed && !push(quote)) release();
    },
    (error) => sink.error(error),
    () => sink.complete(),
  );
  // The source may have delivered a bad quote, failed or completed while still registering.
  if (released || sink.closed) release();
  return release;
}

function fromEmitter(source: EmitterQuoteSource, push: (q: unknown) => boolean, sink: Sink): () => void {
  const { emitter, event } = source;
  const errorEvent = source.errorEvent === undefined ? 'error' : source.errorEvent;
  const endEvent = source.endEvent === undefined ? 'end' : source.endEvent;
  const onQuote = (quote: unknown): void => {
    push(quote);
  };
  const onError = (error: unknown): void => sink.error(error);
  const onEnd = (): void => sink.complete();
  emitter.on(event, onQuote);
  if (errorEvent !== null) emitter.on(errorEvent, onError);
  if (endEvent !== null) emitter.on(endEvent, onEnd);
  return () => {
    emitter.off(event, onQuote);
    if (errorEvent !== null) emitter.off(errorEvent, onError);
    if (endEvent !== null) emitter.off(endEvent, onEnd);
  };
}

function fromAsyncIterable(source: AsyncIterable<unknown>, push: (q: unknown) => boolean, sink: Sink): () => void {
  const iterator = source[Symbol.asyncIterator]();
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    // Not awaited: a generator parked on an `await` finishes its return when that await settles.
    const returned = iterator.return?.();
    if (returned) returned.catch(() => undefined);
  };
  void (async () => {
    try {
      for (;;) {
        const step = await iterator.next();
        if (stopped || sink.closed) return;
        if (step.done === true) {
          stopped = true;
          sink.complete();
          return;
        }
        if (!push(step.value)) {
          stop();
          return;
        }
      }
    } catch (error) {
      stopped = true;
      sink.error(error);
    }
  })();
  return stop;
}

function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}

function isEmitterSource(value: object): value is EmitterQuoteSource {
  const candidate = value as Partial<EmitterQuoteSource>;
  return typeof candidate.event === 'string' && typeof candidate.emitter?.on === 'function';
}
