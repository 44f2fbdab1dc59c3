import { z } from 'zod';
import { parseConfig } from '../core/configFile';
import { contractFor } from '../core/contracts';
import type { ContractBook, Order, RejectReason } from '../core/types';

const limit = z.number().finite().nonnegative();

/**
 * The `risk` section of a runner config: the risk manager's limits. Every limit is optional:
 * with none set nothing is refused, as in Backtrader. Each one set is enforced exactly: a value AT the limit
 * passes, anything over it is refused.
 *
 * - `maxPositionContracts`: the account's net position per symbol (all strategies, position + working
 *   orders + this order), in contracts of that symbol (× the contract multiplier in units).
 * - `maxOrderContracts`: one order's size in contracts (a reversal order counts its full, doubled size).
 * - `maxGrossNotional`: Σ over symbols of |net position + working (+ this order)| valued at the last close,
 *   in the account currency (USDJPY with a USD account: the USD units).
 * - `maxDailyLoss`: account currency; the loss of the current UTC day (of bar close times) = account equity
 *   at the last mark of the previous UTC day − equity now (realized, unrealized and commission).
 * - `orderRate`: at most `max` accepted orders in any window of `perMs` milliseconds of EVENT time (order
 *   ts), account-wide; refused orders do not use up the budget.
 *
 * The position, notional and daily-loss limits never block an order that moves the symbol's net position
 * (with working orders) toward zero without crossing it: a limit must not trap a position it cannot close.
 * Order size, order rate and the kill switch apply to every order.
 */
export const riskLimitsSchema = z.strictObject({
  maxPositionContracts: limit.optional(),
  maxOrderContracts: limit.optional(),
  maxGrossNotional: limit.optional(),
  maxDailyLoss: limit.optional(),
  orderRate: z
    .strictObject({
      max: z.number().int().positive(),
      perMs: z.number().int().positive(),
    })
    .optional(),
});

export type RiskLimits = z.infer<typeof riskLimitsSchema>;

/** Validates a `risk` config section; the error names the field (`risk.orderRate.max: …`). */
export function parseRiskLimits(doc: unknown, source = 'risk'): RiskLimits {
  return parseConfig(riskLimitsSchema, doc, source);
}

/** What the limits read from the portfolio. `Book` satisfies it. */
export interface RiskView {
  accountPosition(symbol: string): number;
  accountWorking(symbol: string): number;
  /** Symbols the account has held or ordered. */
  symbols(): readonly string[];
  notionalAccount(symbol: string, units: number): number;
  equity(): number;
  dayStartEquity(ts: number): number;
}

export interface Refusal {
  readonly reason: RejectReason;
  readonly message: string;
}

/**
 * A stateful check of orders against `limits` (state: the order-rate window). `check(order)` returns why the
 * order is refused, or undefined when it passes — and then counts it as accepted for the rate limit.
 */
export interface LimitCheck {
  check(order: Order): Refusal | undefined;
}

export function createLimitCheck(limits: RiskLimits, view: RiskView, contracts: ContractBook): LimitCheck {
  const { maxPositionContracts, maxOrderContracts, maxGrossNotional, maxDailyLoss, orderRate } = limits;
  const needsExposure = maxPositionContracts !== undefined || maxGrossNotional !== undefined || maxDailyLoss !== undefined;
  if (
    !needsExposure &&
    maxOrderContracts === undefined &&
    orderRate === undefined
  ) {
    return { check: () => undefined };
  }
  /** Ring buffer of the ts of the last `orderRate.max` accepted orders. */
  const accepted = orderRate === undefined ? [] : new Array<number>(orderRate.max).fill(Number.NEGATIVE_INFINITY);
  let next = 0;

  const check = (order: Order): Refusal | undefined => {
    const spec = contractFor(contracts, order.symbol);
    if (maxOrderContracts !== undefined && order.qty > maxOrderContracts * spec.multiplier) {
      return {
        reason: 'MAX_ORDER_SIZE',
        message: `order ${order.id} for ${fmt(order.qty)} units of ${order.symbol} exceeds maxOrderContracts ${maxOrderContracts} (${fmt(maxOrderContracts * spec.multiplier)} units)`,
      };
    }
    if (needsExposure) {
      const signed = order.side === 'BUY' ? order.qty : -order.qty;
      const before = view.accountPosition(order.symbol) + view.accountWorking(order.symbol);
      const after = before + signed;
      const reduces = Math.abs(after) < Math.abs(before) && (after === 0 || Math.sign(after) === Math.sign(before));
      if (!reduces) {
        if (maxPositionContracts !== undefined && Math.abs(after) > maxPositionContracts * spec.multiplier) {
          return {
            reason: 'MAX_POSITION',
            message: `order ${order.id} would take the ${order.symbol} position (with working orders) to ${fmt(after)} units, over maxPositionContracts ${maxPositionContracts} (${fmt(maxPositionContracts * spec.multiplier)} units)`,
          };
        }
        if (maxGrossNotional !== undefined) {
          let gross = view.notionalAccount(order.symbol, after);
          for (const symbol of view.symbols()) {
            if (symbol !== order.symbol) {
              gross += view.notionalAccount(symbol, view.accountPosition(symbol) + view.accountWorking(symbol));
            }
          }
          if (gross > maxGrossNotional) {
            return {
              reason: 'MAX_GROSS_NOTIONAL',
              message: `order ${order.id} would take the gross notional to ${fmt(gross)}, over maxGrossNotional ${fmt(maxGrossNotional)}`,
            };
          }
        }
        if (maxDailyLoss !== undefined) {
          const loss = view.dayStartEquity(order.ts) - view.equity();
          if (loss > maxDailyLoss) {
            return {
              reason: 'MAX_DAILY_LOSS',
              message: `order ${order.id} refused: today's loss ${fmt(loss)} is over maxDailyLoss ${fmt(maxDailyLoss)} (only orders that reduce a position pass)`,
            };
          }
        }
      }
    }
    if (orderRate !== undefined) {
      const oldest = accepted[next];
      if (order.ts - oldest < orderRate.perMs) {
        return {
          reason: 'ORDER_RATE',
          message: `order ${order.id} refused: ${orderRate.max} orders already accepted in the ${orderRate.perMs} ms before ${new Date(order.ts).toISOString()}`,
        };
      }
      accepted[next] = order.ts;
      next = (next + 1) % orderRate.max;
    }
    return undefined;
  };
  return { check };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(6).replace(/0+$/, '');
}
