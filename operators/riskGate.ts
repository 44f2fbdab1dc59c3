import type { Observable, OperatorFunction } from 'rxjs';
import type { ContractBook, Order, OrderEvent } from '../src/core/types';
import { createLimitCheck, type RiskLimits, type RiskView } from '../src/risk/limits';
import { operate, subscribeInput } from './operate';

export interface RiskContext {
  /** The portfolio the limits read (positions, working orders, prices, equity). `Book` satisfies it. */
  readonly book: RiskView;
  readonly contracts: ContractBook;
  /** While the latest value is true every order is refused (`KILL_SWITCH`). No value yet = off. */
  readonly killSwitch$?: Observable<boolean>;
}

/**
 * The risk check between orders and the broker: every order
 * becomes exactly one decision, `Accepted` or `Rejected` with a reason code and a message a person can read
 * — never a silent drop. Limits are described on `riskLimitsSchema`; with none set and no kill switch every
 * order is accepted. Checks, first failure wins: KILL_SWITCH, MAX_ORDER_SIZE, MAX_POSITION,
 * MAX_GROSS_NOTIONAL, MAX_DAILY_LOSS, ORDER_RATE. The decision's ts is the order's.
 *
 * ```
 * killSwitch$: f-------t------f--
 * orders:      --a--b-----c-----d--|
 * decisions:   --A--R-----K-----A--|    A: Accepted   R: Rejected MAX_ORDER_SIZE   K: Rejected KILL_SWITCH
 * ```
 *
 * The kill switch is subscribed before the orders and torn down with them; its error errors the stream
 * (a risk input that dies must not leave trading unguarded), its completion keeps its last value.
 */
export function riskGate(limits: RiskLimits, ctx: RiskContext): OperatorFunction<Order, OrderEvent> {
  return operate((destination) => {
    let killed = false;
    if (ctx.killSwitch$ !== undefined) {
      subscribeInput(ctx.killSwitch$, destination, {
        next: (on) => {
          killed = on;
        },
      });
    }
    const limitCheck = createLimitCheck(limits, ctx.book, ctx.contracts);
    return {
      next(order) {
        if (killed) {
          destination.next({
            kind: 'order',
            status: 'Rejected',
            order,
            ts: order.ts,
            reason: 'KILL_SWITCH',
            message: `order ${order.id} refused: the kill switch is on`,
          });
          return;
        }
        const refusal = limitCheck.check(order);
        destination.next(
          refusal === undefined
            ? { kind: 'order', status: 'Accepted', order, ts: order.ts }
            : { kind: 'order', status: 'Rejected', order, ts: order.ts, reason: refusal.reason, message: refusal.message },
        );
      },
    };
  });
}
