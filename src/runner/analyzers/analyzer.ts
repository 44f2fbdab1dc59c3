import { DAY_MS } from '../../core/time';
import type { Fill, Trade } from '../../core/types';

/**
 * An analyzer watches one equity curve (a strategy's or the account's) and the events behind it, and reports
 * a result at the end, as Backtrader's analyzers do. The runner feeds it; it never reads the graph itself.
 *
 * Hooks are called in event-time order:
 * - `onEquity(ts, equity)`: once per bar, after the bar is marked to market, equity in the account currency;
 * - `onBar(ts, exposed)`: once per bar of the strategy's instrument, `exposed` = the position after that
 *   bar's fills is not zero;
 * - `onTrade(trade)`: when a round trip closes; `onFill(fill)`: on every execution.
 *
 * Hooks are hot paths (tens of millions of calls): they take plain numbers where a bar is involved, keep O(1)
 * state (plus whatever the analyzer keeps by design, such as the trade list or one number per day) and
 * allocate nothing per bar. `result()` is pure: it may be called any number of times, at any point, and
 * does not change what later hooks compute.
 */
export interface Analyzer<R> {
  readonly name: string;
  onEquity?(ts: number, equity: number): void;
  onBar?(ts: number, exposed: boolean): void;
  onTrade?(trade: Trade): void;
  onFill?(fill: Fill): void;
  result(): R;
}

export interface AnalyzerOptions {
  /** Equity before the first point, account currency: the reference of the first daily return and the first peak. */
  readonly initialEquity: number;
  /** Periods (days) per year used to annualize daily figures. Default {@link DEFAULT_PERIODS_PER_YEAR}. */
  readonly periodsPerYear?: number;
}

/**
 * 252 trading days a year, Backtrader's factor for daily data (`SharpeRatio_A`, `Returns`). FX trades about
 * 260 weekdays a year; 252 is kept so figures compare with Backtrader's and with equity conventions.
 */
export const DEFAULT_PERIODS_PER_YEAR = 252;

/** UTC day number of an epoch-ms timestamp (days since 1970-01-01). */
export function utcDayOf(ts: number): number {
  return Math.floor(ts / DAY_MS);
}

/** `YYYY-MM-DD` of a UTC day number. */
export function isoDateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
