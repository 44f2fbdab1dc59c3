import { z } from 'zod';
import { formatZodError } from '../core/schemas';
import type { OrderStatus, OrderType } from '../core/types';
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

const ORDER_TYPES = everyMemberOf<OrderType>()(['MARKET', 'LIMIT', 'STOP']);
const ORDER_STATUSES = everyMemberOf<OrderStatus>()(['Accepted', 'Rejected', 'Submitted', 'PartiallyFilled', 'Filled', 'Cancelled']);

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['Cancelled', 'Rejected'];

const epochMs = z.number().int();
const id = z.string().min(1);
const side = z.enum(['BUY', 'SELL']);
const finite = z.number().finite();
const positive = finite.positive();

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
});

export const orderEventPayload = z.looseObject({
  kind: z.literal('order'),
  status: z.enum(ORDER_STATUSES),
  order: orderPayload,
  ts: epochMs,
  filledQty: finite.nonnegative().optional(),
  reason: z.enum(REJECT_REASONS).optional(),
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
});

export const signalPayload = z.looseObject({
  strategyId: id,
  symbol: id,
  ts: epochMs,
  target: finite,
  reason: z.string().optional(),
});

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
