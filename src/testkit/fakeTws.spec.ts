import { afterEach, describe, expect, it } from '@jest/globals';
import { IBApi } from '@stoqey/ib/dist/api/api';
import { EventName } from '@stoqey/ib/dist/api/data/enum/event-name';
import type { Contract } from '@stoqey/ib/dist/api/contract/contract';
import type { Order } from '@stoqey/ib/dist/api/order/order';
import { Socket } from 'node:net';
import { startFakeTws, type FakeTws } from './fakeTws';
import { createFrameReader, encodeFrame, fieldCursor, parseHandshake } from './fakeTws/wire';
import { until } from '../../test/support/until';

describe('wire format', () => {
  it('frames fields with a big-endian length and NUL terminators', () => {
    const frame = encodeFrame([71, 2, 'abc', true, undefined, 1.5]);
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    expect(frame.subarray(4).toString()).toBe('71\u00002\u0000abc\u00001\u0000\u00001.5\u0000');
  });

  it('reassembles the handshake and messages however TCP splits them', () => {
    const hello = Buffer.concat([Buffer.from('API\0'), Buffer.from([0, 0, 0, 9]), Buffer.from('v100..193')]);
    const bytes = Buffer.concat([hello, encodeFrame([71, 2, 7, '']), encodeFrame([49, 1])]);
    const reader = createFrameReader();
    const chunks = [];
    for (let i = 0; i < bytes.length; i += 3) chunks.push(...reader.push(bytes.subarray(i, i + 3)));
    expect(chunks).toEqual([
      { kind: 'handshake', handshake: { minVersion: 100, maxVersion: 193, connectOptions: '' } },
      { kind: 'message', fields: ['71', '2', '7', ''] },
      { kind: 'message', fields: ['49', '1'] },
    ]);
  });

  it('refuses a stream without the API prefix, and bad version text', () => {
    expect(() => createFrameReader().push(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow('handshake: stream does not start with "API\\0" (got "GET ")');
    expect(parseHandshake('v176')).toEqual({ minVersion: 176, maxVersion: 176, connectOptions: '' });
    expect(() => parseHandshake('version 9')).toThrow('handshake: expected "v<min>..<max>", got "version 9"');
  });

  it('names the message and field of a value it cannot read', () => {
    const cur = fieldCursor(['20', 'x'], 'REQ_HISTORICAL_DATA', 1);
    expect(() => cur.int('reqId')).toThrow('REQ_HISTORICAL_DATA: field "reqId" must be an integer, got "x"');
    expect(() => cur.str('symbol')).toThrow('REQ_HISTORICAL_DATA: missing field "symbol" (message has 2 fields)');
  });
});

let tws: FakeTws | undefined;
let api: IBApi | undefined;

afterEach(async () => {
  api?.disconnect();
  await tws?.close();
  api = undefined;
  tws = undefined;
});

const USDJPY: Contract = { symbol: 'USD', secType: 'CASH' as Contract['secType'], exchange: 'IDEALPRO', currency: 'JPY', localSymbol: 'USD.JPY' };

/** The raw client library against the fake: every message the fake writes must decode with nothing left over. */
async function connectRaw(t: FakeTws): Promise<{ api: IBApi; errors: string[]; events: Map<string, unknown[][]> }> {
  const client = new IBApi({ host: t.host, port: t.port });
  api = client;
  const errors: string[] = [];
  const events = new Map<string, unknown[][]>();
  const record = (name: EventName) => client.on(name as EventName.all, (...args: unknown[]) => events.set(name, [...(events.get(name) ?? []), args]));
  client.on(EventName.error, (err: Error, code: number) => errors.push(`${code}: ${err.message}`));
  for (const name of [
    EventName.nextValidId,
    EventName.managedAccounts,
    EventName.openOrder,
    EventName.orderStatus,
    EventName.execDetails,
    EventName.execDetailsEnd,
    EventName.commissionReport,
    EventName.position,
    EventName.positionEnd,
    EventName.openOrderEnd,
    EventName.currentTime,
    EventName.historicalData,
  ]) {
    record(name);
  }
  const ready = new Promise<void>((resolve) => client.once(EventName.nextValidId, () => resolve()));
  client.connect(3);
  await ready;
  return { api: client, errors, events };
}

describe('startFakeTws with the real client library', () => {
  it('handshakes at server version 176 and decodes an order life cycle field for field', async () => {
    tws = await startFakeTws({ accounts: ['DU1'], nextOrderId: 7, fills: { price: 151.5, commission: 3.5, commissionCurrency: 'USD' } });
    const { api: client, errors, events } = await connectRaw(tws);
    expect(client.serverVersion).toBe(176);
    expect(events.get(EventName.managedAccounts)).toEqual([['DU1']]);
    const order: Order = { action: 'SELL' as Order['action'], totalQuantity: 25_000, orderType: 'LMT' as Order['orderType'], lmtPrice: 151.5, tif: 'GTC' as Order['tif'], orderRef: 'rx:s:o-1', account: 'DU1', transmit: true };
    client.placeOrder(7, USDJPY, order);
    await until(() => (events.get(EventName.commissionReport) ?? []).length === 1);
    client.reqPositions();
    client.reqExecutions(5, {});
    client.reqOpenOrders();
    client.reqCurrentTime();
    await until(() => (events.get(EventName.currentTime) ?? []).length === 1);

    expect(errors).toEqual([]);
    const [openOrder] = events.get(EventName.openOrder) ?? [];
    expect(openOrder[0]).toBe(7);
    expect(openOrder[1]).toMatchObject({ symbol: 'USD', secType: 'CASH', currency: 'JPY', localSymbol: 'USD.JPY', exchange: 'IDEALPRO' });
    expect(openOrder[2]).toMatchObject({ action: 'SELL', totalQuantity: 25_000, orderType: 'LMT', lmtPrice: 151.5, tif: 'GTC', account: 'DU1', orderRef: 'rx:s:o-1', clientId: 3 });
    expect(openOrder[3]).toMatchObject({ status: 'Submitted' });
    const [exec] = events.get(EventName.execDetails) ?? [];
    expect(exec[0]).toBe(-1);
    expect(exec[2]).toMatchObject({ orderId: 7, side: 'SLD', shares: 25_000, price: 151.5, acctNumber: 'DU1', orderRef: 'rx:s:o-1', clientId: 3, cumQty: 25_000 });
    expect(String((exec[2] as { time: string }).time)).toMatch(/^\d{8} \d{2}:\d{2}:\d{2} UTC$/);
    expect(events.get(EventName.commissionReport)?.[0][0]).toEqual({
      execId: (exec[2] as { execId: string }).execId,
      commission: 3.5,
      currency: 'USD',
      realizedPNL: undefined,
      yield: undefined,
      yieldRedemptionDate: 0,
    });
    expect(events.get(EventName.orderStatus)?.map((a) => a[1])).toEqual(['Submitted', 'Filled', 'Filled']);
    expect(events.get(EventName.position)).toEqual([['DU1', expect.objectContaining({ symbol: 'USD', localSymbol: 'USD.JPY' }), -25_000, 151.5]]);
    expect(events.get(EventName.execDetails)?.map((a) => a[0])).toEqual([-1, 5]);
    expect(events.get(EventName.execDetailsEnd)).toEqual([[5]]);
    expect(events.get(EventName.openOrderEnd)).toEqual([[]]);
    expect(tws.protocolErrors).toEqual([]);
    expect(tws.requests.map((r) => r.name)).toEqual([
      'START_API',
      'PLACE_ORDER',
      'REQ_POSITIONS',
      'REQ_EXECUTIONS',
      'REQ_OPEN_ORDERS',
      'REQ_CURRENT_TIME',
    ]);
  });

  it('answers historical data for the requested window, and enforces pacing rules when given (162)', async () => {
    tws = await startFakeTws({ pacing: { windowMs: 60_000, maxPerWindow: 10, identicalMs: 15_000, perContractWindowMs: 2000, perContractMax: 5 } });
    const { api: client, errors, events } = await connectRaw(tws);
    client.reqHistoricalData(1, USDJPY, '20240105-00:10:00', '300 S', '1 min' as never, 'MIDPOINT', 0, 2, false);
    client.reqHistoricalData(2, USDJPY, '20240105-00:10:00', '300 S', '1 min' as never, 'MIDPOINT', 0, 2, false);
    await until(() => errors.length === 1);
    const rows = (events.get(EventName.historicalData) ?? []).filter((a) => a[0] === 1);
    expect(rows.map((a) => a[1])).toEqual(['1704413100', '1704413160', '1704413220', '1704413280', '1704413340', 'finished-1704413100-1704413400']);
    expect(errors).toEqual(['162: Historical Market Data Service error message:Pacing violation']);
  });

  it('refuses a client whose version range excludes 176', async () => {
    tws = await startFakeTws();
    const socket = new Socket();
    await new Promise<void>((resolve) => socket.connect(tws?.port ?? 0, '127.0.0.1', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(Buffer.concat([Buffer.from('API\0'), Buffer.from([0, 0, 0, 9]), Buffer.from('v100..151')]));
    await closed;
    expect(tws.protocolErrors).toEqual(['handshake: client range v100..151 excludes 176']);
  });

  it('answers an unreadable request with error 320 and logs it', async () => {
    tws = await startFakeTws();
    const { api: client } = await connectRaw(tws);
    const notices: string[] = [];
    client.on(EventName.info, (message: string, code: number) => notices.push(`${code}: ${message}`));
    (client as unknown as { controller: { send(...t: unknown[]): void } }).controller.send(50, 3, 'not-a-number');
    await until(() => notices.some((n) => n.startsWith('320')));
    expect(notices.find((n) => n.startsWith('320'))).toBe('320: Error reading request: REQ_REAL_TIME_BARS: field "reqId" must be an integer, got "not-a-number"');
    expect(tws.requests.at(-1)?.parseError).toBe('REQ_REAL_TIME_BARS: field "reqId" must be an integer, got "not-a-number"');
  });
});

describe('the fake TWS works orders as TWS does', () => {
  const base = (fields: Partial<Order> & Pick<Order, 'action' | 'orderType'>): Order => ({ totalQuantity: 100_000, tif: 'GTC' as Order['tif'], account: 'DU1', transmit: true, ...fields });
  /** A market entry and its stop-loss and take-profit, sent as IB brackets go: transmit only on the last. */
  function placeBracket(client: IBApi, parentId: number, stop: number, limit: number): void {
    client.placeOrder(parentId, USDJPY, base({ action: 'BUY' as Order['action'], orderType: 'MKT' as Order['orderType'], orderRef: 'entry', transmit: false }));
    const child = { action: 'SELL' as Order['action'], parentId, ocaGroup: `oca-${parentId}`, ocaType: 1 };
    client.placeOrder(parentId + 1, USDJPY, base({ ...child, orderType: 'STP' as Order['orderType'], auxPrice: stop, orderRef: 'sl', transmit: false }));
    client.placeOrder(parentId + 2, USDJPY, base({ ...child, orderType: 'LMT' as Order['orderType'], lmtPrice: limit, orderRef: 'tp', transmit: true }));
  }
  const statuses = (events: Map<string, unknown[][]>): string[] => (events.get(EventName.orderStatus) ?? []).map((a) => `${String(a[0])} ${String(a[1])}`);
  const bar = (time: number, open: number, high: number, low: number, close: number) => ({ time, open, high, low, close, volume: -1, wap: -1, count: -1 });

  it('reads a bracket field for field, holds the children until the parent fills, then they work', async () => {
    tws = await startFakeTws({ fills: (order) => (order.orderType === 'MKT' ? { hold: true } : { match: 'price' }) });
    const { api: client, errors, events } = await connectRaw(tws);
    placeBracket(client, 10, 149.7, 150.45);
    await until(() => statuses(events).length === 3);
    expect(tws.orders().map((o) => [o.request.orderId, o.request.transmit, o.request.parentId, o.request.ocaGroup, o.request.ocaType, o.status])).toEqual([
      [10, false, 0, '', 0, 'Submitted'],
      [11, false, 10, 'oca-10', 1, 'PreSubmitted'],
      [12, true, 10, 'oca-10', 1, 'PreSubmitted'],
    ]);
    const [, stopOpen] = events.get(EventName.openOrder) ?? [];
    expect(stopOpen[2]).toMatchObject({ parentId: 10, ocaGroup: 'oca-10', ocaType: 1, auxPrice: 149.7, orderRef: 'sl' });
    tws.fillOrder(10, { price: 150 });
    await until(() => statuses(events).includes('12 Submitted'));
    expect(statuses(events)).toEqual(['10 Submitted', '11 PreSubmitted', '12 PreSubmitted', '10 Filled', '10 Filled', '11 Submitted', '12 Submitted']);
    expect(errors).toEqual([]);
  });

  it('fills a touched stop from the market it sends, and cancels the other leg of the group', async () => {
    tws = await startFakeTws({ fills: (order) => (order.orderType === 'MKT' ? { price: 150 } : { match: 'price' }) });
    const { api: client, events } = await connectRaw(tws);
    placeBracket(client, 20, 149.7, 150.45);
    await until(() => statuses(events).includes('22 Submitted'));
    tws.sendRealTimeBar(bar(1_704_412_800, 150, 150.2, 149.8, 149.9), 'USD.JPY'); // reaches neither
    tws.sendRealTimeBar(bar(1_704_412_805, 149.9, 149.95, 149.65, 149.75), 'USD.JPY'); // the low goes through the stop
    await until(() => statuses(events).includes('22 Cancelled'));
    expect(tws.executions().map((e) => [e.orderId, e.side, e.price])).toEqual([
      [20, 'BOT', 150],
      [21, 'SLD', 149.7],
    ]);
    expect(tws.orders().map((o) => o.status)).toEqual(['Filled', 'Filled', 'Cancelled']);
    expect(tws.positions()[0].position).toBe(0);
  });

  it('moves a trailing stop with the price, never back, and fills it when the price comes back to it', async () => {
    tws = await startFakeTws({ fills: { match: 'price' } });
    const { api: client, events } = await connectRaw(tws);
    client.placeOrder(30, USDJPY, base({ action: 'SELL' as Order['action'], orderType: 'TRAIL' as Order['orderType'], auxPrice: 0.02, trailStopPrice: 149.98, orderRef: 'trail' }));
    await until(() => statuses(events).includes('30 Submitted'));
    const stops: (number | undefined)[] = [];
    for (const [i, close] of [150.0, 150.01, 150.03, 150.02].entries()) {
      tws.sendRealTimeBar(bar(1_704_412_800 + 5 * i, close, close, close, close), 'USD.JPY');
      stops.push(tws.orders()[0].trailStop);
    }
    expect(stops).toEqual([149.98, 149.99, 150.01, 150.01]);
    // TWS tells the client where the stop is now.
    await until(() => ((events.get(EventName.openOrder) ?? []).at(-1)?.[2] as Order | undefined)?.trailStopPrice === 150.01);
    tws.sendRealTimeBar(bar(1_704_412_820, 150.02, 150.02, 150.005, 150.01), 'USD.JPY');
    await until(() => tws?.executions().length === 1);
    expect(tws.executions()[0]).toMatchObject({ orderId: 30, side: 'SLD', price: 150.01 });
  });

  it('modifies a working order placed again under its id, refuses to modify a filled one, and cancels the children of a cancelled parent', async () => {
    tws = await startFakeTws({ fills: (order) => (order.orderType === 'MKT' ? { hold: true } : { match: 'price' }) });
    const { api: client, errors, events } = await connectRaw(tws);
    placeBracket(client, 40, 149.7, 150.45);
    await until(() => statuses(events).length === 3);
    client.placeOrder(41, USDJPY, base({ action: 'SELL' as Order['action'], orderType: 'STP' as Order['orderType'], auxPrice: 149.8, parentId: 40, ocaGroup: 'oca-40', ocaType: 1, orderRef: 'sl' }));
    await until(() => tws?.orders()[1].request.auxPrice === 149.8);
    expect(tws.orders()[1].status).toBe('PreSubmitted');
    client.cancelOrder(40);
    await until(() => statuses(events).filter((s) => s.endsWith('Cancelled')).length === 3);
    expect(tws.orders().map((o) => o.status)).toEqual(['Cancelled', 'Cancelled', 'Cancelled']);
    client.placeOrder(41, USDJPY, base({ action: 'SELL' as Order['action'], orderType: 'STP' as Order['orderType'], auxPrice: 149.9, orderRef: 'sl' }));
    await until(() => errors.some((e) => e.startsWith('104')));
    expect(errors.filter((e) => !e.startsWith('202'))).toEqual(['104: Cannot modify a filled or cancelled order (state Cancelled).']);
  });

  it('answers a cancel late when told to: off the market at once, PendingCancel, Cancelled after the delay; a modification meanwhile gets 104', async () => {
    tws = await startFakeTws({ fills: { match: 'price' }, cancelLatencyMs: 150 });
    const { api: client, errors, events } = await connectRaw(tws);
    client.placeOrder(50, USDJPY, base({ action: 'SELL' as Order['action'], orderType: 'STP' as Order['orderType'], auxPrice: 149.7, orderRef: 'sl' }));
    await until(() => statuses(events).includes('50 Submitted'));
    const asked = Date.now();
    client.cancelOrder(50);
    await until(() => statuses(events).includes('50 PendingCancel'));
    // Gone from the market: the price going through the stop fills nothing, and a modification is refused.
    tws.sendRealTimeBar(bar(1_704_412_800, 149.6, 149.6, 149.5, 149.55), 'USD.JPY');
    client.placeOrder(50, USDJPY, base({ action: 'SELL' as Order['action'], orderType: 'STP' as Order['orderType'], auxPrice: 149.4, orderRef: 'sl' }));
    await until(() => errors.some((e) => e.startsWith('104')));
    expect(statuses(events)).toEqual(['50 Submitted', '50 PendingCancel']);
    await until(() => statuses(events).includes('50 Cancelled'));
    expect(Date.now() - asked).toBeGreaterThanOrEqual(140);
    expect(tws.executions()).toEqual([]);
    expect(tws.orders()[0].request.auxPrice).toBe(149.7);
  });
});
