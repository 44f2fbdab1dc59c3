import { afterEach, describe, expect, it } from '@jest/globals';
import { IN_MSG_ID } from '@stoqey/ib/dist/core/io/enum/in-msg-id';
import { filter, firstValueFrom, take, toArray, type Observable } from 'rxjs';
import { contractFor } from '../../../core/contracts';
import type { Bar, QuoteTick } from '../../../core/types';
import { fakePriceAt, startFakeTws, type FakeTws } from '../../../testkit/fakeTws';
import { loadIbContracts } from '../contracts';
import { createIbConnection, type IbConnection, type IbSession } from '../connection';
import { ibkrQuotes, ibkrRealTimeBars } from './sources';
import { until } from '../../../../test/support/until';

const USDJPY = contractFor(loadIbContracts(), 'USDJPY');
const T0 = Date.UTC(2024, 0, 5, 0, 0, 0) / 1000;
const fast = { initialMs: 10, maxMs: 40, factor: 2 };

let tws: FakeTws | undefined;
let conn: IbConnection | undefined;

afterEach(async () => {
  await conn?.close();
  await tws?.close();
  conn = undefined;
  tws = undefined;
});

async function setup(options: Parameters<typeof startFakeTws>[0] = {}): Promise<{ tws: FakeTws; conn: IbConnection }> {
  tws = await startFakeTws(options);
  conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 11, reconnect: fast });
  return { tws, conn };
}

/** Collects values and the terminal notification of a stream. */
function record<T>(source: Observable<T>) {
  const values: T[] = [];
  let error: unknown;
  let completed = false;
  const sub = source.subscribe({ next: (v) => values.push(v), error: (e) => (error = e), complete: () => (completed = true) });
  return { values, sub, error: () => error, completed: () => completed };
}

const rtBar = (time: number, open = 150.1, close = 150.12) => ({
  time,
  open,
  high: Math.max(open, close) + 0.01,
  low: Math.min(open, close) - 0.01,
  close,
  volume: -1,
  wap: -1,
  count: -1,
});

describe('ibkrRealTimeBars', () => {
  it('turns TWS 5-second bars into Bars (MIDPOINT for FX) and cancels the request on unsubscribe', async () => {
    const { tws, conn } = await setup({ realTimeBars: { everyMs: 5, startTime: T0 } });
    const bars = await firstValueFrom(ibkrRealTimeBars({ connection: conn, contract: USDJPY }).pipe(take(3), toArray()));
    expect(bars.map((b) => b.ts)).toEqual([0, 5, 10].map((s) => (T0 + s) * 1000));
    const open = fakePriceAt(T0 * 1000, 150, 0.001);
    expect(bars[0]).toEqual({
      kind: 'bar',
      symbol: 'USDJPY',
      ts: T0 * 1000,
      intervalMs: 5000,
      open,
      high: expect.any(Number),
      low: expect.any(Number),
      close: fakePriceAt((T0 + 5) * 1000, 150, 0.001),
      volume: 0,
    });
    const [req] = tws.requestsOf('reqRealTimeBars');
    expect(req.request).toMatchObject({
      type: 'reqRealTimeBars',
      request: { barSize: 5, whatToShow: 'MIDPOINT', useRTH: false, contract: { symbol: 'USD', secType: 'CASH', exchange: 'IDEALPRO', currency: 'JPY', localSymbol: 'USD.JPY' } },
    });
    await tws.waitForRequest((r) => r.request?.type === 'cancelRealTimeBars');
    expect(tws.subscriptions().realTimeBars).toBe(0);
  });

  it('resubscribes after 1101 and after a dropped connection, never repeating a bar', async () => {
    const { tws, conn } = await setup();
    const out = record(ibkrRealTimeBars({ connection: conn, contract: USDJPY }));
    await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    tws.sendRealTimeBar(rtBar(T0));
    tws.sendRealTimeBar(rtBar(T0 + 5));
    await until(() => out.values.length === 2, 'two bars');

    tws.sendConnectivity(1101);
    await until(() => tws.requestsOf('reqRealTimeBars').length === 2, 'resubscription after 1101');
    tws.sendRealTimeBar(rtBar(T0 + 5)); // the bar in progress, sent again
    tws.sendRealTimeBar(rtBar(T0 + 10));
    await until(() => out.values.length === 3, 'third bar');

    tws.dropConnections();
    await until(() => tws.requestsOf('reqRealTimeBars').length === 3, 'resubscription after reconnect');
    tws.sendRealTimeBar(rtBar(T0 + 15));
    await until(() => out.values.length === 4, 'fourth bar');

    expect(out.values.map((b: Bar) => b.ts / 1000 - T0)).toEqual([0, 5, 10, 15]);
    expect(out.error()).toBeUndefined();
    const reqIds = tws.requestsOf('reqRealTimeBars').map((r) => (r.request?.type === 'reqRealTimeBars' ? r.request.request.reqId : 0));
    expect(new Set(reqIds).size).toBe(3);
    expect(tws.requestsOf('cancelRealTimeBars')).toHaveLength(1); // the 1101 one; the dropped socket's died with it
    out.sub.unsubscribe();
  });

  it('fails with the message id and field when a bar is malformed', async () => {
    const { tws, conn } = await setup();
    const out = record(ibkrRealTimeBars({ connection: conn, contract: USDJPY }));
    const req = await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    const reqId = req.request?.type === 'reqRealTimeBars' ? req.request.request.reqId : -1;
    tws.sendRaw([IN_MSG_ID.REAL_TIME_BARS, 3, reqId, T0, 'abc', 150.2, 150.0, 150.1, -1, -1, -1]);
    await until(() => out.error() !== undefined, 'the error');
    expect(String(out.error())).toBe('DataError: IB realtimeBar (message 50), field "open": Invalid input: expected number, received NaN');
  });

  it('fails with the message id when a bar is cut short', async () => {
    const { tws, conn } = await setup();
    const out = record(ibkrRealTimeBars({ connection: conn, contract: USDJPY }));
    const req = await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    const reqId = req.request?.type === 'reqRealTimeBars' ? req.request.request.reqId : -1;
    tws.sendRaw([IN_MSG_ID.REAL_TIME_BARS, 3, reqId, T0, 150.1, 150.2]);
    await until(() => out.error() !== undefined, 'the error');
    expect(String(out.error())).toMatch(/IB message 50 \(REAL_TIME_BARS\): has fewer fields than its layout/);
  });

  it('fails on a TWS error for its request, naming the request and the code', async () => {
    const { tws, conn } = await setup();
    const out = record(ibkrRealTimeBars({ connection: conn, contract: USDJPY }));
    const req = await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    const reqId = req.request?.type === 'reqRealTimeBars' ? req.request.request.reqId : -1;
    tws.sendError(reqId, 2104, 'Market data farm connection is OK:usfarm'); // a notice: ignored
    tws.sendError(reqId, 420, 'Invalid Real-time Query: No market data permissions');
    await until(() => out.error() !== undefined, 'the error');
    expect(String(out.error())).toBe(
      `Error: IB reqRealTimeBars USDJPY MIDPOINT (request ${reqId}) failed: TWS error 420: Invalid Real-time Query: No market data permissions`,
    );
  });

  it('completes when the connection is closed', async () => {
    const { tws, conn } = await setup();
    const out = record(ibkrRealTimeBars({ connection: conn, contract: USDJPY }));
    await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    await conn.close();
    expect(out.completed()).toBe(true);
  });
});

describe('ibkrQuotes', () => {
  it('turns bid/ask ticks into QuoteTicks and resubscribes after 1101', async () => {
    const { tws, conn } = await setup();
    let clock = 1000;
    const out = record<QuoteTick>(ibkrQuotes({ connection: conn, contract: USDJPY, now: () => clock++ }));
    await tws.waitForRequest((r) => r.request?.type === 'reqMktData');
    tws.sendQuote(150.001, 150.011);
    await until(() => out.values.length === 1, 'a quote');
    tws.sendConnectivity(1101);
    await until(() => tws.requestsOf('reqMktData').length === 2, 'resubscription');
    tws.sendQuote(150.002, 150.012);
    await until(() => out.values.length === 2, 'a second quote');
    expect(out.values).toEqual([
      { kind: 'quote', symbol: 'USDJPY', ts: 1000, bid: 150.001, ask: 150.011, bidSize: 1_000_000 },
      { kind: 'quote', symbol: 'USDJPY', ts: 1001, bid: 150.002, ask: 150.012, bidSize: 1_000_000 },
    ]);
    out.sub.unsubscribe();
    await tws.waitForRequest((r) => r.request?.type === 'cancelMktData');
  });

  it('streams from the fake feed on its own timer', async () => {
    const { conn } = await setup({ quotes: { everyMs: 5 } });
    const quotes = await firstValueFrom(ibkrQuotes({ connection: conn, contract: USDJPY }).pipe(take(3), toArray()));
    for (const q of quotes) expect(q.ask - q.bid).toBeCloseTo(0.01, 9);
  });

  it('shares one connection with a bar source without mixing their requests', async () => {
    const { tws, conn } = await setup({ realTimeBars: { everyMs: 5, startTime: T0 }, quotes: { everyMs: 5 } });
    const session = await firstValueFrom(conn.session$.pipe(filter((s): s is IbSession => s !== null)));
    const [bars, quotes] = await Promise.all([
      firstValueFrom(ibkrRealTimeBars({ connection: conn, contract: USDJPY }).pipe(take(2), toArray())),
      firstValueFrom(ibkrQuotes({ connection: conn, contract: USDJPY }).pipe(take(2), toArray())),
    ]);
    expect(bars).toHaveLength(2);
    expect(quotes).toHaveLength(2);
    expect(tws.clients()).toEqual([{ connectionId: 1, clientId: 11 }]);
    expect(session.connectionId).toBe(1);
  });
});
