import { ConfigError } from '../core/errors';
import { HOUR_MS, MINUTE_MS, assertTimeZone, zoneClock } from '../core/time';

/**
 * The zone of wall-clock timestamps in a file, as a user names it (`--timezone`, `data.timezone`):
 *
 * - an IANA zone: `UTC`, `Asia/Tokyo`, `America/New_York` (DST as the zone has it);
 * - a fixed offset: `UTC-5`, `UTC+02:00` (no DST: HistData's "EST all year" is `UTC-5`);
 * - an IANA zone's wall clock shifted by a fixed offset: `America/New_York+7` is New York time plus seven
 *   hours, the server time of most MetaTrader brokers (UTC+2 in US winter, UTC+3 in US summer, switching on
 *   the US DST dates, so the FX day starts at 00:00 server time all year).
 */
export interface TimeZoneSpec {
  /** As written (after trimming). */
  readonly name: string;
  /** For people: what the zone means, e.g. `fixed UTC−05:00 (no DST)`. */
  readonly describe: string;
  /** Wall time in the zone (epoch-like ms) → UTC epoch ms. Around a DST change, like `ZoneClock.utcOfWall`. */
  readonly toUtc: (wallMs: number) => number;
}

/** Most MetaTrader brokers' server time: New York + 7 h. */
export const BROKER_SERVER_TIME = 'America/New_York+7';
/** HistData.com's "Eastern Standard Time without daylight saving". */
export const HISTDATA_TIME = 'UTC-5';

const FIXED = /^(?:UTC|GMT)\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i;
const SHIFTED = /^(.+?)\s*([+-])(\d{1,2})(?::?(\d{2}))?$/;

function offsetText(sign: string, hours: string, minutes: string | undefined): string {
  return `${sign === '-' ? '−' : '+'}${hours.padStart(2, '0')}:${minutes ?? '00'}`;
}

function offsetMs(sign: string, hours: string, minutes: string | undefined): number {
  const h = Number(hours);
  const m = minutes === undefined ? 0 : Number(minutes);
  if (h > 14 || m > 59) return Number.NaN;
  const ms = h * HOUR_MS + m * MINUTE_MS;
  return sign === '-' ? -ms : ms;
}

function isIana(name: string): boolean {
  try {
    assertTimeZone(name);
    return true;
  } catch {
    return false;
  }
}

const cache = new Map<string, TimeZoneSpec>();

/**
 * `toUtc` answered per wall hour: DST changes fall on whole hours, so when both ends of a wall hour map with
 * one offset every time in it does. A zone's own per-day cache falls back to ICU for every time of the three
 * days around a change; a file of minutes crosses two such changes a year.
 */
function byWallHour(toUtc: (wall: number) => number): (wall: number) => number {
  let hour = Number.NaN;
  let offset = 0;
  let uniform = false;
  return (wall) => {
    const h = Math.floor(wall / HOUR_MS);
    if (h !== hour) {
      hour = h;
      const start = h * HOUR_MS;
      offset = start - toUtc(start);
      uniform = offset === start + HOUR_MS - 1 - toUtc(start + HOUR_MS - 1);
    }
    return uniform ? wall - offset : toUtc(wall);
  };
}

/** Reads a zone name; a ConfigError names `label` (the flag or option) when it is none of the above. */
export function resolveTimeZone(text: string, label = '--timezone'): TimeZoneSpec {
  const name = text.trim();
  const cached = cache.get(name);
  if (cached) return cached;
  let spec: TimeZoneSpec | undefined;
  if (name === 'UTC' || name === 'Etc/UTC' || name === 'GMT' || name === 'Z') {
    spec = { name, describe: 'UTC', toUtc: (wall) => wall };
  } else if (isIana(name)) {
    const clock = zoneClock(name);
    spec = { name, describe: `${name} (IANA, with its DST)`, toUtc: byWallHour(clock.utcOfWall) };
  } else {
    const fixed = FIXED.exec(name);
    if (fixed) {
      const offset = offsetMs(fixed[1], fixed[2], fixed[3]);
      if (offset === offset) {
        spec = { name, describe: `fixed UTC${offsetText(fixed[1], fixed[2], fixed[3])} (no DST)`, toUtc: (wall) => wall - offset };
      }
    } else {
      const shifted = SHIFTED.exec(name);
      if (shifted && isIana(shifted[1])) {
        const offset = offsetMs(shifted[2], shifted[3], shifted[4]);
        if (offset === offset) {
          const clock = zoneClock(shifted[1]);
          spec = {
            name,
            describe: `${shifted[1]} wall time ${offsetText(shifted[2], shifted[3], shifted[4])}`,
            toUtc: byWallHour((wall) => clock.utcOfWall(wall - offset)),
          };
        }
      }
    }
  }
  if (spec === undefined) {
    throw new ConfigError(
      `unknown time zone "${name}": expected an IANA name such as "Asia/Tokyo", a fixed offset such as "UTC-5", or a zone plus hours such as "${BROKER_SERVER_TIME}"`,
      label,
    );
  }
  cache.set(name, spec);
  return spec;
}
