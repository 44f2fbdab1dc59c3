import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bar } from '../core/types';
import { writeBarsParquet } from '../data/dataStore';
import { makeBar } from '../testkit/marbles';
import { parseLiveConfig } from './liveConfig';
import { fetchWarmupHistory, liveBoundaryOf, sessionStart, storeFirstHistorySource, type HistoryRequest, type HistorySource } from './warmup';

const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);
const minuteBars = (fromIso: string, count: number): Bar[] =>
  Array.from({ length: count }, (_, i) => makeBar({ ts: at(fromIso) + i * MIN, open: 144, close: 144.01 }));

/** A history source over a fixed set of bars, recording what was asked. */
function sourceOver(bars: readonly Bar[], name: 'ibkr' | 'store' = 'ibkr') {
  const asked: HistoryRequest[] = [];
  const source: HistorySource = (request) => {
    asked.push(request);
    return Promise.resolve({ bars: bars.filter((b) => b.ts >= request.from && b.ts < request.to), source: name });
  };
  return { asked, source };
}

describe('live boundary', () => {
  it('joins history and the feed at the first bar boundary at or after the first input', () => {
    expect(liveBoundaryOf(at('2024-01-04T07:59:20Z'), MIN, 'realTimeBars')).toEqual({ startTs: at('2024-01-04T07:59:20Z'), liveFrom: at('2024-01-04T08:00:00Z') });
    // A 5-second bar starting on the boundary is the first of its bucket: nothing is skipped.
    expect(liveBoundaryOf(at('2024-01-04T08:00:00Z'), MIN, 'realTimeBars').liveFrom).toBe(at('2024-01-04T08:00:00Z'));
    // A quote on the boundary may not be the bucket's first: the next bucket is the first whole one.
    expect(liveBoundaryOf(at('2024-01-04T08:00:00Z'), MIN, 'quotes').liveFrom).toBe(at('2024-01-04T08:01:00Z'));
  });

  it('starts a session warm-up at the last wall time at or before the boundary, in its zone', () => {
    // 08:30 JST on 2024-01-05 → 00:00 JST that day = 2024-01-04T15:00Z.
    expect(sessionStart('Asia/Tokyo', '00:00', at('2024-01-04T23:30:00Z'))).toBe(at('2024-01-04T15:00:00Z'));
    expect(sessionStart('Asia/Tokyo', '00:00', at('2024-01-04T15:00:00Z'))).toBe(at('2024-01-04T15:00:00Z'));
    expect(sessionStart('Asia/Tokyo', '09:00', at('2024-01-04T23:30:00Z'))).toBe(at('2024-01-04T00:00:00Z'));
    // 17:00 New York on 2024-03-10, the day clocks sprang forward, is already EDT: 21:00Z (22:00Z in winter).
    expect(sessionStart('America/New_York', '17:00', at('2024-03-11T12:00:00Z'))).toBe(at('2024-03-10T21:00:00Z'));
  });
});

describe('fetchWarmupHistory', () => {
  const LIVE = at('2024-01-04T08:00:00Z');
  const sma = { id: 'sma', symbol: 'USDJPY', warmup: { bars: 51 } } as const;

  it('fetches the most any strategy of a symbol needs, once, up to the boundary (exclusive)', async () => {
    const { asked, source } = sourceOver(minuteBars('2024-01-04T00:00:00Z', 600));
    const gotobi = { id: 'leg', symbol: 'USDJPY', warmup: { session: { zone: 'Asia/Tokyo', from: '00:00' } } } as const;
    const { bars, outcomes } = await fetchWarmupHistory([sma, gotobi], { liveFrom: LIVE, intervalMs: MIN, source, onShort: 'refuse' });
    // 00:00 JST on 2024-01-04 is 2024-01-03T15:00Z: the session reaches further back than the 51 bars.
    expect(asked).toEqual([{ symbol: 'USDJPY', from: at('2024-01-03T15:00:00Z'), to: LIVE }]);
    expect(bars[bars.length - 1].ts).toBe(LIVE - MIN);
    expect(outcomes).toEqual([
      { status: 'warmed', strategyId: 'sma', symbol: 'USDJPY', bars: 51, firstTs: LIVE - 51 * MIN, lastEnd: LIVE, source: 'ibkr', target: undefined },
      { status: 'warmed', strategyId: 'leg', symbol: 'USDJPY', bars: 480, firstTs: at('2024-01-04T00:00:00Z'), lastEnd: LIVE, source: 'ibkr', target: undefined },
    ]);
  });

  it('reaches further back over a gap (a weekend) until it has the bars', async () => {
    // Friday's last 30 minutes and Monday's first 30 before the boundary.
    const monday = at('2024-01-08T00:30:00Z');
    const { asked, source } = sourceOver([...minuteBars('2024-01-05T21:30:00Z', 30), ...minuteBars('2024-01-08T00:00:00Z', 30)]);
    const { outcomes } = await fetchWarmupHistory([sma], { liveFrom: monday, intervalMs: MIN, source, onShort: 'refuse' });
    expect(outcomes[0]).toMatchObject({ status: 'warmed', bars: 51, firstTs: at('2024-01-05T21:39:00Z'), lastEnd: monday });
    expect(asked.length).toBeGreaterThan(1);
    // Each extension asks only for what lies before the previous request.
    for (let i = 1; i < asked.length; i++) expect(asked[i].to).toBe(asked[i - 1].from);
  });

  it('says which strategy needs how many bars and what it got when history is too short', async () => {
    const { source } = sourceOver(minuteBars('2024-01-04T07:48:00Z', 12));
    const { outcomes } = await fetchWarmupHistory([sma], { liveFrom: LIVE, intervalMs: MIN, source, onShort: 'refuse' });
    expect(outcomes).toEqual([
      {
        status: 'short',
        strategyId: 'sma',
        symbol: 'USDJPY',
        bars: 12,
        needed: '51 bars of 1m',
        reason: 'strategy "sma" (USDJPY) needs 51 bars of 1m before 2024-01-04T08:00:00.000Z; history (ibkr) got 12 (2024-01-04T07:48:00.000Z to 2024-01-04T08:00:00.000Z)',
        action: 'refused',
      },
    ]);
  });

  it('names the failure when history is unavailable, and bars of another interval', async () => {
    const failing: HistorySource = () => Promise.reject(new Error('IB reqHistoricalData USDJPY … failed: TWS error 200: No security definition has been found'));
    const { outcomes } = await fetchWarmupHistory([sma], { liveFrom: LIVE, intervalMs: MIN, source: failing, onShort: 'trade' });
    expect(outcomes[0]).toMatchObject({ status: 'short', bars: 0, action: 'trading cold' });
    expect(outcomes[0].status === 'short' && outcomes[0].reason).toBe(
      'strategy "sma" (USDJPY) needs 51 bars of 1m before 2024-01-04T08:00:00.000Z: history unavailable: IB reqHistoricalData USDJPY … failed: TWS error 200: No security definition has been found',
    );
    const fiveMinute = sourceOver([makeBar({ ts: LIVE - 5 * MIN, intervalMs: 5 * MIN, open: 144, close: 144 })]).source;
    const wrong = await fetchWarmupHistory([sma], { liveFrom: LIVE, intervalMs: MIN, source: fiveMinute, onShort: 'refuse' });
    expect(wrong.outcomes[0].status === 'short' && wrong.outcomes[0].reason).toMatch(/history unavailable: USDJPY history has 5m bars \(2024-01-04T07:55:00.000Z\); live bars are 1m$/);
  });

  it('reads a local file first and asks IB only for what follows its last bar', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warmup-'));
    try {
      const file = join(dir, 'usdjpy.parquet');
      await writeBarsParquet(file, minuteBars('2024-01-04T06:00:00Z', 100)); // to 07:40
      const ib = sourceOver(minuteBars('2024-01-04T07:00:00Z', 60));
      const source = storeFirstHistorySource({ USDJPY: file }, ib.source);
      const { bars, outcomes } = await fetchWarmupHistory([sma], { liveFrom: LIVE, intervalMs: MIN, source, onShort: 'refuse' });
      expect(ib.asked).toEqual([{ symbol: 'USDJPY', from: at('2024-01-04T07:40:00Z'), to: LIVE }]);
      expect(outcomes[0]).toMatchObject({ status: 'warmed', bars: 51, source: 'store+ibkr', lastEnd: LIVE });
      // One bar a minute, no minute twice, none missing.
      expect(bars.every((b, i) => i === 0 || b.ts === bars[i - 1].ts + MIN)).toBe(true);
      expect(bars[bars.length - 1].ts).toBe(LIVE - MIN);

      // A file reaching the boundary needs no IB request at all.
      const covered = join(dir, 'covered.parquet');
      await writeBarsParquet(covered, minuteBars('2024-01-04T06:00:00Z', 180));
      const idle = sourceOver([]);
      const fromFile = await fetchWarmupHistory([sma], { liveFrom: LIVE, intervalMs: MIN, source: storeFirstHistorySource({ USDJPY: covered }, idle.source), onShort: 'refuse' });
      expect(idle.asked).toEqual([]);
      expect(fromFile.outcomes[0]).toMatchObject({ status: 'warmed', bars: 51, source: 'store' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('live.warmup in the live config', () => {
  const base = {
    account: { currency: 'USD', initialCash: 1_000_000 },
    strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 20, slow: 50 }],
    ib: { clientId: 1 },
  };

  it('defaults to IB alone, refusing a strategy whose history is short; files are relative to the config file', () => {
    expect(parseLiveConfig({ ...base, live: { bar: '1m' } }).live.warmup).toEqual({ files: {}, onShort: 'refuse' });
    const config = parseLiveConfig({ ...base, live: { bar: '1m', warmup: { files: { USDJPY: 'data/usdjpy.parquet' }, onShort: 'stop' } } }, 'cfg/live.json', { baseDir: '/srv/cfg' });
    expect(config.live.warmup).toEqual({ files: { USDJPY: '/srv/cfg/data/usdjpy.parquet' }, onShort: 'stop' });
  });

  it('names the field and the rule of a bad setting', () => {
    expect(() => parseLiveConfig({ ...base, live: { bar: '1m', warmup: { onShort: 'ignore' } } }, 'live.json')).toThrow(/live\.warmup\.onShort/);
    expect(() => parseLiveConfig({ ...base, live: { bar: '1m', warmup: { file: 'x.parquet' } } }, 'live.json')).toThrow(/live\.warmup/);
  });
});
