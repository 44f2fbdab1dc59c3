import { TextEncoder } from 'node:util';
import { ConfigError, DataError } from '../core/errors';
import { epochUnitOf, isEpochNumber, parseDateTime, parseEpochMs, parsedTime, type EpochUnit } from './textTime';
import { resolveTimeZone } from './zones';

export { epochUnitOf, type EpochUnit } from './textTime';

/**
 * Timestamps as text (a Parquet text column, a `--from` option) → UTC epoch ms, through the byte parser of
 * `textTime.ts` the CSV readers use, so every text time in the project is read by one set of rules.
 *
 * Numbers are epoch time whose unit is told by magnitude (a column uses one unit, so the first value decides):
 * below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds. Text is a date with
 * an optional time and zone (see `textTime.ts`); text without a zone is wall time in the configured
 * `timezone`, and with none configured an error, never a guess.
 */

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

/** Validates a zone name (see `zones.ts`); a ConfigError names the option. */
export function checkTimeZone(timezone: string): void {
  resolveTimeZone(timezone, 'timezone option');
}

/** Wall time in `timezone` (epoch-like ms) → UTC epoch ms (see `zones.ts`). */
export function wallToUtc(timezone: string): (wallMs: number) => number {
  return resolveTimeZone(timezone, 'timezone option').toUtc;
}

export interface TimestampTextOptions {
  readonly file: string;
  /** The column as named in the file (errors name it). */
  readonly column: string;
  readonly timezone?: string;
}

/** `(text, row) → epoch ms`, NaN when the text is not a time. */
export type TimestampParser = (text: string, row: number) => number;

const encoder = new TextEncoder();

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
 * A parser for one text column of one file: text → epoch ms, NaN when the text is not a time. It throws a
 * DataError (file, row, column) for text without a zone when no timezone is configured: that is a
 * configuration problem of the whole file, so no policy skips it.
 */
export function createTimestampParser(options: TimestampTextOptions): TimestampParser {
  const { file, column, timezone } = options;
  const toUtc = timezone === undefined ? undefined : resolveTimeZone(timezone, 'timezone option').toUtc;
  let unit: EpochUnit | undefined;
  let scratch = new Uint8Array(64);
  return (raw, row) => {
    const text = raw.trim();
    if (scratch.length < 3 * text.length) scratch = new Uint8Array(3 * text.length);
    const length = encoder.encodeInto(text, scratch).written;
    if (isEpochNumber(scratch, 0, length)) {
      unit ??= epochUnitOf(Number(text));
      return parseEpochMs(scratch, 0, length, unit);
    }
    const wall = parseDateTime(scratch, 0, length, undefined);
    if (wall !== wall) return wall;
    const offset = parsedTime.offsetMs;
    if (offset === offset) return wall - offset;
    if (toUtc === undefined) {
      throw new DataError('timestamp has no time zone', { file, row, field: column }, `"${text.trim()}"; pass --timezone (e.g. UTC or Asia/Tokyo) to read wall times`);
    }
    return toUtc(wall);
  };
}
