import type { Observable, OperatorFunction, Subscriber } from 'rxjs';
import { isProtective, reasonOfChange } from '../src/core/orders';
import type { ContractBook, Order, OrderEvent } from '../src/core/types';
import type { OrderCommand, PlaceCommand } from '../src/portfolio/orders';
import type { WorkingOrder } from '../src/portfolio/types';
import { createLimitCheck, type Refusal, type RiskLimits, type RiskView } from '../src/risk/limits';
import { operate, subscribeInput } from './operate';

export interface RiskContext {
  /** The portfolio the limits read (positions, working orders, prices, equity). `Book` satisfies it. */
  readonly book: RiskView & { workingOrders(): readonly WorkingOrder[] };
  readonly contracts: ContractBook;
  /** While the latest value is true, no order may open or add exposure (`KILL_SWITCH`). No value yet = off. */
  readonly killSwitch$?: Observable<boolean>;
}

/** What the risk gate passes to `route`: its decisions, and the commands to carry out. */
export type RoutedCommand = OrderEvent | OrderCommand;

/**
 * The risk check between the order manager and the broker. Every order placed becomes exactly one decision,
 * `Accepted` or `Rejected` with a reason code and a message a person can read — never a silent drop — and so
 * does each protective child placed with it (refused with its parent). An accepted placement is then passed on
 * after the cancellations it asks for (the strategy's protective orders its target change replaces). Cancels
 * and modifications pass. Limits are described on `riskLimitsSchema`; with none set and the kill switch off
 * every order is accepted. Checks, first failure wins: KILL_SWITCH, MAX_ORDER_SIZE, MAX_POSITION,
 * MAX_GROSS_NOTIONAL, MAX_DAILY_LOSS, MAX_LOSS_PER_TRADE, ORDER_RATE. The decision's ts is the order's.
 *
 * The kill switch: while it is on, an order that opens or adds to its strategy's exposure is refused
 * (`KILL_SWITCH`); exits, orders that reduce a position and protective orders pass — a kill never traps a
 * position. When it goes on, the entries still working are cancelled (reason KILL_SWITCH); protective orders
 * and working exits stay.
 *
 * ```
 * killSwitch$: f-------t-----------f--
 * commands:    --a--b-----c--x--------d--|    x: an exit
 * out:         --A--R----KK--X--------A--|    A: Accepted   R: Rejected MAX_ORDER_SIZE   K: cancel of a working entry,
 *                                             then c refused with KILL_SWITCH   X: the exit accepted
 * ```
 *
 * The kill switch is subscribed before the orders and torn down with them; its error errors the stream
 * (a risk input that dies must not leave trading unguarded), its completion keeps its last value.
 */
export function riskGate(limits: RiskLimits, ctx: RiskContext): OperatorFunction<OrderCommand, RoutedCommand> {
  return operate((destination) => {
    let killed = false;
    const { book } = ctx;
    /** Whether `order` opens or adds to its strategy's exposure (with `counted` of its working orders). */
    const opensExposure = (order: Order, counted: boolean): boolean => {
      const held = book.position(order.strategyId, order.symbol) + (counted ? book.working(order.strategyId, order.symbol) : 0);
      return reasonOfChange(held, order.side === 'BUY' ? order.qty : -order.qty) !== 'exit';
    };
    if (ctx.killSwitch$ !== undefined) {
      subscribeInput(ctx.killSwitch$, destination, {
        next: (on) => {
          const turnedOn = on && !killed;
          killed = on;
          if (!turnedOn) return;
          for (const { order } of book.workingOrders()) {
            if (isProtective(order) || !opensExposure(order, false)) continue;
            destination.next({ kind: 'cancel', orderId: order.id, strategyId: order.strategyId, symbol: order.symbol, ts: order.ts, reason: 'KILL_SWITCH' });
          }
        },
      });
    }
    const limitCheck = createLimitCheck(limits, book, ctx.contracts);
    return {
      next(command) {
        if (command.kind !== 'place') {
          destination.next(command);
          return;
        }
        const { order } = command;
        const refusal: Refusal | undefined =
          killed && !isProtective(order) && opensExposure(order, true)
            ? { reason: 'KILL_SWITCH', message: `order ${order.id} refused: the kill switch is on (only exits and protective orders pass)` }
            : limitCheck.check(order, command.children);
        if (refusal !== undefined) return refuse(destination, command, refusal);
        for (const orderId of command.cancelFirst) {
          destination.next({ kind: 'cancel', orderId, strategyId: order.strategyId, symbol: order.symbol, ts: order.ts, reason: 'TARGET_CHANGED' });
        }
        destination.next({ kind: 'order', status: 'Accepted', order, ts: order.ts });
        for (const child of command.children) destination.next({ kind: 'order', status: 'Accepted', order: child, ts: child.ts });
        // The cancellations are out; route places the order (and its children).
        destination.next(command);
      },
    };
  });
}

function refuse(destination: Subscriber<RoutedCommand>, command: PlaceCommand, refusal: Refusal): void {
  const { order } = command;
  destination.next({ kind: 'order', status: 'Rejected', order, ts: order.ts, reason: refusal.reason, message: refusal.message });
  for (const child of command.children) {
    destination.next({ kind: 'order', status: 'Rejected', order: child, ts: child.ts, reason: refusal.reason, message: `parent ${order.id} refused: ${refusal.message}` });
  }
}
