import { DataError } from '../core/errors';
import type { BarField } from './barRules';
import type { EpochUnit } from './textTime';

/**
 * Which column of a file holds what, by its header. Vendors spell headers many ways (`timestamp`, `Date`,
 * `Gmt time`, `o`, `Open`, `<TICKVOL>`, `tick_volume`); a header matches a field when its lower-case letters
 * and digits equal one of the field's aliases, the first alias winning when several columns match (`volume`
 * over `vol`). A time column may name its epoch unit (`timestamp_ms`, `ts_us`, `epoch_s`, `unix`). One table
 * for every reader: the Parquet reader and the text layouts' generic columns.
 */

/** Lower-case letters and digits only: `<TICKVOL>` → `tickvol`, `Gmt time` → `gmttime`. */
export function headerKey(header: string): string {
  return header.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Time column names, without a unit. */
export const TIME_HEADERS: readonly string[] = ['timestamp', 'datetime', 'date', 'time', 'ts', 't', 'epoch', 'unix', 'opentime', 'windowstart', 'gmttime', 'localtime', 'utctime'];

export type ValueField = Exclude<BarField, 'timestamp'> | 'bid' | 'ask' | 'price' | 'size' | 'symbol';

export const COLUMN_ALIASES: Readonly<Record<ValueField, readonly string[]>> = {
  open: ['open', 'o', 'openprice', 'openbid'],
  high: ['high', 'h', 'highprice', 'highbid'],
  low: ['low', 'l', 'lowprice', 'lowbid'],
  close: ['close', 'c', 'closeprice', 'closebid'],
  volume: ['volume', 'vol', 'v', 'tickvolume', 'tickvol', 'tickqty', 'volumeto'],
  bid: ['bid', 'bidprice', 'bidquote', 'bestbid'],
  ask: ['ask', 'askprice', 'askquote', 'offer', 'bestask'],
  price: ['price', 'last', 'lastprice', 'tradeprice'],
  size: ['size', 'qty', 'quantity', 'amount', 'volume', 'lastsize'],
  symbol: ['ticker', 'symbol', 'pair', 'instrument'],
};

const UNIT_SUFFIXES: readonly (readonly [RegExp, EpochUnit])[] = [
  [/(ns|nsec|nanos|nanoseconds?)$/, 'ns'],
  [/(us|usec|micros|microseconds?)$/, 'us'],
  [/(ms|msec|millis|milliseconds?)$/, 'ms'],
  [/(s|sec|secs|seconds?)$/, 's'],
];

/** The epoch unit a time header names (`timestamp_ms`, `ts_us`, `epoch_s`, `unix`, `window_start`), if any. */
export function unitFromHeader(header: string): EpochUnit | undefined {
  const key = headerKey(header);
  if (key === 'unix' || key === 'unixtime') return 's';
  if (key === 'windowstart') return 'ns';
  for (const [suffix, unit] of UNIT_SUFFIXES) {
    const base = key.replace(suffix, '');
    if (base !== key && TIME_HEADERS.includes(base)) return unit;
  }
  return undefined;
}

export function isTimeHeader(header: string): boolean {
  const key = headerKey(header);
  return TIME_HEADERS.includes(key) || key === 'unixtime' || unitFromHeader(header) !== undefined;
}

/** The column a field's aliases name (an earlier alias wins), skipping columns already `taken`. */
export function findColumn(headers: readonly string[], field: ValueField, taken: ReadonlySet<number> = new Set()): number | undefined {
  const keys = headers.map(headerKey);
  for (const alias of COLUMN_ALIASES[field]) {
    const i = keys.findIndex((k, index) => k === alias && !taken.has(index));
    if (i >= 0) return i;
  }
  return undefined;
}

export interface ResolvedColumn {
  readonly index: number;
  /** The header as written in the file (errors name it). */
  readonly name: string;
}

export interface ResolvedColumns {
  readonly timestamp: ResolvedColumn;
  readonly open: ResolvedColumn;
  readonly high: ResolvedColumn;
  readonly low: ResolvedColumn;
  readonly close: ResolvedColumn;
  readonly volume?: ResolvedColumn;
}

function listed(headers: readonly string[]): string {
  return headers.length ? headers.map((h) => `"${h}"`).join(', ') : 'none';
}

/** A bar file's columns by header (Parquet); a DataError names the file and the field missing or ambiguous. */
export function resolveColumns(headers: readonly string[], file: string): ResolvedColumns {
  const times = headers.map((name, index) => ({ name, index })).filter((c) => isTimeHeader(c.name));
  if (times.length > 1) {
    throw new DataError('ambiguous columns', { file, field: 'timestamp' }, `"${times[0].name}" and "${times[1].name}" both name the timestamp; keep one`);
  }
  if (times.length === 0) {
    throw new DataError('missing column', { file, field: 'timestamp' }, `no column named ${TIME_HEADERS.join('/')}; columns found: ${listed(headers)}`);
  }
  const column = (field: Exclude<BarField, 'timestamp'>): ResolvedColumn | undefined => {
    const index = findColumn(headers, field);
    return index === undefined ? undefined : { index, name: headers[index] };
  };
  const required = (field: 'open' | 'high' | 'low' | 'close'): ResolvedColumn => {
    const found = column(field);
    if (found === undefined) throw new DataError('missing column', { file, field }, `no column named ${COLUMN_ALIASES[field].join('/')}; columns found: ${listed(headers)}`);
    return found;
  };
  return { timestamp: times[0], open: required('open'), high: required('high'), low: required('low'), close: required('close'), volume: column('volume') };
}
