import type { Observable } from 'rxjs';
import type { Bar, CancelReason, ExecutionEvent, Order } from '../core/types';

/**
 * What `route` talks to. Replay uses `SimBroker` (fills from the bars themselves), live uses the IBKR broker
 * (fills from TWS); nothing downstream knows which one it got.
 */
export interface Broker {
  readonly name: string;
  /**
   * Hot stream of order lifecycle events and fills for every order placed through `place`.
   * Never completes on its own while the broker is usable; errors on an unrecoverable fault.
   */
  readonly events$: Observable<ExecutionEvent>;
  /**
   * Submit an accepted order and the protective children attached to it (each with `parentId` = its id). The
   * broker holds the children until the order fills, then they work; children sharing an `ocaGroup` cancel
   * each other when one fills, and a parent that ends unfilled takes its children with it. Events arrive on
   * `events$` (synchronously for the sim).
   */
  place(order: Order, children?: readonly Order[]): void;
  /** Cancel a working order; its Cancelled event carries `reason` (default REQUESTED). Unknown or done: nothing. */
  cancel(orderId: string, reason?: CancelReason): void;
  /**
   * Replace a working order's prices, trailing distance, quantity or time in force (same id, symbol, side and
   * type). The broker answers `Submitted` with the new version. Unknown or done: nothing.
   */
  modify(order: Order): void;
  /**
   * Replay brokers fill from bars: the runner calls this for every bar BEFORE any strategy sees it, so
   * pending orders fill at this bar's open and every decision sees the position including those fills.
   * Live brokers leave it out.
   */
  onBar?(bar: Bar): void;
  /** Release connections and timers. */
  close?(): Promise<void> | void;
}
