import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Bar } from '../core/types';
import { CROSS_NOISE_TICKS, EUR_END, eurBars } from '../../scripts/makeFixtures';
import { readBarsParquet } from './dataStore';

/** The committed EUR legs are what scripts/makeFixtures.ts says they are, and a triangle with USDJPY. */

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
let eurusd: Bar[];
let eurjpy: Bar[];
let usdjpy: Bar[];
beforeAll(async () => {
  [eurusd, eurjpy, usdjpy] = await Promise.all(['eurusd.parquet', 'eurjpy.parquet', 'usdjpy.parquet'].map((f) => readBarsParquet(join(FIXTURES, f))));
  usdjpy = usdjpy.filter((b) => b.ts < EUR_END);
});

const same = (a: Bar, b: Bar): boolean =>
  a.symbol === b.symbol && a.ts === b.ts && a.intervalMs === b.intervalMs && a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume;

describe('fixtures/eurusd.parquet and fixtures/eurjpy.parquet', () => {
  it('are exactly what the script generates from its documented seed', () => {
    const generated = eurBars();
    for (const [file, script] of [
      [eurusd, generated.eurusd],
      [eurjpy, generated.eurjpy],
    ] as const) {
      expect(file.length).toBe(script.length);
      const firstDifference = script.findIndex((b, i) => !same(b, file[i]));
      expect(firstDifference === -1 ? 'identical' : { row: firstDifference + 1, file: file[firstDifference], script: script[firstDifference] }).toBe('identical');
    }
  });

  it('make a triangle with USDJPY: EURJPY = EURUSD × USDJPY within a spread, minute by minute', () => {
    const byTs = (bars: readonly Bar[]) => new Map(bars.map((b) => [b.ts, b]));
    const usd = byTs(eurusd);
    const jpy = byTs(usdjpy);
    // Price rounding (EURUSD 0.00001 × ~150, USDJPY 0.001 × ~1.1, EURJPY 0.001) plus the cross's own quotes.
    const spread = (CROSS_NOISE_TICKS + 3) / 1000;
    let compared = 0;
    const outside: string[] = [];
    for (const cross of eurjpy) {
      const a = usd.get(cross.ts);
      const b = jpy.get(cross.ts);
      if (a === undefined || b === undefined) continue;
      compared++;
      for (const field of ['open', 'close'] as const) {
        if (Math.abs(cross[field] - a[field] * b[field]) > spread) outside.push(`${new Date(cross.ts).toISOString()} ${field}`);
      }
    }
    expect(outside).toEqual([]);
    expect(compared).toBeGreaterThan(30_000);
  });

  it('each miss minutes the others have: no two files share a clock', () => {
    const minutes = (bars: readonly Bar[]) => new Set(bars.map((b) => b.ts));
    const [usd, cross, jpy] = [minutes(eurusd), minutes(eurjpy), minutes(usdjpy)];
    const missingFrom = (a: Set<number>, b: Set<number>) => [...b].filter((ts) => !a.has(ts)).length;
    expect(missingFrom(cross, jpy)).toBeGreaterThan(100); // EURJPY's own gaps and its 21:00–21:05 pause
    expect(missingFrom(jpy, cross)).toBeGreaterThan(0); // USDJPY's own gaps
    expect(missingFrom(usd, jpy)).toBeGreaterThan(0);
    expect(eurjpy.filter((b) => new Date(b.ts).getUTCHours() === 21 && new Date(b.ts).getUTCMinutes() < 5)).toEqual([]);
    expect(eurusd[0]).toMatchObject({ symbol: 'EURUSD', intervalMs: 60_000 });
    expect(eurjpy[0]).toMatchObject({ symbol: 'EURJPY', intervalMs: 60_000 });
  });
});
