import { ConfigError, DataError } from '../core/errors';
import { DAY_MS, HOUR_MS, MINUTE_MS, assertTimeZone, dayIndexOf, daysInMonth, zoneOffsetAt } from '../core/time';

/**
 * Timestamps as files write them → UTC epoch ms.
 *
 * Numbers are epoch time whose unit is told by magnitude (a file uses one unit, so the first value decides):
 * below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds (1e11 s is the
 * year 5138; 1e11 ms is 1973). Values are rounded to whole milliseconds.
 *
 * Text is ISO-8601-like: `2024-01-02`, `2024-01-02T09:00`, `2024-01-02 09:00:00.250`, `2024.01.02 09:00`,
 * with an optional zone `Z`, `UTC`, `GMT`, `+09:00`, `+0900`, `+09`. Text without a zone is wall time in
 * the configured `timezone`; with none configured it is an error, never a guess.
 */

export type EpochUnit = 's' | 'ms' | 'us' | 'ns';

/** The unit of an epoch number, told by its magnitude. */
export function epochUnitOf(value: number): EpochUnit {
  const magnitude = Math.abs(value);
  if (magnitude < 1e11) return 's';
  if (magnitude < 1e14) return 'ms';
  if (magnitude < 1e17) return 'us';
  return 'ns';
}

/** Milliseconds per unit: ms = round(value × factor). */
export const MS_PER_EPOCH_UNIT: Readonly<Record<EpochUnit, number>> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };

/** Epoch `value` in `unit` → whole ms. Division for sub-ms units keeps 1e6 exact (×1e-6 is not). */
export function epochToMs(value: number, unit: EpochUnit): number {
  switch (unit) {
    case 's':
      return Math.round(value * 1000);
    case 'ms':
      return Math.round(value);
    case 'us':
      return Math.round(value / 1e3);
    case 'ns':
      return Math.round(value / 1e6);
  }
}

/** Validates a zone name; a ConfigError names the option. */
export function checkTimeZone(timezone: string): void {
  try {
    assertTimeZone(timezone);
  } catch (e) {
    throw new ConfigError(e instanceof Error ? e.message : String(e), 'timezone option');
  }
}

/**
 * Wall time in `timezone` (as epoch-like ms) → UTC epoch ms. Offsets are looked up once per wall day (a day
 * whose neighbours share one offset is answered with arithmetic); around a DST change each time is resolved
 * like Temporal's 'compatible' disambiguation: a time in the gap moves forward by the gap, a repeated time
 * takes the earlier instant.
 */
export function wallToUtc(timezone: string): (wallMs: number) => number {
  checkTimeZone(timezone);
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return (wallMs) => wallMs;
  let day = Number.NaN;
  let uniform = false;
  let offset = 0;
  return (wallMs) => {
    const d = Math.floor(wallMs / DAY_MS);
    if (d !== day) {
      day = d;
      offset = zoneOffsetAt(timezone, d * DAY_MS - DAY_MS);
      uniform = offset === zoneOffsetAt(timezone, d * DAY_MS + 2 * DAY_MS);
    }
    return uniform ? wallMs - offset : resolveAroundChange(timezone, wallMs);
  };
}

function resolveAroundChange(zone: string, wallMs: number): number {
  const before = zoneOffsetAt(zone, wallMs - DAY_MS);
  const after = zoneOffsetAt(zone, wallMs + DAY_MS);
  const beforeFits = zoneOffsetAt(zone, wallMs - before) === before;
  const afterFits = zoneOffsetAt(zone, wallMs - after) === after;
  if (beforeFits && afterFits) return Math.min(wallMs - before, wallMs - after);
  if (afterFits) return wallMs - after;
  return wallMs - before; // fits before the change, or falls in the gap (then: forward by the gap)
}

const ISO_LIKE =
  /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const EPOCH_NUMBER = /^[+-]?\d+(?:\.\d*)?(?:e[+-]?\d+)?$/i;

export interface TimestampTextOptions {
  readonly file: string;
  /** The column as named in the file (errors name it). */
  readonly column: string;
  readonly timezone?: string;
}

/**
 * A parser for one column of one file: `(text, row) → epoch ms`, NaN when the text is not a time. It throws
 * a DataError (file, row, column) for text without a zone when no timezone is configured: that is a
 * configuration problem of the whole file, so no policy skips it.
 */
export function createTimestampParser(options: TimestampTextOptions): (text: string, row: number) => number {
  const { file, column, timezone } = options;
  const toUtc = timezone === undefined ? undefined : wallToUtc(timezone);
  let unit: EpochUnit | undefined;

  return (raw, row) => {
    const text = raw.trim();
    if (EPOCH_NUMBER.test(text)) {
      const value = Number(text);
      unit ??= epochUnitOf(value);
      return epochToMs(value, unit);
    }
    const m = ISO_LIKE.exec(text);
    if (!m) return Number.NaN;
    const year = Number(m[1]);
    const month = Number(m[3]);
    const day = Number(m[4]);
    const hour = m[5] === undefined ? 0 : Number(m[5]);
    const minute = m[6] === undefined ? 0 : Number(m[6]);
    const second = m[7] === undefined ? 0 : Number(m[7]);
    const millis = m[8] === undefined ? 0 : Math.round(Number(`0.${m[8]}`) * 1000);
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
      return Number.NaN;
    }
    const wall = dayIndexOf(year, month, day) * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS + second * 1000 + millis;
    const zone = m[9];
    if (zone === undefined) {
      if (toUtc === undefined) {
        throw new DataError(
          'timestamp has no time zone',
          { file, row, field: column },
          `"${text}"; set the timezone option (e.g. "UTC" or "Asia/Tokyo") to read wall times`,
        );
      }
      return toUtc(wall);
    }
    return wall - zoneOffsetMs(zone);
  };
}

function zoneOffsetMs(zone: string): number {
  const first = zone[0];
  if (first !== '+' && first !== '-') return 0; // Z, UTC, GMT
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  const offset = hours * HOUR_MS + minutes * MINUTE_MS;
  return first === '-' ? -offset : offset;
}
