import { afterEach, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { loadIbContracts } from '../adapters/ibkr/contracts';
import { ConfigError } from '../core/errors';
import type { Bar } from '../core/types';
import { startFakeTws, type FakeTws, type FakeTwsOptions } from '../testkit/fakeTws';
import { foldIntoForming, LiveRunnerError, startLiveRunner, type LiveEvent, type LiveRunner, type LiveRunnerOptions } from './liveRunner';
import { barIntervalMs, loadLiveConfig, parseLiveConfig, type LiveConfig } from './liveConfig';
import { until } from '../../test/support/until';
import { closedPort } from '../../test/support/ports';
import { USDJPY_WIRE } from '../../test/support/ibContracts';

const contracts = loadIbContracts();
const shipped = loadLiveConfig(resolve(__dirname, '../../config/live.json'));
const fast = { initialMs: 10, maxMs: 40, factor: 2 };
const T_ENTRY_BAR = Date.parse('2024-01-04T15:59:00Z'); // closes at 01:00 JST on 2024-01-05, a gotobi day
/** The id of long_into_fix's entry, decided on the close of that bar. */
const ENTRY = 'long_into_fix.USDJPY.20240104T160000Z.1';

let tws: FakeTws | undefined;
let runner: LiveRunner | undefined;

afterEach(async () => {
  if (runner !== undefined) await runner.shutdown('test cleanup').catch(() => undefined);
  await tws?.close();
  runner = undefined;
  tws = undefined;
});

type LiveOverrides = Partial<Record<keyof LiveConfig['live'], unknown>>;

function configFor(port: number, live: LiveOverrides = {}, extra: Record<string, unknown> = {}): LiveConfig {
  return parseLiveConfig({
    ...shipped,
    ib: { host: '127.0.0.1', port, clientId: 5, reconnect: fast },
    live: { ...shipped.live, connectTimeoutMs: 2000, commissionTimeoutMs: 500, cancelTimeoutMs: 1000, ...live },
    ...extra,
  });
}

interface Harness {
  readonly tws: FakeTws;
  readonly runner: LiveRunner;
  readonly events: LiveEvent[];
  readonly errors: unknown[];
}

async function setup(fake: FakeTwsOptions = {}, live: LiveOverrides = {}, options: Partial<LiveRunnerOptions> & { extra?: Record<string, unknown> } = {}): Promise<Harness> {
  tws = await startFakeTws({ accounts: ['DU42'], ...fake });
  const { extra, ...rest } = options;
  runner = startLiveRunner({ config: configFor(tws.port, live, extra), contracts, ...rest });
  const h: Harness = { tws, runner, events: [], errors: [] };
  runner.events$.subscribe({ next: (e) => h.events.push(e), error: (e) => h.errors.push(e) });
  return h;
}

/** 5-second bars of USDJPY from `startMs`, flat at 144.1. */
function sendBars(fake: FakeTws, startMs: number, count: number, price = 144.1): void {
  for (let i = 0; i < count; i++) {
    fake.sendRealTimeBar({ time: startMs / 1000 + i * 5, open: price, high: price + 0.002, low: price - 0.002, close: price, volume: -1, wap: -1, count: -1 });
  }
}

const marks = (h: Harness): Bar[] => h.events.flatMap((e) => (e.kind === 'mark' ? [e.bar] : []));
const orderStatuses = (h: Harness): string[] => h.events.flatMap((e) => (e.kind === 'order' ? [`${e.order.id} ${e.status}${e.reason ? ` ${e.reason}` : ''}`] : []));

describe('live config', () => {
  it('reads config/live.json: the demo legs, 1-minute bars from 5-second MIDPOINT bars, paper port', () => {
    expect(shipped.strategies.map((s) => s.id)).toEqual(['long_into_fix', 'short_after_fix']);
    expect(shipped.ib).toMatchObject({ port: 7497 });
    expect(shipped.live).toMatchObject({ bar: '1m', source: 'realTimeBars', whatToShow: 'MIDPOINT', cancelWorkingOnExit: true, whenDisconnected: 'hold' });
    expect(barIntervalMs('1m')).toBe(60_000);
    expect(barIntervalMs('5s')).toBe(5000);
    expect(barIntervalMs('1x')).toBeUndefined();
  });

  it('names the offending field and the rule', () => {
    const base = { account: shipped.account, strategies: shipped.strategies };
    expect(() => parseLiveConfig({ ...base, live: { bar: '7s' } }, 'live.json')).toThrow(
      new ConfigError('live.bar: real-time bars come every 5 s: the bar must be a multiple of 5s, got "7s"', 'live.json'),
    );
    expect(() => parseLiveConfig({ ...base, live: { bar: '7s', source: 'quotes' } })).not.toThrow();
    expect(() => parseLiveConfig({ ...base, live: { bar: 'one minute' } })).toThrow('live.bar: a bar interval such as "5s"');
    expect(() => parseLiveConfig({ ...base })).toThrow('live: Invalid input');
    expect(() => parseLiveConfig({ ...base, live: { bar: '1m', cancelWorkingOnExit: 'yes' } })).toThrow('live.cancelWorkingOnExit: Invalid input: expected boolean');
    expect(() => parseLiveConfig({ ...base, ib: { port: 70000 }, live: { bar: '1m' } })).toThrow('ib.port: Too big');
    expect(() => parseLiveConfig({ ...base, data: { invert: true }, live: { bar: '1m' } })).toThrow('data.invert: applies to replay files only');
  });

  it('takes host, port, clientId and account from IB_* variables over the file', () => {
    const config = parseLiveConfig({ ...shipped, ib: { clientId: 3 } });
    expect(() => startLiveRunner({ config, contracts, env: { IB_PORT: 'seventy' } })).toThrow(new ConfigError('must be a whole number, got "seventy"', 'IB_PORT'));
    expect(() => startLiveRunner({ config: parseLiveConfig({ ...shipped, ib: {} }), contracts })).toThrow(/^ib: clientId: /);
  });
});

describe('foldIntoForming', () => {
  it('folds 5-second bars and quotes into the bar in progress, and starts a new one in a new bucket', () => {
    const rt = (ts: number, open: number, high: number, low: number, close: number): Bar => ({ kind: 'bar', symbol: 'USDJPY', ts, intervalMs: 5000, open, high, low, close, volume: -1 });
    const a = foldIntoForming(undefined, rt(60_000, 150, 150.2, 149.9, 150.1), 60_000);
    const b = foldIntoForming(a, rt(65_000, 150.1, 150.4, 150, 150.3), 60_000);
    expect(b).toEqual({ kind: 'bar', symbol: 'USDJPY', ts: 60_000, intervalMs: 60_000, open: 150, high: 150.4, low: 149.9, close: 150.3, volume: 0 });
    expect(foldIntoForming(b, rt(120_000, 150.3, 150.3, 150.3, 150.3), 60_000)).toMatchObject({ ts: 120_000, open: 150.3 });
    const quote = foldIntoForming(b, { kind: 'quote', symbol: 'USDJPY', ts: 70_000, bid: 150.5, ask: 150.7 }, 60_000);
    expect(quote).toMatchObject({ ts: 60_000, high: 150.6, close: 150.6, low: 149.9 });
    expect(foldIntoForming(b, { kind: 'quote', symbol: 'USDJPY', ts: 70_000, bid: -1, ask: -1 }, 60_000)).toBeUndefined();
  });
});

describe('startLiveRunner', () => {
  it('says clearly when TWS cannot be reached, and stops (exit 1 in the CLI)', async () => {
    const port = await closedPort();
    runner = startLiveRunner({ config: configFor(port, { connectTimeoutMs: 300 }), contracts });
    const errors: unknown[] = [];
    runner.events$.subscribe({ error: (e) => errors.push(e) });
    await expect(runner.done).rejects.toThrow(
      new LiveRunnerError(`cannot connect to TWS at 127.0.0.1:${port} (clientId 5) within 300 ms — is TWS/IB Gateway running with the API enabled? (connection closed)`),
    );
    await expect(runner.ready).rejects.toBeInstanceOf(LiveRunnerError);
    expect(errors).toHaveLength(1);
    expect(runner.connection.state().status).toBe('closed');
  });

  it('reports positions at TWS the book does not have, and trades on with onPositionMismatch "warn"', async () => {
    const h = await setup({}, {}, {});
    h.tws.setPositions([{ account: 'DU42', contract: USDJPY_WIRE, position: 200_000, avgCost: 143 }]);
    // Set before the runner has even connected: it asks for positions once the connection is up.
    const report = await h.runner.ready;
    expect(report.mismatches).toEqual([{ symbol: 'USDJPY', brokerQty: 200_000, bookQty: 0, brokerAvgPrice: 143 }]);
    const reconcile = h.events.find((e) => e.kind === 'reconcile');
    expect(reconcile?.kind === 'reconcile' && reconcile.report.account).toBe('DU42');
    expect(h.events.some((e) => e.kind === 'broker-report' && e.report.kind === 'position-mismatch')).toBe(true);
    expect(h.events.some((e) => e.kind === 'subscribed')).toBe(true);
    const result = await h.runner.shutdown();
    expect(result.reconcile?.mismatches).toHaveLength(1);
  });

  it('stops on a position mismatch with onPositionMismatch "stop"', async () => {
    tws = await startFakeTws({ accounts: ['DU42'] });
    tws.setPositions([{ account: 'DU42', contract: USDJPY_WIRE, position: -100_000, avgCost: 143 }]);
    runner = startLiveRunner({ config: configFor(tws.port, { onPositionMismatch: 'stop' }), contracts });
    runner.events$.subscribe({ error: () => undefined });
    await expect(runner.done).rejects.toThrow('positions at TWS differ from the book (USDJPY TWS -100000 vs book 0) and live.onPositionMismatch is "stop"');
    expect(tws.requestsOf('reqRealTimeBars')).toHaveLength(0);
  });

  it('skips input before the first bar boundary, so the first bar the strategies see is whole', async () => {
    const h = await setup();
    await h.runner.ready;
    await h.tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    sendBars(h.tws, T_ENTRY_BAR - 40_000, 8 + 12); // 15:58:20 … 15:59:55
    await until(() => marks(h).length === 2, 'the 15:58 bar (history) and the 15:59 bar');
    // The bucket the start fell into comes whole from TWS's history (it closed after the start: it is traded).
    const history = await h.tws.waitForRequest((r) => r.request?.type === 'reqHistoricalData');
    expect(history.request).toMatchObject({ request: { endDateTime: '20240104-15:59:00', barSize: '1 min', whatToShow: 'MIDPOINT' } });
    expect(marks(h).map((b) => [b.ts, b.intervalMs])).toEqual([
      [T_ENTRY_BAR - 60_000, 60_000],
      [T_ENTRY_BAR, 60_000],
    ]);
    expect(marks(h)[1]).toMatchObject({ open: 144.1, close: 144.1 });
    await h.runner.shutdown();
  });

  it('on shutdown cancels the orders still working and waits for TWS to acknowledge', async () => {
    const h = await setup({ fills: { hold: true } });
    await h.runner.ready;
    await h.tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    sendBars(h.tws, T_ENTRY_BAR, 12);
    await until(() => orderStatuses(h).includes(`${ENTRY} Submitted`), 'the order working at TWS');
    const result = await h.runner.shutdown('SIGINT');
    expect(orderStatuses(h)).toEqual([`${ENTRY} Accepted`, `${ENTRY} Submitted`, `${ENTRY} Cancelled`]);
    expect(h.tws.requestsOf('cancelOrder')).toHaveLength(1);
    expect(result.stillWorking).toEqual([]);
    expect(result.reason).toBe('SIGINT');
    expect(result.report.strategies[0].workingOrders).toEqual([]);
    const phases = h.events.flatMap((e) => (e.kind === 'shutdown' ? [e.phase] : []));
    expect(phases).toEqual(['stopping', 'cancelled', 'stopped']);
    // The market data was cancelled at TWS before anything else.
    expect(h.tws.requestsOf('cancelRealTimeBars').length).toBeGreaterThanOrEqual(1);
  });

  it('leaves working orders alone with cancelWorkingOnExit false, and says so', async () => {
    const h = await setup({ fills: { hold: true } }, { cancelWorkingOnExit: false });
    await h.runner.ready;
    await h.tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    sendBars(h.tws, T_ENTRY_BAR, 12);
    await until(() => orderStatuses(h).includes(`${ENTRY} Submitted`), 'the order working at TWS');
    const result = await h.runner.shutdown();
    expect(h.tws.requestsOf('cancelOrder')).toHaveLength(0);
    expect(result.stillWorking.map((o) => o.id)).toEqual([ENTRY]);
    expect(result.report.strategies[0].workingOrders.map((o) => o.id)).toEqual([ENTRY]);
  });

  it('builds bars from TWS quotes (mid price) with source "quotes"', async () => {
    let clock = Date.parse('2024-01-04T15:59:03Z');
    const h = await setup({}, { source: 'quotes', bar: '5s', whatToShow: undefined }, { now: () => clock });
    await h.runner.ready;
    await h.tws.waitForRequest((r) => r.request?.type === 'reqMktData');
    let marker = 0;
    /** Sends a quote stamped `at`, and waits until the runner has read it (a notice sent after it arrived). */
    const quote = async (at: string, bid: number, ask: number) => {
      clock = Date.parse(at);
      h.tws.sendQuote(bid, ask);
      const code = 2100 + ++marker;
      h.tws.sendError(-1, code, 'marker');
      await until(() => h.events.some((e) => e.kind === 'tws-notice' && e.code === code), `quote at ${at}`);
    };
    await quote('2024-01-04T15:59:03Z', 144.1, 144.11); // inside the first, partial bucket: skipped
    await quote('2024-01-04T15:59:05.5Z', 144.2, 144.21);
    await quote('2024-01-04T15:59:07Z', 144.3, 144.31);
    await quote('2024-01-04T15:59:10.2Z', 144.0, 144.01); // closes the 15:59:05 bar
    await until(() => marks(h).length === 2, 'the first bar');
    // The first bucket (15:59:00, the start fell into it) comes from history; the quotes' first bar follows it.
    const [history, bar] = marks(h);
    expect(history).toMatchObject({ symbol: 'USDJPY', ts: Date.parse('2024-01-04T15:59:00Z'), intervalMs: 5000 });
    expect(bar).toMatchObject({ symbol: 'USDJPY', ts: Date.parse('2024-01-04T15:59:05Z'), intervalMs: 5000, volume: 2 });
    expect([bar.open, bar.high, bar.low, bar.close].map((p) => p.toFixed(4))).toEqual(['144.2050', '144.3050', '144.2050', '144.3050']);
    await h.runner.shutdown();
  });

  it('starts the control surfaces of `interfaces`: status over HTTP, and the kill switch reaches the order path', async () => {
    const h = await setup({}, {}, { extra: { interfaces: { http: { port: 0, logLevel: 'silent' } } } });
    await h.runner.ready;
    const url = h.runner.surfaces()?.http?.url ?? '';
    // No token configured: one was generated, and it is needed.
    const authorization = `Bearer ${h.runner.surfaces()?.http?.token ?? ''}`;
    expect((await fetch(`${url}/status`)).status).toBe(401);
    const status = (await (await fetch(`${url}/status`, { headers: { authorization } })).json()) as { mode: string; connection: string; strategies: string[] };
    expect(status).toMatchObject({ mode: 'live', connection: 'connected', strategies: ['long_into_fix', 'short_after_fix'] });
    const kill = await fetch(`${url}/kill`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ on: true, reason: 'test' }) });
    expect(kill.status).toBe(200);
    await h.tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    sendBars(h.tws, T_ENTRY_BAR, 12);
    await until(() => orderStatuses(h).length > 0, 'the risk decision');
    expect(orderStatuses(h)).toEqual([`${ENTRY} Rejected KILL_SWITCH`]);
    expect(h.tws.requestsOf('placeOrder')).toHaveLength(0);
    await h.runner.shutdown();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('flattens a strategy live over HTTP: closes at TWS, holds it flat (a second flatten sends nothing), resume re-aligns it', async () => {
    const h = await setup({}, {}, { extra: { interfaces: { http: { port: 0, logLevel: 'silent' } } } });
    await h.runner.ready;
    const url = h.runner.surfaces()?.http?.url ?? '';
    const post = (path: string, body?: object) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.runner.surfaces()?.http?.token ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const book = h.runner.run.book;
    await h.tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    sendBars(h.tws, T_ENTRY_BAR, 12);
    await until(() => book.position('long_into_fix', 'USDJPY') === 100_000, 'the entry filled');

    expect((await post('/flatten/long_into_fix', { reason: 'desk says flat' })).status).toBe(202);
    await until(() => book.position('long_into_fix', 'USDJPY') === 0, 'the close filled');
    const close = 'long_into_fix.USDJPY.20240104T160000Z.2';
    expect(orderStatuses(h).filter((s) => s.startsWith(close))).toEqual([`${close} Accepted`, `${close} Submitted`, `${close} Filled`]);
    expect(h.tws.orders().map((o) => [o.request.action, o.request.orderType])).toEqual([
      ['BUY', 'MKT'],
      ['SELL', 'MKT'],
    ]);
    // Again: flat already, nothing is sent.
    expect((await post('/flatten/long_into_fix')).status).toBe(202);
    expect(h.events.filter((e) => e.kind === 'order' && e.status === 'Accepted')).toHaveLength(2);

    // Resume: the strategy's target is still +1 (its exit is at 09:55 JST), so it is bought again.
    expect((await post('/resume/long_into_fix')).status).toBe(200);
    await until(() => book.position('long_into_fix', 'USDJPY') === 100_000, 're-aligned with the target');
    expect(h.tws.orders()).toHaveLength(3);
    const status = h.runner.control?.status();
    expect(status?.halts).toEqual({});
    expect(h.runner.control?.recentEvents().flatMap((e) => (e.kind === 'halt' ? [`${e.strategyId} ${e.halt} ${e.reason}`] : []))).toEqual([
      'long_into_fix flat desk says flat',
      'long_into_fix null resumed through the HTTP API',
    ]);
    await h.runner.shutdown();
  });

  it('a strategy killed before its entry is refused; resuming it sends the entry its target still wants', async () => {
    const h = await setup({}, {}, { extra: { interfaces: { http: { port: 0, logLevel: 'silent' } } } });
    await h.runner.ready;
    const control = h.runner.control;
    control?.killStrategy('long_into_fix', 'not today', 'test');
    await h.tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    sendBars(h.tws, T_ENTRY_BAR, 12);
    await until(() => orderStatuses(h).length > 0, 'the risk decision');
    expect(orderStatuses(h)).toEqual([`${ENTRY} Rejected KILL_SWITCH`]);
    control?.resume('long_into_fix', 'ok after all', 'test');
    await until(() => h.runner.run.book.position('long_into_fix', 'USDJPY') === 100_000, 'the entry after the resume');
    expect(orderStatuses(h).slice(1, 2)).toEqual(['long_into_fix.USDJPY.20240104T160000Z.2 Accepted']);
    await h.runner.shutdown();
  });

  it('stops while still connecting without waiting for the connect timeout', async () => {
    const port = await closedPort();
    runner = startLiveRunner({ config: configFor(port, { connectTimeoutMs: 60_000 }), contracts });
    const result = await runner.shutdown('SIGINT');
    await expect(runner.ready).rejects.toThrow('stopped while starting (SIGINT)');
    expect(result.reconcile).toBeUndefined();
    expect(result.report.run.bars).toBe(0);
  });
});
