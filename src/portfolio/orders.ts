import type { OperatorFunction } from 'rxjs';
import { operate } from '../../operators/operate';
import { ConfigError } from '../core/errors';
import { contractFor } from '../core/contracts';
import type { ContractBook, Order, Signal } from '../core/types';

/** What `ordersFromSignals` reads: the units a strategy holds and has working. `Book` satisfies it. */
export interface OrderBasis {
  position(strategyId: string, symbol: string): number;
  working(strategyId: string, symbol: string): number;
}

/** Differences smaller than this (units) are float noise of fractional contracts, not an order. */
const QTY_EPSILON = 1e-9;

/**
 * Turns target positions into market orders: order = target − (position + orders still working), in units
 * (contracts × the contract's multiplier), for the signal's (strategyId, symbol). A reversal is ONE order for
 * twice the size; a target re-sent while its order is still working gives no new order (orders in flight
 * count, so a slow live fill never doubles an order). Order ids are `${idPrefix}${strategyId}-${n}`, n counting
 * from 1 per strategy for each subscription, so the same input gives the same ids; live runs pass a prefix
 * unique to the run, so an order a broker still holds from an earlier run never shares an id with a new one. The order's ts is the signal's.
 *
 * ```
 * signals: --a---b---a--|     a: target +1, b: target −1 (position and working read from the book)
 * orders:  --x---y------|     x: BUY 100,000   y: SELL 200,000 (one order reverses); the last a waits on y
 * ```
 *
 * An unknown symbol or a non-finite target is an error on the stream (ConfigError naming the strategy).
 */
export function ordersFromSignals(book: OrderBasis, contracts: ContractBook, idPrefix = ''): OperatorFunction<Signal, Order> {
  return operate((destination) => {
    const sequence = new Map<string, number>();
    return {
      next(signal) {
        if (!Number.isFinite(signal.target)) {
          throw new ConfigError(`strategy "${signal.strategyId}" signalled a non-finite target ${signal.target} for ${signal.symbol}`);
        }
        const spec = contractFor(contracts, signal.symbol);
        const held = book.position(signal.strategyId, signal.symbol) + book.working(signal.strategyId, signal.symbol);
        const delta = signal.target * spec.multiplier - held;
        if (Math.abs(delta) < QTY_EPSILON) return;
        const n = (sequence.get(signal.strategyId) ?? 0) + 1;
        sequence.set(signal.strategyId, n);
        destination.next({
          id: `${idPrefix}${signal.strategyId}-${n}`,
          strategyId: signal.strategyId,
          symbol: signal.symbol,
          ts: signal.ts,
          side: delta > 0 ? 'BUY' : 'SELL',
          qty: Math.abs(delta),
          type: 'MARKET',
        });
      },
    };
  });
}
