import { DAY_MS, HOUR_MS, MINUTE_MS, dayIndexOf, daysInMonth } from '../core/time';

// Module-level copies: compiled to CommonJS, an imported binding is a getter call at every use, and these
// are used for every row.
const DAY = DAY_MS;
const HOUR = HOUR_MS;
const MINUTE = MINUTE_MS;

/**
 * Dates and times as files write them, read straight from bytes (no string per row): the one parser behind
 * every text timestamp (CSV columns, Parquet text columns, `--from`/`--to`).
 *
 * A date is digit groups: `2024-01-02`, `2024.01.02`, `2024/01/02` (year first), `20240102` (compact), or
 * day and month first with the year last (`02.01.2024`, `01/02/2024`), read in the file's {@link DateOrder}.
 * A time follows after `T`, a space or a comma: `09:30`, `09:30:15`, `09:30:15.250` (`,` too), or compact
 * `0930`, `093015`, `093015250` (HistData's HHMMSSmmm). A zone may follow: `Z`, `UTC`, `GMT`, `+09:00`,
 * `+0900`, `+09`, `GMT+0200` (Dukascopy's local time). Values are wall time plus, when written, an offset.
 */

/** How a date whose year comes last is read: `02.01.2024` is 2 January in 'dmy', 1 February in 'mdy'. */
export type DateOrder = 'dmy' | 'mdy';

/** Outputs of the last call (one shared record: nothing is allocated per row). */
export const parsedTime = {
  /** Offset the text wrote, ms east of UTC; NaN when it wrote none. */
  offsetMs: Number.NaN,
  /** Where parsing stopped. */
  end: 0,
};

const ZERO = 48;
const SPACE = 32;
const COLON = 58;
const DOT = 46;
const COMMA = 44;
const PLUS = 43;
const MINUS = 45;
const SLASH = 47;
const UPPER_T = 84;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const FRACTION_SCALE = [0, 100, 10, 1, 0.1, 0.01, 0.001, 1e-4, 1e-5, 1e-6];
const FRACTION_DIVISOR = [1, 1, 1, 1, 10, 100, 1000, 1e4, 1e5, 1e6];

/** Milliseconds of a fraction of a second written with `digits` (1…9) digits, rounded to the nearest ms. */
function fractionToMs(fraction: number, digits: number): number {
  return digits <= 3 ? fraction * FRACTION_SCALE[digits] : Math.round(fraction / FRACTION_DIVISOR[digits]);
}

let lastDateKey = -1;
let lastDayIndex = Number.NaN;

/** Days since 1970-01-01 of a civil date, NaN when the date does not exist. The last date is remembered (files are sorted). */
function dayOf(year: number, month: number, day: number): number {
  const key = year * 10000 + month * 100 + day;
  if (key !== lastDateKey) {
    lastDateKey = key;
    lastDayIndex = month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ? Number.NaN : dayIndexOf(year, month, day);
  }
  return lastDayIndex;
}

/** How many digits the last `digitRun` read, and where it stopped. */
const run = { count: 0, end: 0 };

/** The digits at b[p, end) as a number (they stop at the first other byte). */
function digitRun(b: Uint8Array, p: number, end: number): number {
  const start = p;
  let value = 0;
  while (p < end && isDigit(b[p])) {
    value = value * 10 + b[p] - ZERO;
    p++;
  }
  run.count = p - start;
  run.end = p;
  return value;
}

/**
 * The date at b[start, end) as a day index; NaN when it is not a date. `parsedTime.end` is set to the first
 * byte after it. `order` reads dates whose year comes last; without one they are not dates.
 */
export function parseDatePart(b: Uint8Array, start: number, end: number, order: DateOrder | undefined): number {
  const a = digitRun(b, start, end);
  const na = run.count;
  let p = run.end;
  let year: number;
  let month: number;
  let day: number;
  if (na === 8) {
    year = Math.floor(a / 10000);
    month = Math.floor(a / 100) % 100;
    day = a % 100;
  } else {
    if (p >= end || (na !== 4 && na !== 1 && na !== 2)) return Number.NaN;
    const sep = b[p];
    if (sep !== MINUS && sep !== DOT && sep !== SLASH) return Number.NaN;
    const m = digitRun(b, p + 1, end);
    const nm = run.count;
    p = run.end;
    if (nm < 1 || nm > 2 || p >= end || b[p] !== sep) return Number.NaN;
    const c = digitRun(b, p + 1, end);
    const nc = run.count;
    p = run.end;
    if (na === 4) {
      if (nc < 1 || nc > 2) return Number.NaN;
      year = a;
      month = m;
      day = c;
    } else {
      if (nc !== 4 || order === undefined) return Number.NaN;
      year = c;
      month = order === 'dmy' ? m : a;
      day = order === 'dmy' ? a : m;
    }
  }
  parsedTime.end = p;
  return dayOf(year, month, day);
}

/**
 * The time of day at b[start, end) in ms; NaN when it is not a time. `parsedTime.end` is set to the first
 * byte after it (a zone may follow).
 */
export function parseTimePart(b: Uint8Array, start: number, end: number): number {
  const a = digitRun(b, start, end);
  const na = run.count;
  let p = run.end;
  let hour: number;
  let minute: number;
  let second = 0;
  let millis = 0;
  if (na === 1 || na === 2) {
    hour = a;
    if (p + 3 > end || b[p] !== COLON || !isDigit(b[p + 1]) || !isDigit(b[p + 2])) return Number.NaN;
    minute = (b[p + 1] - ZERO) * 10 + b[p + 2] - ZERO;
    p += 3;
    if (p + 3 <= end && b[p] === COLON) {
      if (!isDigit(b[p + 1]) || !isDigit(b[p + 2])) return Number.NaN;
      second = (b[p + 1] - ZERO) * 10 + b[p + 2] - ZERO;
      p += 3;
    }
  } else if (na === 4) {
    hour = Math.floor(a / 100);
    minute = a % 100;
  } else if (na === 6) {
    hour = Math.floor(a / 10000);
    minute = Math.floor(a / 100) % 100;
    second = a % 100;
  } else if (na === 9) {
    hour = Math.floor(a / 10000000);
    minute = Math.floor(a / 100000) % 100;
    second = Math.floor(a / 1000) % 100;
    millis = a % 1000;
  } else {
    return Number.NaN;
  }
  if (p < end && (b[p] === DOT || b[p] === COMMA) && na !== 9 && p + 1 < end && isDigit(b[p + 1])) {
    p++;
    let fraction = 0;
    let digits = 0;
    while (p < end && isDigit(b[p])) {
      if (digits < 9) {
        fraction = fraction * 10 + b[p] - ZERO;
        digits++;
      }
      p++;
    }
    millis = fractionToMs(fraction, digits);
  }
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN;
  parsedTime.end = p;
  return hour * HOUR + minute * MINUTE + second * 1000 + millis;
}

const NO_ZONE = Number.NaN;
/** A zone that is not one: the whole text is not a time. */
const BAD_ZONE = Number.POSITIVE_INFINITY;

function upper(c: number): number {
  return c >= 97 && c <= 122 ? c - 32 : c;
}

/** `±hh`, `±hhmm`, `±hh:mm` at b[p, end) to the end → ms east of UTC, BAD_ZONE when it is not one. */
function signedOffset(b: Uint8Array, p: number, end: number): number {
  const sign = b[p];
  if (sign !== PLUS && sign !== MINUS) return BAD_ZONE;
  p++;
  if (p + 2 > end || !isDigit(b[p]) || !isDigit(b[p + 1])) return BAD_ZONE;
  const hours = (b[p] - ZERO) * 10 + b[p + 1] - ZERO;
  p += 2;
  let minutes = 0;
  if (p < end) {
    if (b[p] === COLON) p++;
    if (p + 2 !== end || !isDigit(b[p]) || !isDigit(b[p + 1])) return BAD_ZONE;
    minutes = (b[p] - ZERO) * 10 + b[p + 1] - ZERO;
  }
  const offset = hours * HOUR + minutes * MINUTE;
  return sign === MINUS ? -offset : offset;
}

/** The zone at b[start, end) (spaces before it allowed): its offset, NO_ZONE for none, BAD_ZONE for rubbish. */
function parseZone(b: Uint8Array, start: number, end: number): number {
  let p = start;
  while (p < end && b[p] === SPACE) p++;
  if (p === end) return NO_ZONE;
  const c = upper(b[p]);
  if (c === 90 /* Z */) return p + 1 === end ? 0 : BAD_ZONE;
  if (c === PLUS || c === MINUS) return signedOffset(b, p, end);
  const isUtc = c === 85 && p + 3 <= end && upper(b[p + 1]) === 84 && upper(b[p + 2]) === 67; // UTC
  const isGmt = c === 71 && p + 3 <= end && upper(b[p + 1]) === 77 && upper(b[p + 2]) === 84; // GMT
  if (!isUtc && !isGmt) return BAD_ZONE;
  p += 3;
  return p === end ? 0 : signedOffset(b, p, end);
}

/**
 * A date with an optional time and zone at b[start, end) → wall time as epoch-like ms (NaN when the text is
 * not a time); the zone's offset goes to `parsedTime.offsetMs` (NaN when none was written).
 */
export function parseDateTime(b: Uint8Array, start: number, end: number, order: DateOrder | undefined): number {
  while (start < end && b[start] === SPACE) start++;
  while (end > start && b[end - 1] === SPACE) end--;
  const iso = isoLead(b, start, end);
  if (iso === iso && parsedTime.end === end) return iso;
  const day = parseDatePart(b, start, end, order);
  if (day !== day) return Number.NaN;
  let p = parsedTime.end;
  let timeOfDay = 0;
  if (p < end) {
    const sep = b[p];
    if ((sep === UPPER_T || sep === 116 || sep === SPACE || sep === COMMA) && p + 1 < end && isDigit(b[p + 1])) {
      timeOfDay = parseTimePart(b, p + 1, end);
      if (timeOfDay !== timeOfDay) return Number.NaN;
      p = parsedTime.end;
    }
  }
  const offset = parseZone(b, p, end);
  if (offset === BAD_ZONE) return Number.NaN;
  parsedTime.offsetMs = offset;
  parsedTime.end = end;
  return day * DAY + timeOfDay;
}

/** Two ASCII digits at b[p] as a number; negative when either is not a digit. */
function two(b: Uint8Array, p: number): number {
  const hi = b[p] - ZERO;
  const lo = b[p + 1] - ZERO;
  return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : -1;
}

/** Three ASCII digits at b[p] (milliseconds) as a number; negative when they are not three digits before `end`. */
function threeDigits(b: Uint8Array, p: number, end: number): number {
  if (p + 3 > end) return -1;
  const m = two(b, p);
  const last = b[p + 2] - ZERO;
  return m < 0 || last < 0 || last > 9 ? -1 : m * 10 + last;
}

/**
 * The one shape most files write, `YYYY-MM-DD(T| )HH:MM:SS` with an optional `.fff` and `Z` (the canonical CSV,
 * pandas, most exports), read at fixed positions from the start of b[start, end): a fifth of the general
 * path's cost. `parsedTime.end` says where it stopped (a reader checks a delimiter follows); NaN for anything
 * else (the general path then reads it, with the same result).
 */
export function isoLead(b: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length < 19 || b[start + 4] !== MINUS || b[start + 7] !== MINUS || b[start + 13] !== COLON || b[start + 16] !== COLON) return Number.NaN;
  const sep = b[start + 10];
  if (sep !== UPPER_T && sep !== SPACE) return Number.NaN;
  let millis = 0;
  let p = start + 19;
  if (p < end && b[p] === DOT) {
    millis = threeDigits(b, p + 1, end);
    if (millis < 0) return Number.NaN;
    p += 4;
  }
  let offset = Number.NaN;
  if (p < end && (b[p] === 90 || b[p] === 122)) {
    offset = 0;
    p++;
  }
  const y1 = two(b, start);
  const y2 = two(b, start + 2);
  const month = two(b, start + 5);
  const day = two(b, start + 8);
  const hour = two(b, start + 11);
  const minute = two(b, start + 14);
  const second = two(b, start + 17);
  if (y1 < 0 || y2 < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  const dayIndex = dayOf(y1 * 100 + y2, month, day);
  if (dayIndex !== dayIndex) return Number.NaN;
  parsedTime.offsetMs = offset;
  parsedTime.end = p;
  return dayIndex * DAY + hour * HOUR + minute * MINUTE + second * 1000 + millis;
}

/**
 * The compact shapes of HistData (`YYYYMMDD HHMMSS`, ticks `YYYYMMDD HHMMSSmmm`) and TrueFX
 * (`YYYYMMDD HH:MM:SS.mmm`) at the start of b[start, end), read at fixed positions like `isoLead`; they carry no
 * zone. NaN for anything else.
 */
export function compactLead(b: Uint8Array, start: number, end: number): number {
  if (end - start < 15 || b[start + 8] !== SPACE) return Number.NaN;
  const y1 = two(b, start);
  const y2 = two(b, start + 2);
  const month = two(b, start + 4);
  const day = two(b, start + 6);
  const hour = two(b, start + 9);
  if (y1 < 0 || y2 < 0 || month < 0 || day < 0 || hour < 0 || hour > 23) return Number.NaN;
  let minute: number;
  let second: number;
  let millis = 0;
  let p: number;
  if (b[start + 11] === COLON) {
    if (end - start < 17 || b[start + 14] !== COLON) return Number.NaN;
    minute = two(b, start + 12);
    second = two(b, start + 15);
    p = start + 17;
    if (p + 3 < end && b[p] === DOT) {
      millis = threeDigits(b, p + 1, end);
      if (millis < 0) return Number.NaN;
      p += 4;
    }
  } else {
    minute = two(b, start + 11);
    second = two(b, start + 13);
    p = start + 15;
    if (p + 3 <= end && isDigit(b[p])) {
      millis = threeDigits(b, p, end);
      if (millis < 0) return Number.NaN;
      p += 3;
    }
  }
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  const dayIndex = dayOf(y1 * 100 + y2, month, day);
  if (dayIndex !== dayIndex) return Number.NaN;
  parsedTime.offsetMs = Number.NaN;
  parsedTime.end = p;
  return dayIndex * DAY + hour * HOUR + minute * MINUTE + second * 1000 + millis;
}

/** A date of exactly `YYYY.MM.DD`, `YYYY-MM-DD` or `YYYY/MM/DD` in b[start, end) as a day index; NaN otherwise. */
export function fixedDate(b: Uint8Array, start: number, end: number): number {
  const sep = b[start + 4];
  if (end - start !== 10 || (sep !== DOT && sep !== MINUS && sep !== SLASH) || b[start + 7] !== sep) return Number.NaN;
  const y1 = two(b, start);
  const y2 = two(b, start + 2);
  const month = two(b, start + 5);
  const day = two(b, start + 8);
  return y1 < 0 || y2 < 0 || month < 0 || day < 0 ? Number.NaN : dayOf(y1 * 100 + y2, month, day);
}

/** A time of exactly `HH:MM` or `HH:MM:SS` in b[start, end) as ms of the day; NaN otherwise. */
export function fixedClock(b: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if ((length !== 5 && length !== 8) || b[start + 2] !== COLON || (length === 8 && b[start + 5] !== COLON)) return Number.NaN;
  const hour = two(b, start);
  const minute = two(b, start + 3);
  const second = length === 8 ? two(b, start + 6) : 0;
  return hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 ? Number.NaN : hour * HOUR + minute * MINUTE + second * 1000;
}

/** Dukascopy's `DD.MM.YYYY HH:MM:SS` with an optional `.mmm`, at fixed positions like `isoLead`; no zone. */
export function dayFirstLead(b: Uint8Array, start: number, end: number): number {
  if (end - start < 19 || b[start + 2] !== DOT || b[start + 5] !== DOT || b[start + 10] !== SPACE || b[start + 13] !== COLON || b[start + 16] !== COLON) {
    return Number.NaN;
  }
  const day = two(b, start);
  const month = two(b, start + 3);
  const y1 = two(b, start + 6);
  const y2 = two(b, start + 8);
  const hour = two(b, start + 11);
  const minute = two(b, start + 14);
  const second = two(b, start + 17);
  if (y1 < 0 || y2 < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  let p = start + 19;
  let millis = 0;
  if (p + 3 < end && b[p] === DOT) {
    millis = threeDigits(b, p + 1, end);
    if (millis < 0) return Number.NaN;
    p += 4;
  }
  const dayIndex = dayOf(y1 * 100 + y2, month, day);
  if (dayIndex !== dayIndex) return Number.NaN;
  parsedTime.offsetMs = Number.NaN;
  parsedTime.end = p;
  return dayIndex * DAY + hour * HOUR + minute * MINUTE + second * 1000 + millis;
}

/**
 * Epoch digits at the start of b[start, end) in s, ms or µs (up to 16 digits: exact in a double), read as
 * they come, `parsedTime.end` after them; NaN for anything else (a fraction, a sign, nanoseconds), which
 * `parseEpochMs` then reads. Rounds as `parseEpochMs` does.
 */
export function epochLead(b: Uint8Array, start: number, end: number, unit: EpochUnit): number {
  let p = start;
  let value = 0;
  while (p < end) {
    const c = b[p] - ZERO;
    if (c < 0 || c > 9) break;
    value = value * 10 + c;
    p++;
  }
  const digits = p - start;
  if (digits === 0 || digits > 16 || (p < end && b[p] === DOT) || unit === 'ns') return Number.NaN;
  parsedTime.end = p;
  return unit === 'ms' ? value : unit === 's' ? value * 1000 : Math.round(value / 1000);
}

/** Whether b[start, end) is digits only (an optional sign and one `.` allowed): an epoch number. */
export function isEpochNumber(b: Uint8Array, start: number, end: number): boolean {
  let p = start;
  if (p < end && (b[p] === MINUS || b[p] === PLUS)) p++;
  let digits = 0;
  let dots = 0;
  for (; p < end; p++) {
    const c = b[p];
    if (isDigit(c)) digits++;
    else if (c === DOT && dots === 0) dots++;
    else return false;
  }
  return digits > 0;
}

/** Epoch units and their power of ten relative to milliseconds (ms = value / 10^exponent). */
export type EpochUnit = 's' | 'ms' | 'us' | 'ns';
const EXPONENT: Readonly<Record<EpochUnit, number>> = { s: -3, ms: 0, us: 3, ns: 6 };

/**
 * An epoch number at b[start, end) in `unit` → whole ms (half a ms rounds up), NaN when it is not a number.
 * Exact for nanoseconds too (19 digits are more than a double holds): the digits below a millisecond are
 * read apart from the rest.
 */
export function parseEpochMs(b: Uint8Array, start: number, end: number, unit: EpochUnit): number {
  while (start < end && b[start] === SPACE) start++;
  while (end > start && b[end - 1] === SPACE) end--;
  let p = start;
  const negative = p < end && b[p] === MINUS;
  if (p < end && (b[p] === MINUS || b[p] === PLUS)) p++;
  // Digits up to the millisecond make `whole`; the first digit below it rounds.
  let digitsToMs = -EXPONENT[unit];
  let whole = 0;
  let roundUp = false;
  let digits = 0;
  let dot = false;
  for (; p < end; p++) {
    const c = b[p];
    if (c >= 48 && c <= 57) digits++;
    else if (c === DOT && !dot) {
      dot = true;
      continue;
    } else return Number.NaN;
    if (dot && digitsToMs <= 0) {
      if (digitsToMs === 0) roundUp = c >= 53;
      digitsToMs--;
    } else if (!dot) whole = whole * 10 + c - ZERO;
    else {
      whole = whole * 10 + c - ZERO;
      digitsToMs--;
    }
  }
  if (digits === 0) return Number.NaN;
  if (digitsToMs > 0) {
    // Fewer fraction digits than the unit needs (or a sub-ms unit): scale, or cut the integer digits below ms.
    whole *= 10 ** digitsToMs;
  } else if (!dot && digitsToMs < 0) {
    const divisor = 10 ** -digitsToMs;
    const below = whole % divisor;
    whole = (whole - below) / divisor + (below * 2 >= divisor ? 1 : 0);
    return negative ? -whole : whole;
  }
  const ms = whole + (roundUp ? 1 : 0);
  return negative ? -ms : ms;
}

/** The unit of an epoch number, told by its magnitude: below 1e11 seconds, 1e14 ms, 1e17 µs, else ns. */
export function epochUnitOf(value: number): EpochUnit {
  const magnitude = Math.abs(value);
  if (magnitude < 1e11) return 's';
  if (magnitude < 1e14) return 'ms';
  if (magnitude < 1e17) return 'us';
  return 'ns';
}
