import { afterEach, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { from } from 'rxjs';
import { barBuilder } from '../../operators/barBuilder';
import { loadIbContracts } from '../adapters/ibkr/contracts';
import type { Bar, Fill, OrderEvent, Signal } from '../core/types';
import { startFakeTws, type FakeTws, type PlaceOrderRequest } from '../testkit/fakeTws';
import type { GraphEvent } from '../runner/graph';
import { startLiveRunner, type LiveEvent, type LiveRunner } from './liveRunner';
import { loadLiveConfig, parseLiveConfig, type LiveConfig } from './liveConfig';
import { runTradeRunner } from '../runner/tradeRunner';
import { until } from '../../test/support/until';

/**
 * The headline promise, end to end: the demo's two Gotobi legs (config/live.json, the same strategy specs as
 * config/gotobi.json) run live against a fake TWS speaking the real wire protocol, and the graph that runs is
 * the one replay runs — the same bars give the same signals and the same orders as a replay through
 * runTradeRunner + SimBroker. Only the fills differ: the SimBroker fills at the next bar's open, the fake TWS
 * at the price its fill script names (with a commission report of 2 USD per execution).
 */

const contracts = loadIbContracts();
const LIVE_CONFIG = resolve(__dirname, '../../config/live.json');
const fast = { initialMs: 10, maxMs: 40, factor: 2 };

let tws: FakeTws | undefined;
let runner: LiveRunner | undefined;

afterEach(async () => {
  if (runner !== undefined) await runner.shutdown('test cleanup').catch(() => undefined);
  await tws?.close();
  runner = undefined;
  tws = undefined;
});

/** config/live.json pointed at the fake, with short timeouts. */
function configFor(fake: FakeTws): LiveConfig {
  const shipped = loadLiveConfig(LIVE_CONFIG);
  return parseLiveConfig({
    ...shipped,
    ib: { ...shipped.ib, host: fake.host, port: fake.port, reconnect: fast },
    live: { ...shipped.live, connectTimeoutMs: 3000, commissionTimeoutMs: 1000, cancelTimeoutMs: 2000 },
  });
}

/**
 * 5-second MIDPOINT bars of USDJPY, `count` of them from `startIso`: a gentle deterministic walk. 2024-01-05
 * (a Friday) is a gotobi day: 01:00 JST is 2024-01-04T16:00Z, 09:55 JST is 2024-01-05T00:55Z.
 */
function fiveSecondBars(startIso: string, count: number, base: number): Bar[] {
  const start = Date.parse(startIso);
  const bars: Bar[] = [];
  for (let i = 0; i < count; i++) {
    const open = Number((base + 0.001 * ((i * 7) % 11) + 0.0005 * i).toFixed(3));
    const close = Number((base + 0.001 * (((i + 1) * 7) % 11) + 0.0005 * (i + 1)).toFixed(3));
    bars.push({
      kind: 'bar',
      symbol: 'USDJPY',
      ts: start + i * 5000,
      intervalMs: 5000,
      open,
      high: Number((Math.max(open, close) + 0.002).toFixed(3)),
      low: Number((Math.min(open, close) - 0.002).toFixed(3)),
      close,
      volume: 0,
    });
  }
  return bars;
}

const sendBars = (fake: FakeTws, bars: readonly Bar[]): void => {
  for (const b of bars) fake.sendRealTimeBar({ time: b.ts / 1000, open: b.open, high: b.high, low: b.low, close: b.close, volume: -1, wap: -1, count: -1 });
};

const signalsOf = (events: readonly (LiveEvent | GraphEvent)[]): Signal[] =>
  events.flatMap((e) => (e.kind === 'signal' ? [e.signal] : []));
const accepted = (events: readonly (LiveEvent | GraphEvent)[]) =>
  events.flatMap((e) => (e.kind === 'order' && e.status === 'Accepted' ? [e.order] : []));
const fillsOf = (events: readonly (LiveEvent | GraphEvent)[]): Fill[] => events.flatMap((e) => (e.kind === 'fill' ? [e] : []));
const marksOf = (events: readonly (LiveEvent | GraphEvent)[]): Bar[] => events.flatMap((e) => (e.kind === 'mark' ? [e.bar] : []));
const statuses = (events: readonly LiveEvent[], orderId: string) =>
  events.flatMap((e) => (e.kind === 'order' && e.order.id === orderId ? [(e as OrderEvent).status] : []));

/** Replays the same 5-second bars through the same runner config, with the SimBroker (the replay graph). */
async function replayOf(config: LiveConfig, fiveSecond: readonly Bar[]) {
  const events: GraphEvent[] = [];
  const run = runTradeRunner({ config, contracts, bars$: from(fiveSecond).pipe(barBuilder(60_000)) });
  run.events$.subscribe((e) => events.push(e));
  const { report } = await run.result;
  return { events, report };
}

describe('live runner end to end against a fake TWS', () => {
  it('runs the two Gotobi legs through the replay graph: same signals and orders, fills and commissions from TWS', async () => {
    tws = await startFakeTws({
      accounts: ['DU1234567'],
      fills: (order: PlaceOrderRequest) => ({ price: order.action === 'BUY' ? 144.155 : 144.62, commission: 2, commissionCurrency: 'USD' }),
    });
    const config = configFor(tws);
    // The account comes from the environment (config/live.json names none).
    runner = startLiveRunner({ config, contracts, env: { IB_ACCOUNT: 'DU1234567' }, orderIdPrefix: 'run7.' });
    const events: LiveEvent[] = [];
    runner.events$.subscribe((e) => events.push(e));

    const reconciled = await runner.ready;
    expect(reconciled.mismatches).toEqual([]);
    await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    // Around 01:00 JST (long_into_fix enters) and around 09:55 JST (it exits, short_after_fix enters).
    const fiveSecond = [...fiveSecondBars('2024-01-04T15:58:00Z', 60, 144.1), ...fiveSecondBars('2024-01-05T00:53:00Z', 60, 144.6)];
    sendBars(tws, fiveSecond);
    await until(() => fillsOf(events).length === 3 && marksOf(events).length === 10, 'three fills and ten 1-minute bars');
    const result = await runner.shutdown('test done');

    // The orders reached TWS as IB orders, tagged with their strategy and order id.
    expect(tws.orders().map((o) => [o.request.action, o.request.totalQuantity, o.request.orderType, o.request.orderRef, o.request.account])).toEqual([
      ['BUY', 100_000, 'MKT', 'rx:long_into_fix:run7.long_into_fix-1', 'DU1234567'],
      ['SELL', 100_000, 'MKT', 'rx:long_into_fix:run7.long_into_fix-2', 'DU1234567'],
      ['SELL', 100_000, 'MKT', 'rx:short_after_fix:run7.short_after_fix-1', 'DU1234567'],
    ]);
    expect(statuses(events, 'run7.long_into_fix-1')).toEqual(['Accepted', 'Submitted', 'Filled']);

    // The identical graph: replaying the same bars through runTradeRunner + SimBroker gives the same
    // 1-minute bars, the same signals and the same orders.
    const replay = await replayOf(config, fiveSecond);
    expect(marksOf(events)).toEqual(marksOf(replay.events));
    expect(signalsOf(events)).toEqual(signalsOf(replay.events));
    expect(signalsOf(events).map((s) => [new Date(s.ts).toISOString(), s.strategyId, s.target])).toEqual([
      ['2024-01-04T16:00:00.000Z', 'long_into_fix', 1],
      ['2024-01-05T00:55:00.000Z', 'long_into_fix', 0],
      ['2024-01-05T00:55:00.000Z', 'short_after_fix', -1],
    ]);
    // (live ids carry the run's prefix; replay ids have none)
    expect(accepted(events)).toEqual(accepted(replay.events).map((order) => ({ ...order, id: `run7.${order.id}` })));

    // Fills: TWS's price and commission (2 USD, booked in JPY at the execution price) in the book and report.
    const [long, short] = result.report.strategies;
    expect(long.fills.map((f) => [f.side, f.qty, f.price, f.commission])).toEqual([
      ['BUY', 100_000, 144.155, 2 * 144.155],
      ['SELL', 100_000, 144.62, 2 * 144.62],
    ]);
    expect(short.fills.map((f) => [f.side, f.qty, f.price, f.commission])).toEqual([['SELL', 100_000, 144.62, 2 * 144.62]]);
    expect(long.trades).toHaveLength(1);
    expect(long.trades[0].pnl).toBeCloseTo(46_500, 6);
    expect(long.trades[0].pnlNet).toBeCloseTo(46_500 - 2 * 144.155 - 2 * 144.62, 6);
    expect(short.position?.qty).toBe(-100_000);
    expect(runner.run.book.accountPosition('USDJPY')).toBe(-100_000);
    // The replay filled the same orders at the next bars' opens, without commission.
    const replayLong = replay.report.strategies[0];
    expect(replayLong.fills.map((f) => [f.side, f.qty, f.price])).toEqual([
      ['BUY', 100_000, fiveSecond[24].open],
      ['SELL', 100_000, fiveSecond[84].open],
    ]);
    expect(result.report.run.bars).toBe(replay.report.run.bars);
    expect(result.stillWorking).toEqual([]);

    // What happened, in order: connected, reconciled, subscribed, trading, stopped, closed.
    const kinds = events.map((e) => e.kind);
    expect(kinds.indexOf('reconcile')).toBeGreaterThan(kinds.indexOf('connection'));
    expect(kinds.indexOf('subscribed')).toBeGreaterThan(kinds.indexOf('reconcile'));
    expect(kinds.indexOf('signal')).toBeGreaterThan(kinds.indexOf('subscribed'));
    const last = events.filter((e) => e.kind === 'connection').pop();
    expect(last?.kind === 'connection' && last.state.status).toBe('closed');
    expect(tws.protocolErrors).toEqual([]);
  });

  it('loses and doubles no fill when the connection drops mid-run, twice', async () => {
    tws = await startFakeTws({ accounts: ['DU1234567'], fills: { hold: true } });
    runner = startLiveRunner({ config: configFor(tws), contracts, orderIdPrefix: '' });
    const events: LiveEvent[] = [];
    runner.events$.subscribe((e) => events.push(e));
    const recovered = () => events.filter((e) => e.kind === 'broker-report' && e.report.kind === 'recovered').length;
    await runner.ready;
    await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');

    const fiveSecond = fiveSecondBars('2024-01-04T15:58:00Z', 60, 144.1);
    sendBars(tws, fiveSecond.slice(0, 24)); // up to the 15:59 bar: long_into_fix buys at 16:00Z
    await until(() => statuses(events, 'long_into_fix-1').includes('Submitted'), 'the order working at TWS');
    const ibOrderId = tws.orders()[0].request.orderId;

    // The socket drops; the order fills at TWS while the runner is away.
    tws.dropConnections();
    tws.fillOrder(ibOrderId, { price: 144.2, commission: 2, commissionCurrency: 'USD' });
    await until(() => recovered() >= 2 && fillsOf(events).length === 1, 'the reconnection and the recovered fill');
    // Again: reqExecutions replays the same execution, which must not be booked twice.
    tws.dropConnections();
    await until(() => recovered() >= 3, 'the second reconnection');
    await until(() => tws?.subscriptions().realTimeBars === 1, 'the real-time bars resubscribed');
    sendBars(tws, fiveSecond.slice(24));
    await until(() => marksOf(events).length === 5, 'the remaining 1-minute bars');
    const result = await runner.shutdown();

    expect(fillsOf(events).map((f) => [f.orderId, f.qty, f.price])).toEqual([['long_into_fix-1', 100_000, 144.2]]);
    expect(statuses(events, 'long_into_fix-1')).toEqual(['Accepted', 'Submitted', 'Filled']);
    expect(runner.run.book.position('long_into_fix', 'USDJPY')).toBe(100_000);
    expect(result.report.strategies[0].fills).toHaveLength(1);
    expect(tws.requestsOf('reqExecutions')).toHaveLength(3);
    expect(tws.requestsOf('reqRealTimeBars')).toHaveLength(3);
    // Reconnects are events: two drops, each followed by a connected state.
    const states = events.flatMap((e) => (e.kind === 'connection' ? [e.state.status] : []));
    expect(states.filter((s) => s === 'disconnected')).toHaveLength(2);
    expect(states.filter((s) => s === 'connected')).toHaveLength(3);
    expect(result.report.run.bars).toBe(5);
  });
});
