import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../core/errors';
import { BROKER_SERVER_TIME, HISTDATA_TIME, resolveTimeZone } from './zones';

const H = 3_600_000;
const wall = (iso: string): number => Date.parse(`${iso}Z`);

describe('resolveTimeZone', () => {
  it('broker server time is New York + 7 h, switching on the US dates (not Europe’s)', () => {
    const server = resolveTimeZone(BROKER_SERVER_TIME).toUtc;
    expect(server(wall('2024-03-08T22:00:00'))).toBe(Date.parse('2024-03-08T20:00:00Z')); // EST + 7 = UTC+2
    expect(server(wall('2024-03-11T01:00:00'))).toBe(Date.parse('2024-03-10T22:00:00Z')); // EDT + 7 = UTC+3
    expect(server(wall('2024-03-25T12:00:00'))).toBe(Date.parse('2024-03-25T09:00:00Z')); // Europe still on winter time
    expect(server(wall('2024-11-01T23:00:00'))).toBe(Date.parse('2024-11-01T20:00:00Z'));
    expect(server(wall('2024-11-04T00:00:00'))).toBe(Date.parse('2024-11-03T22:00:00Z'));
    // The FX day starts at 00:00 server time all year: 17:00 New York.
    expect(server(wall('2024-07-02T00:00:00'))).toBe(Date.parse('2024-07-01T21:00:00Z'));
    expect(server(wall('2024-01-02T00:00:00'))).toBe(Date.parse('2024-01-01T22:00:00Z'));
  });

  it('every wall minute of 2024 maps like New York + 7 h would, hour caching included', () => {
    const server = resolveTimeZone('America/New_York+7').toUtc;
    const newYork = resolveTimeZone('America/New_York').toUtc;
    const mismatches: number[] = [];
    for (let t = wall('2024-01-01T00:00:00'); t < wall('2025-01-01T00:00:00'); t += 7 * 60_000) {
      if (server(t) !== newYork(t - 7 * H)) mismatches.push(t);
    }
    expect(mismatches).toEqual([]);
  });

  it('fixed offsets have no DST: HistData’s EST is UTC−5 in summer too', () => {
    const est = resolveTimeZone(HISTDATA_TIME);
    expect(est.describe).toBe('fixed UTC−05:00 (no DST)');
    expect(est.toUtc(wall('2024-07-01T12:00:00'))).toBe(Date.parse('2024-07-01T17:00:00Z'));
    expect(resolveTimeZone('UTC+05:30').toUtc(wall('2024-07-01T12:00:00'))).toBe(Date.parse('2024-07-01T06:30:00Z'));
    expect(resolveTimeZone('Etc/GMT+5').toUtc(wall('2024-07-01T12:00:00'))).toBe(Date.parse('2024-07-01T17:00:00Z'));
  });

  it('anything else is a ConfigError naming the flag', () => {
    expect(() => resolveTimeZone('Mars/Olympus')).toThrow(ConfigError);
    expect(() => resolveTimeZone('Mars/Olympus')).toThrow('--timezone: unknown time zone "Mars/Olympus"');
    expect(() => resolveTimeZone('UTC+25')).toThrow('unknown time zone');
    expect(() => resolveTimeZone('Nowhere+7', 'data.timezone')).toThrow('data.timezone: unknown time zone "Nowhere+7"');
  });
});
