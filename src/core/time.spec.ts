import { dateOfDayIndex, dayIndexOf, daysInMonth, isoUtc, parseWallTime, zoneClock } from './time';

describe('zoneClock', () => {
  it('gives Tokyo wall time without consulting the host zone', () => {
    const tokyo = zoneClock('Asia/Tokyo');
    const ts = Date.UTC(2024, 0, 4, 15, 30); // 2024-01-05 00:30 JST
    expect(tokyo.offsetMs(ts)).toBe(9 * 3_600_000);
    expect(tokyo.localDate(ts)).toEqual({ year: 2024, month: 1, day: 5, weekday: 5 });
    expect(tokyo.localMinuteOfDay(ts)).toBe(30);
    expect(tokyo.utcOf(tokyo.localDayIndex(ts), 30)).toBe(ts);
  });

  it('is exact across a DST change (New York, 2024-03-10 02:00 local)', () => {
    const ny = zoneClock('America/New_York');
    const before = Date.UTC(2024, 2, 10, 6, 59); // 01:59 EST
    const after = Date.UTC(2024, 2, 10, 7, 0); // 03:00 EDT
    expect(ny.offsetMs(before)).toBe(-5 * 3_600_000);
    expect(ny.offsetMs(after)).toBe(-4 * 3_600_000);
    expect(ny.localMinuteOfDay(before)).toBe(119);
    expect(ny.localMinuteOfDay(after)).toBe(180);
    // 17:00 New York, the FX session boundary, in summer and winter
    expect(ny.utcOf(dayIndexOf(2024, 7, 1), 17 * 60)).toBe(Date.UTC(2024, 6, 1, 21));
    expect(ny.utcOf(dayIndexOf(2024, 1, 2), 17 * 60)).toBe(Date.UTC(2024, 0, 2, 22));
  });

  it('agrees with ICU at every hour of a DST year in zones with odd offsets', () => {
    for (const zone of ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kolkata']) {
      const clock = zoneClock(zone);
      const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
      for (let ts = Date.UTC(2024, 0, 1); ts < Date.UTC(2025, 0, 1); ts += 3_600_000 + 60_000 * 7) {
        const [h, m] = fmt.format(ts).split(':').map(Number);
        expect(clock.localMinuteOfDay(ts)).toBe(h * 60 + m);
      }
    }
  });

  it('resolves wall times in a DST gap forward and repeated ones to the earlier instant', () => {
    const ny = zoneClock('America/New_York');
    expect(ny.utcOf(dayIndexOf(2024, 3, 10), 2 * 60 + 30)).toBe(Date.UTC(2024, 2, 10, 7, 30)); // 03:30 EDT
    expect(ny.utcOf(dayIndexOf(2024, 3, 10), 1 * 60 + 30)).toBe(Date.UTC(2024, 2, 10, 6, 30)); // 01:30 EST
    expect(ny.utcOf(dayIndexOf(2024, 3, 10), 3 * 60)).toBe(Date.UTC(2024, 2, 10, 7, 0)); // 03:00 EDT
    expect(ny.utcOf(dayIndexOf(2024, 11, 3), 1 * 60 + 30)).toBe(Date.UTC(2024, 10, 3, 5, 30)); // first 01:30 (EDT)
    expect(ny.utcOf(dayIndexOf(2024, 11, 3), 2 * 60)).toBe(Date.UTC(2024, 10, 3, 7, 0)); // 02:00 EST
  });

  it('rejects an unknown zone by name', () => {
    expect(() => zoneClock('Mars/Olympus')).toThrow('unknown time zone "Mars/Olympus"');
  });
});

describe('civil dates', () => {
  it('round-trips day indices and knows month lengths', () => {
    for (const [y, m, d] of [[1970, 1, 1], [2000, 2, 29], [2024, 12, 31], [2100, 3, 1]]) {
      expect(dateOfDayIndex(dayIndexOf(y, m, d))).toMatchObject({ year: y, month: m, day: d });
    }
    expect(dateOfDayIndex(0).weekday).toBe(4);
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2023, 2)).toBe(28);
    expect(daysInMonth(2024, 12)).toBe(31);
  });

  it('parses wall times and names bad ones', () => {
    expect(parseWallTime('09:55')).toBe(595);
    expect(parseWallTime('24:00')).toBe(1440);
    expect(() => parseWallTime('9:55')).toThrow('"9:55" is not a wall time');
    expect(() => parseWallTime('24:30')).toThrow('past 24:00');
  });
});

describe('isoUtc', () => {
  it('writes the same ISO text as Date#toISOString, faster', () => {
    const samples = [0, 1, 999, 86_399_999, 86_400_000, Date.parse('2024-02-29T23:59:59.999Z'), -1, -86_400_001, -62_167_219_200_000, 253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_001];
    for (let i = 0; i < 2000; i++) samples.push(Date.parse('1999-12-31T00:00:00Z') + i * 7_919_993);
    for (const ts of samples) expect(isoUtc(ts)).toBe(new Date(ts).toISOString());
    expect(isoUtc(1.5)).toBe(new Date(1.5).toISOString());
    expect(isoUtc(Number.NaN)).toBe('Invalid Date');
  });
});
