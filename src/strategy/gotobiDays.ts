import { getHolidaysOf } from 'japanese-holidays';
import { dateOfDayIndex, daysInMonth } from '../core/time';

/**
 * The gotobi (五十日) calendar: days when Japanese companies settle, so importers buy dollars into the
 * 09:55 JST Tokyo fix.
 *
 * A JST date is a NOMINAL gotobi date when its day of month is 5, 10, 15, 20 or 25, or it is the last day
 * of its month. A nominal date on a Saturday, Sunday or Japanese public holiday moves to the closest
 * preceding business day. Bank-only closures (Dec 31, Jan 2–3) are business days here.
 *
 * Days are day indices of the JST calendar (days since 1970-01-01; see `ZoneClock.localDayIndex`).
 * Holidays come from `japanese-holidays` by (year, month, day), so the host's TZ never matters.
 */

const holidaysByYear = new Map<number, ReadonlySet<number>>();

function holidaysOf(year: number): ReadonlySet<number> {
  let set = holidaysByYear.get(year);
  if (!set) {
    set = new Set(getHolidaysOf(year).map((h) => h.month * 100 + h.date));
    holidaysByYear.set(year, set);
  }
  return set;
}

/** A Japanese public holiday (substitute holidays included), by JST calendar date. */
export function isJapaneseHoliday(year: number, month: number, day: number): boolean {
  return holidaysOf(year).has(month * 100 + day);
}

/** Monday–Friday and not a Japanese public holiday. */
export function isTokyoBusinessDay(dayIndex: number): boolean {
  const d = dateOfDayIndex(dayIndex);
  return d.weekday !== 0 && d.weekday !== 6 && !isJapaneseHoliday(d.year, d.month, d.day);
}

/** Day 5, 10, 15, 20, 25 or the last day of the month, before any roll. */
export function isNominalGotobi(dayIndex: number): boolean {
  const d = dateOfDayIndex(dayIndex);
  return d.day % 5 === 0 && d.day <= 25 ? true : d.day === daysInMonth(d.year, d.month);
}

const tradingDayCache = new Map<number, boolean>();

/**
 * A business day that some nominal gotobi date rolls to: itself, or a following run of non-business days
 * (weekend, holidays) that contains a nominal date.
 */
export function isGotobiDay(dayIndex: number): boolean {
  let cached = tradingDayCache.get(dayIndex);
  if (cached === undefined) {
    cached = computeGotobiDay(dayIndex);
    tradingDayCache.set(dayIndex, cached);
  }
  return cached;
}

function computeGotobiDay(dayIndex: number): boolean {
  if (!isTokyoBusinessDay(dayIndex)) return false;
  if (isNominalGotobi(dayIndex)) return true;
  for (let d = dayIndex + 1; !isTokyoBusinessDay(d); d++) {
    if (isNominalGotobi(d)) return true;
  }
  return false;
}

/** Gotobi trading days in [fromDay, toDay] (day indices), for reports and fixture generation. */
export function gotobiDays(fromDay: number, toDay: number): number[] {
  const out: number[] = [];
  for (let d = fromDay; d <= toDay; d++) if (isGotobiDay(d)) out.push(d);
  return out;
}
