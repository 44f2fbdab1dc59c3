/**
 * Time-zone arithmetic on UTC epoch milliseconds that never consults the host's TZ.
 *
 * Offsets come from `Intl.DateTimeFormat` (the ICU tz database Node ships). date-fns-tz 3.2's
 * `getTimezoneOffset` is not used: it reads its Date as a local wall time (marnusw/date-fns-tz#227), so it
 * answers −4 h for New York at 2024-03-10T03:00Z, four hours before the DST change. A zone lookup costs
 * microseconds and a strategy asks for the local wall time of every bar, so a `ZoneClock` looks up once per
 * UTC day (twice: the day's first and last millisecond) and, when the offset is the same at both ends, answers the rest of the day with arithmetic (~20 ns). A day with a DST change falls
 * back to the same check per UTC hour, and an hour with a change (never in practice) to a call per event.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Local calendar fields of an instant in a zone. `weekday`: 0 = Sunday … 6 = Saturday. */
export interface LocalDate {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number; // 1-31
  readonly weekday: number;
}

export interface ZoneClock {
  readonly zone: string;
  /** Offset from UTC in ms at `ts` (Tokyo: +9h). */
  offsetMs(ts: number): number;
  /** `ts` shifted to local wall time, as epoch-like ms (use only with the helpers below). */
  localMs(ts: number): number;
  /** Days since 1970-01-01 of the local calendar date at `ts`. */
  localDayIndex(ts: number): number;
  /** Minutes since local midnight at `ts` (0 … 1439). */
  localMinuteOfDay(ts: number): number;
  localDate(ts: number): LocalDate;
  /**
   * The UTC instant of a local wall time (epoch-like ms, as `localMs` gives), resolved like Temporal's
   * 'compatible' disambiguation: a time skipped by a spring-forward moves forward by the gap (02:30 → 03:30),
   * a time repeated by a fall-back takes the earlier instant. Cached per local day.
   */
  utcOfWall(wallMs: number): number;
  /** `utcOfWall` of local wall time `minuteOfDay` on local day `dayIndex`. */
  utcOf(dayIndex: number, minuteOfDay: number): number;
}

/** Throws a RangeError naming the zone when it is not a valid IANA zone. */
export function assertTimeZone(zone: string): void {
  offsetFormatter(zone);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function offsetFormatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new RangeError(`unknown time zone "${zone}" (expected an IANA name such as "Asia/Tokyo")`);
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Offset of `zone` from UTC at `ts`, in ms, straight from ICU (no cache). */
export function zoneOffsetAt(zone: string, ts: number): number {
  const parts = offsetFormatter(zone).formatToParts(ts);
  const field = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
  const wholeSeconds = Math.floor(ts / 1000) * 1000;
  return wall - wholeSeconds;
}

/**
 * Offsets at day and hour boundaries, per zone, shared by every clock of the process: ICU takes ~20 µs an
 * offset, two a day per clock, and a run's clocks on one zone (the Gotobi legs of a config, the strategies of a
 * sweep's pass) walk the same days. A few entries a day of data.
 */
const boundaryOffsets = new Map<string, Map<number, number>>();

export function zoneClock(zone: string): ZoneClock {
  assertTimeZone(zone);
  let known = boundaryOffsets.get(zone);
  if (known === undefined) {
    known = new Map();
    boundaryOffsets.set(zone, known);
  }
  const offsets = known;
  let dayKey = Number.NaN;
  let dayOffset = 0;
  let dayUniform = false;
  let hourKey = Number.NaN;
  let hourOffset = 0;
  let hourUniform = false;

  const raw = (ts: number): number => zoneOffsetAt(zone, ts);
  const atBoundary = (ts: number): number => {
    let offset = offsets.get(ts);
    if (offset === undefined) {
      offset = raw(ts);
      offsets.set(ts, offset);
    }
    return offset;
  };

  const offsetMs = (ts: number): number => {
    const d = Math.floor(ts / DAY_MS);
    if (d !== dayKey) {
      dayKey = d;
      const start = atBoundary(d * DAY_MS);
      dayUniform = start === atBoundary(d * DAY_MS + DAY_MS - 1);
      dayOffset = start;
    }
    if (dayUniform) return dayOffset;
    const h = Math.floor(ts / HOUR_MS);
    if (h !== hourKey) {
      hourKey = h;
      const start = atBoundary(h * HOUR_MS);
      hourUniform = start === atBoundary(h * HOUR_MS + HOUR_MS - 1);
      hourOffset = start;
    }
    return hourUniform ? hourOffset : raw(ts);
  };

  const localMs = (ts: number): number => ts + offsetMs(ts);

  // Its own cache, keyed by LOCAL day: parsing naive timestamps calls this once per row.
  let wallDay = Number.NaN;
  let wallOffset = 0;
  let wallUniform = false;
  const utcOfWall = (wall: number): number => {
    const d = Math.floor(wall / DAY_MS);
    if (d !== wallDay) {
      wallDay = d;
      // No zone changes its offset twice within three days.
      wallOffset = atBoundary(d * DAY_MS - DAY_MS);
      wallUniform = wallOffset === atBoundary(d * DAY_MS + 2 * DAY_MS);
    }
    if (wallUniform) return wall - wallOffset;
    // The offsets a day either side are the two the change is between. A wall time that exists once fits
    // one of them; a repeated one fits both (take the earlier instant); a skipped one fits neither and
    // moves forward by the gap.
    const before = raw(wall - DAY_MS);
    const after = raw(wall + DAY_MS);
    const beforeFits = raw(wall - before) === before;
    const afterFits = raw(wall - after) === after;
    if (beforeFits && afterFits) return Math.min(wall - before, wall - after);
    return afterFits ? wall - after : wall - before;
  };

  return {
    zone,
    offsetMs,
    localMs,
    localDayIndex: (ts) => Math.floor(localMs(ts) / DAY_MS),
    localMinuteOfDay: (ts) => {
      const l = localMs(ts);
      return Math.floor((l - Math.floor(l / DAY_MS) * DAY_MS) / MINUTE_MS);
    },
    localDate: (ts) => dateOfDayIndex(Math.floor(localMs(ts) / DAY_MS)),
    utcOfWall,
    utcOf: (dayIndex, minuteOfDay) => utcOfWall(dayIndex * DAY_MS + minuteOfDay * MINUTE_MS),
  };
}

/** Civil date of a day index (days since 1970-01-01), proleptic Gregorian; no Date allocation. */
export function dateOfDayIndex(dayIndex: number): LocalDate {
  // Howard Hinnant's civil_from_days.
  const z = dayIndex + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const weekday = (((dayIndex + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return { year, month, day, weekday };
}

/** Day index (days since 1970-01-01) of a civil date. */
export function dayIndexOf(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function daysInMonth(year: number, month: number): number {
  return dayIndexOf(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - dayIndexOf(year, month, 1);
}

/** "HH:MM" (00:00 … 24:00) → minutes since midnight; throws a RangeError naming the bad value. */
export function parseWallTime(hhmm: string): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new RangeError(`"${hhmm}" is not a wall time; expected HH:MM, 00:00 to 24:00`);
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (minutes > 1440) throw new RangeError(`"${hhmm}" is past 24:00`);
  return minutes;
}

/** Years 0000–9999: where `toISOString` has the plain `YYYY-MM-DDT` prefix. */
const ISO_MIN = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const ISO_MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
let isoDay = Number.NaN;
let isoPrefix = '';

/**
 * ISO-8601 UTC text of an epoch-ms instant (reports, messages): `new Date(ts).toISOString()`, several times
 * faster on long runs (reports stamp every fill and trade): the `YYYY-MM-DDT` prefix is cached per UTC day,
 * the time of day is plain arithmetic. Same text, always; `Invalid Date` for a non-finite `ts`.
 */
export function isoUtc(ts: number): string {
  if (!Number.isInteger(ts) || ts < ISO_MIN || ts > ISO_MAX) return Number.isFinite(ts) ? new Date(ts).toISOString() : 'Invalid Date';
  const day = Math.floor(ts / DAY_MS);
  if (day !== isoDay) {
    isoDay = day;
    isoPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let ms = ts - day * DAY_MS;
  const hours = Math.floor(ms / 3_600_000);
  ms -= hours * 3_600_000;
  const minutes = Math.floor(ms / 60_000);
  ms -= minutes * 60_000;
  const seconds = Math.floor(ms / 1000);
  ms -= seconds * 1000;
  return `${isoPrefix}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

