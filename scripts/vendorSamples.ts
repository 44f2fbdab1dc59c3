/**
 * Small bar and tick files written the way each vendor writes its downloads, from one set of canonical bars
 * (`sampleBars` in makeFixtures.ts): the data layer must read every one of them back to those bars. Layouts as the vendors
 * document or ship them:
 *
 * - HistData.com ASCII M1: no header, `;`, `YYYYMMDD HHMMSS;open;high;low;close;0`, six decimals, EST all year
 *   (UTC−5, no daylight saving); ASCII ticks `YYYYMMDD HHMMSSmmm,bid,ask,0`. Files `DAT_ASCII_<PAIR>_M1_<YYYYMM>.csv`.
 * - Dukascopy (historical data feed export): `Gmt time,Open,High,Low,Close,Volume`, `dd.mm.yyyy HH:MM:SS.000`,
 *   UTC, volumes as raw doubles (`179.39999999999998`); ticks `Gmt time,Ask,Bid,AskVolume,BidVolume`. CRLF.
 * - MetaTrader 4 History Center export (`USDJPY1.csv`): no header, `2024.03.08,22:00,o,h,l,c,volume`, broker
 *   server time. CRLF.
 * - MetaTrader 5 bars export: UTF-16LE with BOM, tabs, `<DATE>	<TIME>	<OPEN>	<HIGH>	<LOW>	<CLOSE>	<TICKVOL>	<VOL>	<SPREAD>`,
 *   `2024.03.08	22:00:00	…`, broker server time. CRLF.
 * - Binance klines (data.binance.vision): no header, 12 columns `open_time,open,high,low,close,volume,close_time,
 *   quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore`, eight decimals, times in ms (µs in
 *   spot files from 2025 on).
 * - TradingView "Export chart data": `time,open,high,low,close,Volume,Volume MA`, unix seconds.
 * - Polygon flat files, minute aggregates (`global_forex/minute_aggs_v1/YYYY/MM/YYYY-MM-DD.csv.gz`): gzipped,
 *   `ticker,volume,open,close,high,low,window_start,transactions`, every ticker of the day sorted by ticker,
 *   `window_start` in ns.
 * - TrueFX ticks: no header, `USD/JPY,20240308 22:00:00.125,bid,ask`, UTC.
 *
 * Broker server time is New York + 7 h (UTC+2 in US winter, UTC+3 in US summer). The bars straddle both US
 * daylight-saving changes of 2024, so the MetaTrader samples change their offset inside the file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HOUR_MS, MINUTE_MS, zoneClock } from '../src/core/time';
import type { Bar } from '../src/core/types';
import { writeBarsParquet } from '../src/data/dataStore';
import { writeBarsCsv } from '../src/data/csvWriter';

/** Quote ticks behind each bar: bid at open, high, low, close (seconds 0.1, 15.2, 30.3, 45.4), ask 0.004 above. */
export interface SampleTick {
  readonly ts: number;
  readonly bid: number;
  readonly ask: number;
}

export const SAMPLE_SPREAD = 0.004;

export function sampleTicks(bars: readonly Bar[]): SampleTick[] {
  return bars.flatMap((b) =>
    [b.open, b.high, b.low, b.close].map((bid, k) => ({ ts: b.ts + k * 15_100 + 100, bid, ask: Math.round((bid + SAMPLE_SPREAD) * 1000) / 1000 })),
  );
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Wall-clock fields of `ts` shifted by `offsetMs`. */
function wall(ts: number, offsetMs: number) {
  const d = new Date(ts + offsetMs);
  return {
    y: String(d.getUTCFullYear()),
    mo: pad(d.getUTCMonth() + 1),
    d: pad(d.getUTCDate()),
    h: pad(d.getUTCHours()),
    mi: pad(d.getUTCMinutes()),
    s: pad(d.getUTCSeconds()),
    ms: pad(d.getUTCMilliseconds(), 3),
  };
}

const EST = -5 * HOUR_MS;
const newYork = zoneClock('America/New_York');
/** Broker server time: New York + 7 h. */
const serverOffset = (ts: number): number => newYork.offsetMs(ts) + 7 * HOUR_MS;

const p3 = (x: number): string => x.toFixed(3);
const p6 = (x: number): string => x.toFixed(6);
const p8 = (x: number): string => x.toFixed(8);

/** A Dukascopy-style volume: lots as a raw double, never rounded for display. */
const lots = (volume: number): string => String(volume * 0.11);

interface SampleFile {
  /** Relative to the samples folder. */
  readonly path: string;
  readonly content: string | Uint8Array;
}

/** How one vendor writes a file: its name, header, line end, encoding, and a line per bar or tick. */
export interface VendorWriter {
  /** Relative to the samples folder. */
  readonly path: string;
  readonly header?: string;
  readonly eol: '\r\n' | '\n';
  /** MetaTrader 5 saves UTF-16LE with a byte-order mark. */
  readonly utf16?: boolean;
  /** Polygon ships gzip. */
  readonly gzip?: boolean;
  /** The data lines for a run of bars (tick files write the ticks behind them). */
  readonly lines: (bars: readonly Bar[]) => string[];
}

const kline = (b: Bar, unit: number): string =>
  [
    b.ts * unit,
    p8(b.open),
    p8(b.high),
    p8(b.low),
    p8(b.close),
    p8(b.volume),
    (b.ts + MINUTE_MS) * unit - 1,
    p8(b.volume * b.close),
    b.volume,
    p8(b.volume / 2),
    p8((b.volume / 2) * b.close),
    0,
  ].join(',');

const polygonLines = (bars: readonly Bar[], ticker: string, scale: number): string[] =>
  bars.map((b) => `${ticker},${b.volume},${scale * b.open},${scale * b.close},${scale * b.high},${scale * b.low},${BigInt(b.ts) * 1_000_000n},${b.volume + 3}`);

export const VENDOR_WRITERS: readonly VendorWriter[] = [
  {
    path: 'histdata/DAT_ASCII_USDJPY_M1_202403.csv',
    eol: '\r\n',
    lines: (bars) =>
      bars.map((b) => {
        const w = wall(b.ts, EST);
        return `${w.y}${w.mo}${w.d} ${w.h}${w.mi}${w.s};${p6(b.open)};${p6(b.high)};${p6(b.low)};${p6(b.close)};0`;
      }),
  },
  {
    path: 'histdata/DAT_ASCII_USDJPY_T_202403.csv',
    eol: '\r\n',
    lines: (bars) =>
      sampleTicks(bars).map((t) => {
        const w = wall(t.ts, EST);
        return `${w.y}${w.mo}${w.d} ${w.h}${w.mi}${w.s}${w.ms},${p6(t.bid)},${p6(t.ask)},0`;
      }),
  },
  {
    path: 'dukascopy/USDJPY_Candlestick_1_M_BID_08.03.2024-04.11.2024.csv',
    header: 'Gmt time,Open,High,Low,Close,Volume',
    eol: '\r\n',
    lines: (bars) =>
      bars.map((b) => {
        const w = wall(b.ts, 0);
        return `${w.d}.${w.mo}.${w.y} ${w.h}:${w.mi}:${w.s}.000,${p3(b.open)},${p3(b.high)},${p3(b.low)},${p3(b.close)},${lots(b.volume)}`;
      }),
  },
  {
    path: 'dukascopy/USDJPY_Ticks_08.03.2024-04.11.2024.csv',
    header: 'Gmt time,Ask,Bid,AskVolume,BidVolume',
    eol: '\r\n',
    lines: (bars) =>
      sampleTicks(bars).map((t) => {
        const w = wall(t.ts, 0);
        return `${w.d}.${w.mo}.${w.y} ${w.h}:${w.mi}:${w.s}.${w.ms},${p3(t.ask)},${p3(t.bid)},1.5,0.75`;
      }),
  },
  {
    path: 'mt4/USDJPY1.csv',
    eol: '\r\n',
    lines: (bars) =>
      bars.map((b) => {
        const w = wall(b.ts, serverOffset(b.ts));
        return `${w.y}.${w.mo}.${w.d},${w.h}:${w.mi},${p3(b.open)},${p3(b.high)},${p3(b.low)},${p3(b.close)},${b.volume}`;
      }),
  },
  {
    path: 'mt5/USDJPY_M1_202403080000_202411040200.csv',
    header: '<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>',
    eol: '\r\n',
    utf16: true,
    lines: (bars) =>
      bars.map((b) => {
        const w = wall(b.ts, serverOffset(b.ts));
        return `${w.y}.${w.mo}.${w.d}\t${w.h}:${w.mi}:${w.s}\t${p3(b.open)}\t${p3(b.high)}\t${p3(b.low)}\t${p3(b.close)}\t${b.volume}\t0\t${4 + (b.volume % 7)}`;
      }),
  },
  { path: 'binance/USDJPY-1m-2024-03.csv', eol: '\n', lines: (bars) => bars.map((b) => kline(b, 1)) },
  { path: 'binance/USDJPY-1m-2025-01.csv', eol: '\n', lines: (bars) => bars.map((b) => kline(b, 1000)) },
  {
    path: 'tradingview/FX_USDJPY, 1.csv',
    header: 'time,open,high,low,close,Volume,Volume MA',
    eol: '\n',
    lines: (bars) => bars.map((b, i) => `${b.ts / 1000},${b.open},${b.high},${b.low},${b.close},${b.volume},${i < 19 ? 'NaN' : (b.volume * 1.01).toFixed(2)}`),
  },
  {
    path: 'polygon/2024-03-08.csv.gz',
    header: 'ticker,volume,open,close,high,low,window_start,transactions',
    eol: '\n',
    gzip: true,
    // Every ticker of the day, sorted by ticker: another pair first, then USD-JPY.
    lines: (bars) => [...polygonLines(bars, 'C:EUR-JPY', 1.08), ...polygonLines(bars, 'C:USD-JPY', 1)],
  },
  {
    path: 'truefx/USDJPY-2024-03.csv',
    eol: '\r\n',
    lines: (bars) =>
      sampleTicks(bars).map((t) => {
        const w = wall(t.ts, 0);
        return `USD/JPY,${w.y}${w.mo}${w.d} ${w.h}:${w.mi}:${w.s}.${w.ms},${p3(t.bid)},${p3(t.ask)}`;
      }),
  },
  {
    path: 'generic/usdjpy_split_date_time.csv',
    header: 'Date,Time,Open,High,Low,Close,Volume',
    eol: '\n',
    lines: (bars) =>
      bars.map((b) => {
        const w = wall(b.ts, 0);
        return `${w.y}-${w.mo}-${w.d},${w.h}:${w.mi}:${w.s},${p3(b.open)},${p3(b.high)},${p3(b.low)},${p3(b.close)},${b.volume}`;
      }),
  },
  {
    path: 'generic/usdjpy_tokyo_offsets.csv',
    header: 'datetime,open,high,low,close,volume',
    eol: '\n',
    lines: (bars) =>
      bars.map((b) => {
        const w = wall(b.ts, 9 * HOUR_MS);
        return `${w.y}-${w.mo}-${w.d}T${w.h}:${w.mi}:${w.s}+09:00,${b.open},${b.high},${b.low},${b.close},${b.volume}`;
      }),
  },
  {
    path: 'generic/usdjpy_epoch_ms.csv',
    header: 'timestamp_ms,open,high,low,close,volume',
    eol: '\n',
    lines: (bars) => bars.map((b) => `${b.ts},${b.open},${b.high},${b.low},${b.close},${b.volume}`),
  },
  {
    path: 'generic/usdjpy_semicolon_decimal_comma.csv',
    header: 'Zeit;Eröffnung;Hoch;Tief;Schluss;Volumen',
    eol: '\n',
    lines: (bars) =>
      bars.map((b) => {
        const w = wall(b.ts, 0);
        const c = (x: number): string => p3(x).replace('.', ',');
        return `${w.d}.${w.mo}.${w.y} ${w.h}:${w.mi}:${w.s}+00:00;${c(b.open)};${c(b.high)};${c(b.low)};${c(b.close)};${b.volume}`;
      }),
  },
  {
    path: 'generic/usdjpy_quotes.csv',
    header: 'timestamp,bid,ask',
    eol: '\n',
    lines: (bars) => sampleTicks(bars).map((t) => `${new Date(t.ts).toISOString()},${p3(t.bid)},${p3(t.ask)}`),
  },
  {
    path: 'generic/usdjpy_trades.csv',
    header: 'timestamp,price,size',
    eol: '\n',
    lines: (bars) => sampleTicks(bars).map((t, i) => `${t.ts},${p3(t.bid)},${1 + (i % 3)}`),
  },
];

/** The bytes of `text` as `writer` stores them (UTF-16LE with BOM for MetaTrader 5, gzip for Polygon). */
export function encodeAs(writer: VendorWriter, text: string, first = true): Uint8Array {
  const bytes = writer.utf16 ? Buffer.concat([first ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, 'utf16le')]) : Buffer.from(text);
  return writer.gzip ? gzipSync(bytes, { level: 9 }) : bytes;
}

/** A writer's text for `bars`: its header (when `first`) and a line per record, each ended by its line end. */
export function textOf(writer: VendorWriter, bars: readonly Bar[], first = true): string {
  const rows = first && writer.header !== undefined ? [writer.header, ...writer.lines(bars)] : writer.lines(bars);
  return rows.map((r) => `${r}${writer.eol}`).join('');
}

/** Every vendor sample for `bars`, as files. */
export function vendorSamples(bars: readonly Bar[]): SampleFile[] {
  return VENDOR_WRITERS.map((writer) => ({ path: writer.path, content: encodeAs(writer, textOf(writer, bars)) }));
}

/** Writes the canonical bars (Parquet and CSV) and every vendor sample of them under `dir`. */
export async function writeSamples(dir: string, bars: readonly Bar[]): Promise<number> {
  mkdirSync(dir, { recursive: true });
  await writeBarsParquet(join(dir, 'usdjpy_1m.parquet'), bars);
  writeBarsCsv(join(dir, 'usdjpy_1m.csv'), bars);
  const files = vendorSamples(bars);
  for (const file of files) {
    const path = join(dir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
  return files.length + 2;
}
