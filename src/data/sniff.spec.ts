import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from '@jest/globals';
import { lastValueFrom, toArray } from 'rxjs';
import { ConfigError, DataError } from '../core/errors';
import { parseColumnMap } from './columnMap';
import { openDelimitedFile } from './delimitedFile';
import { replayFile } from './replay';
import { unitFromHeader } from './columns';
import { detectLayout } from './sniff';

const file = 'x.csv';
const T0 = Date.UTC(2024, 0, 2);
const dir = mkdtempSync(join(tmpdir(), 'sniff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const detect = (lines: readonly string[], options: Partial<Parameters<typeof detectLayout>[1]> = {}) => detectLayout(lines, { file, ...options });

describe('delimiter, header, decimal comma', () => {
  it('finds the delimiter that splits every line alike: tab, then ";", then ","', () => {
    expect(detect(['time\topen\thigh\tlow\tclose', '2024-01-02T00:00Z\t1\t2\t0.5\t1.5']).delimiter).toBe('\t');
    expect(detect(['20240102 000000;1,5;1,6;1,4;1,55;0', '20240102 000100;1,5;1,6;1,4;1,55;0']).delimiter).toBe(';');
    expect(detect(['time,open,high,low,close', '2024-01-02T00:00Z,1,2,0.5,1.5']).delimiter).toBe(',');
  });

  it('a ";" file whose numbers are written 1,3066 reads them with a decimal comma', () => {
    const layout = detect(['20240102 000000;1,306600;1,306700;1,306500;1,306600;0']);
    expect(layout).toMatchObject({ format: 'histdata', decimal: ',' });
  });

  it('the first line is a header when it holds words where the next holds data', () => {
    expect(detect(['timestamp,open,high,low,close', '2024-01-02T00:00Z,1,2,0.5,1.5']).header).toEqual(['timestamp', 'open', 'high', 'low', 'close']);
    expect(detect(['2024-01-02T00:00Z,1,2,0.5,1.5', '2024-01-02T00:01Z,1,2,0.5,1.5']).header).toBeUndefined();
  });
});

describe('time columns', () => {
  it('epoch units by the header’s name, else by magnitude', () => {
    expect(['timestamp_ms', 'time_ms', 'ts_us', 'epoch_s', 'unix', 'open_time', 'window_start', 'TimestampNs'].map(unitFromHeader)).toEqual([
      'ms',
      'ms',
      'us',
      's',
      's',
      undefined,
      'ns',
      'ns',
    ]);
    expect(detect(['ts_us,open,high,low,close', `${T0 * 1000},1,2,0.5,1.5`]).time).toMatchObject({ kind: 'epoch', unit: 'us', unitFrom: 'the column name "ts_us"' });
    expect(detect(['open_time,open,high,low,close', `${T0},1,2,0.5,1.5`]).time).toMatchObject({ kind: 'epoch', unit: 'ms' });
    expect(detect([`${T0 / 1000},1,2,0.5,1.5`]).time).toMatchObject({ kind: 'epoch', unit: 's', unitFrom: `the magnitude of ${T0 / 1000}` });
  });

  it('a header naming a unit the numbers do not fit is an error, not a date in 1970', () => {
    expect(() => detect(['timestamp_ms,open,high,low,close', `${T0 / 1000},1,2,0.5,1.5`])).toThrow(
      `column "timestamp_ms": ${T0 / 1000} read as epoch ms (by the column name "timestamp_ms") is 1970-01-20T17:22:33.600Z, not a plausible bar time; check the column, or name another with --columns time=<column>`,
    );
  });

  it('split Date and Time columns are joined', () => {
    expect(detect(['Date,Time,Open,High,Low,Close', '2024-01-02,09:00,1,2,0.5,1.5'], { timezone: 'UTC' }).time).toEqual({ kind: 'split', date: 0, time: 1 });
  });

  it('day-first or month-first: told by a day above 12, dots mean day-first, else the flag to pass', () => {
    expect(detect(['Date,Open,High,Low,Close', '13/01/2024 00:00Z,1,2,0.5,1.5']).time).toMatchObject({ order: 'dmy' });
    expect(detect(['Date,Open,High,Low,Close', '01/13/2024 00:00Z,1,2,0.5,1.5']).time).toMatchObject({ order: 'mdy' });
    expect(detect(['Date,Open,High,Low,Close', '02.01.2024 00:00Z,1,2,0.5,1.5']).time).toMatchObject({ order: 'dmy' });
    expect(() => detect(['Date,Open,High,Low,Close', '02/01/2024 00:00Z,1,2,0.5,1.5'])).toThrow(
      new ConfigError('dates in column "Date" such as "02/01/2024 00:00Z" could be day-first or month-first; pass --date-order dmy or --date-order mdy', file),
    );
    expect(detect(['Date,Open,High,Low,Close', '02/01/2024 00:00Z,1,2,0.5,1.5'], { dateOrder: 'mdy' }).time).toMatchObject({ order: 'mdy' });
  });

  it('wall times without a zone need --timezone', () => {
    expect(() => detect(['Date,Time,Open,High,Low,Close', '2024-01-02,09:00,1,2,0.5,1.5'])).toThrow(
      new DataError('timestamp has no time zone', { file, row: 1, field: 'Date+Time' }, '"2024-01-02 09:00"; pass --timezone (e.g. UTC or Asia/Tokyo) to read wall times'),
    );
  });
});

describe('what detection cannot tell is an error naming the flag', () => {
  it('a headerless time and two numbers: bid,ask or price,size?', () => {
    expect(() => detect([`${T0},1.1,1.2`, `${T0 + 1000},1.1,1.2`])).toThrow('pass --columns time=1,bid=2,ask=3 (or price=2,size=3)');
  });

  it('a header no alias knows', () => {
    expect(() => detect(['Zeit,Eröffnung,Hoch,Tief,Schluss', '2024-01-02T00:00Z,1,2,0.5,1.5'])).toThrow(
      'columns found: "Zeit", "Eröffnung", "Hoch", "Tief", "Schluss"; name it with --columns time=<column>',
    );
    expect(() => detect(['Time,Eröffnung,Hoch,Tief,Schluss', '2024-01-02T00:00Z,1,2,0.5,1.5'])).toThrow(
      'no column named open/o, nor bid and ask, nor price; columns found: "Time", "Eröffnung", "Hoch", "Tief", "Schluss"; name them with --columns',
    );
    expect(detect(['Zeit,Eröffnung,Hoch,Tief,Schluss', '2024-01-02T00:00Z,1,2,0.5,1.5'], { columns: parseColumnMap('time=Zeit,open=Eröffnung,high=Hoch,low=Tief,close=Schluss') }).columns).toEqual({
      open: 1,
      high: 2,
      low: 3,
      close: 4,
    });
  });

  it('--format names a layout the file is not in', () => {
    expect(() => detect(['timestamp,open,high,low,close', '2024-01-02T00:00Z,1,2,0.5,1.5'], { format: 'mt4' })).toThrow(
      '--format mt4: the file does not look like MetaTrader 4 history export: expected no header, rows like 2025.01.01,02:00,1.0350,1.0360,1.0340,1.0355,123',
    );
  });

  it('--columns by name in a file without a header, or a column it lacks', () => {
    expect(() => detect(['2024.01.02,00:00,1,2,0.5,1.5,7'], { columns: parseColumnMap('time=Date+Time,open=2') })).toThrow(
      '--columns: time=Date: the file has no header, so name columns by position (1 = first), e.g. time=2',
    );
    expect(() => parseColumnMap('time=1,opn=2')).toThrow('--columns: "opn=2" is not role=column');
  });
});

describe('the bytes: gzip, byte-order marks, UTF-16, zip', () => {
  const rows = 'timestamp,open,high,low,close\n2024-01-02T00:00:00Z,1,2,0.5,1.5\n2024-01-02T00:01:00Z,1,2,0.5,1.5\n';
  const bars = (path: string) => lastValueFrom(replayFile(path, { symbol: 'X' }).pipe(toArray()));
  const write = (name: string, content: Uint8Array | string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('gzip by magic bytes whatever the name; UTF-8 with a BOM; UTF-16 LE and BE with theirs', async () => {
    const cases = [
      write('plain.csv', rows),
      write('no-extension', gzipSync(rows)),
      write('bom.csv', `\uFEFF${rows}`),
      write('le.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rows, 'utf16le')])),
      write('be.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(rows, 'utf16le').swap16()])),
    ];
    for (const path of cases) await expect(bars(path)).resolves.toHaveLength(2);
    const encodings = await Promise.all(
      cases.map(async (path) => {
        const opened = await openDelimitedFile({ file: path });
        opened.rows.close();
        return `${opened.chunks.compression} ${opened.chunks.encoding}`;
      }),
    );
    expect(encodings).toEqual(['none UTF-8', 'gzip UTF-8', 'none UTF-8 with BOM', 'none UTF-16LE', 'none UTF-16BE']);
  });

  it('UTF-16 text that is not all ASCII is decoded (a German header), in chunks of any size', async () => {
    const german = `Zeit;Eröffnung;Hoch;Tief;Schluss\n${Array.from({ length: 30_000 }, (_, i) => `${new Date(T0 + i * 60_000).toISOString()};1,5;2;0,5;1,5`).join('\n')}\n`;
    const path = write('german-utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(german, 'utf16le')]));
    const read = await lastValueFrom(
      replayFile(path, { symbol: 'X', columns: parseColumnMap('time=Zeit,open=Eröffnung,high=Hoch,low=Tief,close=Schluss') }).pipe(toArray()),
    );
    expect(read).toHaveLength(30_000);
    expect(read[29_999]).toMatchObject({ ts: T0 + 29_999 * 60_000, open: 1.5, low: 0.5 });
    // ASCII for the first megabyte, then an é: narrowed at first, decoded from there on.
    const late = `timestamp,open,high,low,close,note\n${Array.from({ length: 30_000 }, (_, i) => `${new Date(T0 + i * 60_000).toISOString()},1.5,2,0.5,1.5,${i === 29_999 ? 'café' : 'tea'}`).join('\n')}\n`;
    const latePath = write('late-utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(late, 'utf16le')]));
    await expect(lastValueFrom(replayFile(latePath, { symbol: 'X' }).pipe(toArray()))).resolves.toHaveLength(30_000);
  });

  it('a zip archive is named as one', async () => {
    const zip = write('klines.zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]));
    await expect(bars(zip)).rejects.toThrow(new DataError('a zip archive, not a text file', { file: zip }, 'unzip it first (HistData and Binance ship zip files holding one CSV each)'));
  });
});
