import type { Observable, OperatorFunction } from 'rxjs';
import { ConfigError, DataError } from '../src/core/errors';
import { DAY_MS, isoUtc, parseWallTime, zoneClock, type ZoneClock } from '../src/core/time';
import type { Bar, Tick } from '../src/core/types';
import { operate, subscribeInput } from './operate';

/** Where a daily bucket starts: a local wall time in an IANA zone. */
export interface SessionSpec {
  readonly zone: string;
  /** "HH:MM" local wall time (00:00 … 24:00). */
  readonly time: string;
}

/** The FX trading day: it rolls at 17:00 New York time, summer and winter. */
export const FX_SESSION: SessionSpec = { zone: 'America/New_York', time: '17:00' };

/** What a late event is handed to, with the number dropped so far (this one included). */
export type LateHandler = (event: Tick | Bar, droppedSoFar: number) => void;

interface BarBuilderBaseOptions {
  /**
   * Event-time watermark (UTC epoch ms): every bucket ending at or before a value closes. Live feeds pass
   * `watermarkClock(...)` from `src/core/clocks` so a quiet market still gets its bar on time.
   */
  readonly clock$?: Observable<number>;
  /** Daily buckets only (intervalMs = 86_400_000): where the day starts. Default {@link FX_SESSION}. */
  readonly session?: SessionSpec;
  /**
   * Volume of a bar built from quotes: `'ticks'` (default) counts the quotes, `'zero'` reports 0.
   * Quote sizes are resting liquidity, not traded volume, so they are never summed.
   */
  readonly quoteVolume?: 'ticks' | 'zero';
}

export type BarBuilderOptions = BarBuilderBaseOptions &
  (
    | {
        /** An event older than the open bucket is a `DataError` (default). */
        readonly late?: 'error';
      }
    | {
        /** An event older than the open bucket is dropped, counted and handed to `onLate`. */
        readonly late: 'drop';
        readonly onLate: LateHandler;
      }
  );

/** Per-symbol accumulator: one object per symbol, reused bucket after bucket. */
interface SymbolBucket {
  readonly symbol: string;
  /** Start of the bucket these fields describe (NaN before the first event). */
  cell: number;
  /** The bucket was emitted already (an input bar ended at its end). */
  closed: boolean;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * Aggregates quote ticks (mid price), trade ticks (last price, size as volume) or finer bars into bars of
 * `intervalMs`, one open bucket per symbol.
 *
 * Buckets are aligned to UTC epoch multiples of `intervalMs`; a bar's `ts` is its bucket's START. Daily
 * buckets (`intervalMs` = 86_400_000) run from one session boundary to the next in a zone, by default 17:00
 * America/New_York (the FX day), DST-correct: across a DST change a daily bucket spans 23 or 25 hours, and
 * the bar carries its true span as `intervalMs`, so `ts + intervalMs` is always the instant it closed.
 *
 * open = first, high/low = extremes, close = last (in arrival order), volume = sum: trade sizes, input bar
 * volumes, or for quotes the number of quotes ("tick volume", what MetaTrader and cTrader report for FX,
 * which has no consolidated traded volume; `quoteVolume: 'zero'` gives IB MIDPOINT-style 0).
 *
 * Event time only, never wall time. The stream's time (its watermark) is the largest `ts` seen (an input
 * bar counts at its start) or `clock$` value. Every bucket ending at or before the watermark closes; bars
 * closing together come out in order of first appearance of their symbols, so output is ordered by close
 * time and deterministic. An input bar ending exactly at its bucket's end closes that symbol's bucket at
 * once: a 1-minute bar built from 5-second bars is out with the :55 bar, not when the :00 bar shows up.
 * Completion flushes the open buckets; an error is passed on without flushing. Empty buckets give no bar.
 *
 * Several symbols on one stream must be merged in time order (as replay and a single live feed are): an
 * event older than the open bucket is late and follows `late` — `'error'` (default, a `DataError` naming
 * symbol, event time and bucket) or `'drop'` (counted and handed to `onLate`, never silently).
 *
 * ```
 * 1-minute bars; a b c in 10:00–10:01, d at 10:01:30, e at 10:02:10; clock$ k = 10:03:00
 * source:  -a--b--c---d----e-------|
 * clock$:  -------------------k-----
 * result:  -----------x----y--z----|     x = 10:00 bar (a,b,c), y = 10:01 (d), z = 10:02 (e)
 * ```
 *
 * Hot path: no allocation or closure per event except the emitted `Bar`.
 */
export function barBuilder(intervalMs: number, options: BarBuilderOptions = {}): OperatorFunction<Tick | Bar, Bar> {
  const session = resolveBuckets(intervalMs, options.session);
  const late = options.late ?? 'error';
  if (late !== 'error' && late !== 'drop') {
    throw new ConfigError(`late must be 'error' or 'drop', got ${JSON.stringify(late)}`, 'barBuilder');
  }
  const onLate = options.late === 'drop' ? options.onLate : undefined;
  if (late === 'drop' && typeof onLate !== 'function') {
    throw new ConfigError("late: 'drop' needs an onLate(event, droppedSoFar) callback, so drops are never silent", 'barBuilder');
  }
  const quoteVolumeOption = options.quoteVolume ?? 'ticks';
  if (quoteVolumeOption !== 'ticks' && quoteVolumeOption !== 'zero') {
    throw new ConfigError(`quoteVolume must be 'ticks' or 'zero', got ${JSON.stringify(quoteVolumeOption)}`, 'barBuilder');
  }
  const quoteVolume = quoteVolumeOption === 'ticks' ? 1 : 0;
  const clock$ = options.clock$;

  return operate((subscriber) => {
    const zone: ZoneClock | undefined = session ? zoneClock(session.zone) : undefined;
    const sessionMinute = session ? session.minute : 0;
    // The one bucket every open symbol is in: all buckets share one grid and everything older closed.
    let cellStart = -Infinity;
    let cellEnd = -Infinity;
    const bySymbol = new Map<string, SymbolBucket>();
    const firstSeen: SymbolBucket[] = [];
    let lastSymbol = '';
    let last: SymbolBucket | undefined;
    let dropped = 0;
    let done = false;

    subscriber.add(() => {
      done = true;
      bySymbol.clear();
      firstSeen.length = 0;
      last = undefined;
    });

    const cell = { start: 0, end: 0 };
    const moveCellTo = (ts: number): void => {
      cellAt(ts, intervalMs, zone, sessionMinute, cell);
      cellStart = cell.start;
      cellEnd = cell.end;
    };

    const emit = (b: SymbolBucket): void => {
      b.closed = true;
      subscriber.next({
        kind: 'bar',
        symbol: b.symbol,
        ts: cellStart,
        intervalMs: cellEnd - cellStart,
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        volume: b.volume,
      });
    };

    const closeCell = (): void => {
      for (let i = 0; i < firstSeen.length && !done; i++) {
        const b = firstSeen[i];
        if (b.cell === cellStart && !b.closed) emit(b);
      }
    };

    const fail = (error: unknown): void => {
      done = true;
      subscriber.error(error);
    };

    const lateEvent = (event: Tick | Bar, why: string): void => {
      if (onLate === undefined) {
        fail(
          new DataError(
            `late event: ${why} (late: 'error')`,
            { field: 'ts' },
            `symbol ${event.symbol}, event ts ${isoUtc(event.ts)}, bucket ${isoUtc(cellStart)} to ${isoUtc(cellEnd)}`,
          ),
        );
        return;
      }
      try {
        onLate(event, ++dropped);
      } catch (error) {
        fail(error);
      }
    };

    const onEvent = (event: Tick | Bar): void => {
      if (done) return;
      const ts = event.ts;
      if (ts >= cellEnd) {
        closeCell();
        if (done) return;
        moveCellTo(ts);
      } else if (ts < cellStart) {
        lateEvent(event, 'older than the open bucket');
        return;
      }

      let b = last;
      if (event.symbol !== lastSymbol || b === undefined) {
        b = bySymbol.get(event.symbol);
        if (b === undefined) {
          b = { symbol: event.symbol, cell: Number.NaN, closed: false, open: 0, high: 0, low: 0, close: 0, volume: 0 };
          bySymbol.set(event.symbol, b);
          firstSeen.push(b);
        }
        lastSymbol = event.symbol;
        last = b;
      }

      let open: number;
      let high: number;
      let low: number;
      let close: number;
      let volume: number;
      let endsBucket = false;
      if (event.kind === 'quote') {
        open = high = low = close = (event.bid + event.ask) * 0.5;
        volume = quoteVolume;
      } else if (event.kind === 'trade') {
        open = high = low = close = event.price;
        volume = event.size;
      } else {
        const end = ts + event.intervalMs;
        if (end > cellEnd) {
          fail(
            new DataError(
              'an input bar must fit inside one output bucket (its interval must divide the output interval and align with it)',
              { field: 'intervalMs' },
              `symbol ${event.symbol}, bar ${isoUtc(ts)} + ${event.intervalMs} ms, bucket ${isoUtc(cellStart)} to ${isoUtc(cellEnd)}`,
            ),
          );
          return;
        }
        endsBucket = end === cellEnd;
        open = event.open;
        high = event.high;
        low = event.low;
        close = event.close;
        volume = event.volume;
      }

      if (b.cell !== cellStart) {
        b.cell = cellStart;
        b.closed = false;
        b.open = open;
        b.high = high;
        b.low = low;
        b.close = close;
        b.volume = volume;
      } else if (b.closed) {
        lateEvent(event, 'its bucket was already closed by an input bar ending at the bucket end');
        return;
      } else {
        if (high > b.high) b.high = high;
        if (low < b.low) b.low = low;
        b.close = close;
        b.volume += volume;
      }
      if (endsBucket) emit(b);
    };

    if (clock$ !== undefined) {
      subscribeInput(clock$, subscriber, {
        next: (watermark) => {
          if (done || !(watermark >= cellEnd)) return;
          closeCell();
          if (!done) moveCellTo(watermark);
        },
        error: fail,
      });
    }
    return {
      next: onEvent,
      error: fail,
      complete: () => {
        if (done) return;
        closeCell();
        if (!done) subscriber.complete();
      },
    };
  });
}

interface ResolvedSession {
  readonly zone: string;
  readonly minute: number;
}

/** Checks a bucket interval (ConfigError) and resolves the session of daily buckets (undefined for others). */
function resolveBuckets(intervalMs: number, session: SessionSpec | undefined): ResolvedSession | undefined {
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    throw new ConfigError(`intervalMs must be a positive whole number of milliseconds, got ${String(intervalMs)}`, 'barBuilder');
  }
  return resolveSession(intervalMs, session);
}

/** The bucket holding `ts` into `cell`: an epoch multiple of `intervalMs`, or the session day in `zone`. */
function cellAt(ts: number, intervalMs: number, zone: ZoneClock | undefined, sessionMinute: number, cell: { start: number; end: number }): void {
  if (zone === undefined) {
    cell.start = ts - (((ts % intervalMs) + intervalMs) % intervalMs);
    cell.end = cell.start + intervalMs;
    return;
  }
  let day = zone.localDayIndex(ts);
  let start = zone.utcOf(day, sessionMinute);
  while (start > ts) start = zone.utcOf(--day, sessionMinute);
  let end = zone.utcOf(day + 1, sessionMinute);
  while (end <= ts) {
    start = end;
    end = zone.utcOf(++day + 1, sessionMinute);
  }
  cell.start = start;
  cell.end = end;
}

function resolveSession(intervalMs: number, session: SessionSpec | undefined): ResolvedSession | undefined {
  if (session === undefined && intervalMs !== DAY_MS) return undefined;
  if (intervalMs !== DAY_MS) {
    throw new ConfigError(`session applies to daily bars only (intervalMs 86400000), got intervalMs ${intervalMs}`, 'barBuilder');
  }
  const spec = session ?? FX_SESSION;
  try {
    zoneClock(spec.zone);
    return { zone: spec.zone, minute: parseWallTime(spec.time) };
  } catch (error) {
    throw new ConfigError(`session: ${error instanceof Error ? error.message : String(error)}`, 'barBuilder');
  }
}

/** Where a reader that holds ticks as numbers hands them, in time order (see {@link priceBars}). */
export interface TickSink {
  /** A quote at `ts`: its mid (bid + ask) / 2 is the price, as `barBuilder` takes a quote tick. */
  quote(ts: number, bid: number, ask: number): void;
  /** A trade at `ts`: its price, its size as volume. */
  trade(ts: number, price: number, size: number): void;
  /** The end of the ticks: the open bar goes out. */
  flush(): void;
}

/**
 * The bars `barBuilder(intervalMs, options)` makes of one symbol's ticks, built from numbers instead of
 * `Tick` objects: a tick file's reader calls it per row, so a replay of millions of ticks allocates only the
 * bars. Same buckets, same values, same bar objects, emitted at the same points (a bar when the first tick
 * after its bucket arrives, the last one on `flush`). The caller guarantees what makes the general operator's
 * other paths unreachable: one symbol, times that never go back (so no event is late), no `clock$`.
 */
export function priceBars(
  intervalMs: number,
  options: Pick<BarBuilderBaseOptions, 'session' | 'quoteVolume'> = {},
): (symbol: string, emit: (bar: Bar) => void) => TickSink {
  // Options are checked here, when the builder is made, as `barBuilder(intervalMs, options)` checks them.
  const session = resolveBuckets(intervalMs, options.session);
  const quoteVolumeOption = options.quoteVolume ?? 'ticks';
  if (quoteVolumeOption !== 'ticks' && quoteVolumeOption !== 'zero') {
    throw new ConfigError(`quoteVolume must be 'ticks' or 'zero', got ${JSON.stringify(quoteVolumeOption)}`, 'barBuilder');
  }
  const quoteVolume = quoteVolumeOption === 'ticks' ? 1 : 0;
  return (symbol, emit) => priceBuckets(intervalMs, session, quoteVolume, symbol, emit);
}

function priceBuckets(intervalMs: number, session: ResolvedSession | undefined, quoteVolume: number, symbol: string, emit: (bar: Bar) => void): TickSink {
  const zone: ZoneClock | undefined = session ? zoneClock(session.zone) : undefined;
  const sessionMinute = session ? session.minute : 0;
  const cell = { start: -Infinity, end: -Infinity };
  // The open bar: none before the first tick and after it went out.
  let open = false;
  let o = 0;
  let h = 0;
  let l = 0;
  let c = 0;
  let v = 0;

  const out = (): void => {
    open = false;
    emit({ kind: 'bar', symbol, ts: cell.start, intervalMs: cell.end - cell.start, open: o, high: h, low: l, close: c, volume: v });
  };
  const add = (ts: number, price: number, volume: number): void => {
    if (ts >= cell.end) {
      if (open) out();
      cellAt(ts, intervalMs, zone, sessionMinute, cell);
    }
    if (!open) {
      open = true;
      o = h = l = c = price;
      v = volume;
      return;
    }
    if (price > h) h = price;
    if (price < l) l = price;
    c = price;
    v += volume;
  };
  return {
    quote: (ts, bid, ask) => add(ts, (bid + ask) * 0.5, quoteVolume),
    trade: add,
    flush: () => {
      if (open) out();
    },
  };
}
