import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lastValueFrom, toArray } from 'rxjs';
import { sampleBars } from '../../scripts/makeFixtures';
import { SAMPLE_SPREAD, vendorSamples } from '../../scripts/vendorSamples';
import { loadContracts } from '../core/contracts';
import { DataError } from '../core/errors';
import type { Bar } from '../core/types';
import { parseColumnMap } from './columnMap';
import { readBarsParquet } from './dataStore';
import { parseRunnerConfig } from '../runner/config';
import { runTradeRunner } from '../runner/tradeRunner';
import { replayFile, type OpenedFile, type ReplayOptions } from './replay';

/**
 * Every vendor layout, as the vendor writes it (fixtures/samples/, written by scripts/vendorSamples.ts from one
 * set of canonical bars), reads back to those bars with no flag where the file can tell its layout.
 */

const SAMPLES = join(__dirname, '..', '..', 'fixtures', 'samples');
const sample = (path: string): string => join(SAMPLES, path);
const canonical = sampleBars();
const dir = mkdtempSync(join(tmpdir(), 'vendor-samples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every bar of a file (USDJPY: the commands take it from the file name, the data layer from its caller). */
function read(path: string, options: ReplayOptions = {}): Promise<Bar[]> {
  return lastValueFrom(replayFile(path, { symbol: 'USDJPY', ...options }).pipe(toArray()));
}

/** How `path` was read (the layout detected). */
async function openedOf(path: string, options: ReplayOptions = {}): Promise<OpenedFile> {
  let opened: OpenedFile | undefined;
  await read(path, { ...options, onOpen: (o) => (opened = o) });
  return opened as OpenedFile;
}

const ohlc = (b: Bar) => ({ symbol: b.symbol, ts: b.ts, intervalMs: b.intervalMs, open: b.open, high: b.high, low: b.low, close: b.close });

/** Bar files: [sample, format detected, volume as the vendor writes it, flags]. */
const BAR_FILES: readonly (readonly [string, string, (b: Bar) => number, ReplayOptions])[] = [
  ['histdata/DAT_ASCII_USDJPY_M1_202403.csv', 'histdata', () => 0, {}],
  ['dukascopy/USDJPY_Candlestick_1_M_BID_08.03.2024-04.11.2024.csv', 'dukascopy', (b) => Number(String(b.volume * 0.11)), {}],
  ['mt4/USDJPY1.csv', 'mt4', (b) => b.volume, {}],
  ['mt5/USDJPY_M1_202403080000_202411040200.csv', 'mt5', (b) => b.volume, {}],
  ['binance/USDJPY-1m-2024-03.csv', 'binance', (b) => b.volume, {}],
  ['binance/USDJPY-1m-2025-01.csv', 'binance', (b) => b.volume, {}],
  ['tradingview/FX_USDJPY, 1.csv', 'tradingview', (b) => b.volume, {}],
  ['polygon/2024-03-08.csv.gz', 'polygon-flat', (b) => b.volume, { symbol: 'USDJPY' }],
  ['generic/usdjpy_split_date_time.csv', 'generic', (b) => b.volume, { timezone: 'UTC' }],
  ['generic/usdjpy_tokyo_offsets.csv', 'generic', (b) => b.volume, {}],
  ['generic/usdjpy_epoch_ms.csv', 'generic', (b) => b.volume, {}],
  [
    'generic/usdjpy_semicolon_decimal_comma.csv',
    'custom',
    (b) => b.volume,
    { columns: parseColumnMap('time=Zeit,open=Eröffnung,high=Hoch,low=Tief,close=Schluss,volume=Volumen') },
  ],
  ['usdjpy_1m.csv', 'generic', (b) => b.volume, {}],
];

describe('vendor bar files read back to the canonical bars', () => {
  it('the canonical Parquet and CSV hold the sample bars', async () => {
    await expect(readBarsParquet(sample('usdjpy_1m.parquet'))).resolves.toEqual(canonical);
    await expect(read(sample('usdjpy_1m.csv'))).resolves.toEqual(canonical);
  });

  it.each(BAR_FILES)('%s (%s)', async (path, format, volume, options) => {
    const bars = await read(sample(path), options);
    expect(bars.map(ohlc)).toEqual(canonical.map(ohlc));
    expect(bars.map((b) => b.volume)).toEqual(canonical.map(volume));
    const opened = await openedOf(sample(path), options);
    expect(opened.format.kind === 'text' ? opened.format.layout.format : 'parquet').toBe(format);
  });
});

describe('vendor tick files become the same bars through barBuilder', () => {
  const TICK_FILES: readonly (readonly [string, string, ReplayOptions])[] = [
    ['histdata/DAT_ASCII_USDJPY_T_202403.csv', 'histdata-tick', {}],
    ['dukascopy/USDJPY_Ticks_08.03.2024-04.11.2024.csv', 'dukascopy-tick', {}],
    ['truefx/USDJPY-2024-03.csv', 'truefx', {}],
    ['generic/usdjpy_quotes.csv', 'generic', {}],
  ];

  it.each(TICK_FILES)('%s (%s): bid bars are the canonical bars, mid bars half a spread above, 1 minute by default', async (path, format) => {
    const bid = await read(sample(path), { price: 'bid' });
    expect(bid.map(ohlc)).toEqual(canonical.map(ohlc));
    expect(bid.every((b) => b.volume === 4)).toBe(true); // a bar built from quotes counts them
    const mid = await read(sample(path));
    const half = SAMPLE_SPREAD / 2;
    mid.forEach((b, i) => {
      expect(b.ts).toBe(canonical[i].ts);
      for (const field of ['open', 'high', 'low', 'close'] as const) expect(b[field]).toBeCloseTo(canonical[i][field] + half, 9);
    });
    const opened = await openedOf(sample(path));
    expect([opened.records, opened.format.kind === 'text' ? opened.format.layout.format : '']).toEqual(['quotes', format]);
  });

  it('trades (timestamp,price,size) build bars on the last price with the sizes summed', async () => {
    const bars = await read(sample('generic/usdjpy_trades.csv'));
    expect(bars.map(ohlc)).toEqual(canonical.map(ohlc));
    expect(bars[0].volume).toBe(1 + 2 + 3 + 1);
  });

  it('--bar 5m builds five-minute bars from ticks; --price last is refused for quotes and bid for trades', async () => {
    const bars = await read(sample('truefx/USDJPY-2024-03.csv'), { barMs: 300_000, price: 'bid' });
    expect(bars[0]).toMatchObject({ ts: canonical[0].ts, intervalMs: 300_000, open: canonical[0].open, close: canonical[4].close });
    await expect(read(sample('truefx/USDJPY-2024-03.csv'), { price: 'last' })).rejects.toThrow('--price: the file holds quotes (bid, ask): use --price bid, ask or mid, not last');
    await expect(read(sample('generic/usdjpy_trades.csv'), { price: 'bid' })).rejects.toThrow('--price: the file holds trades (price, size): use --price last, not bid');
  });
});

describe('resampling a bar file through barBuilder', () => {
  it('--bar 5m: bars labelled by their start, OHLC aggregated, volume summed', async () => {
    const bars = await read(sample('mt4/USDJPY1.csv'), { barMs: 300_000 });
    const first = canonical.slice(0, 5);
    expect(bars[0]).toMatchObject({
      symbol: 'USDJPY',
      ts: first[0].ts,
      intervalMs: 300_000,
      open: first[0].open,
      high: Math.max(...first.map((b) => b.high)),
      low: Math.min(...first.map((b) => b.low)),
      close: first[4].close,
      volume: first.reduce((sum, b) => sum + b.volume, 0),
    });
    expect(bars).toHaveLength(144);
  });

  it('--bar 1d: days of the FX session, 17:00 New York, whatever the daylight saving', async () => {
    const days = await read(sample('usdjpy_1m.csv'), { barMs: 86_400_000 });
    expect(days.map((d) => new Date(d.ts).toISOString())).toEqual([
      '2024-03-07T22:00:00.000Z', // Friday's FX day began Thursday 17:00 EST
      '2024-03-10T21:00:00.000Z', // Monday's began Sunday 17:00 EDT
      '2024-10-31T21:00:00.000Z',
      '2024-11-01T21:00:00.000Z', // the samples trade until 22:00 UTC on Fridays, past 17:00 EDT
      '2024-11-03T22:00:00.000Z', // back on EST
    ]);
    expect(days[0].close).toBe(canonical.filter((b) => b.ts < Date.parse('2024-03-09T00:00:00Z')).at(-1)?.close);
  });
});

describe('zones: broker server time across the US daylight-saving changes', () => {
  const at = (bars: readonly Bar[], iso: string): Bar | undefined => bars.find((b) => b.ts === Date.parse(iso));
  const text = (path: string): string[] => readFileSync(sample(path), 'utf8').split('\r\n');

  it('MetaTrader 4: New York + 7 h, UTC+2 before 10 March and after 3 November, UTC+3 between', async () => {
    const lines = text('mt4/USDJPY1.csv');
    // Friday 8 March 20:00 UTC is 22:00 server time (UTC+2, New York on EST).
    expect(lines[0].startsWith('2024.03.08,22:00,')).toBe(true);
    // Sunday 10 March 22:00 UTC, after the US change but before Europe's: 01:00 Monday server time (UTC+3).
    expect(lines.find((l) => l.startsWith('2024.03.11,01:00,'))).toBeDefined();
    // Friday 1 November 20:00 UTC: 23:00 server time (UTC+3); Sunday 3 November 22:00 UTC: 00:00 Monday (UTC+2).
    expect(lines.find((l) => l.startsWith('2024.11.01,23:00,'))).toBeDefined();
    expect(lines.find((l) => l.startsWith('2024.11.04,00:00,'))).toBeDefined();
    const bars = await read(sample('mt4/USDJPY1.csv'));
    expect(at(bars, '2024-03-10T22:00:00Z')).toEqual(at(canonical, '2024-03-10T22:00:00Z'));
    expect(at(bars, '2024-11-03T22:00:00Z')).toEqual(at(canonical, '2024-11-03T22:00:00Z'));
  });

  it('--timezone overrides the assumed server time (every bar moves by the difference)', async () => {
    const bars = await read(sample('mt4/USDJPY1.csv'), { timezone: 'UTC+2' });
    expect(bars[0].ts).toBe(canonical[0].ts);
    expect(at(bars, '2024-03-10T23:00:00Z')?.open).toBe(at(canonical, '2024-03-10T22:00:00Z')?.open);
    const opened = await openedOf(sample('mt4/USDJPY1.csv'), { timezone: 'UTC+2' });
    expect(opened.format.kind === 'text' && opened.format.layout.zone).toMatchObject({ why: '--timezone', spec: { name: 'UTC+2', describe: 'fixed UTC+02:00 (no DST)' } });
  });

  it('the MetaTrader files say their zone is assumed; HistData EST is fixed UTC−5 all year', async () => {
    const mt5 = await openedOf(sample('mt5/USDJPY_M1_202403080000_202411040200.csv'));
    expect(mt5.format).toMatchObject({ kind: 'text', encoding: 'UTF-16LE', layout: { delimiter: '\t', zone: { assumed: true, spec: { name: 'America/New_York+7' } } } });
    const histdata = await openedOf(sample('histdata/DAT_ASCII_USDJPY_M1_202403.csv'));
    expect(histdata.format).toMatchObject({ layout: { zone: { spec: { name: 'UTC-5', describe: 'fixed UTC−05:00 (no DST)' } } } });
    expect(histdata.format.kind === 'text' && histdata.format.layout.zone?.assumed).toBeFalsy();
    const lines = readFileSync(sample('histdata/DAT_ASCII_USDJPY_M1_202403.csv'), 'utf8').split('\r\n');
    expect(lines[0].startsWith('20240308 150000;')).toBe(true); // 20:00 UTC in March…
    expect(lines.find((l) => l.startsWith('20241101 150000;'))).toBeDefined(); // …and in November, DST or not
  });
});

/** A copy of a sample with data row `row` (1-based, header not counted) changed by `edit`. */
function corrupt(path: string, row: number, edit: (line: string) => string): string {
  const raw = readFileSync(sample(path));
  const gz = path.endsWith('.gz');
  const utf16 = raw[0] === 0xff && raw[1] === 0xfe;
  const text = gz ? gunzipSync(raw).toString('utf8') : utf16 ? raw.subarray(2).toString('utf16le') : raw.toString('utf8');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(eol);
  const header = /^[0-9"]/.test(lines[0]) || lines[0].startsWith('USD/') ? 0 : 1;
  lines[header + row - 1] = edit(lines[header + row - 1]);
  const out = lines.join(eol);
  const file = join(dir, path.replaceAll('/', '_'));
  writeFileSync(file, gz ? gzipSync(out) : utf16 ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(out, 'utf16le')]) : out);
  return file;
}

describe('a bad row in each layout: the error names file, row and field', () => {
  /** [sample, flags, the close column as errors name it and its index, the time column and its index]. */
  const CASES: readonly (readonly [string, ReplayOptions, string, number, string, number])[] = [
    ['histdata/DAT_ASCII_USDJPY_M1_202403.csv', {}, 'column 5', 4, 'column 1', 0],
    ['dukascopy/USDJPY_Candlestick_1_M_BID_08.03.2024-04.11.2024.csv', {}, 'Close', 4, 'Gmt time', 0],
    ['mt4/USDJPY1.csv', {}, 'column 6', 5, 'column 1+2', 0],
    ['mt5/USDJPY_M1_202403080000_202411040200.csv', {}, '<CLOSE>', 5, '<DATE>+<TIME>', 0],
    ['binance/USDJPY-1m-2024-03.csv', {}, 'column 5', 4, 'column 1', 0],
    ['tradingview/FX_USDJPY, 1.csv', {}, 'close', 4, 'time', 0],
    ['polygon/2024-03-08.csv.gz', { symbol: 'USDJPY' }, 'close', 3, 'window_start', 6],
    ['generic/usdjpy_split_date_time.csv', { timezone: 'UTC' }, 'Close', 5, 'Date+Time', 0],
    ['generic/usdjpy_semicolon_decimal_comma.csv', { columns: parseColumnMap('time=Zeit,open=Eröffnung,high=Hoch,low=Tief,close=Schluss') }, 'Schluss', 4, 'Zeit', 0],
  ];
  const delimiterOf = (line: string): string => (line.includes('\t') ? '\t' : line.includes(';') ? ';' : ',');
  const replaceField = (index: number, text: string) => (line: string): string => {
    const parts = line.split(delimiterOf(line));
    parts[index] = text;
    return parts.join(delimiterOf(line));
  };

  it.each(CASES)('%s', async (path, options, close, closeIndex, time, timeIndex) => {
    const row = path.startsWith('polygon') ? 725 : 5; // the polygon file lists EUR-JPY first
    const badPrice = corrupt(path, row, replaceField(closeIndex, 'n/a'));
    await expect(read(badPrice, options)).rejects.toThrow(new DataError('price must be a finite number > 0', { file: badPrice, row, field: close }, 'got "n/a"'));
    const badTime = corrupt(path, row, replaceField(timeIndex, 'soon'));
    const error = await read(badTime, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).location).toEqual({ file: badTime, row, field: time });
    expect((error as DataError).rule).toBe('timestamp must be a valid time');
  });

  it.each([
    ['histdata/DAT_ASCII_USDJPY_T_202403.csv', 1, 'column 2'],
    ['dukascopy/USDJPY_Ticks_08.03.2024-04.11.2024.csv', 2, 'Bid'],
    ['truefx/USDJPY-2024-03.csv', 2, 'column 3'],
    ['generic/usdjpy_quotes.csv', 1, 'bid'],
  ] as const)('tick file %s: a bid that is text', async (path, bidIndex, bid) => {
    const bad = corrupt(path, 7, replaceField(bidIndex, 'bid?'));
    await expect(read(bad)).rejects.toThrow(new DataError('price must be a finite number > 0', { file: bad, row: 7, field: bid }, 'got "bid?"'));
  });

  it('a Polygon flat file holds every ticker: without --symbol its second ticker is an error saying so', async () => {
    await expect(read(sample('polygon/2024-03-08.csv.gz'), { symbol: undefined })).rejects.toThrow(
      new DataError('the file holds more than one ticker', { file: sample('polygon/2024-03-08.csv.gz'), row: 721, field: 'ticker' }, 'C:USD-JPY after EURJPY (row 1); pass --symbol to pick one'),
    );
  });
});

describe('the committed samples are what scripts/vendorSamples.ts writes', () => {
  it('byte for byte (the gzip file by its content)', () => {
    for (const file of vendorSamples(canonical)) {
      const committed = readFileSync(sample(file.path));
      const content = typeof file.content === 'string' ? Buffer.from(file.content) : Buffer.from(file.content);
      if (file.path.endsWith('.gz')) expect(gunzipSync(committed).equals(gunzipSync(content))).toBe(true);
      else expect({ path: file.path, same: committed.equals(content) }).toEqual({ path: file.path, same: true });
    }
  });
});

describe('each layout replays to the same fills as the canonical Parquet of the same bars', () => {
  const contracts = loadContracts();
  const config = parseRunnerConfig({
    account: { currency: 'USD', initialCash: 1_000_000 },
    strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 3, slow: 8, contracts: 1 }],
  });
  const fillsOf = async (path: string, options: ReplayOptions = {}) => {
    const { report } = await runTradeRunner({ config, contracts, bars$: replayFile(path, { symbol: 'USDJPY', ...options }) }).result;
    return report.strategies[0].fills.map((f) => [f.time, f.side, f.qty, f.price]);
  };
  let expected: unknown[][];
  beforeAll(async () => {
    expected = await fillsOf(sample('usdjpy_1m.parquet'));
  });

  it('the canonical file trades (the comparison is not empty)', () => {
    expect(expected.length).toBeGreaterThan(50);
  });

  it.each([
    ...BAR_FILES.map(([path, , , options]) => [path, options] as const),
    ['histdata/DAT_ASCII_USDJPY_T_202403.csv', { price: 'bid' }] as const,
    ['dukascopy/USDJPY_Ticks_08.03.2024-04.11.2024.csv', { price: 'bid' }] as const,
    ['truefx/USDJPY-2024-03.csv', { price: 'bid' }] as const,
    ['generic/usdjpy_quotes.csv', { price: 'bid' }] as const,
    ['generic/usdjpy_trades.csv', {}] as const,
  ])('%s', async (path, options) => {
    await expect(fillsOf(sample(path), options)).resolves.toEqual(expected);
  });
});
