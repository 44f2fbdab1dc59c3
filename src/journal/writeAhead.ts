import { operate } from '../../operators/operate';
import type { Broker } from '../broker/types';
import type { ExecutionEvent, Order } from '../core/types';
import type { GraphEvent } from '../runner/graph';
import type { Journal } from './journal';
import type { JournaledOrder } from './reader';

export interface WriteAheadOptions {
  /**
   * `order` was not sent: an order with its id is journaled as sent already (the same decision, remade after
   * a restart). Recovery re-adopts the one at the broker; this says it happened.
   */
  onAlreadySent(order: Order, previous: JournaledOrder): void;
}

/**
 * The broker as a run with a journal must see it, so that journaling cannot be forgotten:
 *
 * - `place(order, children)` journals the intent of the order and of every protective child sent with it
 *   (`journal.beforeSend`, committed together before it returns) and only then asks `broker` to place them; an
 *   order id journaled as sent before is not placed again, nor its children (`onAlreadySent`);
 * - `events$` journals each fill (`journal.recordFill`, committed) before passing it on, so the book sees
 *   only journaled fills; a fill whose execId is journaled already is not passed on (never booked twice);
 * - a journal that fails makes `place` throw (the order is not sent; `route` reports it rejected) and errors
 *   `events$` on the next fill, which stops the run.
 *
 * `cancel` and `modify` pass through: they send no new order id. Order events pass through as they are:
 * `recordGraphEvents` journals them with the risk gate's decisions (a modification's `Submitted` carries the
 * order's new version).
 */
export function writeAheadBroker(broker: Broker, journal: Journal, options: WriteAheadOptions): Broker {
  const events$ = broker.events$.pipe(
    operate<ExecutionEvent, ExecutionEvent>((destination) => ({
      next(event) {
        if (event.kind === 'fill' && journal.recordFill(event) === 'duplicate') return;
        destination.next(event);
      },
    })),
  );
  return {
    name: broker.name,
    events$,
    place(order, children = []) {
      const decision = journal.beforeSend(order, children);
      if (decision.send) broker.place(order, children);
      else options.onAlreadySent(order, decision.previous);
    },
    cancel: (orderId, reason) => broker.cancel(orderId, reason),
    modify: (order) => broker.modify(order),
    ...(broker.onBar === undefined ? {} : { onBar: broker.onBar.bind(broker) }),
    ...(broker.close === undefined ? {} : { close: broker.close.bind(broker) }),
  };
}

/**
 * Journals what a run's graph emits, batched: signals, order intents, order events (risk decisions and broker statuses),
 * closed trades with the fill that closed them, and each bar's mark (kept for the next fill). Fills are not
 * journaled here: `writeAheadBroker` journaled each one before the book saw it.
 *
 * ```ts
 * const run = runTradeRunner({ …, broker: writeAheadBroker(broker, journal, { onAlreadySent }) });
 * run.events$.subscribe(recordGraphEvents(journal));
 * ```
 */
export function recordGraphEvents(journal: Pick<Journal, 'recordSignal' | 'recordIntent' | 'recordOrderEvent' | 'recordTrade' | 'noteMark' | 'recordError'>): (event: GraphEvent) => void {
  let lastExecId: string | undefined;
  return (event) => {
    switch (event.kind) {
      case 'signal':
        journal.recordSignal(event.signal);
        return;
      case 'intent':
        journal.recordIntent(event.intent);
        return;
      case 'order':
        journal.recordOrderEvent(event);
        return;
      case 'fill':
        // The trade a fill closes follows it in the stream.
        lastExecId = event.execId;
        return;
      case 'trade':
        journal.recordTrade(event.trade, lastExecId);
        return;
      case 'mark':
        journal.noteMark(event.bar);
        return;
      case 'error':
        // A bracketed position found without its protection: kept with the run's errors.
        journal.recordError('order path', new Error(`${event.strategyId} ${event.symbol} (position ${event.position}): ${event.message}`), event.ts);
        return;
    }
  };
}
