import { z } from 'zod';

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

/** One line per issue, each naming the path of the offending field: `strategies[1].fast: …`. */
export function formatZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
        .join('');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}
