import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, take, toArray } from 'rxjs';
import { marbles } from '../testkit/marbles';
import { BufferOverflowError, createDataStreamer } from './dataStreamer';

describe('createDataStreamer', () => {
  it('passes pushed values through and completes', () => {
    marbles(({ cold, expectObservable }) => {
      const streamer = createDataStreamer<string>({ capacity: 4 });
      cold('a-b-c-|').subscribe({ next: (v) => streamer.push(v), complete: () => streamer.complete() });
      expectObservable(streamer.stream$).toBe('a-b-c-|');
    });
  });

  it('keeps values pushed before anyone subscribes and hands them over on subscribe', () => {
    marbles(({ cold, expectObservable }) => {
      const streamer = createDataStreamer<string>({ capacity: 4 });
      cold('ab------c|').subscribe({ next: (v) => streamer.push(v), complete: () => streamer.complete() });
      expectObservable(streamer.stream$, '---^').toBe('---(ab)-c|');
    });
  });

  it('overflow while nobody drains is an error, never a drop: the push throws and the stream errors', () => {
    marbles(({ cold, expectObservable }) => {
      const streamer = createDataStreamer<string>({ capacity: 2, name: 'quotes' });
      const thrown: unknown[] = [];
      cold('abc').subscribe((v) => {
        try {
          streamer.push(v);
        } catch (e) {
          thrown.push(e);
        }
      });
      const overflow = new BufferOverflowError('quotes', 2);
      expectObservable(streamer.stream$, '----^').toBe('----(ab#)', undefined, overflow);
      cold('---x').subscribe(() => {
        expect(thrown).toEqual([overflow]);
        expect(overflow.message).toBe('quotes: buffer overflow: more than 2 values pushed while nothing was subscribed to drain them');
      });
    });
  });

  it('errors propagate to current and later subscribers', () => {
    marbles(({ cold, expectObservable }) => {
      const streamer = createDataStreamer<string>({ capacity: 4 });
      const failure = new Error('socket closed');
      cold('a-#', undefined, failure).subscribe({ next: (v) => streamer.push(v), error: (e) => streamer.error(e) });
      expectObservable(streamer.stream$).toBe('a-#', undefined, failure);
      expectObservable(streamer.stream$, '----^').toBe('----#', undefined, failure);
    });
  });

  it('multicasts to every subscriber while subscribed', () => {
    marbles(({ cold, expectObservable }) => {
      const streamer = createDataStreamer<string>({ capacity: 4 });
      cold('a-b-c|').subscribe({ next: (v) => streamer.push(v), complete: () => streamer.complete() });
      expectObservable(streamer.stream$).toBe('a-b-c|');
      expectObservable(streamer.stream$, '-^').toBe('--b-c|');
    });
  });

  it('a subscriber that leaves early leaves the rest of the buffer to the next one', async () => {
    const streamer = createDataStreamer<number>({ capacity: 5 });
    [1, 2, 3, 4].forEach((v) => streamer.push(v));
    await expect(lastValueFrom(streamer.stream$.pipe(take(2), toArray()))).resolves.toEqual([1, 2]);
    expect(streamer.buffered).toBe(2);
    streamer.complete();
    await expect(lastValueFrom(streamer.stream$.pipe(toArray()))).resolves.toEqual([3, 4]);
  });

  it('pushing after the end throws', () => {
    const streamer = createDataStreamer<number>({ capacity: 1 });
    streamer.complete();
    expect(() => streamer.push(1)).toThrow('DataStreamer: push after the stream ended');
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => createDataStreamer({ capacity: 0, name: 'bars' })).toThrow('bars: capacity must be a positive integer, got 0');
  });

  it('feed waits for a subscriber when the buffer is full (backpressure), then completes', async () => {
    const streamer = createDataStreamer<number>({ capacity: 2 });
    let produced = 0;
    async function* source(): AsyncGenerator<number> {
      for (let i = 1; i <= 6; i++) {
        produced = i;
        yield i;
      }
    }
    const fed = streamer.feed(source());
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(streamer.buffered).toBe(2);
    expect(produced).toBe(3); // the third value waits for room
    await expect(lastValueFrom(streamer.stream$.pipe(toArray()))).resolves.toEqual([1, 2, 3, 4, 5, 6]);
    await expect(fed).resolves.toBeUndefined();
  });

  it('feed turns a failing source into a stream error', async () => {
    const streamer = createDataStreamer<number>({ capacity: 4 });
    async function* source(): AsyncGenerator<number> {
      yield 1;
      throw new Error('vendor went away');
    }
    const values: number[] = [];
    const ended = new Promise<unknown>((resolve) => streamer.stream$.subscribe({ next: (v) => values.push(v), error: resolve }));
    await expect(streamer.feed(source())).resolves.toBeUndefined();
    await expect(ended).resolves.toEqual(new Error('vendor went away'));
    expect(values).toEqual([1]);
  });

  it('feed with complete: false leaves the stream open for more', async () => {
    const streamer = createDataStreamer<number>({ capacity: 4 });
    const all = lastValueFrom(streamer.stream$.pipe(toArray()));
    await streamer.feed([1, 2], { complete: false });
    await streamer.feed([3]);
    await expect(all).resolves.toEqual([1, 2, 3]);
  });
});
