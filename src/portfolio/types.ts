import type { Bar, ExecutionEvent, Order, Position, Trade } from '../core/types';

/** The strategy id of account-level (all strategies netted) positions. */
export const ACCOUNT_ID = '*';

/** A position with what a report or UI also wants to see. */
export interface PositionSnapshot extends Position {
  /** Commission paid so far, account currency (each at the rate of its fill). */
  readonly commissionAccount: number;
  /** Signed units of orders still working. */
  readonly working: number;
  /** Last close of the symbol (NaN before its first bar). */
  readonly lastPrice: number;
}

/** An order still working at the broker and the units of it not yet filled. */
export interface WorkingOrder {
  readonly order: Order;
  readonly remaining: number;
}

/** A bar has been marked to market: `equity` is the account's, in the account currency, at the bar's close. */
export interface MarkUpdate {
  readonly kind: 'mark';
  readonly bar: Bar;
  readonly equity: number;
}

/** A round trip closed (by the fill just before it in the stream). */
export interface TradeClosed {
  readonly kind: 'trade';
  readonly trade: Trade;
}

/**
 * What `markToMarket` emits, in the order it happened: each execution event after the book has applied it
 * (so a reader querying the book sees it), the trade a fill closed, and one mark per bar.
 */
export type PortfolioUpdate = ExecutionEvent | TradeClosed | MarkUpdate;
