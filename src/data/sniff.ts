import { basename } from 'node:path';
import { ConfigError, DataError } from '../core/errors';
import { isoUtc } from '../core/time';
import { formatColumnMap, type ColumnMap, type ColumnRef } from './columnMap';
import { COLUMN_ALIASES, findColumn, headerKey as norm, isTimeHeader, unitFromHeader } from './columns';
import {
  BAR_FORMATS,
  FORMATS,
  TICK_FORMATS,
  columnName,
  normalizeTicker,
  type FormatName,
  type RecordColumns,
  type RecordKind,
  type TextLayout,
  type TimeSpec,
} from './layouts';
import { epochUnitOf, isEpochNumber, parseDateTime, parseDatePart, parseEpochMs, parseTimePart, parsedTime, type DateOrder, type EpochUnit } from './textTime';
import { BROKER_SERVER_TIME, HISTDATA_TIME, resolveTimeZone } from './zones';

/**
 * Tells a text file's layout from its first lines (the sample): delimiter, header or none, decimal comma,
 * which vendor wrote it, where time and prices are, the epoch unit, the date order and the zone. Nothing is
 * guessed silently: a choice the sample cannot settle is an error that says which flag settles it, and an
 * assumption the file cannot confirm (a MetaTrader file's server zone) is a note `inspect` prints.
 */

export interface DetectOptions {
  readonly file: string;
  readonly format?: FormatName;
  readonly columns?: ColumnMap;
  /** Zone of wall times; overrides a layout's default. */
  readonly timezone?: string;
  readonly dateOrder?: DateOrder;
}

/** Lines (without terminators, blank ones dropped) from the start of the file, as text. */
export type Sample = readonly string[];

type Delimiter = TextLayout['delimiter'];
const DELIMITERS: readonly Delimiter[] = ['\t', ';', ','];

/** Splits a line on `delimiter`, honouring double quotes; fields trimmed. */
export function splitLine(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      fields.push(field.trim());
      field = '';
    } else field += ch;
  }
  fields.push(field.trim());
  return fields;
}

/** The delimiter that splits every sample line into the same number (≥ 2) of fields: tab, then `;`, then `,`. */
function detectDelimiter(sample: Sample): Delimiter | undefined {
  for (const d of DELIMITERS) {
    const counts = sample.map((line) => splitLine(line, d).length);
    const dataCounts = counts.slice(1);
    const common = dataCounts.length > 0 ? dataCounts[0] : counts[0];
    if (common >= 2 && dataCounts.every((c) => c === common) && counts[0] >= Math.min(common, 2)) return d;
  }
  // Ragged files: the delimiter giving the most fields in most lines.
  let best: Delimiter | undefined;
  let bestScore = 0;
  for (const d of DELIMITERS) {
    const score = sample.filter((line) => splitLine(line, d).length >= 2).length;
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

const bytesOf = (text: string): Uint8Array => Buffer.from(text, 'utf8');

function isNumberText(text: string, decimal: '.' | ','): boolean {
  return decimal === ',' ? /^[+-]?(\d+(,\d*)?|,\d+)$/.test(text) : /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text);
}

/** Whether the whole text parses: `parse` returns NaN for no, and leaves `parsedTime.end` where it stopped. */
function parsesWhole(text: string, parse: (b: Uint8Array, start: number, end: number) => number): boolean {
  const b = bytesOf(text);
  const value = parse(b, 0, b.length);
  return value === value && parsedTime.end === b.length;
}

const dateTimeAnyOrder = (b: Uint8Array, s: number, e: number): number => {
  const dmy = parseDateTime(b, s, e, 'dmy');
  return dmy === dmy ? dmy : parseDateTime(b, s, e, 'mdy');
};
const dateAnyOrder = (b: Uint8Array, s: number, e: number): number => {
  const dmy = parseDatePart(b, s, e, 'dmy');
  return dmy === dmy ? dmy : parseDatePart(b, s, e, 'mdy');
};

function isTimeLike(text: string): boolean {
  const b = bytesOf(text);
  return isEpochNumber(b, 0, b.length) || parsesWhole(text, dateTimeAnyOrder) || parsesWhole(text, parseTimePart);
}

/** A data-looking field: a number, a date, a time, or nothing. */
function isDataLike(text: string, decimal: '.' | ','): boolean {
  return text === '' || isNumberText(text, decimal) || isTimeLike(text);
}

/**
 * The first line is a header when some field of it is words where the second line has data (data rows may
 * hold text too, such as TrueFX's `USD/JPY`). A file of one line has a header when none of it is data.
 */
function hasHeaderRow(rows: readonly string[][], decimal: '.' | ','): boolean {
  const [first, second] = rows;
  if (second === undefined) return first.every((f) => !isDataLike(f, decimal));
  return first.some((field, i) => !isDataLike(field, decimal) && second[i] !== undefined && isDataLike(second[i], decimal) && second[i] !== '');
}

/** `,` as the decimal separator: a `;` or tab file whose number fields are written `1,3066`. */
function detectDecimal(rows: readonly string[][], delimiter: Delimiter): '.' | ',' {
  if (delimiter === ',') return '.';
  const fields = rows.flat();
  const comma = fields.filter((f) => /^[+-]?\d+,\d+$/.test(f)).length;
  const dot = fields.filter((f) => /^[+-]?\d+\.\d+$/.test(f)).length;
  return comma > dot ? ',' : '.';
}

/** Before the time is resolved: which columns, and what the layout knows about its times. */
interface Plan {
  /** Overrides the layout's title (a HistData file in MetaTrader 4 layout). */
  readonly title?: string;
  readonly records: RecordKind;
  readonly time: number | readonly [number, number];
  readonly columns: RecordColumns;
  readonly symbolColumn?: number;
  /** The layout fixes the unit of epoch times. */
  readonly epochUnit?: EpochUnit;
  /** The layout's zone for wall times, with why. */
  readonly zone?: { readonly name: string; readonly why: string; readonly assumed?: boolean };
  readonly detectedBy: string;
  readonly notes?: readonly string[];
}

interface Shape {
  readonly file: string;
  readonly delimiter: Delimiter;
  readonly decimal: '.' | ',';
  readonly header?: readonly string[];
  /** Data rows of the sample, split. */
  readonly rows: readonly (readonly string[])[];
}

const BROKER_WHY = 'MetaTrader broker server time, assumed';

/** Whether most sample rows (a bad row or two must not hide the layout) satisfy `test`. */
function most(rows: readonly (readonly string[])[], test: (row: readonly string[]) => boolean): boolean {
  return rows.filter(test).length * 2 > rows.length;
}

const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function headerIndex(header: readonly string[], key: string): number {
  return header.findIndex((h) => norm(h) === key);
}

/** A vendor layout: whether a sample is its file, and its plan. */
interface Vendor {
  readonly format: FormatName;
  readonly title: string;
  /** What its rows look like, for the message when `--format` names it but the file differs. */
  readonly expect: string;
  /** The delimiter it writes (when forced by `--format`, nothing else is tried). */
  readonly delimiter: Delimiter;
  plan(shape: Shape): Plan | undefined;
}

/** A plan and the layout it was made for. */
interface NamedPlan extends Plan {
  readonly format: TextLayout['format'];
  readonly title: string;
}

/** A vendor's plan for a sample, named after the vendor; undefined when the sample is not its file. */
function vendorPlan(vendor: Vendor, shape: Shape): NamedPlan | undefined {
  const plan = vendor.plan(shape);
  return plan === undefined ? undefined : { ...plan, format: vendor.format, title: plan.title ?? vendor.title };
}

const OHLC = ['open', 'high', 'low', 'close'];

const VENDORS: readonly Vendor[] = [
  {
    format: 'mt5',
    title: 'MetaTrader 5 bars export',
    expect: 'a tab-separated header <DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>',
    delimiter: '\t',
    plan: ({ header }) => {
      if (!header || !header.every((h) => /^<[^>]+>$/.test(h)) || !same(header.slice(0, 6).map(norm), ['date', 'time', ...OHLC])) return undefined;
      const tickvol = headerIndex(header, 'tickvol');
      const volume = tickvol >= 0 ? tickvol : headerIndex(header, 'vol');
      return {
        records: 'bars',
        time: [0, 1],
        columns: { open: 2, high: 3, low: 4, close: 5, ...(volume >= 0 ? { volume } : {}) },
        zone: { name: BROKER_SERVER_TIME, why: BROKER_WHY, assumed: true },
        detectedBy: 'header <DATE> <TIME> <OPEN> …',
        notes: tickvol >= 0 ? ['volume = <TICKVOL> (tick count; <VOL> is real volume, 0 for FX)'] : [],
      };
    },
  },
  {
    format: 'dukascopy',
    title: 'Dukascopy bars export',
    expect: 'a header Gmt time,Open,High,Low,Close,Volume and times like 02.01.2024 00:00:00.000',
    delimiter: ',',
    plan: ({ header }) => {
      if (!header || !['gmttime', 'localtime'].includes(norm(header[0])) || !same(header.slice(1, 5).map(norm), OHLC)) return undefined;
      const volume = headerIndex(header, 'volume');
      const gmt = norm(header[0]) === 'gmttime';
      return {
        records: 'bars',
        time: 0,
        columns: { open: 1, high: 2, low: 3, close: 4, ...(volume >= 0 ? { volume } : {}) },
        ...(gmt ? { zone: { name: 'UTC', why: 'the "Gmt time" column' } } : {}),
        detectedBy: `header "${header.join(',')}"`,
      };
    },
  },
  {
    format: 'dukascopy-tick',
    title: 'Dukascopy ticks export',
    expect: 'a header Gmt time,Ask,Bid,AskVolume,BidVolume',
    delimiter: ',',
    plan: ({ header }) => {
      if (!header || !['gmttime', 'localtime'].includes(norm(header[0]))) return undefined;
      const ask = headerIndex(header, 'ask');
      const bid = headerIndex(header, 'bid');
      if (ask < 0 || bid < 0) return undefined;
      return {
        records: 'quotes',
        time: 0,
        columns: { bid, ask },
        ...(norm(header[0]) === 'gmttime' ? { zone: { name: 'UTC', why: 'the "Gmt time" column' } } : {}),
        detectedBy: `header "${header.join(',')}"`,
        notes: ['AskVolume/BidVolume are quoted liquidity, not traded volume: a bar built from quotes counts its ticks'],
      };
    },
  },
  {
    format: 'polygon-flat',
    title: 'Polygon flat file (minute aggregates)',
    expect: 'a header ticker,volume,open,close,high,low,window_start,transactions',
    delimiter: ',',
    plan: ({ header }) => {
      if (!header) return undefined;
      const at = (key: string): number => headerIndex(header, key);
      if (at('ticker') < 0 || at('windowstart') < 0 || OHLC.some((k) => at(k) < 0)) return undefined;
      return {
        records: 'bars',
        time: at('windowstart'),
        epochUnit: 'ns',
        columns: { open: at('open'), high: at('high'), low: at('low'), close: at('close'), ...(at('volume') >= 0 ? { volume: at('volume') } : {}) },
        symbolColumn: at('ticker'),
        detectedBy: 'header with ticker and window_start',
      };
    },
  },
  {
    format: 'tradingview',
    title: 'TradingView chart export',
    expect: 'a header starting time,open,high,low,close',
    delimiter: ',',
    plan: ({ header }) => {
      if (!header || !same(header.slice(0, 5), ['time', ...OHLC])) return undefined;
      const volume = headerIndex(header, 'volume');
      const ignored = header.filter((_, i) => i > 4 && i !== volume);
      return {
        records: 'bars',
        time: 0,
        epochUnit: 's',
        columns: { open: 1, high: 2, low: 3, close: 4, ...(volume >= 0 ? { volume } : {}) },
        detectedBy: 'header time,open,high,low,close',
        notes: ignored.length > 0 ? [`columns not read: ${ignored.join(', ')}`] : [],
      };
    },
  },
  {
    format: 'binance',
    title: 'Binance klines',
    expect: '12 columns open_time,open,high,low,close,volume,close_time,… with epoch ms or µs times',
    delimiter: ',',
    plan: ({ header, rows }) => {
      const byHeader = header !== undefined && norm(header[0]) === 'opentime' && same(header.slice(1, 6).map(norm), [...OHLC, 'volume']);
      const byShape =
        header === undefined && most(rows, (row) => row.length === 12 && /^\d{13,16}$/.test(row[0]) && /^\d{13,16}$/.test(row[6]) && Number(row[6]) > Number(row[0]));
      if (!byHeader && !byShape) return undefined;
      return {
        records: 'bars',
        time: 0,
        columns: { open: 1, high: 2, low: 3, close: 4, volume: 5 },
        detectedBy: byHeader ? 'header open_time,open,high,low,close,volume' : 'no header, 12 columns, epoch open and close times',
      };
    },
  },
  {
    format: 'histdata',
    title: 'HistData.com ASCII M1',
    expect: 'no header, ";"-separated rows like 20240102 170000;1.1038;1.1039;1.1037;1.1038;0',
    delimiter: ';',
    plan: ({ header, rows, delimiter }) => {
      if (header || delimiter !== ';' || !most(rows, (row) => row.length >= 5 && row.length <= 6 && /^\d{8} \d{6}$/.test(row[0]))) return undefined;
      const row = rows[0];
      return {
        records: 'bars',
        time: 0,
        columns: { open: 1, high: 2, low: 3, close: 4, ...(row.length === 6 ? { volume: 5 } : {}) },
        zone: { name: HISTDATA_TIME, why: 'HistData.com writes EST without daylight saving, all year' },
        detectedBy: 'no header, ";", times like 20240102 170000',
      };
    },
  },
  {
    format: 'histdata-tick',
    title: 'HistData.com ASCII ticks',
    expect: 'no header, rows like 20240102 170000123,1.10381,1.10392,0',
    delimiter: ',',
    plan: ({ header, rows }) => {
      if (header || !most(rows, (row) => row.length === 4 && /^\d{8} \d{9}$/.test(row[0]))) return undefined;
      return {
        records: 'quotes',
        time: 0,
        columns: { bid: 1, ask: 2 },
        zone: { name: HISTDATA_TIME, why: 'HistData.com writes EST without daylight saving, all year' },
        detectedBy: 'no header, times like 20240102 170000123',
      };
    },
  },
  {
    format: 'truefx',
    title: 'TrueFX ticks',
    expect: 'no header, rows like USD/JPY,20240102 00:00:00.296,141.012,141.015',
    delimiter: ',',
    plan: ({ header, rows }) => {
      if (header || !most(rows, (row) => row.length === 4 && /^[A-Z]{3}\/[A-Z]{3}$/i.test(row[0]) && /^\d{8} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(row[1]))) return undefined;
      return {
        records: 'quotes',
        time: 1,
        columns: { bid: 2, ask: 3 },
        symbolColumn: 0,
        zone: { name: 'UTC', why: 'TrueFX writes UTC' },
        detectedBy: 'no header, rows like USD/JPY,20240102 00:00:00.296,…',
      };
    },
  },
  {
    format: 'mt4',
    title: 'MetaTrader 4 history export',
    expect: 'no header, rows like 2025.01.01,02:00,1.0350,1.0360,1.0340,1.0355,123',
    delimiter: ',',
    plan: ({ header, rows, file }) => {
      const looksLike = (row: readonly string[]): boolean =>
        row.length >= 6 && row.length <= 7 && /^\d{4}\.\d{2}\.\d{2}$/.test(row[0]) && /^\d{1,2}:\d{2}(:\d{2})?$/.test(row[1]);
      if (header || !most(rows, looksLike)) return undefined;
      const row = rows.find(looksLike) as readonly string[];
      const histdata = /^DAT_MT_/i.test(basename(file));
      return {
        ...(histdata ? { title: 'HistData.com MetaTrader M1 (MetaTrader 4 layout)' } : {}),
        records: 'bars',
        time: [0, 1],
        columns: { open: 2, high: 3, low: 4, close: 5, ...(row.length === 7 ? { volume: 6 } : {}) },
        zone: histdata
          ? { name: HISTDATA_TIME, why: 'a HistData.com file (DAT_MT_…): EST without daylight saving, all year' }
          : { name: BROKER_SERVER_TIME, why: BROKER_WHY, assumed: true },
        detectedBy: 'no header, rows like 2025.01.01,02:00,o,h,l,c,v',
      };
    },
  },
];

/** Resolves one `--columns` reference to a column index. */
function columnIndex(ref: ColumnRef, shape: Shape, role: string): number {
  if (typeof ref === 'number') {
    const width = shape.header?.length ?? shape.rows[0].length;
    if (ref > width) throw new ConfigError(`${role}=${ref}: the file has ${width} columns`, '--columns');
    return ref - 1;
  }
  if (!shape.header) {
    throw new ConfigError(`${role}=${ref}: the file has no header, so name columns by position (1 = first), e.g. ${role}=2`, '--columns');
  }
  const exact = shape.header.indexOf(ref);
  const index = exact >= 0 ? exact : shape.header.findIndex((h) => h.toLowerCase() === ref.toLowerCase());
  if (index < 0) throw new ConfigError(`${role}=${ref}: no such column; columns: ${shape.header.map((h) => `"${h}"`).join(', ')}`, '--columns');
  return index;
}

function planFromColumns(map: ColumnMap, shape: Shape): NamedPlan {
  if (map.time === undefined) throw new ConfigError('time=… is missing (e.g. time=Date+Time or time=1)', '--columns');
  const time = Array.isArray(map.time)
    ? ([columnIndex(map.time[0], shape, 'time'), columnIndex(map.time[1], shape, 'time')] as const)
    : columnIndex(map.time as ColumnRef, shape, 'time');
  const columns: Record<string, number> = {};
  for (const role of ['open', 'high', 'low', 'close', 'volume', 'bid', 'ask', 'price', 'size'] as const) {
    const ref = map[role];
    if (ref !== undefined) columns[role] = columnIndex(ref, shape, role);
  }
  const bars = OHLC.every((r) => r in columns);
  const records: RecordKind | undefined = bars ? 'bars' : 'bid' in columns && 'ask' in columns ? 'quotes' : 'price' in columns ? 'trades' : undefined;
  if (records === undefined) {
    throw new ConfigError('name open, high, low and close (a bar file), bid and ask (quote ticks) or price (trade ticks)', '--columns');
  }
  return {
    format: 'custom',
    title: 'columns as given',
    records,
    time,
    columns,
    ...(map.symbol !== undefined ? { symbolColumn: columnIndex(map.symbol, shape, 'symbol') } : {}),
    detectedBy: `--columns ${formatColumnMap(map)}`,
  };
}

/** A header no vendor claims: columns by alias. */
function planFromHeader(header: readonly string[], file: string): NamedPlan {
  const keys = header.map(norm);
  const dateAt = keys.indexOf('date');
  const timeAt = keys.indexOf('time');
  let time: number | readonly [number, number];
  const taken = new Set<number>();
  if (dateAt >= 0 && timeAt >= 0) time = [dateAt, timeAt];
  else {
    const candidates = header.map((h, i) => (isTimeHeader(h) ? i : -1)).filter((i) => i >= 0);
    if (candidates.length === 0) {
      throw new DataError(
        'missing column',
        { file, field: 'time' },
        `no time column (timestamp, time, date, datetime, ts, epoch, unix, open_time, window_start, or one with a unit such as timestamp_ms); columns found: ${header.map((h) => `"${h}"`).join(', ')}; name it with --columns time=<column>`,
      );
    }
    time = candidates[0];
  }
  for (const t of Array.isArray(time) ? time : [time]) taken.add(t as number);
  const pick = (role: keyof typeof COLUMN_ALIASES): number | undefined => {
    const i = findColumn(header, role, taken);
    if (i !== undefined) taken.add(i);
    return i;
  };
  const symbolColumn = pick('symbol');
  const open = pick('open');
  const high = pick('high');
  const low = pick('low');
  const close = pick('close');
  const listed = header.map((h) => `"${h}"`).join(', ');
  if (open !== undefined || high !== undefined || low !== undefined) {
    const missing = (['open', 'high', 'low', 'close'] as const).find((_, i) => [open, high, low, close][i] === undefined);
    if (missing !== undefined) {
      throw new DataError('missing column', { file, field: missing }, `no column named ${COLUMN_ALIASES[missing].join('/')}; columns found: ${listed}; name it with --columns ${missing}=<column>`);
    }
    const volume = pick('volume');
    return {
      format: 'generic',
      title: 'generic bars',
      records: 'bars',
      time,
      columns: { open, high, low, close, ...(volume !== undefined ? { volume } : {}) },
      ...(symbolColumn !== undefined ? { symbolColumn } : {}),
      detectedBy: `header "${header.join(',')}"`,
    };
  }
  const bid = pick('bid');
  const ask = pick('ask');
  if (bid !== undefined && ask !== undefined) {
    return { format: 'generic', title: 'generic quote ticks', records: 'quotes', time, columns: { bid, ask }, ...(symbolColumn !== undefined ? { symbolColumn } : {}), detectedBy: `header "${header.join(',')}"` };
  }
  const price = pick('price');
  if (price !== undefined) {
    const size = pick('size');
    return {
      format: 'generic',
      title: 'generic trade ticks',
      records: 'trades',
      time,
      columns: { price, ...(size !== undefined ? { size } : {}) },
      ...(symbolColumn !== undefined ? { symbolColumn } : {}),
      detectedBy: `header "${header.join(',')}"`,
    };
  }
  throw new DataError(
    'missing column',
    { file, field: 'open' },
    `no column named open/o, nor bid and ask, nor price; columns found: ${listed}; name them with --columns (e.g. time=Zeit,open=Eröffnung,high=Hoch,low=Tief,close=Schluss)`,
  );
}

/** A headerless file no vendor claims: time (one column or date + time) then numbers. */
function planFromShape(shape: Shape): NamedPlan {
  const row = shape.rows[0];
  const split = row.length >= 3 && parsesWhole(row[0], dateAnyOrder) && parsesWhole(row[1], parseTimePart);
  const first = split ? 2 : 1;
  const numbers = row.slice(first).filter((f) => isNumberText(f, shape.decimal)).length;
  const suggest = '--format <name> (see npm run inspect -- --help) or --columns time=1,open=2,high=3,low=4,close=5[,volume=6]';
  if (!split && !isTimeLike(row[0])) {
    throw new ConfigError(`cannot tell the layout: no header, and the first field "${row[0]}" is not a time; pass ${suggest}`, shape.file);
  }
  if (numbers === 2 && row.length - first === 2) {
    throw new ConfigError(
      `cannot tell the layout: no header, a time and two numbers could be bid,ask or price,size; pass --columns time=1,bid=2,ask=3 (or price=2,size=3)`,
      shape.file,
    );
  }
  if (numbers < 4 || numbers !== row.length - first) {
    throw new ConfigError(`cannot tell the layout: no header and ${row.length} fields (${row.join(',')}); pass ${suggest}`, shape.file);
  }
  const at = (k: number): number => first + k;
  return {
    format: 'generic',
    title: 'generic bars',
    records: 'bars',
    time: split ? [0, 1] : 0,
    columns: { open: at(0), high: at(1), low: at(2), close: at(3), ...(numbers >= 5 ? { volume: at(4) } : {}) },
    detectedBy: `no header; ${split ? 'date, time' : 'time'}, then ${numbers} numbers read as open, high, low, close${numbers >= 5 ? ', volume' : ''}`,
    notes: numbers > 5 ? [`${numbers - 5} more number column(s) not read`] : [],
  };
}

/** Day-first or month-first, from sample dates whose year comes last (`02.01.2024`, `13/01/2024`). */
function inferDateOrder(texts: readonly string[], file: string, column: string): DateOrder | undefined {
  let dayFirst = false;
  let monthFirst = false;
  let dotted = false;
  let any = false;
  for (const text of texts) {
    const m = /^(\d{1,2})([./-])(\d{1,2})\2\d{4}/.exec(text);
    if (!m) continue;
    any = true;
    if (m[2] === '.') dotted = true;
    if (Number(m[1]) > 12) dayFirst = true;
    if (Number(m[3]) > 12) monthFirst = true;
  }
  if (!any) return undefined;
  if (dayFirst && !monthFirst) return 'dmy';
  if (monthFirst && !dayFirst) return 'mdy';
  if (dotted && !monthFirst) return 'dmy'; // dd.mm.yyyy: the European (and Dukascopy) way
  throw new ConfigError(`dates in column "${column}" such as "${texts[0]}" could be day-first or month-first; pass --date-order dmy or --date-order mdy`, file);
}

const PLAUSIBLE_FROM = Date.UTC(1971, 0, 1);
const PLAUSIBLE_TO = Date.UTC(2200, 0, 1);

function resolveTime(plan: NamedPlan, shape: Shape, options: DetectOptions, headerNames: (i: number) => string): { time: TimeSpec; zone?: TextLayout['zone'] } {
  const { file } = shape;
  const rows = shape.rows;
  const zoneFor = (): TextLayout['zone'] | undefined => {
    if (options.timezone !== undefined) return { spec: resolveTimeZone(options.timezone), why: '--timezone' };
    if (plan.zone) return { spec: resolveTimeZone(plan.zone.name), why: plan.zone.why, ...(plan.zone.assumed ? { assumed: true } : {}) };
    return undefined;
  };
  const needZone = (column: string, text: string): never => {
    throw new DataError('timestamp has no time zone', { file, row: 1, field: column }, `"${text}"; pass --timezone (e.g. UTC or Asia/Tokyo) to read wall times`);
  };

  if (Array.isArray(plan.time)) {
    const [dateAt, timeAt] = plan.time as readonly [number, number];
    const name = `${headerNames(dateAt)}+${headerNames(timeAt)}`;
    const order = options.dateOrder ?? inferDateOrder(rows.map((r) => r[dateAt] ?? ''), file, headerNames(dateAt));
    const ok = rows.some((r) => {
      const d = bytesOf(r[dateAt] ?? '');
      const t = bytesOf(r[timeAt] ?? '');
      return parseDatePart(d, 0, d.length, order) === parseDatePart(d, 0, d.length, order) && parseTimePart(t, 0, t.length) === parseTimePart(t, 0, t.length);
    });
    if (!ok) throw new ConfigError(`cannot read columns ${name} as a date and a time (first row: "${rows[0][dateAt]}", "${rows[0][timeAt]}"); pass --columns time=<date column>+<time column>`, file);
    const zone = zoneFor();
    if (zone === undefined) needZone(name, `${rows[0][dateAt]} ${rows[0][timeAt]}`);
    return { time: { kind: 'split', date: dateAt, time: timeAt, ...(order ? { order } : {}) }, zone };
  }

  const column = plan.time as number;
  const name = headerNames(column);
  const texts = rows.map((r) => r[column] ?? '').filter((t) => t !== '');
  if (texts.length === 0) throw new ConfigError(`the time column "${name}" is empty in the first rows`, file);
  const epochs = texts.filter((t) => {
    const bytes = bytesOf(t);
    return isEpochNumber(bytes, 0, bytes.length) && !/^\d{8}$/.test(t);
  });
  if (epochs.length * 2 > texts.length) {
    const fromHeader = shape.header ? unitFromHeader(shape.header[column]) : undefined;
    const unit = plan.epochUnit ?? fromHeader ?? epochUnitOf(Number(epochs[0]));
    const unitFrom = plan.epochUnit ? `the ${plan.format} layout` : fromHeader ? `the column name "${name}"` : `the magnitude of ${epochs[0]}`;
    const bytes = bytesOf(epochs[0]);
    const ms = parseEpochMs(bytes, 0, bytes.length, unit);
    if (!(ms >= PLAUSIBLE_FROM && ms < PLAUSIBLE_TO)) {
      throw new ConfigError(
        `column "${name}": ${epochs[0]} read as epoch ${unit} (by ${unitFrom}) is ${Number.isFinite(ms) ? isoUtc(ms) : 'not a time'}, not a plausible bar time; check the column, or name another with --columns time=<column>`,
        file,
      );
    }
    return { time: { kind: 'epoch', column, unit, unitFrom } };
  }
  const order = options.dateOrder ?? inferDateOrder(texts, file, name);
  const parsed = texts.map((t) => {
    const bytes = bytesOf(t);
    const wall = parseDateTime(bytes, 0, bytes.length, order);
    return { wall, zoned: parsedTime.offsetMs === parsedTime.offsetMs };
  });
  const good = parsed.filter((p) => p.wall === p.wall);
  if (good.length === 0) {
    throw new ConfigError(`cannot read column "${name}" as a time (first row: "${texts[0]}"); pass --columns time=<column> or --format <name>`, file);
  }
  const zone = zoneFor();
  if (zone === undefined && good.some((p) => !p.zoned)) needZone(name, texts[parsed.findIndex((p) => p.wall === p.wall && !p.zoned)]);
  return { time: { kind: 'text', column, ...(order ? { order } : {}) }, ...(zone && good.some((p) => !p.zoned) ? { zone } : {}) };
}

/** The layout of a text file from its sample lines. ConfigError/DataError name the file and the flag to pass. */
export function detectLayout(sample: Sample, options: DetectOptions): TextLayout {
  const { file } = options;
  if (sample.length === 0) throw new DataError('no data rows', { file }, 'the file is empty');
  const forced = options.format === undefined || options.format === 'generic' ? undefined : VENDORS.find((v) => v.format === options.format);
  if (options.format !== undefined && options.format !== 'generic' && forced === undefined) {
    throw new ConfigError(`unknown format "${options.format}"; formats: ${FORMATS.join(', ')}`, '--format');
  }
  const delimiter = forced?.delimiter ?? detectDelimiter(sample);
  if (delimiter === undefined) {
    throw new ConfigError(`cannot find the delimiter (",", ";" or tab) in the first lines ("${sample[0].slice(0, 60)}")`, file);
  }
  const split = sample.map((line) => splitLine(line, delimiter));
  const decimal = detectDecimal(split, delimiter);
  const headered = hasHeaderRow(split, decimal);
  const header = headered ? split[0] : undefined;
  const rows = headered ? split.slice(1) : split;
  if (header && rows.length === 0) return headerOnly(header, delimiter, options);
  const shape: Shape = { file, delimiter, decimal, ...(header ? { header } : {}), rows };

  let plan: NamedPlan | undefined;
  if (options.columns !== undefined) plan = planFromColumns(options.columns, shape);
  else if (forced !== undefined) {
    plan = vendorPlan(forced, shape);
    if (plan === undefined) {
      throw new ConfigError(`the file does not look like ${forced.title}: expected ${forced.expect}; its first line is "${sample[0].slice(0, 80)}"`, `--format ${forced.format}`);
    }
    plan = { ...plan, detectedBy: `--format ${forced.format}` };
  } else {
    for (const vendor of VENDORS) {
      plan = vendorPlan(vendor, shape);
      if (plan !== undefined) break;
    }
    plan ??= header ? planFromHeader(header, file) : planFromShape(shape);
  }

  const names = (i: number): string => columnName(shape, i);
  const { time, zone } = resolveTime(plan, shape, options, names);
  const symbolText = plan.symbolColumn !== undefined ? rows[0][plan.symbolColumn] : undefined;
  const widths = rows.map((r) => r.length);
  return {
    format: plan.format,
    title: plan.title,
    records: plan.records,
    delimiter,
    decimal,
    ...(header ? { header } : {}),
    fieldCount: header?.length ?? widths[0],
    time,
    ...(zone ? { zone } : {}),
    columns: plan.columns,
    ...(plan.symbolColumn !== undefined ? { symbolColumn: plan.symbolColumn } : {}),
    ...(symbolText ? { fileSymbol: normalizeTicker(symbolText) } : {}),
    detectedBy: plan.detectedBy,
    notes: plan.notes ?? [],
  };
}

/** A file with a header and no rows: its columns by the header, nothing to read. */
function headerOnly(header: readonly string[], delimiter: Delimiter, options: DetectOptions): TextLayout {
  const plan = planFromHeader(header, options.file);
  const time: TimeSpec = Array.isArray(plan.time) ? { kind: 'split', date: plan.time[0], time: plan.time[1] } : { kind: 'text', column: plan.time as number };
  const { zone: _zone, epochUnit: _unit, ...rest } = plan;
  return { ...rest, delimiter, decimal: '.', header, fieldCount: header.length, time, notes: ['the file has a header and no rows'] };
}

/** `--format` help text: the names, bars then ticks. */
export const FORMAT_HELP = `bars: ${BAR_FORMATS.join(', ')}; ticks: ${TICK_FORMATS.join(', ')}`;
