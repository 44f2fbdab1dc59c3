import type { EpochUnit, DateOrder } from './textTime';
import type { TimeZoneSpec } from './zones';

/**
 * What a delimited text file holds and where: the result of detection (`detectLayout`), what every text
 * reader follows, and what `npm run inspect` prints. Named layouts are the files traders download as the
 * vendor writes them; `generic` is anything else a header (or `--columns`) explains.
 */

/** `--format` names: bar layouts, then tick layouts. */
export const BAR_FORMATS = ['histdata', 'dukascopy', 'mt4', 'mt5', 'binance', 'tradingview', 'polygon-flat', 'generic'] as const;
export const TICK_FORMATS = ['histdata-tick', 'dukascopy-tick', 'truefx'] as const;
export const FORMATS = [...BAR_FORMATS, ...TICK_FORMATS] as const;
export type FormatName = (typeof FORMATS)[number];

export function isFormatName(name: string): name is FormatName {
  return (FORMATS as readonly string[]).includes(name);
}

/** Bars, quote ticks (bid/ask) or trade ticks (price/size). */
export type RecordKind = 'bars' | 'quotes' | 'trades';

/** Where the time of a row is and how it is written. */
export type TimeSpec =
  | { readonly kind: 'epoch'; readonly column: number; readonly unit: EpochUnit; readonly unitFrom: string }
  | { readonly kind: 'text'; readonly column: number; readonly order?: DateOrder }
  | { readonly kind: 'split'; readonly date: number; readonly time: number; readonly order?: DateOrder };

/** Column index (0-based) of each value a record needs. */
export interface RecordColumns {
  readonly open?: number;
  readonly high?: number;
  readonly low?: number;
  readonly close?: number;
  readonly volume?: number;
  readonly bid?: number;
  readonly ask?: number;
  readonly price?: number;
  readonly size?: number;
}

export interface TextLayout {
  readonly format: FormatName | 'custom';
  /** For people: `MetaTrader 4 history export`. */
  readonly title: string;
  readonly records: RecordKind;
  readonly delimiter: ',' | ';' | '\t';
  /** `,` in `;`- or tab-separated files written with a decimal comma. */
  readonly decimal: '.' | ',';
  /** The header row, when the file has one. */
  readonly header?: readonly string[];
  /** Fields in a row. */
  readonly fieldCount: number;
  readonly time: TimeSpec;
  /**
   * Zone of times written without an offset, and why this one (`--timezone`, the vendor's convention…);
   * undefined when every time is an instant (epoch numbers, or text with an offset).
   */
  readonly zone?: {
    readonly spec: TimeZoneSpec;
    readonly why: string;
    /** A convention the file cannot confirm (MetaTrader server time): replay says so, inspect too. */
    readonly assumed?: boolean;
  };
  readonly columns: RecordColumns;
  /** A ticker column (Polygon flat files, TrueFX): rows of other tickers are skipped. */
  readonly symbolColumn?: number;
  /** The symbol of the first data row's ticker, normalized (`C:USD-JPY` → `USDJPY`). */
  readonly fileSymbol?: string;
  /** How the layout was decided (`header "Gmt time,Open,…"`, `--format mt4`, …). */
  readonly detectedBy: string;
  /** Things the user should know, printed by inspect (an assumed zone, columns left out). */
  readonly notes: readonly string[];
}

/** How errors and `inspect` name a column: its header text, or `column 3` in a file without one. */
export function columnName(layout: Pick<TextLayout, 'header'>, index: number): string {
  return layout.header?.[index] ?? `column ${index + 1}`;
}

/** The name of the time column(s): `Gmt time`, `<DATE>+<TIME>`, `column 1+2`. */
export function timeColumnName(layout: Pick<TextLayout, 'header' | 'time'>): string {
  const time = layout.time;
  if (time.kind !== 'split') return columnName(layout, time.column);
  return layout.header ? `${layout.header[time.date]}+${layout.header[time.time]}` : `column ${time.date + 1}+${time.time + 1}`;
}

/** `C:USD-JPY`, `USD/JPY`, `usdjpy` → `USDJPY`. */
export function normalizeTicker(text: string): string {
  return text
    .trim()
    .replace(/^[A-Z]{1,2}:/i, '')
    .replace(/[^A-Za-z0-9.]/g, '')
    .toUpperCase();
}
