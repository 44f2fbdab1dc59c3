import type { OperatorFunction } from 'rxjs';
import { isProtective } from '../src/core/orders';
import type { ExecutionEvent } from '../src/core/types';
import type { Broker } from '../src/broker/types';
import type { PlaceCommand } from '../src/portfolio/orders';
import type { RoutedCommand } from './riskGate';
import { operate, subscribeInput } from './operate';

export interface RouteOptions {
  /**
   * What the end of the decisions means. false (default, replay): the run is over — the output completes at
   * once and orders still working stay working (the book and the report list them; nothing is dropped or
   * invented). true (live shutdown): keep forwarding broker events until every order this route placed is
   * done (filled in full, cancelled or rejected); cancel working orders first so that happens. Protective
   * children placed with an order are not waited for: they protect the position at the broker after the run.
   */
  readonly drain?: boolean;
}

/** Fills are compared in units; smaller remainders are float noise. */
const QTY_EPSILON = 1e-9;

/**
 * Carries out the risk gate's output at a broker and merges in what the broker reports (the order router):
 * decisions (`Accepted`, `Rejected`) are passed on; a `place` command goes to `broker.place(order, children)`,
 * a `cancel` to `broker.cancel`, a `modify` to `broker.modify`; everything `broker.events$` emits (Submitted,
 * fills, Filled, Cancelled, broker rejections, events of orders placed elsewhere) is passed on as it happens.
 * `broker.events$` is subscribed BEFORE the commands, so events a broker emits synchronously inside `place`
 * (the sim does) are never missed, and the output is in the order things happened. A `place` that throws
 * becomes a `Rejected` event with reason `BROKER` for the order and each child; a `cancel` or `modify` that
 * throws errors the output (the order path asked for something impossible).
 *
 * ```
 * commands:       --AP---R-------|          A: Accepted order 1   P: place order 1   R: Rejected order 2
 * broker.events$: ---s-----f-F-------       s: Submitted 1   f: fill 1   F: Filled 1
 * output:         --As---R-f-F---|          (drain: completes after F if the source ended before it)
 * ```
 *
 * A broker error errors the output; a broker `events$` that completes while orders can still be placed is
 * an error too (orders sent to it would vanish).
 */
export function route(broker: Broker, options: RouteOptions = {}): OperatorFunction<RoutedCommand, ExecutionEvent> {
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

    const place = ({ order, children }: PlaceCommand): void => {
      // Protective orders are meant to outlive the run (they protect the position at the broker): not drained.
      if (drain && !isProtective(order)) outstanding.set(order.id, order.qty);
      try {
        broker.place(order, children);
      } catch (error) {
        outstanding.delete(order.id);
        const message = `broker "${broker.name}" refused order ${order.id}: ${error instanceof Error ? error.message : String(error)}`;
        for (const o of [order, ...children]) destination.next({ kind: 'order', status: 'Rejected', order: o, ts: o.ts, reason: 'BROKER', message });
      }
    };

    return {
      next(command) {
        // A consumer that left on a decision (`take`) sends nothing more.
        if (destination.closed) return;
        switch (command.kind) {
          case 'order':
            destination.next(command);
            return;
          case 'place':
            return place(command);
          case 'cancel':
            broker.cancel(command.orderId, command.reason);
            return;
          case 'modify':
            broker.modify(command.order);
            return;
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
