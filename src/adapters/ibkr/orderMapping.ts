import { OrderAction } from '@stoqey/ib/dist/api/order/enum/order-action';
import { OrderStatus as IbOrderStatus } from '@stoqey/ib/dist/api/order/enum/order-status';
import { OrderType as IbOrderType } from '@stoqey/ib/dist/api/order/enum/orderType';
import type { TimeInForce } from '@stoqey/ib/dist/api/order/enum/tif';
import type { Order as IbOrder } from '@stoqey/ib/dist/api/order/order';
import { zoneOffsetAt } from '../../core/time';
import type { ContractSpec, Order, OrderType, Side } from '../../core/types';
import { ibQuantityPerUnit } from './contracts';

/**
 * Order mapping, as tables and pure functions: the engine's order → the IB order sent with placeOrder, and
 * what TWS says back (order status, error codes, executions) → what it means for the engine's order. The
 * execution state machine (`execution.ts`) applies these; nothing here keeps state or talks to TWS.
 */

// ---- engine order → IB order ----------------------------------------------------------------------------------

/** The engine's order types as IB's. */
export const IB_ORDER_TYPE: Readonly<Record<OrderType, IbOrderType>> = {
  MARKET: IbOrderType.MKT,
  LIMIT: IbOrderType.LMT,
  STOP: IbOrderType.STP,
};

/** IB's order types the engine knows, for orders adopted after a restart (any other reads as MARKET). */
const ENGINE_ORDER_TYPE: Readonly<Record<string, OrderType>> = Object.fromEntries(
  Object.entries(IB_ORDER_TYPE).map(([engine, ib]) => [ib, engine as OrderType]),
);

export function engineOrderType(ibType: string): OrderType {
  return ENGINE_ORDER_TYPE[ibType] ?? 'MARKET';
}

export const IB_ACTION: Readonly<Record<Side, OrderAction>> = { BUY: OrderAction.BUY, SELL: OrderAction.SELL };

export type IbTimeInForce = 'DAY' | 'GTC' | 'IOC';

export interface IbOrderSettings {
  readonly timeInForce: IbTimeInForce;
  /** The account the order goes to; undefined lets TWS use the login's only one. */
  readonly account: string | undefined;
}

const ORDER_REF_PREFIX = 'rx:';

/** IB orderRef for an order: survives restarts, so fills find their strategy. */
export function orderRefOf(order: Pick<Order, 'strategyId' | 'id'>): string {
  return `${ORDER_REF_PREFIX}${encodeURIComponent(order.strategyId)}:${encodeURIComponent(order.id)}`;
}

export function parseOrderRef(ref: string | undefined): { strategyId: string; orderId: string } | undefined {
  if (!ref || !ref.startsWith(ORDER_REF_PREFIX)) return undefined;
  const parts = ref.slice(ORDER_REF_PREFIX.length).split(':');
  if (parts.length !== 2) return undefined;
  try {
    return { strategyId: decodeURIComponent(parts[0]), orderId: decodeURIComponent(parts[1]) };
  } catch {
    return undefined;
  }
}

/** Why `order` cannot go to IB as it is; undefined when it can. */
export function orderProblem(order: Order, spec: ContractSpec): string | undefined {
  const ibQty = order.qty * ibQuantityPerUnit(spec);
  if (!(ibQty > 0) || Math.abs(ibQty - Math.round(ibQty)) > 1e-9) {
    return `${order.qty} units of ${order.symbol} is not a whole number of IB contracts (${spec.multiplier} units each)`;
  }
  if ((order.type === 'LIMIT' && !((order.limitPrice ?? 0) > 0)) || (order.type === 'STOP' && !((order.stopPrice ?? 0) > 0))) {
    return `${order.type} order without a positive ${order.type === 'LIMIT' ? 'limitPrice' : 'stopPrice'}`;
  }
  return undefined;
}

/** The IB order placeOrder sends for `order` (quantities in TWS's units, our ids in orderRef). */
export function ibOrderOf(order: Order, spec: ContractSpec, settings: IbOrderSettings): IbOrder {
  return {
    action: IB_ACTION[order.side],
    totalQuantity: order.qty * ibQuantityPerUnit(spec),
    orderType: IB_ORDER_TYPE[order.type],
    ...(order.type === 'LIMIT' ? { lmtPrice: order.limitPrice } : {}),
    ...(order.type === 'STOP' ? { auxPrice: order.stopPrice } : {}),
    tif: settings.timeInForce as TimeInForce,
    orderRef: orderRefOf(order),
    transmit: true,
    ...(settings.account ? { account: settings.account } : {}),
  };
}

// ---- IB order status → engine order event ---------------------------------------------------------------------

/**
 * What an orderStatus means for the engine's order:
 * - `acknowledged`: TWS has it (the engine's `Submitted`, once);
 * - `cancelled` / `inactive`: terminal (`Cancelled`; `Rejected` with reason BROKER), emitted once every
 *   execution TWS reported for the order has been emitted as a fill;
 * - `filled`: TWS has it and it is done, but the fills come from execDetails, so nothing is emitted here;
 * - `pending`: nothing to tell yet.
 */
export type IbStatusMeaning = 'acknowledged' | 'cancelled' | 'inactive' | 'filled' | 'pending';

export const IB_STATUS_MEANING: Readonly<Record<IbOrderStatus, IbStatusMeaning>> = {
  [IbOrderStatus.ApiPending]: 'pending',
  [IbOrderStatus.PendingSubmit]: 'pending',
  [IbOrderStatus.PendingCancel]: 'pending',
  [IbOrderStatus.Unknown]: 'pending',
  [IbOrderStatus.PreSubmitted]: 'acknowledged',
  [IbOrderStatus.Submitted]: 'acknowledged',
  [IbOrderStatus.Cancelled]: 'cancelled',
  [IbOrderStatus.ApiCancelled]: 'cancelled',
  [IbOrderStatus.Inactive]: 'inactive',
  [IbOrderStatus.Filled]: 'filled',
};

export function ibStatusMeaning(status: string): IbStatusMeaning {
  return (IB_STATUS_MEANING as Readonly<Record<string, IbStatusMeaning | undefined>>)[status] ?? 'pending';
}

/**
 * What a TWS error on an order id means:
 * - `cancel-failed`: a cancel request was refused (the order lives on);
 * - `cancel-reason`: 202 "order cancelled", whose text explains the Cancelled status that follows;
 * - `warning`: a notice, the order lives on;
 * - `rejection`: the order is dead (`Rejected`, reason BROKER, with TWS's code and text).
 */
export type OrderErrorMeaning = 'cancel-failed' | 'cancel-reason' | 'warning' | 'rejection';

/** TWS error codes answering a cancel request that failed. */
const CANCEL_FAILURES: ReadonlySet<number> = new Set([161, 10147, 10148, 10149]);
/** TWS error codes on an order that are notices (besides 2100–2999 and ≥ 10000). */
const ORDER_NOTICES: ReadonlySet<number> = new Set([399, 404, 434, 2109, 2148, 10167, 10168]);

export function orderErrorMeaning(code: number): OrderErrorMeaning {
  if (CANCEL_FAILURES.has(code)) return 'cancel-failed';
  if (code === 202) return 'cancel-reason';
  if ((code >= 2100 && code < 3000) || ORDER_NOTICES.has(code) || code >= 10000) return 'warning';
  return 'rejection';
}

// ---- IB execution → engine fill --------------------------------------------------------------------------------

export const ENGINE_SIDE: Readonly<Record<'BOT' | 'SLD', Side>> = { BOT: 'BUY', SLD: 'SELL' };

/** An execution's id without its correction suffix: a correction repeats the base with a new last part. */
export function execBase(execId: string): string {
  const i = execId.lastIndexOf('.');
  return i > 0 ? execId.slice(0, i) : execId;
}

/** Epoch ms of a TWS execution time: `yyyyMMdd  HH:mm:ss` or `yyyyMMdd-HH:mm:ss`, optionally ` <IANA zone>`. */
export function parseExecutionTime(text: string, defaultZone: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})[ -]+(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?$/.exec(text.trim());
  if (!m) return undefined;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const zone = m[7] ?? defaultZone;
  try {
    const guess = wall - zoneOffsetAt(zone, wall);
    return wall - zoneOffsetAt(zone, guess);
  } catch {
    return undefined;
  }
}

/**
 * A commission in the instrument's quote currency: kept when TWS reports it in the quote currency (or names
 * none), converted at the execution price when in the base currency (a USD commission on USDJPY); undefined
 * for any other currency.
 */
export function commissionInQuote(commission: number, currency: string, price: number, spec: ContractSpec): number | undefined {
  if (currency === '' || currency === spec.quoteCurrency) return commission;
  if (currency === spec.baseCurrency) return commission * price;
  return undefined;
}
