import type { OperatorFunction } from 'rxjs';
import type { ExecutionEvent, OrderEvent } from '../src/core/types';
import type { Broker } from '../src/broker/types';
import { operate, subscribeInput } from './operate';

export interface RouteOptions {
  /**
   * What the end of the decisions means. false (default, replay): the run is over — the output completes at
   * once and orders still working stay working (the book and the report list them; nothing is dropped or
   * invented). true (live shutdown): keep forwarding broker events until every order this route placed is
   * done (filled in full, cancelled or rejected); cancel working orders first so that happens.
   */
  readonly drain?: boolean;
}

/** Fills are compared in units; smaller remainders are float noise. */
const QTY_EPSILON = 1e-9;

/**
 * Forwards the risk gate's decisions to a broker and merges in what the broker reports (the order
 * router): `Accepted` is passed on, then `broker.place(order)`; `Rejected` is passed on unchanged;
 * everything `broker.events$` emits (Submitted, fills, Filled, Cancelled, broker rejections, events of
 * orders placed elsewhere) is passed on as it happens. `broker.events$` is subscribed BEFORE the decisions,
 * so events a broker emits synchronously inside `place` (the sim does) are never missed, and the output is
 * in the order things happened. A `place` that throws becomes a `Rejected` event with reason `BROKER`.
 *
 * ```
 * decisions:      --A----R-------|          A: Accepted order 1   R: Rejected order 2
 * broker.events$: ---s-----f-F-------       s: Submitted 1   f: fill 1   F: Filled 1
 * output:         --As---R-f-F---|          (drain: completes after F if the source ended before it)
 * ```
 *
 * A broker error errors the output; a broker `events$` that completes while orders can still be placed is
 * an error too (orders sent to it would vanish).
 */
export function route(broker: Broker, options: RouteOptions = {}): OperatorFunction<OrderEvent, ExecutionEvent> {
  const drain = options.drain ?? false;
  return operate((destination) => {
    /** drain: units not yet filled of orders this route placed and the broker has not finished. */
    const outstanding = new Map<string, number>();
    let sourceDone = false;
    let brokerDone = false;

    const completeIfDrained = (): void => {
      if (sourceDone && outstanding.size === 0) destination.complete();
    };

    subscribeInput(broker.events$, destination, {
      next(event) {
        if (drain && outstanding.size > 0) {
          if (event.kind === 'fill') {
            const left = outstanding.get(event.orderId);
            if (left !== undefined) {
              if (left - event.qty < QTY_EPSILON) outstanding.delete(event.orderId);
              else outstanding.set(event.orderId, left - event.qty);
            }
          } else if (event.status === 'Cancelled' || event.status === 'Rejected') {
            outstanding.delete(event.order.id);
          }
        }
        destination.next(event);
        if (drain) completeIfDrained();
      },
      complete() {
        brokerDone = true;
        if (sourceDone) destination.complete();
        else destination.error(new Error(`broker "${broker.name}" stopped reporting (events$ completed) while orders can still be placed`));
      },
    });

    return {
      next(decision) {
        destination.next(decision);
        // A consumer that left on the decision itself (`take`) sends no order.
        if (decision.status !== 'Accepted' || destination.closed) return;
        const { order } = decision;
        if (drain) outstanding.set(order.id, order.qty);
        try {
          broker.place(order);
        } catch (error) {
          outstanding.delete(order.id);
          destination.next({
            kind: 'order',
            status: 'Rejected',
            order,
            ts: order.ts,
            reason: 'BROKER',
            message: `broker "${broker.name}" refused order ${order.id}: ${error instanceof Error ? error.message : String(error)}`,
          });
        }
      },
      complete() {
        sourceDone = true;
        if (!drain || brokerDone) destination.complete();
        else completeIfDrained();
      },
    };
  });
}
