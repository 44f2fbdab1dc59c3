import { ConfigError, DataError } from '../core/errors';
import { DAY_MS, HOUR_MS, MINUTE_MS, assertTimeZone, dayIndexOf, daysInMonth, zoneClock } from '../core/time';

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
  return zoneClock(timezone).utcOfWall;
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

/** `(text, row, start?, end?) → epoch ms`; `start`/`end` pick a slice of `text` without copying it. */
export type TimestampParser = (text: string, row: number, start?: number, end?: number) => number;

const NO_ZONE = Number.NaN;

/**
 * A time a person or a config gives (a `--from` option, a pool job's `to`): ISO-8601 text, UTC unless it
 * names a zone (naive text is read in `timezone`), or epoch digits → epoch ms. A ConfigError names `label`.
 */
export function parseInstant(label: string, value: string, timezone?: string): number {
  let ms: number;
  try {
    ms = createTimestampParser({ file: label, column: label, timezone: timezone ?? 'UTC' })(value, 1);
  } catch (e) {
    throw new ConfigError(`${label}: ${(e as Error).message}`);
  }
  if (Number.isNaN(ms)) throw new ConfigError(`${label}: "${value}" is not a time (ISO-8601 or epoch)`);
  return ms;
}

/**
 * A parser for one column of one file: text → epoch ms, NaN when the text is not a time. It throws a
 * DataError (file, row, column) for text without a zone when no timezone is configured: that is a
 * configuration problem of the whole file, so no policy skips it.
 *
 * The common shapes (`2024-01-02T09:30:00.250Z`, `2024-01-02 09:30:00+09:00`, epoch digits) are read from
 * character codes without allocating; anything else goes through the regular expressions above, with the
 * same result.
 */
export function createTimestampParser(options: TimestampTextOptions): TimestampParser {
  const { file, column, timezone } = options;
  const toUtc = timezone === undefined ? undefined : wallToUtc(timezone);
  let unit: EpochUnit | undefined;
  let lastDateKey = -1;
  let lastDayIndex = Number.NaN;

  /** Day index of a civil date, NaN when it does not exist; the last date is remembered (files are sorted). */
  const dayOf = (year: number, month: number, day: number): number => {
    const key = year * 10000 + month * 100 + day;
    if (key !== lastDateKey) {
      lastDateKey = key;
      lastDayIndex = month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ? Number.NaN : dayIndexOf(year, month, day);
    }
    return lastDayIndex;
  };

  /** Wall time + zone offset (NO_ZONE when the text has none) → UTC ms. */
  const finish = (wall: number, offset: number, text: string, row: number): number => {
    if (offset === offset) return wall - offset;
    if (wall !== wall) return wall;
    if (toUtc === undefined) {
      throw new DataError(
        'timestamp has no time zone',
        { file, row, field: column },
        `"${text.trim()}"; set the timezone option (e.g. "UTC" or "Asia/Tokyo") to read wall times`,
      );
    }
    return toUtc(wall);
  };

  const slow = (raw: string, row: number): number => {
    const text = raw.trim();
    if (EPOCH_NUMBER.test(text)) {
      const value = Number(text);
      unit ??= epochUnitOf(value);
      return epochToMs(value, unit);
    }
    const m = ISO_LIKE.exec(text);
    if (!m) return Number.NaN;
    const hour = m[5] === undefined ? 0 : Number(m[5]);
    const minute = m[6] === undefined ? 0 : Number(m[6]);
    const second = m[7] === undefined ? 0 : Number(m[7]);
    const millis = m[8] === undefined ? 0 : fractionToMs(Number(m[8]), m[8].length);
    const day = dayOf(Number(m[1]), Number(m[3]), Number(m[4]));
    if (day !== day || hour > 23 || minute > 59 || second > 59) return Number.NaN;
    const wall = day * DAY_MS + hour * HOUR_MS + minute * MINUTE_MS + second * 1000 + millis;
    return finish(wall, m[9] === undefined ? NO_ZONE : zoneOffsetMs(m[9]), text, row);
  };

  return (text, row, start = 0, end = text.length) => {
    while (start < end && text.charCodeAt(start) === SPACE) start++;
    while (end > start && text.charCodeAt(end - 1) === SPACE) end--;
    const fast = parseCommonShapes(text, start, end);
    if (fast === UNKNOWN_SHAPE) return slow(start === 0 && end === text.length ? text : text.slice(start, end), row);
    if (fast === EPOCH_SHAPE) {
      const value = Number(text.slice(start, end));
      unit ??= epochUnitOf(value);
      return epochToMs(value, unit);
    }
    const day = dayOf(shape.year, shape.month, shape.day);
    if (day !== day || shape.hour > 23 || shape.minute > 59 || shape.second > 59) return Number.NaN;
    const wall = day * DAY_MS + shape.hour * HOUR_MS + shape.minute * MINUTE_MS + shape.second * 1000 + shape.millis;
    return finish(wall, shape.offset, start === 0 && end === text.length ? text : text.slice(start, end), row);
  };
}

const SPACE = 32;
const UNKNOWN_SHAPE = 0;
const EPOCH_SHAPE = 1;
const ISO_SHAPE = 2;

/** Fields of the last ISO text `parseCommonShapes` read (one shared record: no allocation per row). */
const shape = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, millis: 0, offset: NO_ZONE };

function digit(text: string, i: number): number {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function twoDigits(text: string, i: number): number {
  const a = digit(text, i);
  const b = digit(text, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** Milliseconds of a fraction of a second written with `digits` digits (rounded to the nearest ms). */
function fractionToMs(fraction: number, digits: number): number {
  return digits <= 3 ? fraction * 10 ** (3 - digits) : Math.round(fraction / 10 ** (digits - 3));
}

/**
 * Recognises epoch digits and `YYYY-MM-DD[(T| )HH:MM[:SS[.f…]]][Z|±HH[:]MM|±HH]` (separator `-`, `/` or `.`)
 * in text[start, end); fills `shape` for ISO text. UNKNOWN_SHAPE sends the text to the slow path.
 */
function parseCommonShapes(text: string, start: number, end: number): number {
  const length = end - start;
  if (length === 0) return UNKNOWN_SHAPE;
  let allDigits = true;
  for (let i = start; i < end && allDigits; i++) allDigits = digit(text, i) >= 0;
  if (allDigits) return EPOCH_SHAPE;
  if (length < 10) return UNKNOWN_SHAPE;
  const y1 = twoDigits(text, start);
  const y2 = twoDigits(text, start + 2);
  const sep = text.charCodeAt(start + 4);
  if (y1 < 0 || y2 < 0 || (sep !== 45 && sep !== 47 && sep !== 46) || text.charCodeAt(start + 7) !== sep) return UNKNOWN_SHAPE;
  const month = twoDigits(text, start + 5);
  const day = twoDigits(text, start + 8);
  if (month < 0 || day < 0) return UNKNOWN_SHAPE;
  shape.year = y1 * 100 + y2;
  shape.month = month;
  shape.day = day;
  shape.hour = 0;
  shape.minute = 0;
  shape.second = 0;
  shape.millis = 0;
  shape.offset = NO_ZONE;
  let p = start + 10;
  const t = text.charCodeAt(p);
  if (p < end && (t === 84 || t === 32)) {
    const hour = twoDigits(text, p + 1);
    const minute = twoDigits(text, p + 4);
    if (p + 6 > end || hour < 0 || minute < 0 || text.charCodeAt(p + 3) !== 58) return UNKNOWN_SHAPE;
    shape.hour = hour;
    shape.minute = minute;
    p += 6;
    if (p < end && text.charCodeAt(p) === 58) {
      const second = twoDigits(text, p + 1);
      if (p + 3 > end || second < 0) return UNKNOWN_SHAPE;
      shape.second = second;
      p += 3;
      const dot = text.charCodeAt(p);
      if (p < end && (dot === 46 || dot === 44)) {
        let fraction = 0;
        let digits = 0;
        p++;
        for (let d = digit(text, p); p < end && d >= 0 && digits < 9; d = digit(text, ++p)) {
          fraction = fraction * 10 + d;
          digits++;
        }
        if (digits === 0) return UNKNOWN_SHAPE;
        shape.millis = fractionToMs(fraction, digits);
      }
    }
  }
  if (p === end) return ISO_SHAPE;
  const z = text.charCodeAt(p);
  if ((z === 90 || z === 122) && p + 1 === end) {
    shape.offset = 0;
    return ISO_SHAPE;
  }
  if (z !== 43 && z !== 45) return UNKNOWN_SHAPE;
  const hours = twoDigits(text, p + 1);
  if (hours < 0 || p + 3 > end) return UNKNOWN_SHAPE;
  let q = p + 3;
  let minutes = 0;
  if (q < end) {
    if (text.charCodeAt(q) === 58) q++;
    minutes = twoDigits(text, q);
    if (minutes < 0 || q + 2 !== end) return UNKNOWN_SHAPE;
  }
  const offset = hours * HOUR_MS + minutes * MINUTE_MS;
  shape.offset = z === 45 ? -offset : offset;
  return ISO_SHAPE;
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
