import { beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { loadContracts } from '../core/contracts';
import type { Bar } from '../core/types';
import { replayFile } from '../data/replay';
import { loadRunnerConfig } from './config';
import { serializeReport, type ReplayReport, type ReportFill } from './report/replayReport';
import { runTradeRunner } from './tradeRunner';

/**
 * The demo's two Gotobi legs with a bracket of 300 ticks stop-loss and 450 ticks take-profit
 * (`config/gotobi-bracket.json`) on the committed fixture: two of its round trips worked out by hand from the
 * bars, and the whole replay repeated byte for byte.
 */
const ROOT = join(__dirname, '../..');
const FIXTURE = join(ROOT, 'fixtures/usdjpy.parquet');
const contracts = loadContracts();

async function replay(): Promise<ReplayReport> {
  const config = loadRunnerConfig(join(ROOT, 'config/gotobi-bracket.json'));
  const { report } = await runTradeRunner({ config, contracts, bars$: replayFile(FIXTURE, { symbol: 'USDJPY' }) }).result;
  return report;
}

let report: ReplayReport;
let bars: Bar[];
beforeAll(async () => {
  report = await replay();
  bars = await lastValueFrom(replayFile(FIXTURE, { symbol: 'USDJPY' }).pipe(toArray()));
});

const at = (iso: string): Bar => {
  const bar = bars.find((b) => b.ts === Date.parse(iso));
  if (bar === undefined) throw new Error(`no fixture bar at ${iso}`);
  return bar;
};
const between = (fromIso: string, toIso: string): Bar[] => bars.filter((b) => b.ts >= Date.parse(fromIso) && b.ts < Date.parse(toIso));
const fillsOf = (id: string): readonly ReportFill[] => report.strategies.find((s) => s.id === id)?.fills ?? [];
/** No bar from `fromIso` (included) to `toIso` (excluded) reaches `below` or `above`: both legs rest. */
const expectNoBarReaches = (fromIso: string, toIso: string, below: number, above: number): void => {
  for (const bar of between(fromIso, toIso)) {
    expect(bar.low).toBeGreaterThan(below);
    expect(bar.high).toBeLessThan(above);
  }
};

describe('the fixture replayed with config/gotobi-bracket.json', () => {
  it('long_into_fix, 2024-01-19 (the 20th is a Saturday): in at 01:00 JST, out on the stop-loss at 04:24 JST', () => {
    // The 15:59Z bar closes at 01:00 JST: the entry is decided on its close, 138.165, with its bracket priced from
    // there, and fills at the next bar's open.
    expect(at('2024-01-18T15:59:00Z').close).toBe(138.165);
    expect(at('2024-01-18T16:00:00Z').open).toBe(138.165);
    // Re-priced from the fill in whole ticks of 0.001: stop 138.165 − 0.300 = 137.865, take-profit 138.165 + 0.450
    // = 138.615. First checked on the 16:01Z bar; until 19:23Z no bar reaches either level.
    expectNoBarReaches('2024-01-18T16:01:00Z', '2024-01-18T19:24:00Z', 137.865, 138.615);
    // 19:24Z opens above the stop (137.898) and its low (137.862) goes through it: filled at the stop itself.
    expect(at('2024-01-18T19:24:00Z')).toMatchObject({ open: 137.898, low: 137.862 });
    const [entry, exit] = fillsOf('long_into_fix').filter((f) => f.ts >= Date.parse('2024-01-18T00:00:00Z'));
    expect([entry, exit].map((f) => [f.time, f.side, f.price, f.reason])).toEqual([
      ['2024-01-18T16:00:00.000Z', 'BUY', 138.165, 'entry'],
      ['2024-01-18T19:24:00.000Z', 'SELL', 137.865, 'stop'],
    ]);
    const trade = report.strategies[0].trades.find((t) => t.entryTs === entry.ts);
    expect(trade).toMatchObject({ side: 'LONG', entryPrice: 138.165, exitPrice: 137.865, entryReason: 'entry', exitReason: 'stop' });
    // 100,000 × (137.865 − 138.165): −30,000 JPY, as the stop-loss allows.
    expect(trade?.pnl).toBeCloseTo(-30_000, 6);
  });

  it('short_after_fix, 2024-01-10: in at 09:55 JST, out on the take-profit at 13:26 JST', () => {
    expect(at('2024-01-10T00:54:00Z').close).toBe(138.964);
    expect(at('2024-01-10T00:55:00Z').open).toBe(138.964);
    // Short: stop 138.964 + 0.300 = 139.264 above, take-profit 138.964 − 0.450 = 138.514 below.
    expectNoBarReaches('2024-01-10T00:56:00Z', '2024-01-10T04:26:00Z', 138.514, 139.264);
    // 04:26Z opens above the take-profit (138.535) and its low (138.508) reaches it: filled at the limit.
    expect(at('2024-01-10T04:26:00Z')).toMatchObject({ open: 138.535, low: 138.508 });
    const [entry, exit] = fillsOf('short_after_fix').filter((f) => f.ts >= Date.parse('2024-01-10T00:00:00Z'));
    expect([entry, exit].map((f) => [f.time, f.side, f.price, f.reason])).toEqual([
      ['2024-01-10T00:55:00.000Z', 'SELL', 138.964, 'entry'],
      ['2024-01-10T04:26:00.000Z', 'BUY', 138.514, 'takeProfit'],
    ]);
  });

  it('counts exits by reason, and gives the same report on a second run, byte for byte but for its timing', async () => {
    expect(report.strategies.map((s) => s.totals.exitsByReason)).toEqual([
      expect.objectContaining({ exit: 11, stop: 12, takeProfit: 13 }),
      expect.objectContaining({ exit: 19, stop: 10, takeProfit: 7 }),
    ]);
    const again = await replay();
    const text = (r: ReplayReport): string => serializeReport({ ...r, run: { bars: r.run.bars, wallMs: 0, barsPerSec: null } });
    expect(text(again)).toBe(text(report));
  });
});
