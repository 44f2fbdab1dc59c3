import { z } from 'zod';
import { formatZodError } from '../core/schemas';
import { ORDER_REASONS } from '../core/orders';
import { bracketSpecSchema } from '../core/schemas';
import type { CancelReason, OrderStatus, OrderType } from '../core/types';
import { REJECT_REASONS } from '../runner/report/replayReport';
import { JournalError } from './journalError';

/**
 * What the journal reads back from its `payload` columns, checked with zod: the journal is a file, and a
 * file is an edge. Objects are loose: fields this version does not know (an order model widened later) are
 * kept as they were written, not dropped.
 */

/**
 * `values`, checked at compile time to name every member of the union `All`: a member added to a core union
 * (a new order type or status) and missing here fails to compile instead of failing to decode. Reject reasons
 * come from the report's list, checked the same way there.
 */
function everyMemberOf<All extends string>() {
  return <const Listed extends readonly All[]>(values: Listed & ([Exclude<All, Listed[number]>] extends [never] ? unknown : never)): Listed => values;
}

const ORDER_TYPES = everyMemberOf<OrderType>()(['MARKET', 'LIMIT', 'STOP', 'STOP_LIMIT', 'TRAILING']);
const ORDER_STATUSES = everyMemberOf<OrderStatus>()(['Accepted', 'Rejected', 'Submitted', 'PartiallyFilled', 'Filled', 'Cancelled']);
const CANCEL_REASONS = everyMemberOf<CancelReason>()(['REQUESTED', 'TARGET_CHANGED', 'REPLACED', 'KILL_SWITCH', 'FLATTEN', 'OCO', 'PARENT', 'EXPIRED']);

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['Cancelled', 'Rejected'];

const epochMs = z.number().int();
const id = z.string().min(1);
const side = z.enum(['BUY', 'SELL']);
const finite = z.number().finite();
const positive = finite.positive();
const orderReason = z.enum(ORDER_REASONS);

const trail = z.union([z.strictObject({ ticks: positive }), z.strictObject({ percent: positive })]);
const timeInForce = z.union([
  z.enum(['GTC', 'IOC']),
  z.strictObject({ type: z.literal('DAY'), end: z.string(), zone: z.string() }),
  z.strictObject({ type: z.literal('GTD'), until: epochMs }),
]);

export const orderPayload = z.looseObject({
  id,
  strategyId: id,
  symbol: id,
  ts: epochMs,
  side,
  qty: positive,
  type: z.enum(ORDER_TYPES),
  limitPrice: positive.optional(),
  stopPrice: positive.optional(),
  trail: trail.optional(),
  tif: timeInForce.optional(),
  expiresAt: epochMs.optional(),
  reason: orderReason,
  /** A protective child's parent: what the `protective_orders` view selects on (its `parent_id` column). */
  parentId: id.optional(),
  ocaGroup: id.optional(),
});

export const orderEventPayload = z.looseObject({
  kind: z.literal('order'),
  status: z.enum(ORDER_STATUSES),
  order: orderPayload,
  ts: epochMs,
  filledQty: finite.nonnegative().optional(),
  reason: z.enum(REJECT_REASONS).optional(),
  cancelReason: z.enum(CANCEL_REASONS).optional(),
  message: z.string().optional(),
});

export const fillPayload = z.looseObject({
  kind: z.literal('fill'),
  execId: id,
  orderId: id,
  strategyId: id,
  symbol: id,
  ts: epochMs,
  side,
  qty: positive,
  price: positive,
  commission: finite,
  reason: orderReason,
});

export const signalPayload = z.looseObject({
  kind: z.literal('target').optional(),
  strategyId: id,
  symbol: id,
  ts: epochMs,
  target: finite,
  reason: z.string().optional(),
  bracket: bracketSpecSchema.nullable().optional(),
});

/** A strategy's explicit order intent (place, cancel or modify one of its orders by its own `clientId`). */
export const intentPayload = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('place'),
    strategyId: id,
    symbol: id,
    ts: epochMs,
    clientId: id,
    side,
    contracts: positive,
    type: z.enum(ORDER_TYPES),
    limitPrice: positive.optional(),
    stopPrice: positive.optional(),
    trail: trail.optional(),
    tif: timeInForce.optional(),
    oco: id.optional(),
    protective: z.boolean().optional(),
    bracket: bracketSpecSchema.optional(),
  }),
  z.looseObject({ kind: z.literal('cancel'), strategyId: id, symbol: id, ts: epochMs, clientId: id }),
  z.looseObject({
    kind: z.literal('modify'),
    strategyId: id,
    symbol: id,
    ts: epochMs,
    clientId: id,
    limitPrice: positive.optional(),
    stopPrice: positive.optional(),
    trail: trail.optional(),
  }),
]);

export const tradePayload = z.looseObject({
  strategyId: id,
  symbol: id,
  side: z.enum(['LONG', 'SHORT']),
  qty: positive,
  entryTs: epochMs,
  exitTs: epochMs,
  entryPrice: positive,
  exitPrice: positive,
  pnl: finite,
  pnlNet: finite,
  pnlNetAccount: finite,
  entryReason: orderReason,
  exitReason: orderReason,
});

export const positionPayload = z.looseObject({
  strategyId: id,
  symbol: id,
  ts: epochMs,
  qty: finite,
  avgPrice: finite,
  realizedPnl: finite,
  unrealizedPnl: finite,
  realizedPnlAccount: finite,
  unrealizedPnlAccount: finite,
  commission: finite,
});

/** The latest close of each symbol whose mark changed since the previous fill (book.mark needs these to convert crosses). */
export const marksPayload = z.array(z.strictObject({ symbol: id, ts: epochMs, intervalMs: z.number().int().positive(), close: positive }));

export const controlPayload = z.looseObject({
  kind: z.enum(['kill', 'resume', 'flatten', 'reconcile']),
  ts: epochMs,
  strategyId: id.optional(),
  symbol: id.optional(),
  reason: z.string(),
  source: z.string(),
  /** Reconcile adjustments: signed units booked and the price they were booked at. */
  qty: finite.optional(),
  price: positive.optional(),
});

export const runPayload = z.looseObject({
  accountCurrency: z.string().regex(/^[A-Z]{3}$/),
  initialCash: finite,
});

export const errorPayload = z.looseObject({ name: z.string(), message: z.string(), stack: z.string().optional() });

/** Where a payload was read from, for the error message. */
export interface PayloadSource {
  readonly file: string;
  readonly table: string;
  readonly seq: number;
}

/** Parses and checks one payload; a JournalError names the file, table, row and field when it is not what was written. */
export function decodePayload<S extends z.ZodType>(schema: S, text: string, at: PayloadSource): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new JournalError('bad-payload', at.file, `${at.table} row ${at.seq}: payload is not JSON (${(e as Error).message})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new JournalError('bad-payload', at.file, `${at.table} row ${at.seq}: ${formatZodError(parsed.error)}`);
  return parsed.data;
}
