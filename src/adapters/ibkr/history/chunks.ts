import { ConfigError } from '../../../core/errors';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../core/time';

/**
 * Bar sizes and request planning for IB historical data.
 *
 * IB caps how much history one request may span per bar size (TWS API "Historical Data Limitations": the
 * valid duration / bar size pairs). A range is cut into consecutive chunks no longer than that cap, and each
 * chunk becomes one request ending at the chunk's end. Durations are sent in seconds up to one day
 * (`"86400 S"`, exact) and in days beyond (`"7 D"`: IB counts trading days there, so a request may return a
 * little more than the chunk; bars outside the chunk are dropped by the fetcher).
 */

export interface BarSize {
  /** The CLI's name: `1m`. */
  readonly code: string;
  /** TWS's barSizeSetting: `1 min`. */
  readonly setting: string;
  readonly intervalMs: number;
  /** Longest span one request may cover. */
  readonly maxSpanMs: number;
}

const S = 1000;
const SIZES: readonly BarSize[] = [
  { code: '1s', setting: '1 secs', intervalMs: S, maxSpanMs: 1800 * S },
  { code: '5s', setting: '5 secs', intervalMs: 5 * S, maxSpanMs: 3600 * S },
  { code: '10s', setting: '10 secs', intervalMs: 10 * S, maxSpanMs: 14400 * S },
  { code: '15s', setting: '15 secs', intervalMs: 15 * S, maxSpanMs: 14400 * S },
  { code: '30s', setting: '30 secs', intervalMs: 30 * S, maxSpanMs: 28800 * S },
  { code: '1m', setting: '1 min', intervalMs: MINUTE_MS, maxSpanMs: DAY_MS },
  { code: '2m', setting: '2 mins', intervalMs: 2 * MINUTE_MS, maxSpanMs: 2 * DAY_MS },
  { code: '3m', setting: '3 mins', intervalMs: 3 * MINUTE_MS, maxSpanMs: 7 * DAY_MS },
  { code: '5m', setting: '5 mins', intervalMs: 5 * MINUTE_MS, maxSpanMs: 7 * DAY_MS },
  { code: '10m', setting: '10 mins', intervalMs: 10 * MINUTE_MS, maxSpanMs: 7 * DAY_MS },
  { code: '15m', setting: '15 mins', intervalMs: 15 * MINUTE_MS, maxSpanMs: 14 * DAY_MS },
  { code: '20m', setting: '20 mins', intervalMs: 20 * MINUTE_MS, maxSpanMs: 14 * DAY_MS },
  { code: '30m', setting: '30 mins', intervalMs: 30 * MINUTE_MS, maxSpanMs: 30 * DAY_MS },
  { code: '1h', setting: '1 hour', intervalMs: HOUR_MS, maxSpanMs: 30 * DAY_MS },
  { code: '2h', setting: '2 hours', intervalMs: 2 * HOUR_MS, maxSpanMs: 30 * DAY_MS },
  { code: '3h', setting: '3 hours', intervalMs: 3 * HOUR_MS, maxSpanMs: 30 * DAY_MS },
  { code: '4h', setting: '4 hours', intervalMs: 4 * HOUR_MS, maxSpanMs: 30 * DAY_MS },
  { code: '8h', setting: '8 hours', intervalMs: 8 * HOUR_MS, maxSpanMs: 30 * DAY_MS },
  { code: '1d', setting: '1 day', intervalMs: DAY_MS, maxSpanMs: 365 * DAY_MS },
];

export const BAR_SIZE_CODES: readonly string[] = SIZES.map((s) => s.code);

/** The bar size for a CLI code (`1m`, `5s`, `1h`, `1d`); a ConfigError lists the valid ones. */
export function barSizeOf(code: string): BarSize {
  const size = SIZES.find((s) => s.code === code);
  if (!size) throw new ConfigError(`unknown bar size "${code}"; use one of ${BAR_SIZE_CODES.join(', ')}`, '--bar');
  return size;
}

export interface Chunk {
  /** Inclusive, epoch ms. */
  readonly start: number;
  /** Exclusive, epoch ms: the request's endDateTime. */
  readonly end: number;
}

/** Half-open ranges of [from, to) not covered by [coveredFirst, coveredEnd). */
export function missingRanges(from: number, to: number, covered?: { readonly first: number; readonly end: number }): Chunk[] {
  if (!covered || covered.end <= from || covered.first >= to) return from < to ? [{ start: from, end: to }] : [];
  const out: Chunk[] = [];
  if (from < covered.first) out.push({ start: from, end: covered.first });
  if (covered.end < to) out.push({ start: covered.end, end: to });
  return out;
}

/**
 * Consecutive chunks of at most `maxSpanMs` covering each range, oldest first. `maxSpanMs` defaults to the bar
 * size's cap; a smaller one makes smaller requests (to stay far from IB's limits, or in tests).
 */
export function planChunks(ranges: readonly Chunk[], size: BarSize, maxSpanMs = size.maxSpanMs): Chunk[] {
  const span = Math.max(size.intervalMs, Math.min(maxSpanMs, size.maxSpanMs));
  const out: Chunk[] = [];
  for (const r of ranges) {
    for (let start = r.start; start < r.end; start += span) out.push({ start, end: Math.min(r.end, start + span) });
  }
  return out;
}

/** IB durationStr for a span: exact seconds up to a day, whole days (rounded up) beyond. */
export function durationOf(spanMs: number): string {
  const seconds = Math.ceil(spanMs / 1000);
  if (seconds <= 86400) return `${Math.max(seconds, 1)} S`;
  return `${Math.ceil(seconds / 86400)} D`;
}

/** IB endDateTime in UTC: `yyyyMMdd-HH:mm:ss`. */
export function endDateTimeOf(ts: number): string {
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
