import { describe, expect, it } from '@jest/globals';
import { resolveColumns } from './columns';

describe('resolveColumns', () => {
  it('matches vendor spellings to fields, volume optional', () => {
    expect(resolveColumns(['Gmt time', 'Open', 'High', 'Low', 'Close', 'Volume'], 'f.csv')).toEqual({
      timestamp: { index: 0, name: 'Gmt time' },
      open: { index: 1, name: 'Open' },
      high: { index: 2, name: 'High' },
      low: { index: 3, name: 'Low' },
      close: { index: 4, name: 'Close' },
      volume: { index: 5, name: 'Volume' },
    });
    expect(resolveColumns(['t', 'o', 'h', 'l', 'c', 'vw', 'n'], 'polygon.csv')).toMatchObject({ timestamp: { name: 't' }, volume: undefined });
    expect(resolveColumns(['date_time', 'OPEN', 'HIGH', 'LOW', 'CLOSE', 'tick_volume'], 'mt5.csv')).toMatchObject({ volume: { index: 5 } });
  });

  it('names the missing field and lists the columns it found', () => {
    expect(() => resolveColumns(['time', 'bid', 'ask'], 'quotes.csv')).toThrow(
      'quotes.csv, field "open": missing column (no column named open/o/openprice/openbid; columns found: "time", "bid", "ask")',
    );
  });

  it('refuses two columns for one field', () => {
    expect(() => resolveColumns(['Date', 'Time', 'Open', 'High', 'Low', 'Close'], 'split.csv')).toThrow(
      'split.csv, field "timestamp": ambiguous columns ("Date" and "Time" both name the timestamp; keep one)',
    );
  });
});
