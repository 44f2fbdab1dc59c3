import { DataError } from '../core/errors';
import type { ReadProgress, RowRejection } from './barBatch';
import type { TextChunks } from './textFile';
import { DAY_MS } from '../core/time';
import { columnName, normalizeTicker, timeColumnName, type RecordColumns, type TextLayout } from './layouts';
import * as textRows from './textRows';
import type { RowScanner } from './textRows';
import * as textTime from './textTime';

/**
 * The values of a row, where the layout says they are: the time (epoch, text, or date + time, in the
 * layout's zone), the numbers, and whether the row's ticker is the one replayed. Shared by the bar and the
 * tick readers.
 *
 * Two ways to a row's values. The fast one walks the line once, field after field, parsing numbers as it
 * meets their digits (most rows of most files). Anything it does not expect — a quote, an empty or odd
 * field, a row with the wrong number of fields, another ticker — sends the row to the general way: every
 * field's bounds first (`RowScanner.split`), then each value, with exact errors. Both give the same values.
 */

// Module-level copies of what every row uses: compiled to CommonJS (tsx, jest), an imported binding is a getter
// call at each use, and the time parsers' getters were an eighth of a tick file's replay.
const DAY = DAY_MS;
const { fieldText, parseNumber } = textRows;
const { compactLead, dayFirstLead, epochLead, fixedClock, fixedDate, isoLead, parseDatePart, parseDateTime, parseEpochMs, parseTimePart, parsedTime } = textTime;

/** A wall time without an offset in a file whose zone is unknown (the row reader throws, naming the row). */
export const NO_ZONE_TIME = Number.NEGATIVE_INFINITY;

/** Time of one field or of a date field and a time field → UTC ms; NaN when not a time; NO_ZONE_TIME. */
interface TimeParsers {
  one(b: Uint8Array, start: number, end: number): number;
  /**
   * A time at the start of b[start, end) in a common shape read at fixed positions (`isoLead`, `compactLead`,
   * `dayFirstLead`, `epochLead`), `parsedTime.end` after it; NaN when the field is not in such a shape (the
   * caller then finds the field's end and calls `one`).
   */
  lead(b: Uint8Array, start: number, end: number): number;
  two(b: Uint8Array, dateStart: number, dateEnd: number, timeStart: number, timeEnd: number): number;
}

function timeParsers(layout: TextLayout): TimeParsers {
  const time = layout.time;
  const toUtc = layout.zone?.spec.toUtc;
  const order = time.kind === 'epoch' ? undefined : time.order;
  return {
    one:
      time.kind === 'epoch'
        ? (b, start, end) => parseEpochMs(b, start, end, time.unit)
        : (b, start, end) => {
            const wall = parseDateTime(b, start, end, order);
            if (wall !== wall) return wall;
            const offset = parsedTime.offsetMs;
            if (offset === offset) return wall - offset;
            return toUtc === undefined ? NO_ZONE_TIME : toUtc(wall);
          },
    lead:
      time.kind === 'epoch'
        ? (b, start, end) => epochLead(b, start, end, time.unit)
        : time.kind === 'text'
        ? (b, start, end) => {
            let wall = isoLead(b, start, end);
            if (wall !== wall) wall = compactLead(b, start, end);
            if (wall !== wall && order === 'dmy') wall = dayFirstLead(b, start, end);
            if (wall !== wall) return wall;
            const offset = parsedTime.offsetMs;
            if (offset === offset) return wall - offset;
            return toUtc === undefined ? NO_ZONE_TIME : toUtc(wall);
          }
        : () => Number.NaN,
    two: (b, ds, de, ts, te) => {
      // MetaTrader's `2024.03.08` and `22:00[:00]` first, at fixed positions; anything else the general way.
      const fixedDay = fixedDate(b, ds, de);
      const fixedMs = fixedDay === fixedDay ? fixedClock(b, ts, te) : Number.NaN;
      if (fixedMs === fixedMs) return toUtc === undefined ? NO_ZONE_TIME : toUtc(fixedDay * DAY + fixedMs);
      while (ds < de && b[ds] === 32) ds++;
      while (de > ds && b[de - 1] === 32) de--;
      const day = parseDatePart(b, ds, de, order);
      if (day !== day || parsedTime.end !== de) return Number.NaN;
      while (ts < te && b[ts] === 32) ts++;
      while (te > ts && b[te - 1] === 32) te--;
      const ms = parseTimePart(b, ts, te);
      if (ms !== ms || parsedTime.end !== te) return Number.NaN;
      return toUtc === undefined ? NO_ZONE_TIME : toUtc(day * DAY + ms);
    },
  };
}

/** Which ticker the replay reads, in a file with a ticker column. */
interface TickerState {
  /** The normalized symbol wanted; undefined until the first row when the caller named none. */
  wanted: string | undefined;
  /** The bytes of the last ticker accepted and rejected: rows of one ticker come together, so most rows compare equal. */
  accepted: Uint8Array;
  rejected: Uint8Array;
  firstRow: number;
}

/** The values a reader takes from a row, in `slot` order (see `RowValues.slot`). */
export type ValueRole = keyof RecordColumns;

export interface RowValues {
  /** UTC ms of the current row after `read()`. */
  time: number;
  /** The numbers, by slot (`slot(role)`); NaN where the text is not a number. */
  readonly numbers: Float64Array;
  /** The slot of a role's number; -1 when the layout has no such column. */
  slot(role: ValueRole): number;
  /**
   * Reads the current row: false when it belongs to another ticker (skip it). After it, `time` and `numbers`
   * hold the values, or `problem` says what is wrong with the row (the reader reports it).
   */
  read(rows: RowScanner): boolean;
  /** The current row's problem after `read()`, or undefined. */
  problem: RowProblem | undefined;
}

export interface RowProblem {
  readonly rule: 'malformed-row' | 'invalid-timestamp' | 'invalid-price' | 'invalid-volume';
  /** The column as the file names it (absent for a malformed row). */
  readonly field?: string;
  readonly detail: string;
}

// Field roles of the fast path.
const SKIP = 0;
const NUMBER = 1;
const TIME = 2;
const DATE = 3;
const TIME_OF_DAY = 4;
const TICKER = 5;

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

function sameBytes(b: Uint8Array, start: number, end: number, other: Uint8Array): boolean {
  if (end - start !== other.length) return false;
  for (let k = 0; k < other.length; k++) if (b[start + k] !== other[k]) return false;
  return true;
}

/**
 * A row reader for `layout`'s records: `roles` are the numbers wanted, in slot order. `symbol` picks the rows
 * of one ticker in a file with a ticker column; without it such a file must hold one ticker (a second one is a
 * DataError saying to pass --symbol).
 */
export function rowValues(layout: TextLayout, file: string, roles: readonly ValueRole[], symbol: string | undefined): RowValues {
  const fieldCount = layout.fieldCount;
  const delimiter = layout.delimiter.charCodeAt(0);
  const decimal = layout.decimal.charCodeAt(0);
  const parsers = timeParsers(layout);
  const time = layout.time;
  const columnOf = (role: ValueRole): number | undefined => layout.columns[role];
  const slots = roles.map((role) => columnOf(role));
  const numbers = new Float64Array(roles.length);
  const timeName = timeColumnName(layout);
  const ticker: TickerState | undefined =
    layout.symbolColumn === undefined ? undefined : { wanted: symbol === undefined ? undefined : normalizeTicker(symbol), accepted: new Uint8Array(0), rejected: new Uint8Array(0), firstRow: 0 };
  const tickerName = layout.symbolColumn === undefined ? '' : columnName(layout, layout.symbolColumn);

  // The fast path's plan: a role and a slot per field, up to the last one needed.
  const role = new Int8Array(fieldCount).fill(SKIP);
  const slotOf = new Int8Array(fieldCount).fill(-1);
  slots.forEach((column, slot) => {
    if (column !== undefined) {
      role[column] = NUMBER;
      slotOf[column] = slot;
    }
  });
  if (time.kind === 'split') {
    role[time.date] = DATE;
    role[time.time] = TIME_OF_DAY;
  } else role[time.column] = TIME;
  if (layout.symbolColumn !== undefined) role[layout.symbolColumn] = TICKER;
  let lastRead = 0;
  role.forEach((r, f) => {
    if (r !== SKIP) lastRead = f;
  });

  const noZone = (rows: RowScanner, text: string): never => {
    throw new DataError('timestamp has no time zone', { file, row: rows.row, field: timeName }, `"${text}"; pass --timezone (e.g. UTC or Asia/Tokyo) to read wall times`);
  };

  /** The row's ticker at b[start, end): true to read the row, false to skip it. Rows of one ticker come together. */
  const tickerMatches = (rows: RowScanner, b: Uint8Array, start: number, end: number): boolean => {
    const state = ticker as TickerState;
    if (sameBytes(b, start, end, state.rejected)) return false;
    const name = normalizeTicker(fieldText(b, start, end));
    if (state.wanted === undefined) {
      state.wanted = name;
      state.firstRow = rows.row;
    }
    if (name !== state.wanted) {
      if (symbol === undefined) {
        throw new DataError(
          'the file holds more than one ticker',
          { file, row: rows.row, field: tickerName },
          `${fieldText(b, start, end)} after ${state.wanted} (row ${state.firstRow}); pass --symbol to pick one`,
        );
      }
      state.rejected = b.slice(start, end);
      return false;
    }
    state.accepted = b.slice(start, end);
    return true;
  };

  /** One pass over the line; false when anything is unexpected (the general path then reads the row). */
  const fast = (b: Uint8Array, start: number, end: number): boolean => {
    let p = start;
    let dateStart = 0;
    let dateEnd = 0;
    let t = Number.NaN;
    for (let f = 0; f <= lastRead; f++) {
      if (f > 0) {
        if (p >= end || b[p] !== delimiter) return false;
        p++;
      }
      const r = role[f];
      if (r === NUMBER) {
        let mantissa = 0;
        let digits = 0;
        let scale = -1;
        const fieldStart = p;
        const negative = b[p] === 45;
        if (negative) p++;
        for (; p < end; p++) {
          const c = b[p];
          if (c >= 48 && c <= 57) {
            mantissa = mantissa * 10 + c - 48;
            digits++;
          } else if (c === decimal && scale < 0) scale = digits;
          else break;
        }
        if (digits === 0) return false;
        if (digits > 15) {
          // Past what a double holds exactly as an integer (Dukascopy writes volumes like 54.800000000000004).
          numbers[slotOf[f]] = parseNumber(b, fieldStart, p, decimal);
          continue;
        }
        const value = scale < 0 || scale === digits ? mantissa : mantissa / POWERS_OF_TEN[digits - scale];
        numbers[slotOf[f]] = negative ? -value : value;
      } else {
        if (r === TIME) {
          const lead = parsers.lead(b, p, end);
          if (lead === lead) {
            t = lead;
            p = parsedTime.end;
            continue;
          }
        }
        const fieldStart = p;
        while (p < end && b[p] !== delimiter) {
          if (b[p] === 34) return false;
          p++;
        }
        if (r === TIME) t = parsers.one(b, fieldStart, p);
        else if (r === DATE) {
          dateStart = fieldStart;
          dateEnd = p;
        } else if (r === TIME_OF_DAY) t = parsers.two(b, dateStart, dateEnd, fieldStart, p);
        else if (r === TICKER && !sameBytes(b, fieldStart, p, (ticker as TickerState).accepted)) return false;
      }
    }
    // The fields after the last one read are only counted (a row must have as many as the header).
    let more = 0;
    for (; p < end; p++) {
      const c = b[p];
      if (c === delimiter) more++;
      else if (c === 34) return false;
    }
    if (more !== fieldCount - 1 - lastRead || t !== t || t === NO_ZONE_TIME) return false;
    values.time = t;
    return true;
  };

  const names = roles.map((r, i) => (slots[i] === undefined ? r : columnName(layout, slots[i] as number)));

  /** Every field's bounds, then each value, with the row's problem when there is one. */
  const general = (rows: RowScanner): boolean => {
    rows.split();
    const b = rows.bytes;
    const bounds = rows.bounds;
    if (rows.count !== fieldCount) {
      values.time = Number.NaN;
      values.problem = { rule: 'malformed-row', detail: `${rows.count} fields, ${layout.header ? 'the header has' : 'the first row has'} ${fieldCount}` };
      return true;
    }
    if (ticker !== undefined) {
      const i = 2 * (layout.symbolColumn as number);
      if (!tickerMatches(rows, b, bounds[i], bounds[i + 1])) return false;
    }
    const field = (column: number): string => fieldText(b, bounds[2 * column], bounds[2 * column + 1]);
    let t: number;
    let text: string;
    if (time.kind === 'split') {
      t = parsers.two(b, bounds[2 * time.date], bounds[2 * time.date + 1], bounds[2 * time.time], bounds[2 * time.time + 1]);
      text = `${field(time.date)} ${field(time.time)}`;
    } else {
      t = parsers.one(b, bounds[2 * time.column], bounds[2 * time.column + 1]);
      text = field(time.column);
    }
    if (t === NO_ZONE_TIME) noZone(rows, text);
    values.time = t;
    let problem: RowProblem | undefined = t === t ? undefined : { rule: 'invalid-timestamp', field: timeName, detail: `got "${text}"` };
    for (let slot = 0; slot < slots.length; slot++) {
      const column = slots[slot];
      if (column === undefined) {
        numbers[slot] = Number.NaN;
        continue;
      }
      const value = parseNumber(b, bounds[2 * column], bounds[2 * column + 1], decimal);
      numbers[slot] = value;
      if (value !== value && problem === undefined) {
        const shown = field(column);
        problem = {
          rule: roles[slot] === 'volume' || roles[slot] === 'size' ? 'invalid-volume' : 'invalid-price',
          field: names[slot],
          detail: shown === '' ? 'missing' : `got "${shown}"`,
        };
      }
    }
    values.problem = problem;
    return true;
  };

  const values: RowValues = {
    time: Number.NaN,
    numbers,
    slot: (r) => (columnOf(r) === undefined ? -1 : roles.indexOf(r)),
    problem: undefined,
    read: (rows) => {
      values.problem = undefined;
      if (fast(rows.bytes, rows.lineStart, rows.lineEnd)) return true;
      return general(rows);
    },
  };
  return values;
}

/** Where a text reader puts the rows of one batch: file rows, times, and one array per value slot. */
export interface BatchTarget {
  readonly rows: Float64Array;
  readonly ts: Float64Array;
  /** By slot (the `roles` order of `rowValues`); a slot whose column the file lacks reads 0. */
  readonly values: readonly Float64Array[];
  readonly rejections: RowRejection[];
}

/**
 * Fills `target` with up to `capacity` rows of `rows` (reading more of the file as needed); returns how many.
 * A row with a problem keeps its time when it has one (the interval and the from/to range use it) and gets a
 * rejection the validator reports.
 */
export async function fillBatch(rows: RowScanner, values: RowValues, roles: readonly ValueRole[], target: BatchTarget, capacity: number, closed: () => boolean): Promise<number> {
  target.rejections.length = 0;
  const numbers = values.numbers;
  const present = Uint8Array.from(roles, (role) => (values.slot(role) >= 0 ? 1 : 0));
  const columns = target.values;
  const slots = columns.length;
  const fileRows = target.rows;
  const ts = target.ts;
  let n = 0;
  while (n < capacity) {
    // Whether the reader was closed meanwhile is asked once a few hundred rows, not per row.
    if ((n & 255) === 0 && closed()) break;
    if (!rows.next()) {
      if (await rows.more()) continue;
      break;
    }
    if (!values.read(rows)) continue;
    fileRows[n] = rows.row;
    ts[n] = values.time;
    if (values.problem !== undefined) target.rejections.push({ index: n, ...values.problem });
    for (let k = 0; k < slots; k++) columns[k][n] = present[k] === 1 ? numbers[k] : 0;
    n++;
  }
  return n;
}

/**
 * The parts every text reader hands out the same way: how the file is read, how far, the next batch (from
 * `fill`, told whether the reader was closed meanwhile), and closing it.
 */
export function textReaderParts<B>(
  opened: { readonly layout: TextLayout; readonly chunks: TextChunks; readonly rows: RowScanner },
  fill: (closed: () => boolean) => Promise<B | null>,
) {
  const { layout, chunks, rows } = opened;
  let closed = false;
  const isClosed = (): boolean => closed;
  return {
    format: { kind: 'text', layout, encoding: chunks.encoding, compression: chunks.compression } as const,
    progress: (): ReadProgress => ({ done: chunks.bytesRead(), total: chunks.fileBytes, unit: 'bytes' }),
    next: async (): Promise<B | null> => (closed ? null : fill(isClosed)),
    close: (): void => {
      closed = true;
      rows.close();
    },
  };
}
