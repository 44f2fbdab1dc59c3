import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { zoneClock } from '../core/time';
import type { Bar } from '../core/types';
import { isGotobiDay } from '../strategy/gotobiDays';
import { usdJpyBars } from '../../scripts/makeFixtures';
import { readBarsParquet } from './dataStore';

/** The committed demo fixture is what scripts/makeFixtures.ts says it is. */

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'usdjpy.parquet');
let bars: Bar[];
beforeAll(async () => {
  bars = await readBarsParquet(FIXTURE);
});

describe('fixtures/usdjpy.parquet', () => {
  it('is exactly what the script generates from its documented seed', () => {
    const generated = [...usdJpyBars()];
    expect(bars.length).toBe(generated.length);
    // A field-by-field loop: jest's deep equality over 187k objects takes seconds.
    const same = (a: Bar, b: Bar): boolean =>
      a.symbol === b.symbol && a.ts === b.ts && a.intervalMs === b.intervalMs && a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume;
    const firstDifference = generated.findIndex((bar, i) => !same(bar, bars[i]));
    expect(firstDifference === -1 ? 'identical' : { row: firstDifference + 1, file: bars[firstDifference], script: generated[firstDifference] }).toBe('identical');
  });

  it('holds 1-minute USDJPY bars from 2024-01-01 for six months', () => {
    expect(bars[0]).toMatchObject({ symbol: 'USDJPY', intervalMs: 60_000, ts: Date.UTC(2024, 0, 1) });
    expect(bars[bars.length - 1].ts).toBeGreaterThanOrEqual(Date.UTC(2024, 5, 30));
  });

  it('trades only in the FX week, Sunday 22:00 to Friday 22:00 UTC', () => {
    const outside = bars.filter((b) => {
      const d = new Date(b.ts);
      const day = d.getUTCDay();
      const hour = d.getUTCHours();
      return day === 6 || (day === 0 && hour < 22) || (day === 5 && hour >= 22);
    });
    expect(outside).toEqual([]);
  });

  it('has every price on the 0.001 grid, low ≤ open/close ≤ high, integer volume', () => {
    const offGrid = (p: number): boolean => Math.abs(p * 1000 - Math.round(p * 1000)) > 1e-6;
    const bad = bars.filter(
      (b) =>
        offGrid(b.open) ||
        offGrid(b.high) ||
        offGrid(b.low) ||
        offGrid(b.close) ||
        b.low > Math.min(b.open, b.close) ||
        b.high < Math.max(b.open, b.close) ||
        !Number.isInteger(b.volume) ||
        b.volume < 1,
    );
    expect(bad).toEqual([]);
  });

  it('moves about 8 % a year and misses a few minutes', () => {
    let sumSquares = 0;
    let returns = 0;
    let missing = 0;
    for (let i = 1; i < bars.length; i++) {
      const step = bars[i].ts - bars[i - 1].ts;
      if (step === 60_000) {
        const r = Math.log(bars[i].close / bars[i - 1].close);
        sumSquares += r * r;
        returns++;
      } else if (step < 3_600_000) missing += step / 60_000 - 1;
    }
    const annual = Math.sqrt((sumSquares / returns) * 5 * 1440 * 52);
    expect(annual).toBeGreaterThan(0.07);
    expect(annual).toBeLessThan(0.09);
    expect(missing).toBeGreaterThan(5);
    expect(missing).toBeLessThan(100);
  });

  it('drifts up from 09:00 to 09:55 JST on gotobi days, more than on other days', () => {
    const tokyo = zoneClock('Asia/Tokyo');
    const windows = { gotobi: [] as number[], other: [] as number[] };
    let open: Bar | undefined;
    for (const bar of bars) {
      const minute = tokyo.localMinuteOfDay(bar.ts);
      if (minute === 9 * 60) open = bar;
      if (minute === 9 * 60 + 54 && open && bar.ts - open.ts === 54 * 60_000) {
        const day = tokyo.localDayIndex(bar.ts);
        const weekday = tokyo.localDate(bar.ts).weekday;
        if (weekday === 0 || weekday === 6) continue;
        (isGotobiDay(day) ? windows.gotobi : windows.other).push(Math.log(bar.close / open.open));
      }
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(windows.gotobi.length).toBeGreaterThan(25);
    expect(mean(windows.gotobi)).toBeGreaterThan(0.0003);
    expect(mean(windows.gotobi) - mean(windows.other)).toBeGreaterThan(0.0003);
  });
});
