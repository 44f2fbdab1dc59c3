import type { Bar, TargetPosition } from '../core/types';
import { DAY_MS, MINUTE_MS, assertTimeZone, parseWallTime, zoneClock } from '../core/time';
import { isGotobiDay } from './gotobiDays';
import { incremental, type Incremental } from './incremental';
import { defineStrategy, type Strategy } from './types';

export interface GotobiParams {
  readonly id: string;
  readonly symbol: string;
  readonly side: 'long' | 'short';
  /** Contracts held while in the position, > 0. */
  readonly contracts: number;
  /** Local wall time 'HH:MM' from which a bar end may enter. */
  readonly entry: string;
  /** Local wall time 'HH:MM' at which the position is closed; after `entry`. '24:00' = at midnight. */
  readonly exit: string;
  /** IANA zone of the wall times and of the gotobi calendar day; default 'Asia/Tokyo'. */
  readonly timezone?: string;
}

export const GOTOBI_DEFAULT_TIMEZONE = 'Asia/Tokyo';

/** Why a gotobi leg changed its target (`Signal.reason`). */
export const GOTOBI_REASON = {
  entry: 'gotobi entry',
  exitTime: 'exit time',
  dayChanged: 'day changed',
} as const;

/**
 * Checks the parameters once, before any bar: a RangeError names the leg and the field.
 * Returns the entry and exit times in milliseconds after local midnight.
 */
function checkParams(p: GotobiParams): { entryMs: number; exitMs: number } {
  const where = `gotobi "${p.id}"`;
  if (!p.id) throw new RangeError('gotobi: id must be a non-empty string');
  if (!p.symbol) throw new RangeError(`${where}: symbol must be a non-empty string`);
  if (p.side !== 'long' && p.side !== 'short') throw new RangeError(`${where}: side must be "long" or "short", got "${String(p.side)}"`);
  if (!(p.contracts > 0) || !Number.isFinite(p.contracts)) {
    throw new RangeError(`${where}: contracts must be a finite number > 0, got ${String(p.contracts)}`);
  }
  const wall = (field: 'entry' | 'exit'): number => {
    try {
      return parseWallTime(p[field]) * MINUTE_MS;
    } catch (err) {
      throw new RangeError(`${where}: ${field}: ${(err as Error).message}`);
    }
  };
  const entryMs = wall('entry');
  const exitMs = wall('exit');
  if (entryMs >= exitMs) throw new RangeError(`${where}: exit (${p.exit}) must be after entry (${p.entry})`);
  try {
    assertTimeZone(p.timezone ?? GOTOBI_DEFAULT_TIMEZONE);
  } catch (err) {
    throw new RangeError(`${where}: timezone: ${(err as Error).message}`);
  }
  return { entryMs, exitMs };
}

/**
 * The Gotobi strategy, one leg, as a stateful form: feed it every bar (other symbols are ignored); it
 * answers a TargetPosition when its target changes, else `undefined`.
 *
 * A bar is judged when it closes, at its END time (`ts + intervalMs`), read as wall time in `timezone`:
 * - in a position: exit (target 0) when the end time is ≥ `exit`, or when the local day of the end differs
 *   from the entry signal's day (a data gap crossed midnight);
 * - flat: enter (target ±contracts) when the local day is a gotobi trading day (`isGotobiDay`),
 *   `entry` ≤ end time < `exit`, and the leg has not entered yet that day (at most one entry a day).
 * A bar that exits is not also an entry candidate: one decision per bar, as in a Backtrader `next()`.
 *
 * Per bar: two comparisons against the current local day's UTC bounds (zone lookups only on the first bar
 * of each local day, or on every bar of a day with a DST change), one cached calendar check per local day,
 * and no allocation unless a target is emitted.
 */
export function createGotobi(params: GotobiParams): Incremental<Bar, TargetPosition> {
  const { entryMs, exitMs } = checkParams(params);
  const { symbol } = params;
  const held = params.side === 'long' ? params.contracts : -params.contracts;
  const clock = zoneClock(params.timezone ?? GOTOBI_DEFAULT_TIMEZONE);

  let target = 0;
  // The current local day as a UTC window [dayStart, dayEnd): inside it the wall time is `end − dayStart`,
  // so most bars need no zone lookup at all. Days whose offset changes (DST) are never cached (NaN bounds).
  let dayStart = Number.NaN;
  let dayEnd = Number.NaN;
  let cachedDay = Number.NaN;
  // The local day of the last entry: the position's day while in it, and the "one entry a day" guard.
  let entryDay = Number.NaN;
  let calendarDay = Number.NaN;
  let calendarGotobi = false;

  const signal = (ts: number, next: number, reason: string): TargetPosition => {
    target = next;
    return { ts, target: next, reason };
  };

  return {
    update(bar) {
      if (bar.symbol !== symbol) return undefined;
      const end = bar.ts + bar.intervalMs;
      let day: number;
      let time: number;
      if (end >= dayStart && end < dayEnd) {
        day = cachedDay;
        time = end - dayStart;
      } else {
        const offset = clock.offsetMs(end);
        const local = end + offset;
        day = Math.floor(local / DAY_MS);
        time = local - day * DAY_MS;
        const midnight = end - time;
        const uniform = clock.offsetMs(midnight) === offset && clock.offsetMs(midnight + DAY_MS - 1) === offset;
        dayStart = uniform ? midnight : Number.NaN;
        dayEnd = uniform ? midnight + DAY_MS : Number.NaN;
        cachedDay = day;
      }

      if (target !== 0) {
        if (day !== entryDay) {
          // An exit at 24:00 is the next day's 00:00: that bar is the exit time, not a gap.
          const atMidnightExit = exitMs === DAY_MS && time === 0 && day === entryDay + 1;
          return signal(end, 0, atMidnightExit ? GOTOBI_REASON.exitTime : GOTOBI_REASON.dayChanged);
        }
        if (time >= exitMs) return signal(end, 0, GOTOBI_REASON.exitTime);
        return undefined;
      }

      if (time < entryMs || time >= exitMs || day === entryDay) return undefined;
      if (day !== calendarDay) {
        calendarDay = day;
        calendarGotobi = isGotobiDay(day);
      }
      if (!calendarGotobi) return undefined;
      entryDay = day;
      return signal(end, held, GOTOBI_REASON.entry);
    },
  };
}

/**
 * One gotobi leg as a strategy: bars in, a target whenever the leg's target changes.
 *
 * ```
 * bars (USDJPY, 1-min, JST bar ends on gotobi day 2024-01-10):
 *            --a--b--c--d--|     a ends 00:59, b 01:00, c 05:00, d 09:55
 * gotobi({ side: 'long', contracts: 1, entry: '01:00', exit: '09:55' }):
 *            -----E-----X--|     E = target +1 at 01:00 JST, X = target 0 at 09:55 JST
 * ```
 */
export function gotobi(params: GotobiParams): Strategy {
  checkParams(params);
  return defineStrategy({ id: params.id, symbol: params.symbol, decide: incremental(() => createGotobi(params)) });
}
