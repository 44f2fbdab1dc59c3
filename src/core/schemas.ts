import { z } from 'zod';
import { bracketProblem } from './orders';

/**
 * Zod schemas for what crosses a boundary (config files, pushed data, broker and HTTP messages).
 * Inside the graph the plain types of `types.ts` are trusted; do not parse per bar in a hot path.
 */

const finitePositive = z.number().finite().positive();
const epochMs = z.number().int().nonnegative();

export const barSchema = z
  .object({
    kind: z.literal('bar'),
    symbol: z.string().min(1),
    ts: epochMs,
    intervalMs: z.number().int().positive(),
    open: finitePositive,
    high: finitePositive,
    low: finitePositive,
    close: finitePositive,
    volume: z.number().finite().nonnegative(),
  })
  .refine((b) => b.low <= Math.min(b.open, b.close) && b.high >= Math.max(b.open, b.close), {
    message: 'low ≤ open, close ≤ high',
  });

export const quoteTickSchema = z
  .object({
    kind: z.literal('quote'),
    symbol: z.string().min(1),
    ts: epochMs,
    bid: finitePositive,
    ask: finitePositive,
    bidSize: z.number().finite().nonnegative().optional(),
    askSize: z.number().finite().nonnegative().optional(),
  })
  .refine((t) => t.bid <= t.ask, { message: 'bid ≤ ask' });

export const tradeTickSchema = z.object({
  kind: z.literal('trade'),
  symbol: z.string().min(1),
  ts: epochMs,
  price: finitePositive,
  size: z.number().finite().nonnegative(),
});

export const tickSchema = z.union([quoteTickSchema, tradeTickSchema]);

export const secTypeSchema = z.enum(['CASH', 'STK', 'FUT', 'CFD', 'CMDTY', 'IND']);
/** A three-letter ISO currency code. */
export const currencyCodeSchema = z.string().regex(/^[A-Z]{3}$/, 'a three-letter ISO currency code such as "USD"');

/**
 * A venue's block in a contract (`"ib": { … }`): core only requires an object, so a misspelt core field
 * (`"multipler": 100000`) is still an error; the venue's adapter validates the block's fields itself.
 */
const venueBlock = z.record(z.string(), z.unknown(), {
  error: 'not a contract field (a venue block such as "ib" is an object its adapter checks)',
});

export const contractSpecSchema = z
  .object({
    secType: secTypeSchema,
    baseCurrency: currencyCodeSchema,
    quoteCurrency: currencyCodeSchema,
    multiplier: finitePositive,
    tickSize: finitePositive,
    exchange: z.string().min(1),
  })
  .catchall(venueBlock);

/** `config/contracts.json`: symbol → spec. */
export const contractsFileSchema = z.record(z.string().regex(/^[A-Z0-9._-]+$/, 'an upper-case symbol'), contractSpecSchema);

/**
 * A bracket in a runner config (`"bracket": { "stopLossTicks": 20, "takeProfitTicks": 40 }`, see `BracketSpec`):
 * whole ticks of the contract's tick size, or fixed prices; one stop (a stop-loss or a trailing stop) and one
 * take-profit at most.
 */
export const bracketSpecSchema = z
  .strictObject({
    stopLossTicks: z.number().int('a whole number of ticks').positive().optional(),
    stopLossPrice: finitePositive.optional(),
    takeProfitTicks: z.number().int('a whole number of ticks').positive().optional(),
    takeProfitPrice: finitePositive.optional(),
    trailingStopTicks: z.number().int('a whole number of ticks').positive().optional(),
    trailingStopPercent: z.number().positive().lt(100).optional(),
  })
  .superRefine((bracket, ctx) => {
    const problem = bracketProblem(bracket);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A path as a person reads it: `strategies[1].params.period`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/**
 * One line per issue, each naming the path of the offending field: `strategies[1].fast: …`. `under` is the
 * path of the value that was checked, when it was part of a larger document (`['strategies', 2, 'params']`).
 */
export function formatZodError(error: z.ZodError, under: readonly PropertyKey[] = []): string {
  return error.issues.map((issue) => `${formatPath([...under, ...issue.path]) || '(root)'}: ${issue.message}`).join('; ');
}
