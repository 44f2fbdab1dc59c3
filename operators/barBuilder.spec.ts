import { Observable, take } from 'rxjs';
import { ConfigError, DataError } from '../src/core/errors';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../src/core/time';
import type { Bar, QuoteTick, Tick, TradeTick } from '../src/core/types';
import { marbles } from '../src/testkit/marbles';
import { barBuilder, type BarBuilderOptions } from './barBuilder';
import { describeOperatorContract } from '../test/support/operatorContract';

const T0 = Date.UTC(2024, 0, 5, 10, 0, 0); // Friday 2024-01-05 10:00:00 UTC
const at = (seconds: number): number => T0 + seconds * 1000;

/** A quote whose mid is exactly `mid` (a spread of 0.5 keeps the arithmetic exact). */
const quote = (seconds: number, mid: number, symbol = 'USDJPY'): QuoteTick => ({
  kind: 'quote',
  symbol,
  ts: at(seconds),
  bid: mid - 0.25,
  ask: mid + 0.25,
});
const trade = (seconds: number, price: number, size: number, symbol = 'USDJPY'): TradeTick => ({
  kind: 'trade',
  symbol,
  ts: at(seconds),
  price,
  size,
});
const bar = (
  symbol: string,
  startSeconds: number,
  ohlcv: readonly [number, number, number, number, number],
  intervalMs = MINUTE_MS,
): Bar => ({
  kind: 'bar',
  symbol,
  ts: at(startSeconds),
  intervalMs,
  open: ohlcv[0],
  high: ohlcv[1],
  low: ohlcv[2],
  close: ohlcv[3],
  volume: ohlcv[4],
});

/** Runs a cold marble source through barBuilder and returns what came out (values, then error if any). */
function collect(events: readonly (Tick | Bar)[], intervalMs: number, options?: BarBuilderOptions): { bars: Bar[]; error?: unknown } {
  const bars: Bar[] = [];
  let error: unknown;
  marbles(({ cold, flush }) => {
    const letters = events.map((_, i) => String.fromCharCode(0x4e00 + i)).join('');
    const values: Record<string, Tick | Bar> = {};
    events.forEach((e, i) => (values[letters[i]] = e));
    cold(`${letters}|`, values)
      .pipe(barBuilder(intervalMs, options))
      .subscribe({ next: (b) => bars.push(b), error: (e: unknown) => (error = e) });
    flush();
  });
  return { bars, error };
}

describe('barBuilder: bucketing', () => {
  it('aggregates quotes into 1-minute bars: mid price, tick volume, ts = bucket start', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('a-b-c-d-|', { a: quote(0, 150), b: quote(20, 151), c: quote(59.999, 149), d: quote(60, 150.5) });
      expectObservable(source.pipe(barBuilder(MINUTE_MS))).toBe('------x-(y|)', {
        x: bar('USDJPY', 0, [150, 151, 149, 149, 3]),
        y: bar('USDJPY', 60, [150.5, 150.5, 150.5, 150.5, 1]),
      });
    });
  });

  it('runs the marble diagram of its doc comment (event closes, clock closes, completion flushes)', () => {
    marbles(({ hot, expectObservable }) => {
      const source = hot('-a--b--c---d----e-------|', {
        a: quote(1, 150),
        b: quote(20, 152),
        c: quote(50, 151),
        d: quote(90, 153),
        e: quote(130, 154),
      });
      const clock$ = hot('-------------------k-----', { k: at(180) });
      expectObservable(source.pipe(barBuilder(MINUTE_MS, { clock$ }))).toBe('-----------x----y--z----|', {
        x: bar('USDJPY', 0, [150, 152, 150, 151, 3]),
        y: bar('USDJPY', 60, [153, 153, 153, 153, 1]),
        z: bar('USDJPY', 120, [154, 154, 154, 154, 1]),
      });
    });
  });

  it('uses last trade price and sums trade sizes as volume', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('abc|', { a: trade(1, 150, 2), b: trade(2, 149.5, 3), c: trade(3, 150.25, 1.5) });
      expectObservable(source.pipe(barBuilder(MINUTE_MS))).toBe('---(x|)', { x: bar('USDJPY', 0, [150, 150.25, 149.5, 150.25, 6.5]) });
    });
  });

  it("reports 0 volume for quotes with quoteVolume: 'zero'", () => {
    const { bars } = collect([quote(1, 150), quote(2, 151)], MINUTE_MS, { quoteVolume: 'zero' });
    expect(bars).toEqual([bar('USDJPY', 0, [150, 151, 150, 151, 0])]);
  });

  it('aligns buckets to UTC epoch multiples of the interval, whatever the first event', () => {
    // 10:07:30 falls in 10:05 (5 min), 10:00 (15 min), 10:00 (1 h), 10:07:30 (1 s) buckets.
    const cases: readonly [number, number][] = [
      [5 * MINUTE_MS, at(300)],
      [15 * MINUTE_MS, at(0)],
      [HOUR_MS, at(0)],
      [1000, at(450)],
    ];
    for (const [intervalMs, start] of cases) {
      const { bars } = collect([quote(450, 150), quote(450.5, 151)], intervalMs);
      expect(bars).toEqual([{ ...bar('USDJPY', 0, [150, 151, 150, 151, 2], intervalMs), ts: start }]);
      expect(bars[0].ts % intervalMs).toBe(0);
    }
  });

  it('produces no bar for empty buckets', () => {
    const { bars } = collect([quote(10, 150), quote(200, 151)], MINUTE_MS);
    expect(bars).toEqual([bar('USDJPY', 0, [150, 150, 150, 150, 1]), bar('USDJPY', 180, [151, 151, 151, 151, 1])]);
  });

  it('keeps one bucket per symbol and emits bars closing together in order of first appearance', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('abcdef---|', {
        a: quote(0, 150, 'USDJPY'),
        b: quote(10, 1.1, 'EURUSD'),
        c: quote(30, 151, 'USDJPY'),
        d: quote(62, 1.2, 'EURUSD'), // closes both 10:00 buckets; EURUSD is first in the new bucket
        e: quote(65, 152, 'USDJPY'),
        f: quote(70, 1.3, 'EURUSD'),
      });
      expectObservable(source.pipe(barBuilder(MINUTE_MS))).toBe('---(xy)--(zw|)', {
        x: bar('USDJPY', 0, [150, 151, 150, 151, 2]),
        y: bar('EURUSD', 0, [1.1, 1.1, 1.1, 1.1, 1]),
        z: bar('USDJPY', 60, [152, 152, 152, 152, 1]),
        w: bar('EURUSD', 60, [1.2, 1.3, 1.2, 1.3, 2]),
      });
    });
  });
});

describe('barBuilder: bars in', () => {
  const bar15 = (seconds: number, ohlcv: readonly [number, number, number, number, number], symbol = 'USDJPY'): Bar =>
    bar(symbol, seconds, ohlcv, 15_000);

  it('aggregates finer bars and closes as soon as a bar ending at the bucket end arrives', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('a-b-c-d-e-|', {
        a: bar15(0, [150, 151, 149, 150, 10]),
        b: bar15(15, [150, 152, 150, 151, 5]),
        c: bar15(30, [151, 151, 148, 149, 7]),
        d: bar15(45, [149, 150, 149, 150, 3]), // ends at 10:01:00: the minute is complete
        e: bar15(60, [150, 150, 150, 150, 1]),
      });
      expectObservable(source.pipe(barBuilder(MINUTE_MS))).toBe('------x---(y|)', {
        x: bar('USDJPY', 0, [150, 152, 148, 150, 25]),
        y: bar('USDJPY', 60, [150, 150, 150, 150, 1]),
      });
    });
  });

  it('closes on the next event when the last finer bar of a bucket is missing', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('a-b-c|', {
        a: bar15(0, [150, 151, 149, 150, 10]),
        b: bar15(15, [150, 152, 150, 151, 5]),
        c: bar15(75, [151, 151, 151, 151, 1]),
      });
      expectObservable(source.pipe(barBuilder(MINUTE_MS))).toBe('----x(y|)', {
        x: bar('USDJPY', 0, [150, 152, 149, 151, 15]),
        y: bar('USDJPY', 60, [151, 151, 151, 151, 1]),
      });
    });
  });

  it('closes each symbol by its own last finer bar, in arrival order', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('abcd|', {
        a: bar15(45, [150, 151, 150, 151, 1], 'USDJPY'),
        b: bar15(30, [1.1, 1.1, 1.1, 1.1, 1], 'EURUSD'),
        c: bar15(45, [1.1, 1.2, 1.1, 1.2, 1], 'EURUSD'),
        d: bar15(60, [151, 151, 151, 151, 1], 'USDJPY'),
      });
      expectObservable(source.pipe(barBuilder(MINUTE_MS))).toBe('x-y-(z|)', {
        x: bar('USDJPY', 0, [150, 151, 150, 151, 1]),
        y: bar('EURUSD', 0, [1.1, 1.2, 1.1, 1.2, 2]),
        z: bar('USDJPY', 60, [151, 151, 151, 151, 1]),
      });
    });
  });

  it('treats an input for a bucket its own finer bar already closed as late', () => {
    const { bars, error } = collect([bar15(45, [150, 150, 150, 150, 1]), bar15(45, [151, 151, 151, 151, 1])], MINUTE_MS);
    expect(bars).toEqual([bar('USDJPY', 0, [150, 150, 150, 150, 1])]);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toContain('already closed');
  });

  it('rejects an input bar that does not fit inside one output bucket', () => {
    const fiveMinutes = bar('USDJPY', 0, [150, 150, 150, 150, 1], 5 * MINUTE_MS);
    const { bars, error } = collect([fiveMinutes], MINUTE_MS);
    expect(bars).toEqual([]);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toBe(
      'field "intervalMs": an input bar must fit inside one output bucket (its interval must divide the output interval and align with it) ' +
        '(symbol USDJPY, bar 2024-01-05T10:00:00.000Z + 300000 ms, bucket 2024-01-05T10:00:00.000Z to 2024-01-05T10:01:00.000Z)',
    );
  });
});

describe('barBuilder: clock$', () => {
  it('closes a quiet market bar when the clock passes its end, and ignores a clock going back', () => {
    marbles(({ hot, expectObservable }) => {
      const source = hot('-a--b--------c-------', { a: quote(5, 150), b: quote(30, 151), c: quote(90, 152) });
      const clock$ = hot('------k--j-l-----m---', { k: at(40), j: at(20), l: at(60), m: at(120) });
      expectObservable(source.pipe(barBuilder(MINUTE_MS, { clock$ }))).toBe('-----------x-----y---', {
        x: bar('USDJPY', 0, [150, 151, 150, 151, 2]),
        y: bar('USDJPY', 60, [152, 152, 152, 152, 1]),
      });
    });
  });

  it('makes an event older than the bucket the clock moved to late', () => {
    marbles(({ hot, expectObservable }) => {
      const source = hot('-a----b--', { a: quote(5, 150), b: quote(59, 151) });
      const clock$ = hot('---k-----', { k: at(61) });
      const error = new DataError(
        "late event: older than the open bucket (late: 'error')",
        { field: 'ts' },
        'symbol USDJPY, event ts 2024-01-05T10:00:59.000Z, bucket 2024-01-05T10:01:00.000Z to 2024-01-05T10:02:00.000Z',
      );
      expectObservable(source.pipe(barBuilder(MINUTE_MS, { clock$ }))).toBe('---x--#', { x: bar('USDJPY', 0, [150, 150, 150, 150, 1]) }, error);
    });
  });

  it('passes a clock error on and unsubscribes the source', () => {
    marbles(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-----', { a: quote(5, 150) });
      const clock$ = hot<number>('---#', undefined, new Error('clock broke'));
      expectObservable(source.pipe(barBuilder(MINUTE_MS, { clock$ }))).toBe('---#', undefined, new Error('clock broke'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });
});

describe('barBuilder: completion, errors, unsubscribe', () => {
  it('flushes every open bucket on completion, in order of first appearance', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('abc-|', { a: quote(1, 1.1, 'EURUSD'), b: quote(2, 150, 'USDJPY'), c: quote(3, 1.2, 'EURUSD') });
      expectObservable(source.pipe(barBuilder(MINUTE_MS))).toBe('----(xy|)', {
        x: bar('EURUSD', 0, [1.1, 1.2, 1.1, 1.2, 2]),
        y: bar('USDJPY', 0, [150, 150, 150, 150, 1]),
      });
    });
  });

  it('passes a source error on without flushing, and unsubscribes the clock', () => {
    marbles(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-#', { a: quote(1, 150) }, new Error('feed broke'));
      const clock$ = hot<number>('------');
      expectObservable(source.pipe(barBuilder(MINUTE_MS, { clock$ }))).toBe('--#', undefined, new Error('feed broke'));
      expectSubscriptions(clock$.subscriptions).toBe('^-!');
    });
  });

  it("fails on a late event by default with a DataError naming symbol, event ts and bucket", () => {
    marbles(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-c-d-', { a: quote(5, 150), b: quote(65, 151), c: quote(59, 152, 'EURUSD'), d: quote(70, 153) });
      const error = new DataError(
        "late event: older than the open bucket (late: 'error')",
        { field: 'ts' },
        'symbol EURUSD, event ts 2024-01-05T10:00:59.000Z, bucket 2024-01-05T10:01:00.000Z to 2024-01-05T10:02:00.000Z',
      );
      expectObservable(source.pipe(barBuilder(MINUTE_MS))).toBe('---x-#', { x: bar('USDJPY', 0, [150, 150, 150, 150, 1]) }, error);
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
    const { error } = collect([quote(65, 151), quote(59, 152, 'EURUSD')], MINUTE_MS);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toBe(
      'field "ts": late event: older than the open bucket (late: \'error\') ' +
        '(symbol EURUSD, event ts 2024-01-05T10:00:59.000Z, bucket 2024-01-05T10:01:00.000Z to 2024-01-05T10:02:00.000Z)',
    );
  });

  it("drops late events with late: 'drop', counting each through onLate", () => {
    const seen: [Tick | Bar, number][] = [];
    marbles(({ cold, expectObservable }) => {
      const late1 = quote(30, 999);
      const late2 = quote(59.5, 999, 'EURUSD');
      const source = cold('abcde|', { a: quote(5, 150), b: quote(65, 151), c: late1, d: late2, e: quote(70, 152) });
      const built = source.pipe(barBuilder(MINUTE_MS, { late: 'drop', onLate: (event, count) => seen.push([event, count]) }));
      expectObservable(built).toBe('-x---(y|)', {
        x: bar('USDJPY', 0, [150, 150, 150, 150, 1]),
        y: bar('USDJPY', 60, [151, 152, 151, 152, 2]),
      });
    });
    expect(seen).toEqual([
      [quote(30, 999), 1],
      [quote(59.5, 999, 'EURUSD'), 2],
    ]);
  });

  it('passes an error thrown by onLate on', () => {
    const { error } = collect([quote(65, 151), quote(5, 150)], MINUTE_MS, {
      late: 'drop',
      onLate: () => {
        throw new Error('stop the world');
      },
    });
    expect(error).toEqual(new Error('stop the world'));
  });

  it('tears down source and clock subscriptions on unsubscribe and emits nothing after', () => {
    marbles(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a--b--c--d--e--|', { a: quote(5, 150), b: quote(61, 151), c: quote(62, 152), d: quote(121, 153), e: quote(200, 154) });
      const clock$ = hot<number>('----------------');
      const built = source.pipe(barBuilder(MINUTE_MS, { clock$ }));
      expectObservable(built, '^------!').toBe('----x---', { x: bar('USDJPY', 0, [150, 150, 150, 150, 1]) });
      expectSubscriptions(source.subscriptions).toBe('^------!');
      expectSubscriptions(clock$.subscriptions).toBe('^------!');
    });
  });

  it('keeps state per subscription (a cold pipeline subscribed twice gives the same bars)', () => {
    marbles(({ cold, expectObservable }) => {
      const built = cold('ab|', { a: quote(1, 150), b: quote(61, 151) }).pipe(barBuilder(MINUTE_MS));
      const expected = { x: bar('USDJPY', 0, [150, 150, 150, 150, 1]), y: bar('USDJPY', 60, [151, 151, 151, 151, 1]) };
      expectObservable(built).toBe('-x(y|)', expected);
      expectObservable(built).toBe('-x(y|)', expected);
    });
  });

  it('does no more work for a synchronous source once the subscriber has gone', () => {
    const ticks = [quote(0, 150), quote(61, 151), quote(122, 152), quote(1, 999), quote(2, 999)];
    let delivered = 0;
    const source = new Observable<Tick>((subscriber) => {
      for (const t of ticks) {
        delivered++;
        subscriber.next(t);
      }
      subscriber.complete();
    });
    const late: Tick[] = [];
    const bars: Bar[] = [];
    source
      .pipe(
        barBuilder(MINUTE_MS, { late: 'drop', onLate: (event) => late.push(event as Tick) }),
        take(2),
      )
      .subscribe((b) => bars.push(b));
    // The source ignores `closed` and delivers everything; the late ticks after take(2) left are not processed.
    expect(delivered).toBe(5);
    expect(bars).toEqual([bar('USDJPY', 0, [150, 150, 150, 150, 1]), bar('USDJPY', 60, [151, 151, 151, 151, 1])]);
    expect(late).toEqual([]);
  });
});

describe('barBuilder: daily sessions', () => {
  const utc = (y: number, m: number, d: number, h: number, min = 0): number => Date.UTC(y, m - 1, d, h, min);
  const q = (ts: number, mid: number): QuoteTick => ({ kind: 'quote', symbol: 'USDJPY', ts, bid: mid - 0.25, ask: mid + 0.25 });
  const daily = (ts: number, intervalMs: number, ohlcv: readonly [number, number, number, number, number]): Bar => ({
    kind: 'bar',
    symbol: 'USDJPY',
    ts,
    intervalMs,
    open: ohlcv[0],
    high: ohlcv[1],
    low: ohlcv[2],
    close: ohlcv[3],
    volume: ohlcv[4],
  });

  it('rolls the FX day at 17:00 New York by default: 22:00 UTC in winter', () => {
    const { bars } = collect([q(utc(2024, 1, 2, 21, 59), 140), q(utc(2024, 1, 2, 22, 0), 141), q(utc(2024, 1, 3, 21, 59), 142), q(utc(2024, 1, 3, 22), 143)], DAY_MS);
    expect(bars).toEqual([
      daily(utc(2024, 1, 1, 22), DAY_MS, [140, 140, 140, 140, 1]),
      daily(utc(2024, 1, 2, 22), DAY_MS, [141, 142, 141, 142, 2]),
      daily(utc(2024, 1, 3, 22), DAY_MS, [143, 143, 143, 143, 1]),
    ]);
  });

  it('spans 23 hours on the spring DST change and 25 on the autumn one, and says so in intervalMs', () => {
    // 2024-03-09 17:00 EST = 22:00Z → 2024-03-10 17:00 EDT = 21:00Z; 2024-11-02 17:00 EDT = 21:00Z → 11-03 17:00 EST = 22:00Z.
    const spring = collect([q(utc(2024, 3, 9, 23), 150), q(utc(2024, 3, 10, 20, 59), 151), q(utc(2024, 3, 10, 21), 152)], DAY_MS).bars;
    expect(spring).toEqual([
      daily(utc(2024, 3, 9, 22), 23 * HOUR_MS, [150, 151, 150, 151, 2]),
      daily(utc(2024, 3, 10, 21), DAY_MS, [152, 152, 152, 152, 1]),
    ]);
    const autumn = collect([q(utc(2024, 11, 2, 21), 150), q(utc(2024, 11, 3, 21, 30), 151), q(utc(2024, 11, 3, 22), 152)], DAY_MS).bars;
    expect(autumn).toEqual([
      daily(utc(2024, 11, 2, 21), 25 * HOUR_MS, [150, 151, 150, 151, 2]),
      daily(utc(2024, 11, 3, 22), DAY_MS, [152, 152, 152, 152, 1]),
    ]);
  });

  it('closes a daily bar from hourly input bars at the session end, across a weekend with no bar', () => {
    marbles(({ cold, expectObservable }) => {
      const hourly = (ts: number, close: number): Bar => daily(ts, HOUR_MS, [close, close, close, close, 1]);
      const source = cold('ab-c|', {
        a: hourly(utc(2024, 3, 8, 20), 150), // Friday 15:00–16:00 EST
        b: hourly(utc(2024, 3, 8, 21), 151), // 16:00–17:00 EST: ends the Friday session
        c: hourly(utc(2024, 3, 10, 21), 152), // Sunday 17:00 EDT: the Monday session
      });
      expectObservable(source.pipe(barBuilder(DAY_MS))).toBe('-x--(y|)', {
        x: daily(utc(2024, 3, 7, 22), DAY_MS, [150, 151, 150, 151, 2]),
        y: daily(utc(2024, 3, 10, 21), DAY_MS, [152, 152, 152, 152, 1]),
      });
    });
  });

  it('takes an explicit session (Tokyo midnight)', () => {
    const { bars } = collect([q(utc(2024, 1, 4, 14, 59), 140), q(utc(2024, 1, 4, 15), 141)], DAY_MS, {
      session: { zone: 'Asia/Tokyo', time: '00:00' },
    });
    expect(bars).toEqual([daily(utc(2024, 1, 3, 15), DAY_MS, [140, 140, 140, 140, 1]), daily(utc(2024, 1, 4, 15), DAY_MS, [141, 141, 141, 141, 1])]);
  });
});

describe('barBuilder: configuration errors', () => {
  it.each([
    [0, {}, 'barBuilder: intervalMs must be a positive whole number of milliseconds, got 0'],
    [1.5, {}, 'barBuilder: intervalMs must be a positive whole number of milliseconds, got 1.5'],
    [HOUR_MS, { session: { zone: 'UTC', time: '00:00' } }, 'barBuilder: session applies to daily bars only (intervalMs 86400000), got intervalMs 3600000'],
    [DAY_MS, { session: { zone: 'Mars/Olympus', time: '17:00' } }, 'barBuilder: session: unknown time zone "Mars/Olympus"'],
    [DAY_MS, { session: { zone: 'UTC', time: '5pm' } }, 'barBuilder: session: "5pm" is not a wall time'],
  ] as const)('rejects intervalMs %p with %p', (intervalMs, options, message) => {
    expect(() => barBuilder(intervalMs, options)).toThrow(ConfigError);
    expect(() => barBuilder(intervalMs, options)).toThrow(message);
  });

  it("rejects late: 'drop' without onLate and unknown policies", () => {
    const dropWithoutHandler = { late: 'drop' } as unknown as BarBuilderOptions;
    expect(() => barBuilder(MINUTE_MS, dropWithoutHandler)).toThrow("late: 'drop' needs an onLate(event, droppedSoFar) callback");
    const unknownPolicy = { late: 'ignore' } as unknown as BarBuilderOptions;
    expect(() => barBuilder(MINUTE_MS, unknownPolicy)).toThrow(`late must be 'error' or 'drop', got "ignore"`);
    const unknownVolume = { quoteVolume: 'size' } as unknown as BarBuilderOptions;
    expect(() => barBuilder(MINUTE_MS, unknownVolume)).toThrow(`quoteVolume must be 'ticks' or 'zero', got "size"`);
  });
});

// 1-minute bars into 1-minute buckets: each closes its bucket, so each comes out at once.
const minuteBars = { a: bar('USDJPY', 0, [150, 151, 149, 150.5, 3]), b: bar('USDJPY', 60, [150.5, 152, 150, 151, 2]), c: bar('USDJPY', 120, [151, 151, 150, 150, 1]) };
describeOperatorContract<Tick | Bar, Bar>('barBuilder', {
  operator: () => barBuilder(MINUTE_MS),
  input: 'abc',
  values: minuteBars,
  expected: 'ABC',
  outputs: { A: minuteBars.a, B: minuteBars.b, C: minuteBars.c },
});
