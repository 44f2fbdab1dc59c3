import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { firstValueFrom, Observable, toArray } from 'rxjs';
import { DataError } from '../../core/errors';
import type { Bar, QuoteTick } from '../../core/types';
import { marbles } from '../../testkit/marbles';
import { ctraderBars, ctraderQuotes, type QuoteCallbackSource, type RawQuote } from './bridge';

const T = Date.UTC(2024, 0, 5, 0, 0, 0);
const quote = (ts: number, bid: number, ask: number): QuoteTick => ({ kind: 'quote', symbol: 'USDJPY', ts, bid, ask });

/** A callback source that replays an Observable (a marble) into the handlers, as a vendor SDK would call them. */
function callbackFrom(source$: Observable<unknown>, registrations: { active: number }): QuoteCallbackSource {
  return (onQuote, onError, onComplete) => {
    registrations.active++;
    const subscription = source$.subscribe({ next: onQuote, error: onError, complete: onComplete });
    return () => {
      registrations.active--;
      subscription.unsubscribe();
    };
  };
}

describe('ctraderQuotes from a callback source (marbles)', () => {
  it('turns each quote into a QuoteTick of the symbol and unregisters on completion', () => {
    const registrations = { active: 0 };
    marbles(({ cold, expectObservable, flush }) => {
      const raw = cold<RawQuote>('a-b--c|', {
        a: { bid: 150, ask: 150.5, ts: T },
        b: { bid: 150.25, ask: 150.75, ts: T + 1000, bidSize: 2e6, askSize: 1e6 },
        c: { bid: 151, ask: 151.5, ts: T + 2000 },
      });
      expectObservable(ctraderQuotes(callbackFrom(raw, registrations), { symbol: 'USDJPY' })).toBe('a-b--c|', {
        a: quote(T, 150, 150.5),
        b: { ...quote(T + 1000, 150.25, 150.75), bidSize: 2e6, askSize: 1e6 },
        c: quote(T + 2000, 151, 151.5),
      });
      flush();
      expect(registrations.active).toBe(0);
    });
  });

  it('stamps a quote without ts with the receive time', () => {
    marbles(({ cold, expectObservable }) => {
      const raw = cold<RawQuote>('a|', { a: { bid: 150, ask: 150.5 } });
      expectObservable(ctraderQuotes(callbackFrom(raw, { active: 0 }), { symbol: 'USDJPY', now: () => T + 7 })).toBe('a|', {
        a: quote(T + 7, 150, 150.5),
      });
    });
  });

  it('fails with a DataError naming the quote number and the field, and unregisters', () => {
    const registrations = { active: 0 };
    marbles(({ cold, expectObservable, flush }) => {
      const raw = cold<unknown>('a-b-c|', { a: { bid: 150, ask: 150.5, ts: T }, b: { bid: '150.1', ask: 150.5 }, c: { bid: 150, ask: 150.5 } });
      expectObservable(ctraderQuotes(callbackFrom(raw, registrations), { symbol: 'USDJPY' })).toBe(
        'a-#',
        { a: quote(T, 150, 150.5) },
        new DataError('Invalid input: expected number, received string', { file: 'cTrader quotes USDJPY', row: 2, field: 'bid' }, 'got "150.1"'),
      );
      flush();
      expect(registrations.active).toBe(0);
    });
  });

  it('passes the source error on', () => {
    marbles(({ cold, expectObservable }) => {
      const raw = cold<RawQuote>('a#', { a: { bid: 150, ask: 150.5, ts: T } }, new Error('feed down'));
      expectObservable(ctraderQuotes(callbackFrom(raw, { active: 0 }), { symbol: 'USDJPY' })).toBe('a#', { a: quote(T, 150, 150.5) }, new Error('feed down'));
    });
  });

  it('unregisters when the subscriber leaves', () => {
    const registrations = { active: 0 };
    marbles(({ hot, expectObservable, expectSubscriptions, flush }) => {
      const raw = hot<RawQuote>('-a-b-c-d', {
        a: { bid: 150, ask: 150.5, ts: T },
        b: { bid: 150, ask: 150.5, ts: T + 1 },
        c: { bid: 150, ask: 150.5, ts: T + 2 },
        d: { bid: 150, ask: 150.5, ts: T + 3 },
      });
      expectObservable(ctraderQuotes(callbackFrom(raw, registrations), { symbol: 'USDJPY' }), '^----!').toBe('-a-b-', {
        a: quote(T, 150, 150.5),
        b: quote(T + 1, 150, 150.5),
      });
      expectSubscriptions(raw.subscriptions).toBe('^----!');
      flush();
      expect(registrations.active).toBe(0);
    });
  });
});

describe('ctraderBars (marbles)', () => {
  it('builds bars from the quotes with barBuilder: mid prices, tick volume, a bucket closes when time passes its end', () => {
    marbles(({ cold, expectObservable }) => {
      const raw = cold<RawQuote>('a-b-c|', {
        a: { bid: 150, ask: 150.5, ts: T + 5_000 },
        b: { bid: 149, ask: 149.5, ts: T + 20_000 },
        c: { bid: 151, ask: 151.5, ts: T + 70_000 },
      });
      const bar = (ts: number, open: number, high: number, low: number, close: number, volume: number): Bar => ({
        kind: 'bar',
        symbol: 'USDJPY',
        ts,
        intervalMs: 60_000,
        open,
        high,
        low,
        close,
        volume,
      });
      expectObservable(ctraderBars(callbackFrom(raw, { active: 0 }), { symbol: 'USDJPY', intervalMs: 60_000 })).toBe('----x(y|)', {
        x: bar(T, 150.25, 150.25, 149.25, 149.25, 2),
        y: bar(T + 60_000, 151.25, 151.25, 151.25, 151.25, 1),
      });
    });
  });

  it('closes a quiet bucket on the clock', () => {
    marbles(({ cold, hot, expectObservable }) => {
      const raw = cold<RawQuote>('a------', { a: { bid: 150, ask: 150.5, ts: T + 5_000 } });
      const clock$ = hot<number>('---k---', { k: T + 60_000 });
      expectObservable(ctraderBars(callbackFrom(raw, { active: 0 }), { symbol: 'USDJPY', intervalMs: 60_000, clock$ })).toBe('---x---', {
        x: { kind: 'bar', symbol: 'USDJPY', ts: T, intervalMs: 60_000, open: 150.25, high: 150.25, low: 150.25, close: 150.25, volume: 1 },
      });
    });
  });
});

describe('ctraderQuotes from an async iterable', () => {
  it('reads every quote and completes', async () => {
    async function* feed(): AsyncGenerator<RawQuote> {
      yield { bid: 150, ask: 150.5, ts: T };
      await new Promise((resolve) => setTimeout(resolve, 1));
      yield { bid: 150.25, ask: 150.75, ts: T + 1 };
    }
    const ticks = await firstValueFrom(ctraderQuotes(feed(), { symbol: 'USDJPY' }).pipe(toArray()));
    expect(ticks).toEqual([quote(T, 150, 150.5), quote(T + 1, 150.25, 150.75)]);
  });

  it('is cold: nothing is read before subscription', async () => {
    let pulled = 0;
    const feed: AsyncIterable<RawQuote> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => (++pulled <= 2 ? { done: false, value: { bid: 150, ask: 150.5, ts: T + pulled } } : { done: true, value: undefined }),
      }),
    };
    const quotes$ = ctraderQuotes(feed, { symbol: 'USDJPY' });
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(pulled).toBe(0);
    expect(await firstValueFrom(quotes$.pipe(toArray()))).toHaveLength(2);
  });

  it('returns the iterator when the subscriber leaves (the generator runs its finally)', async () => {
    let finalized = false;
    async function* endless(): AsyncGenerator<RawQuote> {
      try {
        for (let i = 0; ; i++) {
          yield { bid: 150, ask: 150.5, ts: T + i };
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      } finally {
        finalized = true;
      }
    }
    const first = await firstValueFrom(ctraderQuotes(endless(), { symbol: 'USDJPY' }));
    expect(first).toEqual(quote(T, 150, 150.5));
    for (let i = 0; i < 50 && !finalized; i++) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(finalized).toBe(true);
  });

  it('fails on a crossed quote, naming the field, and returns the iterator', async () => {
    let finalized = false;
    async function* feed(): AsyncGenerator<unknown> {
      try {
        yield { bid: 150, ask: 150.5, ts: T };
        yield { bid: 151, ask: 150.5, ts: T + 1 };
        yield { bid: 150, ask: 150.5, ts: T + 2 };
      } finally {
        finalized = true;
      }
    }
    await expect(firstValueFrom(ctraderQuotes(feed(), { symbol: 'USDJPY' }).pipe(toArray()))).rejects.toThrow(
      'cTrader quotes USDJPY, row 2, field "bid": bid must not exceed ask (got 151)',
    );
    for (let i = 0; i < 50 && !finalized; i++) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(finalized).toBe(true);
  });

  it('passes on an error thrown by the iterator', async () => {
    async function* broken(): AsyncGenerator<RawQuote> {
      yield { bid: 150, ask: 150.5, ts: T };
      throw new Error('socket reset');
    }
    await expect(firstValueFrom(ctraderQuotes(broken(), { symbol: 'USDJPY' }).pipe(toArray()))).rejects.toThrow('socket reset');
  });
});

describe('ctraderQuotes from an EventEmitter', () => {
  it('listens to the quote event, completes on end, and removes its listeners', async () => {
    const emitter = new EventEmitter();
    const done = firstValueFrom(ctraderQuotes({ emitter, event: 'quote' }, { symbol: 'USDJPY' }).pipe(toArray()));
    expect(emitter.listenerCount('quote')).toBe(1);
    emitter.emit('quote', { bid: 150, ask: 150.5, ts: T });
    emitter.emit('quote', { bid: 150.5, ask: 151, ts: T + 1 });
    emitter.emit('end');
    expect(await done).toEqual([quote(T, 150, 150.5), quote(T + 1, 150.5, 151)]);
    expect(emitter.listenerCount('quote') + emitter.listenerCount('error') + emitter.listenerCount('end')).toBe(0);
  });

  it("fails on the emitter's error event instead of letting it throw", async () => {
    const emitter = new EventEmitter();
    const done = firstValueFrom(ctraderQuotes({ emitter, event: 'tick' }, { symbol: 'USDJPY' }).pipe(toArray()));
    emitter.emit('error', new Error('disconnected'));
    await expect(done).rejects.toThrow('disconnected');
    expect(emitter.listenerCount('tick')).toBe(0);
  });

  it('removes its listeners when the subscriber leaves, and on a bad quote', () => {
    const emitter = new EventEmitter();
    const ticks: QuoteTick[] = [];
    const subscription = ctraderQuotes({ emitter, event: 'quote', errorEvent: null, endEvent: null }, { symbol: 'USDJPY' }).subscribe((t) => ticks.push(t));
    emitter.emit('quote', { bid: 150, ask: 150.5, ts: T });
    subscription.unsubscribe();
    emitter.emit('quote', { bid: 150, ask: 150.5, ts: T + 1 });
    expect(ticks).toHaveLength(1);
    expect(emitter.eventNames()).toEqual([]);

    let failure: unknown;
    ctraderQuotes({ emitter, event: 'quote' }, { symbol: 'USDJPY' }).subscribe({ error: (e: unknown) => (failure = e) });
    emitter.emit('quote', { bid: 150, ts: T });
    expect((failure as Error).message).toBe('cTrader quotes USDJPY, row 1, field "ask": Invalid input: expected number, received undefined (got undefined)');
    expect(emitter.eventNames()).toEqual([]);
  });
});

describe('ctraderQuotes arguments', () => {
  it('rejects a source of none of the three kinds', async () => {
    const notASource = { on: () => undefined } as unknown as AsyncIterable<unknown>;
    await expect(firstValueFrom(ctraderQuotes(notASource, { symbol: 'USDJPY' }))).rejects.toThrow(/must be an async iterable, a callback-registering function or \{ emitter, event \}/);
  });
});
