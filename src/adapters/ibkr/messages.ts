import { IN_MSG_ID } from '@stoqey/ib/dist/core/io/enum/in-msg-id';
import { z } from 'zod';
import { DataError } from '../../core/errors';
import type { IbEventArgs } from './connection';

/**
 * Zod schemas for the TWS messages that cross into the engine, applied to the arguments @stoqey/ib emits for
 * them. The client library turns unreadable numbers into NaN and missing ones into undefined without a word;
 * these checks turn that into a {@link DataError} naming the message, its id and the field:
 * `IB realtimeBar (message 50), field "open": Invalid input: expected number, received NaN`.
 */

/** Message name (the client library's event) → TWS inbound message id, for error messages. */
export const IB_MESSAGE_IDS = {
  tickPrice: IN_MSG_ID.TICK_PRICE,
  tickSize: IN_MSG_ID.TICK_SIZE,
  orderStatus: IN_MSG_ID.ORDER_STATUS,
  openOrder: IN_MSG_ID.OPEN_ORDER,
  execDetails: IN_MSG_ID.EXECUTION_DATA,
  historicalData: IN_MSG_ID.HISTORICAL_DATA,
  realtimeBar: IN_MSG_ID.REAL_TIME_BARS,
  execDetailsEnd: IN_MSG_ID.EXECUTION_DATA_END,
  commissionReport: IN_MSG_ID.COMMISSION_REPORT,
  position: IN_MSG_ID.POSITION,
} as const;

export type IbMessageName = keyof typeof IB_MESSAGE_IDS;

const int = z.number().int();
const num = z.number();
const positive = z.number().positive();

export const realtimeBarSchema = z.object({
  reqId: int,
  time: int.nonnegative(),
  open: positive,
  high: positive,
  low: positive,
  close: positive,
  /** −1 for MIDPOINT/BID/ASK bars. */
  volume: num,
  wap: num.optional(),
  count: int.optional(),
});
const REALTIME_BAR_FIELDS = ['reqId', 'time', 'open', 'high', 'low', 'close', 'volume', 'wap', 'count'] as const;

export const historicalBarSchema = z.object({
  reqId: int,
  /** Epoch seconds with formatDate=2 (intraday), `yyyyMMdd` for daily bars, `finished-…` for the end marker. */
  date: z.string().min(1),
  open: num,
  high: num,
  low: num,
  close: num,
  volume: num.optional(),
});
const HISTORICAL_FIELDS = ['reqId', 'date', 'open', 'high', 'low', 'close', 'volume'] as const;

export const tickPriceSchema = z.object({ reqId: int, tickType: int, price: num });
const TICK_PRICE_FIELDS = ['reqId', 'tickType', 'price'] as const;

export const tickSizeSchema = z.object({ reqId: int, tickType: int, size: num.nonnegative().optional() });
const TICK_SIZE_FIELDS = ['reqId', 'tickType', 'size'] as const;

export const orderStatusSchema = z.object({
  orderId: int,
  status: z.string().min(1),
  filled: num.nonnegative(),
  remaining: num.nonnegative(),
  avgFillPrice: num.optional(),
  permId: int.optional(),
  parentId: int.optional(),
  lastFillPrice: num.optional(),
  clientId: int.optional(),
  whyHeld: z.string().optional(),
});
const ORDER_STATUS_FIELDS = [
  'orderId',
  'status',
  'filled',
  'remaining',
  'avgFillPrice',
  'permId',
  'parentId',
  'lastFillPrice',
  'clientId',
  'whyHeld',
] as const;

const contractSchema = z.object({
  symbol: z.string().min(1),
  secType: z.string().min(1),
  currency: z.string().min(1),
  exchange: z.string().optional(),
  localSymbol: z.string().optional(),
  multiplier: num.optional(),
});

export const openOrderSchema = z.object({
  orderId: int,
  contract: contractSchema,
  order: z.object({
    action: z.enum(['BUY', 'SELL']),
    totalQuantity: positive,
    orderType: z.string().min(1),
    lmtPrice: num.optional(),
    auxPrice: num.optional(),
    trailStopPrice: num.optional(),
    trailingPercent: num.optional(),
    ocaGroup: z.string().optional(),
    orderRef: z.string().optional(),
    account: z.string().optional(),
    /** A bracket child's parent (IB order id; 0 for none). */
    parentId: int.optional(),
    permId: int.optional(),
  }),
  orderState: z.object({ status: z.string().min(1) }),
});
const OPEN_ORDER_FIELDS = ['orderId', 'contract', 'order', 'orderState'] as const;

export const execDetailsSchema = z.object({
  reqId: int,
  contract: contractSchema,
  execution: z.object({
    orderId: int,
    execId: z.string().min(1),
    time: z.string().min(1),
    acctNumber: z.string(),
    side: z.enum(['BOT', 'SLD']),
    shares: positive,
    price: positive,
    clientId: int.optional(),
    permId: int.optional(),
    cumQty: num.optional(),
    avgPrice: num.optional(),
    orderRef: z.string().optional(),
  }),
});
const EXEC_DETAILS_FIELDS = ['reqId', 'contract', 'execution'] as const;

export const execDetailsEndSchema = z.object({ reqId: int });
const EXEC_DETAILS_END_FIELDS = ['reqId'] as const;

export const commissionReportSchema = z.object({
  report: z.object({
    execId: z.string().min(1),
    commission: num.nonnegative(),
    currency: z.string().optional(),
  }),
});
const COMMISSION_FIELDS = ['report'] as const;

export const positionSchema = z.object({
  account: z.string(),
  contract: contractSchema,
  pos: num,
  avgCost: num.optional(),
});
const POSITION_FIELDS = ['account', 'contract', 'pos', 'avgCost'] as const;

const LAYOUTS = {
  realtimeBar: [realtimeBarSchema, REALTIME_BAR_FIELDS],
  historicalData: [historicalBarSchema, HISTORICAL_FIELDS],
  tickPrice: [tickPriceSchema, TICK_PRICE_FIELDS],
  tickSize: [tickSizeSchema, TICK_SIZE_FIELDS],
  orderStatus: [orderStatusSchema, ORDER_STATUS_FIELDS],
  openOrder: [openOrderSchema, OPEN_ORDER_FIELDS],
  execDetails: [execDetailsSchema, EXEC_DETAILS_FIELDS],
  execDetailsEnd: [execDetailsEndSchema, EXEC_DETAILS_END_FIELDS],
  commissionReport: [commissionReportSchema, COMMISSION_FIELDS],
  position: [positionSchema, POSITION_FIELDS],
} as const;

export type IbMessage<N extends IbMessageName> = z.infer<(typeof LAYOUTS)[N][0]>;

/** `IB realtimeBar (message 50)`, the name errors use for a message. */
export function ibMessageLabel(name: IbMessageName, detail?: string): string {
  return `IB ${name} (message ${IB_MESSAGE_IDS[name]})${detail ? ` ${detail}` : ''}`;
}

/**
 * Validates the event arguments of message `name` and returns them as a named object. A bad field throws a
 * DataError naming the message and the field (the first broken one), e.g. `execution.shares`.
 */
export function readIbMessage<N extends IbMessageName>(name: N, args: IbEventArgs): IbMessage<N> {
  const [schema, fields] = LAYOUTS[name];
  const named: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) named[fields[i]] = args[i] === null ? undefined : args[i];
  const parsed = (schema as unknown as z.ZodType<IbMessage<N>>).safeParse(named);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.path.map(String).join('.');
  throw new DataError(issue.message, { file: ibMessageLabel(name), field: field || undefined }, describeValue(issue.path, named));
}

/** The offending value, when zod's message does not already show it. */
function describeValue(path: readonly PropertyKey[], root: Record<string, unknown>): string | undefined {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) return undefined;
  return `got ${JSON.stringify(v)}`;
}
