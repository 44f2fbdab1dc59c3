import type { OperatorFunction, Subscriber } from 'rxjs';
import { haltOf, NO_HALTS, type TradingHalts } from '../src/core/halts';
import { isProtective, reasonOfChange } from '../src/core/orders';
import type { ContractBook, Order, OrderEvent } from '../src/core/types';
import type { OrderCommand, PlaceCommand } from '../src/portfolio/orders';
import type { WorkingOrder } from '../src/portfolio/types';
import { createLimitCheck, type Refusal, type RiskLimits, type RiskView } from '../src/risk/limits';
import { operate } from './operate';

export interface RiskContext {
  /** The portfolio the limits read (positions, working orders, prices, equity). `Book` satisfies it. */
  readonly book: RiskView & { workingOrders(): readonly WorkingOrder[] };
  readonly contracts: ContractBook;
}

/** What the risk gate passes to `route`: its decisions, and the commands to carry out. */
export type RoutedCommand = OrderEvent | Exclude<OrderCommand, { kind: 'halts' }>;

/**
 * The risk check between the order manager and the broker. Every order placed becomes exactly one decision,
 * `Accepted` or `Rejected` with a reason code and a message a person can read — never a silent drop — and so
 * does each protective child placed with it (refused with its parent). An accepted placement is then passed on
 * after the cancellations it asks for (the strategy's protective orders its target change replaces). Cancels
 * and modifications pass. Limits are described on `riskLimitsSchema`; with none set and the kill switch off
 * every order is accepted. Checks, first failure wins: KILL_SWITCH, MAX_ORDER_SIZE, MAX_POSITION,
 * MAX_GROSS_NOTIONAL, MAX_DAILY_LOSS, MAX_LOSS_PER_TRADE, ORDER_RATE. The decision's ts is the order's.
 *
 * Halts arrive in band (`HaltsChange` from the order manager, before the commands they lead to) and are not
 * passed on. A killed strategy (its own kill switch or the engine-wide one): an order that opens or adds to its
 * exposure is refused (`KILL_SWITCH`); exits, orders that reduce a position and protective orders pass — a kill
 * never traps a position. When the kill starts, its entries still working are cancelled (reason KILL_SWITCH);
 * protective orders and working exits stay. A flattened strategy: every order but the flatten's own close is
 * refused (`FLATTENED`); the order manager cancels its working orders itself. A flatten's close passes every
 * check.
 *
 * ```
 * commands: --a--b--k--c--x--r--d--|    k: halts, kill all   r: halts, resume   x: an exit
 * out:      --A--R--K--C--X-----A--|    A: Accepted   R: Rejected MAX_ORDER_SIZE   K: cancel of a working entry
 *                                      C: c refused with KILL_SWITCH   X: the exit accepted
 * ```
 */
export function riskGate(limits: RiskLimits, ctx: RiskContext): OperatorFunction<OrderCommand, RoutedCommand> {
  return operate((destination) => {
    let halts: TradingHalts = NO_HALTS;
    const { book } = ctx;
    /** Whether `order` opens or adds to its strategy's exposure (with `counted` of its working orders). */
    const opensExposure = (order: Order, counted: boolean): boolean => {
      const held = book.position(order.strategyId, order.symbol) + (counted ? book.working(order.strategyId, order.symbol) : 0);
      return reasonOfChange(held, order.side === 'BUY' ? order.qty : -order.qty) !== 'exit';
    };
    /** The kill starts for a strategy: its working entries go; protective orders and exits stay. */
    const onHalts = (next: TradingHalts): void => {
      const before = halts;
      halts = next;
      for (const { order } of book.workingOrders()) {
        if (haltOf(next, order.strategyId) !== 'killed' || haltOf(before, order.strategyId) !== undefined) continue;
        if (isProtective(order) || !opensExposure(order, false)) continue;
        destination.next({ kind: 'cancel', orderId: order.id, strategyId: order.strategyId, symbol: order.symbol, ts: order.ts, reason: 'KILL_SWITCH' });
      }
    };
    const haltRefusal = (command: PlaceCommand): Refusal | undefined => {
      const { order } = command;
      switch (haltOf(halts, order.strategyId)) {
        case undefined:
          return undefined;
        case 'flat':
          return { reason: 'FLATTENED', message: `order ${order.id} refused: strategy "${order.strategyId}" is flattened until resumed` };
        case 'killed':
          return !isProtective(order) && opensExposure(order, true)
            ? { reason: 'KILL_SWITCH', message: `order ${order.id} refused: the kill switch is on (only exits and protective orders pass)` }
            : undefined;
      }
    };
    const limitCheck = createLimitCheck(limits, book, ctx.contracts);
    return {
      next(command) {
        if (command.kind === 'halts') return onHalts(command.halts);
        if (command.kind !== 'place') {
          destination.next(command);
          return;
        }
        const { order } = command;
        // A flatten's close is never refused: no limit may keep a position the operator wants gone.
        const refusal: Refusal | undefined = command.flatten === true ? undefined : (haltRefusal(command) ?? limitCheck.check(order, command.children));
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
