import { Observable, type Subscriber } from 'rxjs';

/**
 * A push source anything can feed (DataStreamer): callbacks call `push`,
 * async iterables go through `feed`, and `stream$` is the Observable the graph subscribes to.
 *
 * ```
 * push:       a  b  c        d     complete()
 * stream$:          ^ (abc)  d     |            values pushed before anyone listened arrive on subscribe
 * ```
 *
 * - While nobody subscribes, values wait in a bounded buffer (`capacity`) and go, in order, to the next
 *   subscriber. With subscribers, values pass straight through (to all of them) without buffering.
 * - Overflow is an error, never a silent drop: the push that finds the buffer full throws a
 *   `BufferOverflowError` and the stream ends with that error (subscribers learn it when they subscribe).
 *   `feed` never overflows: it waits for a subscriber when the buffer is full (backpressure).
 * - `complete()` and `error(e)` end the stream once buffered values are delivered; pushing after the end
 *   throws (a value arriving after the end is a bug upstream, not something to drop quietly).
 */
export interface DataStreamer<T> {
  readonly name: string;
  push(value: T): void;
  complete(): void;
  error(e: unknown): void;
  /**
   * Pushes every value of `source`, waiting while the buffer is full and nobody listens. When the source
   * ends the stream completes (unless `complete: false`); when it throws the stream errors. Resolves when
   * the source is done or the stream has ended; never rejects (errors travel on `stream$`).
   */
  feed(source: AsyncIterable<T> | Iterable<T>, options?: { readonly complete?: boolean }): Promise<void>;
  readonly stream$: Observable<T>;
  /** Values waiting for a subscriber. */
  readonly buffered: number;
}

export interface DataStreamerOptions {
  /** Values kept while nobody subscribes; must be a positive integer. */
  readonly capacity: number;
  /** Names the streamer in errors. */
  readonly name?: string;
}

export class BufferOverflowError extends Error {
  override readonly name = 'BufferOverflowError';
  constructor(
    readonly streamer: string,
    readonly capacity: number,
  ) {
    super(`${streamer}: buffer overflow: more than ${capacity} values pushed while nothing was subscribed to drain them`);
  }
}

type Ending = { readonly kind: 'complete' } | { readonly kind: 'error'; readonly error: unknown };

export function createDataStreamer<T>(options: DataStreamerOptions): DataStreamer<T> {
  const { capacity } = options;
  const name = options.name ?? 'DataStreamer';
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`${name}: capacity must be a positive integer, got ${capacity}`);
  }
  const subscribers = new Set<Subscriber<T>>();
  let buffer: T[] = [];
  let ending: Ending | undefined;
  /** Feeds waiting for room in the buffer. */
  let waiters: (() => void)[] = [];

  const wakeFeeds = (): void => {
    const w = waiters;
    waiters = [];
    for (const wake of w) wake();
  };

  const end = (subscriber: Subscriber<T>, how: Ending): void => {
    if (how.kind === 'complete') subscriber.complete();
    else subscriber.error(how.error);
  };

  const finish = (how: Ending): void => {
    if (ending) return;
    ending = how;
    for (const subscriber of [...subscribers]) end(subscriber, how);
    subscribers.clear();
    wakeFeeds();
  };

  const push = (value: T): void => {
    if (ending) {
      if (ending.kind === 'error' && ending.error instanceof BufferOverflowError) throw ending.error;
      throw new Error(`${name}: push after the stream ended`);
    }
    if (subscribers.size > 0) {
      for (const subscriber of [...subscribers]) subscriber.next(value);
      return;
    }
    if (buffer.length >= capacity) {
      const overflow = new BufferOverflowError(name, capacity);
      finish({ kind: 'error', error: overflow });
      throw overflow;
    }
    buffer.push(value);
  };

  const stream$ = new Observable<T>((subscriber) => {
    // Hand over what waited, in order; values pushed meanwhile (from a handler) join the queue.
    while (buffer.length > 0 && !subscriber.closed) {
      const pending = buffer;
      buffer = [];
      let i = 0;
      while (i < pending.length && !subscriber.closed) subscriber.next(pending[i++]);
      // A subscriber that left early (take(n)) leaves the rest for the next one.
      if (i < pending.length) buffer = pending.slice(i).concat(buffer);
    }
    wakeFeeds();
    if (subscriber.closed) return;
    if (ending) {
      end(subscriber, ending);
      return;
    }
    subscribers.add(subscriber);
    return () => {
      subscribers.delete(subscriber);
    };
  });

  const feed = async (source: AsyncIterable<T> | Iterable<T>, feedOptions: { readonly complete?: boolean } = {}): Promise<void> => {
    try {
      for await (const value of source) {
        while (!ending && subscribers.size === 0 && buffer.length >= capacity) {
          await new Promise<void>((resolve) => waiters.push(resolve));
        }
        if (ending) return;
        push(value);
      }
      if (feedOptions.complete ?? true) finish({ kind: 'complete' });
    } catch (e) {
      finish({ kind: 'error', error: e });
    }
  };

  return {
    name,
    push,
    complete: () => finish({ kind: 'complete' }),
    error: (e) => finish({ kind: 'error', error: e }),
    feed,
    stream$,
    get buffered() {
      return buffer.length;
    },
  };
}
