import { ignoreElements, lastValueFrom, tap } from 'rxjs';
import { fetchIbkrHistory, type HistoricalWhatToShow } from '../adapters/ibkr/history/historyService';
import type { BarSize } from '../adapters/ibkr/history/chunks';
import type { HistoryStore } from '../adapters/ibkr/history/store';
import type { IbConnection } from '../adapters/ibkr/connection';
import type { IbContractBook } from '../adapters/ibkr/contracts';
import { contractFor } from '../core/contracts';
import { DataError } from '../core/errors';
import { DAY_MS, isoUtc, parseWallTime, zoneClock } from '../core/time';
import type { Bar, Decision } from '../core/types';
import { isTarget } from '../core/orders';
import { formatDuration } from '../data/intervals';
import type { DecisionHold } from '../runner/graph';
import type { Warmup } from '../strategy/types';

/**
 * Strategy warm-up before the first live bar.
 *
 * A live start joins history and the real-time feed at one boundary, `liveFrom`: the first bar boundary at or
 * after the feed's first input (an input before it is dropped, so no strategy sees a partial bar). Once the feed
 * has passed `liveFrom`, the bars before it are complete; the history each strategy declares (`warmup`) is
 * fetched up to `liveFrom` (exclusive) and runs through the same strategies, in the same graph, before the first
 * live bar: history bars `[…, liveFrom)`, then live bars `[liveFrom, …)` — no gap and no minute twice, by
 * construction. Live bars that close meanwhile wait and follow in order.
 *
 * What is held: a history bar that closed before the feed's first input (`startTs`) closed before this engine
 * could act on it — the strategies see it and their decisions on it are not traded (`DecisionHold`). The one
 * bar that closed after the feed started but before `liveFrom` (the bucket the start fell into) is traded like
 * a live bar, late by the fetch: an uninterrupted engine would have acted on it, and a decision due then (an
 * exit at 09:55) must not be lost because the engine started at 09:54:30.
 *
 * A strategy whose history is unavailable or too short is, by `onShort`: `refuse` (default) — benched: it sees
 * the bars and trades nothing this run, the others trade; `trade` — it trades from what it got (cold, as with no
 * warm-up); `stop` — the run stops with the message. Strategies get no fills during warm-up: no order is sent,
 * so a strategy reading its own fills sees none for history bars.
 */

/** The live `warmup` section (see `liveConfig.ts`). */
export interface WarmupSettings {
  /** Local bar files by symbol (Parquet or CSV, at the live bar interval): read first; IB supplies what follows their last bar. */
  readonly files: Readonly<Record<string, string>>;
  readonly onShort: 'refuse' | 'trade' | 'stop';
}

export type WarmupSourceName = 'ibkr' | 'store' | 'store+ibkr' | 'none';

/** Bars of one symbol in `[from, to)`. */
export interface HistoryRequest {
  readonly symbol: string;
  readonly from: number;
  readonly to: number;
}

export interface HistoryAnswer {
  /** Ascending by `ts`, at the live bar interval, inside the request's range. */
  readonly bars: readonly Bar[];
  readonly source: WarmupSourceName;
}

export type HistorySource = (request: HistoryRequest) => Promise<HistoryAnswer>;

/** A strategy as the warm-up needs it. */
export interface WarmupStrategy {
  readonly id: string;
  readonly symbol: string;
  readonly warmup: Warmup;
}

/** What one strategy got. `firstTs`/`lastEnd` bound the bars it needed (start of the first, end of the last). */
export type WarmupOutcome =
  | {
      readonly status: 'warmed';
      readonly strategyId: string;
      readonly symbol: string;
      readonly bars: number;
      readonly firstTs: number | undefined;
      readonly lastEnd: number | undefined;
      readonly source: WarmupSourceName;
      /** Its last target during warm-up (contracts), undefined when it set none. */
      readonly target: number | undefined;
    }
  | {
      readonly status: 'short';
      readonly strategyId: string;
      readonly symbol: string;
      readonly bars: number;
      readonly needed: string;
      readonly reason: string;
      /** What the run does about it (`onShort`). */
      readonly action: 'refused' | 'trading cold';
    };

/** The start of the session a `{ session: { zone, from } }` warm-up asks for: the last `from` wall time in `zone` at or before `at`. */
export function sessionStart(zone: string, from: string, at: number): number {
  const clock = zoneClock(zone);
  const minute = parseWallTime(from);
  const day = clock.localDayIndex(at);
  const today = clock.utcOf(day, minute);
  return today <= at ? today : clock.utcOf(day - 1, minute);
}

/** What a warm-up needs, in words: `51 bars of 1m` / `every 1m bar since 00:00 Asia/Tokyo`. */
export function describeNeed(warmup: Warmup, intervalMs: number): string {
  const bar = formatDuration(intervalMs);
  return 'bars' in warmup ? `${warmup.bars} bars of ${bar}` : `every ${bar} bar since ${warmup.session.from} ${warmup.session.zone}`;
}

/** Each symbol's history, or why there is none. */
type SymbolHistory = { readonly bars: readonly Bar[]; readonly source: WarmupSourceName } | { readonly error: string };

/**
 * Fetches each symbol's history once, for the most any of its strategies needs, up to `liveFrom` (exclusive),
 * and judges each strategy's share. A `{ bars: n }` warm-up first asks for n bar intervals and reaches further
 * back (×4 each time, at most 4 days or 3n intervals: over a weekend or a holiday) while fewer than n bars came.
 */
export async function fetchWarmupHistory(
  strategies: readonly WarmupStrategy[],
  options: { readonly liveFrom: number; readonly intervalMs: number; readonly source: HistorySource; readonly onShort: WarmupSettings['onShort'] },
): Promise<{ readonly bars: readonly Bar[]; readonly outcomes: readonly WarmupOutcome[] }> {
  const { liveFrom, intervalMs, source } = options;
  const symbols = [...new Set(strategies.map((s) => s.symbol))];
  const histories = new Map<string, SymbolHistory>();
  for (const symbol of symbols) {
    const own = strategies.filter((s) => s.symbol === symbol);
    const count = Math.max(0, ...own.map((s) => ('bars' in s.warmup ? s.warmup.bars : 0)));
    const sessionFrom = Math.min(liveFrom, ...own.map((s) => ('session' in s.warmup ? sessionStart(s.warmup.session.zone, s.warmup.session.from, liveFrom) : liveFrom)));
    histories.set(symbol, await historyOf(symbol, { count, sessionFrom, liveFrom, intervalMs, source }));
  }

  const outcomes = strategies.map((strategy): WarmupOutcome => {
    const history = histories.get(strategy.symbol) as SymbolHistory;
    const needed = describeNeed(strategy.warmup, intervalMs);
    const short = (bars: number, reason: string): WarmupOutcome => ({
      status: 'short',
      strategyId: strategy.id,
      symbol: strategy.symbol,
      bars,
      needed,
      reason,
      action: options.onShort === 'trade' ? 'trading cold' : 'refused',
    });
    const before = `before ${isoUtc(liveFrom)}`;
    if ('error' in history) return short(0, `strategy "${strategy.id}" (${strategy.symbol}) needs ${needed} ${before}: history unavailable: ${history.error}`);
    const all = history.bars;
    let used: readonly Bar[];
    if ('bars' in strategy.warmup) {
      const n = strategy.warmup.bars;
      used = n === 0 ? [] : all.slice(Math.max(0, all.length - n));
      if (used.length < n) {
        const got = used.length === 0 ? 'got none' : `got ${used.length} (${isoUtc(used[0].ts)} to ${isoUtc(used[used.length - 1].ts + intervalMs)})`;
        return short(used.length, `strategy "${strategy.id}" (${strategy.symbol}) needs ${needed} ${before}; history (${history.source}) ${got}`);
      }
    } else {
      const from = sessionStart(strategy.warmup.session.zone, strategy.warmup.session.from, liveFrom);
      used = all.filter((bar) => bar.ts >= from);
    }
    return {
      status: 'warmed',
      strategyId: strategy.id,
      symbol: strategy.symbol,
      bars: used.length,
      firstTs: used[0]?.ts,
      lastEnd: used.length === 0 ? undefined : used[used.length - 1].ts + intervalMs,
      source: used.length === 0 ? 'none' : history.source,
      target: undefined,
    };
  });

  // Every symbol's bars in one stream, by time (symbols in config order at the same time), as live bars come.
  const bars: Bar[] = [];
  for (const symbol of symbols) {
    const history = histories.get(symbol) as SymbolHistory;
    if (!('error' in history)) for (const bar of history.bars) bars.push(bar);
  }
  const order = new Map(symbols.map((s, i) => [s, i]));
  bars.sort((a, b) => a.ts - b.ts || (order.get(a.symbol) as number) - (order.get(b.symbol) as number));
  return { bars, outcomes };
}

async function historyOf(
  symbol: string,
  need: { readonly count: number; readonly sessionFrom: number; readonly liveFrom: number; readonly intervalMs: number; readonly source: HistorySource },
): Promise<SymbolHistory> {
  const { count, liveFrom, intervalMs, source } = need;
  const maxLookbackMs = Math.max(4 * DAY_MS, 3 * count * intervalMs);
  let from = Math.min(need.sessionFrom, liveFrom - count * intervalMs);
  if (from >= liveFrom) return { bars: [], source: 'none' };
  try {
    const first = await source({ symbol, from, to: liveFrom });
    let bars = inRange(first.bars, from, liveFrom, symbol, intervalMs);
    let name = first.source;
    while (bars.length < count && liveFrom - from < maxLookbackMs) {
      const earlier = Math.max(liveFrom - maxLookbackMs, liveFrom - (liveFrom - from) * 4);
      const more = await source({ symbol, from: earlier, to: from });
      bars = [...inRange(more.bars, earlier, from, symbol, intervalMs), ...bars];
      if (more.bars.length > 0) name = joinSources(more.source, name);
      from = earlier;
    }
    return { bars, source: name };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** The bars of one answer inside `[from, to)`, ascending, one per time; a bar of another interval is an error. */
function inRange(bars: readonly Bar[], from: number, to: number, symbol: string, intervalMs: number): Bar[] {
  const out: Bar[] = [];
  for (const bar of bars) {
    if (bar.ts < from || bar.ts >= to || (out.length > 0 && bar.ts <= out[out.length - 1].ts)) continue;
    if (bar.intervalMs !== intervalMs) {
      throw new Error(`${symbol} history has ${formatDuration(bar.intervalMs)} bars (${isoUtc(bar.ts)}); live bars are ${formatDuration(intervalMs)}`);
    }
    out.push(bar);
  }
  return out;
}

function joinSources(a: WarmupSourceName, b: WarmupSourceName): WarmupSourceName {
  if (a === b || b === 'none') return a;
  if (a === 'none') return b;
  return 'store+ibkr';
}

/** IB historical bars through the project's history service (paced, chunked, validated), kept in memory. */
export function ibkrHistorySource(options: {
  readonly connection: IbConnection;
  readonly contracts: IbContractBook;
  readonly barSize: BarSize;
  readonly whatToShow: (symbol: string) => HistoricalWhatToShow;
  readonly requestTimeoutMs?: number;
}): HistorySource {
  return async ({ symbol, from, to }) => {
    const fetched: Bar[] = [];
    const memory: HistoryStore = {
      coverage: () => Promise.resolve(undefined),
      append: (_path, bars) => {
        fetched.push(...bars);
        return Promise.resolve({ rows: fetched.length });
      },
    };
    await fetchIbkrHistory({
      connection: options.connection,
      contract: contractFor(options.contracts, symbol),
      barSize: options.barSize,
      from,
      to,
      whatToShow: options.whatToShow(symbol),
      out: `warm-up ${symbol}`,
      store: memory,
      requestTimeoutMs: options.requestTimeoutMs,
    });
    return { bars: fetched, source: 'ibkr' };
  };
}

/**
 * Local bar files first (`files`: symbol → Parquet/CSV path, read with the replay readers): the bars they hold
 * in the range win; `fallback` (IB) supplies what comes after their last bar, up to the request's end, so a file
 * a day old still joins the live feed without a gap. A symbol without a file goes to `fallback` alone.
 */
export function storeFirstHistorySource(files: Readonly<Record<string, string>>, fallback: HistorySource): HistorySource {
  return async (request) => {
    const file = files[request.symbol];
    if (file === undefined) return fallback(request);
    const stored: Bar[] = [];
    // Loaded here: the file readers bring DuckDB, which a live run without warm-up files does not need.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load in CommonJS
    const { replayFile } = require('../data/replay') as typeof import('../data/replay');
    try {
      await lastValueFrom(
        replayFile(file, { symbol: request.symbol }).pipe(
          tap((bar) => {
            if (bar.ts >= request.from && bar.ts < request.to) stored.push(bar);
          }),
          ignoreElements(),
        ),
        { defaultValue: undefined },
      );
    } catch (error) {
      if (error instanceof DataError) throw error;
      throw new Error(`warm-up file ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const storedEnd = stored.length === 0 ? request.from : stored[stored.length - 1].ts + stored[stored.length - 1].intervalMs;
    if (storedEnd >= request.to) return { bars: stored, source: 'store' };
    const rest = await fallback({ symbol: request.symbol, from: storedEnd, to: request.to });
    if (stored.length === 0) return rest;
    return { bars: [...stored, ...rest.bars], source: rest.bars.length === 0 ? 'store' : 'store+ibkr' };
  };
}

/** Where the live feed joins history, in feed time; see the module comment. */
export interface LiveBoundary {
  /** The feed's first input time: bars that closed by then are history (held). */
  readonly startTs: number;
  /** The first live bar's start: history ends before it, live input before it is dropped. */
  readonly liveFrom: number;
}

/**
 * The boundary for a feed whose first input is at `firstInputTs`. Real-time bars: the first bucket boundary at or
 * after it; quotes: the next one (a quote at :00.000 may be the bucket's second); bars of a day or more: the
 * current bar (no bucket is skipped).
 */
export function liveBoundaryOf(firstInputTs: number, intervalMs: number, source: 'realTimeBars' | 'quotes'): LiveBoundary {
  let liveFrom: number;
  if (intervalMs >= DAY_MS) liveFrom = Math.floor(firstInputTs / intervalMs) * intervalMs;
  else if (source === 'quotes') liveFrom = (Math.floor(firstInputTs / intervalMs) + 1) * intervalMs;
  else liveFrom = Math.ceil(firstInputTs / intervalMs) * intervalMs;
  return { startTs: firstInputTs, liveFrom };
}

export type WarmupReport =
  | { readonly kind: 'warmup-started'; readonly boundary: LiveBoundary }
  | { readonly kind: 'warmup-done'; readonly outcomes: readonly WarmupOutcome[]; readonly historyBars: number; readonly tradedLate: number };

export interface LiveWarmupOptions {
  readonly strategies: readonly WarmupStrategy[];
  readonly intervalMs: number;
  readonly source: 'realTimeBars' | 'quotes';
  readonly history: HistorySource;
  readonly onShort: WarmupSettings['onShort'];
  /** Into the graph, in order: history, then live bars. */
  readonly deliver: (bar: Bar) => void;
  readonly report: (report: WarmupReport) => void;
  /** The warm-up cannot go on (`onShort: 'stop'`, or a fault): the run stops with it. */
  readonly fail: (error: Error) => void;
}

/** The warm-up between the live feed and the graph. */
export interface LiveWarmup {
  /** Give to the graph (`runTradeRunner({ hold })`). */
  readonly hold: DecisionHold;
  /** Per raw input (a 5-second bar's start, a quote's time): false for input before the live boundary (drop it). */
  admit(inputTs: number): boolean;
  /** A closed live bar: held back until the warm-up is done, then delivered in order. */
  push(bar: Bar): void;
  /** Settles when the warm-up is over (done, or failed through `fail`); never rejects. */
  readonly settled: Promise<void>;
}

export class WarmupError extends Error {
  override readonly name = 'WarmupError';
}

export function createLiveWarmup(options: LiveWarmupOptions): LiveWarmup {
  const { intervalMs } = options;
  let boundary: LiveBoundary | undefined;
  let started = false;
  let done = false;
  const waiting: Bar[] = [];
  const benched = new Set<string>();
  const lastTarget = new Map<string, number>();
  let markSettled!: () => void;
  const settled = new Promise<void>((resolve) => (markSettled = resolve));
  const historyEnd = (): number => boundary?.startTs ?? Number.NEGATIVE_INFINITY;

  const hold: DecisionHold = {
    isHistory: (bar) => bar.ts + bar.intervalMs <= historyEnd(),
    isBenched: (strategyId) => benched.has(strategyId),
    onHeld: (decision: Decision, why) => {
      if (why === 'history' && isTarget(decision)) lastTarget.set(decision.strategyId, decision.target);
    },
  };

  const run = async (at: LiveBoundary): Promise<void> => {
    options.report({ kind: 'warmup-started', boundary: at });
    const { bars, outcomes } = await fetchWarmupHistory(options.strategies, {
      liveFrom: at.liveFrom,
      intervalMs,
      source: options.history,
      onShort: options.onShort,
    });
    const short = outcomes.filter((o) => o.status === 'short');
    if (short.length > 0 && options.onShort === 'stop') {
      throw new WarmupError(`${short.map((o) => o.reason).join('; ')} (live.warmup.onShort is "stop")`);
    }
    for (const o of short) if (options.onShort === 'refuse') benched.add(o.strategyId);
    let tradedLate = 0;
    for (const bar of bars) {
      if (!hold.isHistory(bar)) tradedLate++;
      options.deliver(bar);
    }
    const withTargets = outcomes.map((o) => (o.status === 'warmed' ? { ...o, target: lastTarget.get(o.strategyId) } : o));
    options.report({ kind: 'warmup-done', outcomes: withTargets, historyBars: bars.length - tradedLate, tradedLate });
  };

  const release = (): void => {
    done = true;
    for (let bar = waiting.shift(); bar !== undefined; bar = waiting.shift()) options.deliver(bar);
    markSettled();
  };

  return {
    hold,
    admit(inputTs) {
      boundary ??= liveBoundaryOf(inputTs, intervalMs, options.source);
      if (inputTs < boundary.liveFrom) return false;
      if (!started) {
        // The feed has reached the boundary: every bar before it is complete at the source.
        started = true;
        run(boundary).then(release, (error: unknown) => {
          markSettled();
          options.fail(error instanceof Error ? error : new Error(String(error)));
        });
      }
      return true;
    },
    push(bar) {
      if (done) options.deliver(bar);
      else waiting.push(bar);
    },
    settled,
  };
}
