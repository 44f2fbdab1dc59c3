import { afterEach, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { concat, filter, from } from 'rxjs';
import { barBuilder } from '../../operators/barBuilder';
import { loadIbContracts } from '../adapters/ibkr/contracts';
import type { Bar, Signal } from '../core/types';
import { liveLogRecord, readableLine } from '../cli/live';
import type { GraphEvent } from '../runner/graph';
import { runTradeRunner } from '../runner/tradeRunner';
import { startFakeTws, type FakeTws, type FakeTwsOptions, type GeneratedBar, type HistoricalHandler } from '../testkit/fakeTws';
import { until } from '../../test/support/until';
import { loadLiveConfig, parseLiveConfig, type LiveConfig } from './liveConfig';
import { startLiveRunner, type LiveEvent, type LiveRunner } from './liveRunner';

/**
 * Warm-up against the fake TWS: history through reqHistoricalData (the real wire messages), then the real-time
 * feed, in one graph. SMA(20,50) live decides as a replay of the same bars does from the first live bar on; a
 * Gotobi restart at 08:30 JST does not buy again; too short a history is a clear message and the strategy is
 * benched (or the run stops).
 */

const contracts = loadIbContracts();
const LIVE_CONFIG = resolve(__dirname, '../../config/live.json');
const MIN = 60_000;

/** What a test started, stopped after it in reverse order (the runner before the fake it talks to). */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (let stop = cleanups.pop(); stop !== undefined; stop = cleanups.pop()) await stop();
});

async function fakeTws(options: FakeTwsOptions): Promise<FakeTws> {
  const fake = await startFakeTws(options);
  cleanups.push(() => fake.close());
  return fake;
}

/** A deterministic market: a 30-minute wave around 150 (the SMA(20,50) crosses it every quarter hour or so). */
const priceAt = (ts: number): number => Number((150 + 0.3 * Math.sin((2 * Math.PI * ts) / (30 * MIN)) + 0.05 * Math.sin(ts / 97_000)).toFixed(3));

function barOf(ts: number, intervalMs: number): Bar {
  const open = priceAt(ts);
  const close = priceAt(ts + intervalMs);
  return { kind: 'bar', symbol: 'USDJPY', ts, intervalMs, open, high: Number((Math.max(open, close) + 0.002).toFixed(3)), low: Number((Math.min(open, close) - 0.002).toFixed(3)), close, volume: 0 };
}

const barsBetween = (from: number, to: number, intervalMs: number): Bar[] => {
  const out: Bar[] = [];
  for (let ts = from; ts < to; ts += intervalMs) out.push(barOf(ts, intervalMs));
  return out;
};

/** The fake's history: this market's bars in the requested window, at the requested size. */
const marketHistory: HistoricalHandler = (_request, { startMs, endMs, barSec }) => ({
  bars: barsBetween(Math.ceil(startMs / (barSec * 1000)) * barSec * 1000, endMs, barSec * 1000).map(toGenerated),
});
const toGenerated = (b: Bar): GeneratedBar => ({ ts: b.ts, open: b.open, high: b.high, low: b.low, close: b.close, volume: 0 });

const sendBars = (fake: FakeTws, bars: readonly Bar[]): void => {
  for (const b of bars) fake.sendRealTimeBar({ time: b.ts / 1000, open: b.open, high: b.high, low: b.low, close: b.close, volume: -1, wap: -1, count: -1 });
};

function configFor(fake: FakeTws, strategies: readonly Record<string, unknown>[] | undefined, warmup: Record<string, unknown> = {}): LiveConfig {
  const shipped = loadLiveConfig(LIVE_CONFIG);
  return parseLiveConfig({
    ...shipped,
    ...(strategies === undefined ? {} : { strategies }),
    ib: { ...shipped.ib, host: fake.host, port: fake.port, reconnect: { initialMs: 10, maxMs: 40, factor: 2 } },
    live: { ...shipped.live, connectTimeoutMs: 3000, commissionTimeoutMs: 1000, cancelTimeoutMs: 2000, warmup },
  });
}

const SMA = { id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 20, slow: 50 };

function start(config: LiveConfig): { runner: LiveRunner; events: LiveEvent[] } {
  const runner = startLiveRunner({ config, contracts });
  cleanups.push(() => runner.shutdown('test cleanup').catch(() => undefined));
  const events: LiveEvent[] = [];
  runner.events$.subscribe({ next: (e) => events.push(e), error: () => undefined });
  return { runner, events };
}

const signalsOf = (events: readonly (LiveEvent | GraphEvent)[]): Signal[] => events.flatMap((e) => (e.kind === 'signal' ? [e.signal] : []));
const marksOf = (events: readonly LiveEvent[]): Bar[] => events.flatMap((e) => (e.kind === 'mark' ? [e.bar] : []));
const warmedOf = (events: readonly LiveEvent[]) => events.flatMap((e) => (e.kind === 'warmed' ? [e] : []));
const shortOf = (events: readonly LiveEvent[]) => events.flatMap((e) => (e.kind === 'warmup-short' ? [e.outcome] : []));
const iso = (ts: number) => new Date(ts).toISOString();

describe('warm-up before the first live bar, against a fake TWS', () => {
  it('SMA(20,50): warmed on 51 bars, history and feed joined with no gap and no minute twice, the same signals as a replay from the first live bar on', async () => {
    const tws = await fakeTws({ historical: marketHistory, fills: { price: 150, commission: 2, commissionCurrency: 'USD' } });
    const { runner: live, events } = start(configFor(tws, [SMA]));
    await live.ready;
    await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');

    // The engine starts at 07:59:35: the feed's first bucket boundary is 08:00; 45 live minutes follow.
    const LIVE = Date.parse('2024-01-04T08:00:00Z');
    const feed = barsBetween(LIVE - 25_000, LIVE + 45 * MIN, 5000);
    sendBars(tws, feed);
    await until(() => marksOf(events).length === 46, 'the 07:59 bar and 45 live bars');
    await live.shutdown('test done');

    // One history request, ending at the boundary.
    const requests = tws.requestsOf('reqHistoricalData').map((r) => (r.request?.type === 'reqHistoricalData' ? r.request.request : undefined));
    expect(requests.map((r) => [r?.endDateTime, r?.barSize, r?.whatToShow])).toEqual([['20240104-08:00:00', '1 min', 'MIDPOINT']]);
    const [warmed] = warmedOf(events);
    expect(warmed.outcome).toMatchObject({ strategyId: 'sma', bars: 51, firstTs: LIVE - 51 * MIN, lastEnd: LIVE, source: 'ibkr' });
    // 51 bars give both averages and the sign the first cross is measured against; a cross is needed for a target.
    expect(readableLine(liveLogRecord(warmed) ?? { type: '', ts: 0 })).toMatch(/ warmed sma on 51 bars 2024-01-04 07:09–08:00 UTC \(ibkr\), no target yet, book 0$/);

    // The joint: the bucket the start fell into (07:59) came from history, whole, and is traded; then every live
    // minute once, none missing.
    const marks = marksOf(events);
    expect(marks.map((b) => b.ts)).toEqual(Array.from({ length: 46 }, (_, i) => LIVE - MIN + i * MIN));
    expect(marks[0]).toEqual(barOf(LIVE - MIN, MIN));

    // A replay of the same bars (history, then the feed from the boundary) decides the same at the same bars.
    const replayEvents: GraphEvent[] = [];
    const replay = runTradeRunner({
      config: configFor(tws, [SMA]),
      contracts,
      bars$: concat(from(barsBetween(LIVE - 6 * 60 * MIN, LIVE, MIN)), from(feed).pipe(filter((b) => b.ts >= LIVE), barBuilder(MIN))),
    });
    replay.events$.subscribe((e) => replayEvents.push(e));
    await replay.result;
    const fromLive = (signals: Signal[]) => signals.filter((s) => s.ts >= LIVE).map((s) => [iso(s.ts), s.target, s.reason]);
    const liveSignals = fromLive(signalsOf(events));
    expect(liveSignals).toEqual(fromLive(signalsOf(replayEvents)));
    // No ~70-bar silence: the first live bar already had both averages.
    expect(liveSignals.length).toBeGreaterThanOrEqual(2);
    expect(Date.parse(liveSignals[0][0] as string)).toBeLessThan(LIVE + 20 * MIN);
    // Nothing decided on history was reported or traded.
    expect(signalsOf(events).every((s) => s.ts >= LIVE)).toBe(true);
    expect(tws.orders().length).toBe(liveSignals.length);
  });

  it('Gotobi restarted at 08:30 JST on a gotobi day: warmed from 00:00 JST, its entry is known, it does not buy again', async () => {
    const tws = await fakeTws({ historical: marketHistory, fills: { price: 150, commission: 2, commissionCurrency: 'USD' } });
    const { runner: live, events } = start(configFor(tws, undefined));
    await live.ready;
    await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');

    const RESTART = Date.parse('2024-01-04T23:30:00Z'); // 08:30 JST, 2024-01-05
    const FIX = Date.parse('2024-01-05T00:55:00Z'); // 09:55 JST
    sendBars(tws, [...barsBetween(RESTART, RESTART + 3 * MIN, 5000), ...barsBetween(FIX - 2 * MIN, FIX + 2 * MIN, 5000)]);
    await until(() => marksOf(events).length === 7, 'the 08:30–08:32 and 09:53–09:56 JST bars');
    await until(() => tws.executions().length === 1, 'the short leg filled');
    await live.shutdown('test done');

    const warmed = warmedOf(events).map((w) => [w.outcome.strategyId, w.outcome.bars, iso(w.outcome.firstTs ?? NaN), iso(w.outcome.lastEnd ?? NaN), w.outcome.target, w.position]);
    expect(warmed).toEqual([
      // 00:00–08:30 JST: it saw its 01:00 JST entry; this engine's book holds nothing of it.
      ['long_into_fix', 510, '2024-01-04T15:00:00.000Z', '2024-01-04T23:30:00.000Z', 1, 0],
      ['short_after_fix', 510, '2024-01-04T15:00:00.000Z', '2024-01-04T23:30:00.000Z', undefined, 0],
    ]);
    // No second entry at 08:31 JST; at 09:55 JST the long leg's exit and the short leg's entry are decided once.
    expect(signalsOf(events).map((s) => [iso(s.ts), s.strategyId, s.target])).toEqual([
      ['2024-01-05T00:55:00.000Z', 'long_into_fix', 0],
      ['2024-01-05T00:55:00.000Z', 'short_after_fix', -1],
    ]);
    // At TWS: only the short leg's entry (the long leg's exit sells what the book holds for it: nothing here).
    expect(tws.orders().map((o) => [o.request.action, o.request.totalQuantity, o.request.orderRef])).toEqual([
      ['SELL', 100_000, 'rx:short_after_fix:short_after_fix.USDJPY.20240105T005500Z.1:entry'],
    ]);
  });

  it('history too short: says which strategy needs how many bars and what it got, benches it and trades the others', async () => {
    const LIVE = Date.parse('2024-01-04T08:00:00Z');
    // TWS has only the last 12 minutes before the start.
    const twelve: HistoricalHandler = (request, context) => {
      const all = marketHistory(request, context);
      return 'bars' in all ? { bars: all.bars.filter((b) => b.ts >= LIVE - 12 * MIN) } : all;
    };
    const tws = await fakeTws({ historical: twelve, fills: { price: 150, commission: 2, commissionCurrency: 'USD' } });
    const flip = { id: 'flip', type: 'smaCross', symbol: 'USDJPY', fast: 1, slow: 2 };
    const { runner: live, events } = start(configFor(tws, [SMA, flip]));
    await live.ready;
    await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    const feed = barsBetween(LIVE, LIVE + 75 * MIN, 5000);
    sendBars(tws, feed);
    await until(() => marksOf(events).length === 75, '75 live bars');
    await live.shutdown('test done');

    // The message end to end, as the log and the dashboard show it.
    expect(shortOf(events).map((o) => [o.strategyId, o.bars, o.action, o.reason])).toEqual([
      ['sma', 12, 'refused', 'strategy "sma" (USDJPY) needs 51 bars of 1m before 2024-01-04T08:00:00.000Z; history (ibkr) got 12 (2024-01-04T07:48:00.000Z to 2024-01-04T08:00:00.000Z)'],
    ]);
    const line = readableLine(liveLogRecord(events.find((e) => e.kind === 'warmup-short') as LiveEvent) ?? { type: '', ts: 0 });
    expect(line).toMatch(/ warm-up short: strategy "sma" \(USDJPY\) needs 51 bars .* got 12 .*: refused, it trades nothing this run$/);
    // Benched: it decided (it sees every bar) but nothing of it is reported or traded; the other strategy trades.
    expect(signalsOf(events).filter((s) => s.strategyId === 'sma')).toEqual([]);
    // (It would have: the same bars in a replay make it cross once its 51 bars are there.)
    const replayEvents: GraphEvent[] = [];
    const replay = runTradeRunner({
      config: configFor(tws, [SMA]),
      contracts,
      bars$: concat(from(barsBetween(LIVE - 12 * MIN, LIVE, MIN)), from(feed).pipe(barBuilder(MIN))),
    });
    replay.events$.subscribe((e) => replayEvents.push(e));
    await replay.result;
    expect(signalsOf(replayEvents).length).toBeGreaterThan(0);
    expect(signalsOf(events).filter((s) => s.strategyId === 'flip').length).toBeGreaterThan(0);
    expect(tws.orders().every((o) => o.request.orderRef?.startsWith('rx:flip:'))).toBe(true);
    expect(warmedOf(events).map((w) => [w.outcome.strategyId, w.outcome.bars])).toEqual([['flip', 3]]);
  });

  it('history unavailable with onShort "stop": the run stops with the message', async () => {
    const tws = await fakeTws({ historical: () => ({ error: { code: 200, message: 'No security definition has been found for the request' } }) });
    const { runner: live } = start(configFor(tws, [SMA], { onShort: 'stop' }));
    await live.ready;
    await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    sendBars(tws, barsBetween(Date.parse('2024-01-04T08:00:00Z'), Date.parse('2024-01-04T08:01:00Z'), 5000));
    await expect(live.done).rejects.toThrow(
      /^strategy "sma" \(USDJPY\) needs 51 bars of 1m before 2024-01-04T08:00:00.000Z: history unavailable: IB reqHistoricalData USDJPY ending .* failed: TWS error 200: No security definition has been found for the request \(live.warmup.onShort is "stop"\)$/,
    );
    expect(tws.orders()).toEqual([]);
  });
});

describe('warm-up and shutdown', () => {
  it('a shutdown while the history is on its way stops at once and leaves nothing running', async () => {
    const tws = await fakeTws({ historical: marketHistory, historicalLatencyMs: 5000 });
    const { runner: live, events } = start(configFor(tws, [SMA]));
    await live.ready;
    await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    sendBars(tws, barsBetween(Date.parse('2024-01-04T08:00:00Z'), Date.parse('2024-01-04T08:01:00Z'), 5000));
    await tws.waitForRequest((r) => r.request?.type === 'reqHistoricalData');
    const started = Date.now();
    const result = await live.shutdown('test done');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.report.run.bars).toBe(0);
    expect(events.some((e) => e.kind === 'warmed')).toBe(false);
  });
});
