import type { Observable } from 'rxjs';
import type { Bar, ExecutionEvent, Order } from '../core/types';

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
  /** Submit an accepted order. Events for it arrive on `events$` (synchronously for the sim). */
  place(order: Order): void;
  cancel(orderId: string): void;
  /**
   * Replay brokers fill from bars: the runner calls this for every bar BEFORE any strategy sees it, so
   * pending orders fill at this bar's open and every decision sees the position including those fills.
   * Live brokers leave it out.
   */
  onBar?(bar: Bar): void;
  /** Release connections and timers. */
  close?(): Promise<void> | void;
}
