import { z } from 'zod';

/**
 * Polygon.io's aggregates ("bars") response, `GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}`,
 * as documented (polygon.io/docs, "Aggregates (Bars)"): `results[]` of { t: window start in epoch ms, o, h, l, c,
 * v: volume (for forex the number of ticks), vw?: volume-weighted average price, n?: number of transactions },
 * `status` "OK" (or "DELAYED" on plans with delayed data), `resultsCount` for this page, `next_url` while more
 * pages remain (without the apiKey, which the caller appends again). `results` is left out of an empty page.
 */

const price = z.number().finite('must be a finite number').positive('must be a price > 0');

export const aggregateSchema = z
  .looseObject({
    t: z.number().int('must be an integer epoch ms').nonnegative('must be epoch ms ≥ 0'),
    o: price,
    h: price,
    l: price,
    c: price,
    v: z.number().finite('must be a finite number').nonnegative('must be a volume ≥ 0'),
    vw: z.number().finite('must be a finite number').optional(),
    n: z.number().int('must be an integer count').nonnegative().optional(),
  })
  .refine((a) => a.l <= Math.min(a.o, a.c), { message: 'low must not exceed open or close', path: ['l'] })
  .refine((a) => a.h >= Math.max(a.o, a.c), { message: 'high must not be below open or close', path: ['h'] });

export type PolygonAggregate = z.output<typeof aggregateSchema>;

export const aggregatesResponseSchema = z.looseObject({
  ticker: z.string().optional(),
  status: z.enum(['OK', 'DELAYED'], { error: 'must be "OK" or "DELAYED"' }),
  adjusted: z.boolean().optional(),
  queryCount: z.number().int().nonnegative().optional(),
  resultsCount: z.number({ error: 'must be a count of results' }).int().nonnegative(),
  request_id: z.string().optional(),
  results: z.array(aggregateSchema).optional(),
  next_url: z.string().url('must be a URL').optional(),
});

export type AggregatesResponse = z.output<typeof aggregatesResponseSchema>;

/** What Polygon says went wrong in an error body (`{ status, request_id, error }` or `{ status, message }`). */
export function errorBodyMessage(body: string): string {
  try {
    const json: unknown = JSON.parse(body);
    if (json !== null && typeof json === 'object') {
      const { error, message, status } = json as { error?: unknown; message?: unknown; status?: unknown };
      const text = typeof error === 'string' ? error : typeof message === 'string' ? message : undefined;
      if (text !== undefined) return typeof status === 'string' ? `${status}: ${text}` : text;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  const trimmed = body.trim();
  if (trimmed.length === 0) return '(empty body)';
  return trimmed.length > 200 ? `${trimmed.slice(0, 197)}...` : trimmed;
}
