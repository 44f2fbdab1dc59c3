import { afterEach, describe, expect, it } from '@jest/globals';
import { IN_MSG_ID } from '@stoqey/ib/dist/core/io/enum/in-msg-id';
import { filter, firstValueFrom } from 'rxjs';
import type { ExecutionEvent, Fill, Order, OrderEvent } from '../../core/types';
import { createIbConnection, type IbConnection, type IbSession } from './connection';
import { startFakeTws, type FakeTws, type FakeTwsOptions, type PlaceOrderRequest } from '../../testkit/fakeTws';
import { createIbkrBroker, type IbkrBroker, type IbkrBrokerOptions } from './broker';
import type { BrokerReport } from './brokerReports';
import { loadIbContracts } from './contracts';
import { orderRefOf } from './orderMapping';
import { until } from '../../../test/support/until';
import { USDJPY_WIRE } from '../../../test/support/ibContracts';

const contracts = loadIbContracts();
const fast = { initialMs: 10, maxMs: 40, factor: 2 };

let tws: FakeTws | undefined;
let conn: IbConnection | undefined;
let broker: IbkrBroker | undefined;
const extra: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await broker?.close();
  for (const c of extra.splice(0)) await c.close();
  await conn?.close();
  await tws?.close();
  broker = undefined;
  conn = undefined;
  tws = undefined;
});

interface Harness {
  readonly tws: FakeTws;
  readonly conn: IbConnection;
  readonly broker: IbkrBroker;
  readonly events: ExecutionEvent[];
  readonly reports: BrokerReport[];
  errors: unknown[];
}

async function setup(fake: FakeTwsOptions = {}, options: Partial<IbkrBrokerOptions> = {}): Promise<Harness> {
  tws = await startFakeTws({ accounts: ['DU777'], nextOrderId: 100, ...fake });
  conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 21, account: 'DU777', reconnect: fast });
  broker = createIbkrBroker({ connection: conn, contracts, recoverExecutionsSince: 0, ...options });
  const h: Harness = { tws, conn, broker, events: [], reports: [], errors: [] };
  broker.events$.subscribe({ next: (e) => h.events.push(e), error: (e) => h.errors.push(e) });
  broker.reports$.subscribe((r) => h.reports.push(r));
  await waitForRecovery(h, 1);
  return h;
}

const waitForRecovery = (h: Harness, count: number) => until(() => h.reports.filter((r) => r.kind === 'recovered').length >= count, `recovery #${count}`);

let seq = 0;
function order(overrides: Partial<Order> = {}): Order {
  seq++;
  return { id: `gotobi-${seq}`, strategyId: 'gotobi', symbol: 'USDJPY', ts: Date.UTC(2024, 0, 5), side: 'BUY', qty: 100_000, type: 'MARKET', reason: 'entry', ...overrides };
}

const fills = (h: Harness) => h.events.filter((e): e is Fill => e.kind === 'fill');
const statuses = (h: Harness, orderId?: string) =>
  h.events.filter((e): e is OrderEvent => e.kind === 'order' && (orderId === undefined || e.order.id === orderId)).map((e) => e.status);
const placed = (t: FakeTws): PlaceOrderRequest[] =>
  t.requestsOf('placeOrder').map((r) => (r.request?.type === 'placeOrder' ? r.request.request : (undefined as never)));

describe('createIbkrBroker against the fake TWS', () => {
  it('places a market order and records its fill with TWS commission, then Filled', async () => {
    const h = await setup({ fills: { commission: 180, commissionCurrency: 'JPY', price: 150.123 } });
    const o = order();
    h.broker.place(o);
    await until(() => statuses(h).includes('Filled'), 'Filled');
    const [req] = placed(h.tws);
    expect(req).toMatchObject({
      orderId: 100,
      action: 'BUY',
      totalQuantity: 100_000,
      orderType: 'MKT',
      tif: 'GTC',
      account: 'DU777',
      orderRef: `rx:gotobi:${o.id}:entry`,
      transmit: true,
      contract: { symbol: 'USD', secType: 'CASH', exchange: 'IDEALPRO', currency: 'JPY', localSymbol: 'USD.JPY' },
    });
    const [fill] = fills(h);
    expect(fill).toEqual({
      kind: 'fill',
      execId: h.tws.executions()[0].execId,
      orderId: o.id,
      strategyId: 'gotobi',
      symbol: 'USDJPY',
      ts: expect.any(Number),
      side: 'BUY',
      qty: 100_000,
      price: 150.123,
      commission: 180,
      reason: 'entry',
    });
    expect(h.events.map((e) => (e.kind === 'fill' ? 'fill' : e.status))).toEqual(['Submitted', 'fill', 'Filled']);
    expect(h.broker.workingOrders()).toEqual([]);
    expect(h.tws.protocolErrors).toEqual([]);
  });

  it('sends LMT and STP orders with their prices; a SELL becomes action SELL', async () => {
    const h = await setup({ fills: { hold: true } });
    h.broker.place(order({ type: 'LIMIT', limitPrice: 149.5 }));
    h.broker.place(order({ type: 'STOP', stopPrice: 151.25, side: 'SELL' }));
    await until(() => placed(h.tws).length === 2, 'two orders');
    expect(placed(h.tws).map((p) => [p.action, p.orderType, p.lmtPrice, p.auxPrice])).toEqual([
      ['BUY', 'LMT', 149.5, undefined],
      ['SELL', 'STP', undefined, 151.25],
    ]);
    await until(() => statuses(h).length === 2, 'Submitted twice');
    expect(h.broker.workingOrders()).toHaveLength(2);
  });

  it('emits each partial fill before the status that counts it', async () => {
    const h = await setup({ fills: { partials: [40_000, 60_000], partialGapMs: 5, price: 150 } });
    const o = order();
    h.broker.place(o);
    await until(() => statuses(h).includes('Filled'), 'Filled');
    expect(h.events.map((e) => (e.kind === 'fill' ? `fill ${e.qty}` : `${e.status} ${e.filledQty}`))).toEqual([
      'Submitted 0',
      'fill 40000',
      'PartiallyFilled 40000',
      'fill 60000',
      'Filled 100000',
    ]);
  });

  it('converts a commission reported in the base currency to the quote currency at the fill price', async () => {
    const h = await setup({ fills: { commission: 2, commissionCurrency: 'USD', price: 150 } });
    h.broker.place(order());
    await until(() => fills(h).length === 1, 'the fill');
    expect(fills(h)[0].commission).toBe(300);
  });

  it('waits for a late commission up to the timeout, then emits the fill and reports both', async () => {
    const h = await setup({ fills: { commission: 5, commissionDelayMs: 80 } }, { commissionTimeoutMs: 20 });
    h.broker.place(order());
    await until(() => h.reports.some((r) => r.kind === 'late-commission'), 'the late commission');
    expect(fills(h).map((f) => f.commission)).toEqual([0]);
    expect(h.reports.filter((r) => r.kind === 'commission-timeout' || r.kind === 'late-commission').map((r) => r.kind)).toEqual([
      'commission-timeout',
      'late-commission',
    ]);
  });

  it('recovers a fill made while the connection was down exactly once (reqExecutions + execId dedupe)', async () => {
    const h = await setup({ fills: { latencyMs: 60, commission: 7 } });
    const o = order();
    h.broker.place(o);
    await until(() => statuses(h).includes('Submitted'), 'Submitted');
    h.tws.setAcceptConnections(false);
    h.tws.dropConnections();
    await until(() => h.tws.executions().length === 1, 'the execution at TWS');
    expect(fills(h)).toHaveLength(0);
    h.tws.setAcceptConnections(true);
    await waitForRecovery(h, 2);
    await until(() => statuses(h).includes('Filled'), 'Filled after reconnect');
    // Another recovery (1101) replays the same execution and commission: no second fill.
    h.tws.sendConnectivity(1101);
    await waitForRecovery(h, 3);
    // A plain replay of the live message too.
    h.tws.sendRaw([IN_MSG_ID.EXECUTION_DATA, -1, 100, 0, 'USD', 'CASH', '', 0, '', 0, 'IDEALPRO', 'JPY', 'USD.JPY', '', h.tws.executions()[0].execId, '20240105 00:00:00 UTC', 'DU777', 'IDEALPRO', 'BOT', 100000, 150, 1, 21, 0, 100000, 150, orderRefOf(o), '', '', '', 2]);
    await new Promise((r) => setTimeout(r, 20));
    expect(fills(h)).toHaveLength(1);
    expect(fills(h)[0]).toMatchObject({ orderId: o.id, qty: 100_000, commission: 7 });
    expect(statuses(h, o.id)).toEqual(['Submitted', 'Filled']);
    expect(h.tws.requestsOf('reqExecutions').length).toBe(3);
    expect(h.reports.filter((r) => r.kind === 'recovered').map((r) => (r.kind === 'recovered' ? r.executions : -1))).toEqual([0, 1, 1]);
  });

  it('holds orders placed while disconnected and sends them in order after reconnecting', async () => {
    const h = await setup({ fills: { price: 150 } });
    h.tws.setAcceptConnections(false);
    h.tws.dropConnections();
    await until(() => h.conn.currentSession() === null, 'the disconnect');
    const a = order();
    const b = order({ side: 'SELL', qty: 50_000 });
    h.broker.place(a);
    h.broker.place(b);
    expect(h.reports.filter((r) => r.kind === 'held').map((r) => (r.kind === 'held' ? r.orderId : ''))).toEqual([a.id, b.id]);
    expect(placed(h.tws)).toHaveLength(0);
    h.tws.setAcceptConnections(true);
    await until(() => fills(h).length === 2, 'both fills');
    expect(placed(h.tws).map((p) => [p.orderRef, p.action, p.totalQuantity])).toEqual([
      [orderRefOf(a), 'BUY', 100_000],
      [orderRefOf(b), 'SELL', 50_000],
    ]);
    expect(placed(h.tws)[0].orderId).toBeLessThan(placed(h.tws)[1].orderId);
  });

  it("rejects orders placed while disconnected with reason DISCONNECTED under the 'reject' policy", async () => {
    const h = await setup({}, { whenDisconnected: 'reject' });
    h.tws.setAcceptConnections(false);
    h.tws.dropConnections();
    await until(() => h.conn.currentSession() === null, 'the disconnect');
    const o = order();
    h.broker.place(o);
    expect(h.events).toEqual([
      expect.objectContaining({ kind: 'order', status: 'Rejected', reason: 'DISCONNECTED', order: o }),
    ]);
  });

  it('holds orders during a 1100 and sends them after 1102', async () => {
    const h = await setup({ fills: { price: 150 } });
    h.tws.sendConnectivity(1100);
    await until(() => h.conn.state().status === 'connected' && (h.conn.state() as { link: string }).link === 'lost', 'the 1100');
    h.broker.place(order());
    await new Promise((r) => setTimeout(r, 20));
    expect(placed(h.tws)).toHaveLength(0);
    h.tws.sendConnectivity(1102);
    await until(() => fills(h).length === 1, 'the fill');
  });

  it('turns a TWS rejection into one Rejected event with its code and text', async () => {
    const h = await setup({ fills: { reject: { message: 'Insufficient margin' } } });
    const o = order();
    h.broker.place(o);
    await until(() => statuses(h).includes('Rejected'), 'Rejected');
    await new Promise((r) => setTimeout(r, 20));
    expect(h.events).toEqual([
      expect.objectContaining({ status: 'Rejected', reason: 'BROKER', message: 'TWS 201: Order rejected - reason:Insufficient margin' }),
    ]);
  });

  it('cancels a working order at TWS and a held order locally', async () => {
    const h = await setup({ fills: { hold: true } });
    const working = order({ type: 'LIMIT', limitPrice: 140 });
    h.broker.place(working);
    await until(() => statuses(h, working.id).includes('Submitted'), 'Submitted');
    h.broker.cancel(working.id);
    await until(() => statuses(h, working.id).includes('Cancelled'), 'Cancelled');
    expect(h.tws.requestsOf('cancelOrder')).toHaveLength(1);

    h.tws.setAcceptConnections(false);
    h.tws.dropConnections();
    await until(() => h.conn.currentSession() === null, 'the disconnect');
    const waiting = order();
    h.broker.place(waiting);
    h.broker.cancel(waiting.id);
    expect(statuses(h, waiting.id)).toEqual(['Cancelled']);
  });

  it('cancelWorking cancels every working order and waits until each is terminal', async () => {
    const h = await setup({ fills: { hold: true } });
    const a = order({ type: 'LIMIT', limitPrice: 140 });
    const b = order({ type: 'STOP', stopPrice: 160 });
    h.broker.place(a);
    h.broker.place(b);
    await until(() => statuses(h).length === 2, 'both Submitted');
    expect(await h.broker.cancelWorking(2000)).toEqual([]);
    expect(statuses(h, a.id)).toEqual(['Submitted', 'Cancelled']);
    expect(statuses(h, b.id)).toEqual(['Submitted', 'Cancelled']);
    expect(h.broker.workingOrders()).toEqual([]);
  });

  describe('brackets', () => {
    /** A market entry with its stop-loss and take-profit, as the order manager sends them. */
    function bracket(stopPrice = 149.7, limitPrice = 150.45): [Order, Order[]] {
      const entry = order();
      const child = { strategyId: 'gotobi', symbol: 'USDJPY', ts: entry.ts, side: 'SELL', qty: 100_000, parentId: entry.id, ocaGroup: entry.id } as const;
      return [
        entry,
        [
          { ...child, id: `${entry.id}.sl`, type: 'STOP', stopPrice, reason: 'stop' },
          { ...child, id: `${entry.id}.tp`, type: 'LIMIT', limitPrice, reason: 'takeProfit' },
        ],
      ];
    }
    const byPrice = { fills: (o: PlaceOrderRequest) => (o.orderType === 'MKT' ? { price: 150 } : { match: 'price' as const }) };

    it('sends the entry and its children as IB does: parentId, one OCA group of type 1, transmit on the last, orderRef with the reason', async () => {
      const h = await setup(byPrice);
      const [entry, children] = bracket();
      h.broker.place(entry, children);
      await until(() => statuses(h, entry.id).includes('Filled') && h.tws.orders()[2]?.status === 'Submitted', 'the entry filled, the children working');
      expect(placed(h.tws).map((p) => [p.orderId, p.orderType, p.parentId, p.ocaGroup, p.ocaType, p.transmit, p.orderRef])).toEqual([
        [100, 'MKT', 0, '', 0, false, `rx:gotobi:${entry.id}:entry`],
        [101, 'STP', 100, entry.id, 1, false, `rx:gotobi:${entry.id}.sl:stop`],
        [102, 'LMT', 100, entry.id, 1, true, `rx:gotobi:${entry.id}.tp:takeProfit`],
      ]);
      // The children are acknowledged held, then working once the entry has filled.
      expect(statuses(h, entry.id)).toEqual(['Submitted', 'Filled']);
      expect(statuses(h, children[0].id)).toEqual(['Submitted']);
      expect(h.tws.orders().map((o) => o.status)).toEqual(['Filled', 'Submitted', 'Submitted']);
    });

    it('modifies a child under its IB id and parent, answered Submitted with the new version', async () => {
      const h = await setup(byPrice);
      const [entry, children] = bracket();
      h.broker.place(entry, children);
      await until(() => statuses(h, children[1].id).includes('Submitted'), 'the children working');
      h.broker.modify({ ...children[0], stopPrice: 149.8 });
      await until(() => statuses(h, children[0].id).length === 2, 'the modification acknowledged');
      expect(placed(h.tws).at(-1)).toMatchObject({ orderId: 101, parentId: 100, auxPrice: 149.8, transmit: true });
      expect(h.events.filter((e): e is OrderEvent => e.kind === 'order' && e.order.id === children[0].id).map((e) => e.order.stopPrice)).toEqual([149.7, 149.8]);
      expect(() => h.broker.modify({ ...children[0], side: 'BUY' })).toThrow(/cannot change/);
    });

    it('books a child’s fill with its reason, and the other leg cancelled by TWS as OCO — also across a dropped connection', async () => {
      const h = await setup(byPrice);
      const [entry, children] = bracket();
      h.broker.place(entry, children);
      await until(() => statuses(h, entry.id).includes('Filled') && h.tws.orders()[2]?.status === 'Submitted', 'the children working');
      h.tws.setAcceptConnections(false);
      h.tws.dropConnections();
      await until(() => h.conn.currentSession() === null, 'the disconnect');
      // While away, the market goes through the stop: TWS fills it and cancels the take-profit.
      h.tws.sendRealTimeBar({ time: 1_704_412_800, open: 149.9, high: 149.95, low: 149.65, close: 149.75, volume: -1, wap: -1, count: -1 }, 'USD.JPY');
      h.tws.setAcceptConnections(true);
      await waitForRecovery(h, 2);
      await until(() => statuses(h, children[1].id).includes('Cancelled'), 'the take-profit cancelled');
      expect(fills(h).map((f) => [f.orderId, f.side, f.price, f.reason])).toEqual([
        [entry.id, 'BUY', 150, 'entry'],
        [children[0].id, 'SELL', 149.7, 'stop'],
      ]);
      expect(h.events.find((e) => e.kind === 'order' && e.order.id === children[1].id && e.status === 'Cancelled')).toMatchObject({ cancelReason: 'OCO' });
      expect(h.broker.workingOrders()).toEqual([]);
    });

    it('cancelWorking leaves the protective orders at TWS and says so', async () => {
      const h = await setup(byPrice);
      const [entry, children] = bracket();
      h.broker.place(entry, children);
      const limit = order({ type: 'LIMIT', limitPrice: 140 });
      h.broker.place(limit);
      await until(() => statuses(h, children[1].id).includes('Submitted') && statuses(h, limit.id).includes('Submitted'), 'all working');
      const left = await h.broker.cancelWorking(2000);
      expect(statuses(h, limit.id)).toEqual(['Submitted', 'Cancelled']);
      expect(left.map((o) => o.id)).toEqual(children.map((c) => c.id));
    });
  });

  it('reconciles positions: a mismatch with the book is returned and reported', async () => {
    const h = await setup();
    h.tws.setPositions([
      { account: 'DU777', contract: USDJPY_WIRE, position: 200_000, avgCost: 150 },
      { account: 'DU999', contract: USDJPY_WIRE, position: 5_000_000, avgCost: 150 },
    ]);
    const result = await h.broker.reconcile([
      { symbol: 'USDJPY', qty: 100_000 },
      { symbol: 'EURUSD', qty: 0 },
    ]);
    expect(result.account).toBe('DU777');
    expect(result.mismatches).toEqual([{ symbol: 'USDJPY', brokerQty: 200_000, bookQty: 100_000, brokerAvgPrice: 150 }]);
    expect(h.reports.filter((r) => r.kind === 'position-mismatch')).toEqual([
      { kind: 'position-mismatch', account: 'DU777', symbol: 'USDJPY', brokerQty: 200_000, bookQty: 100_000 },
    ]);
    const clean = await h.broker.reconcile([{ symbol: 'USDJPY', qty: 200_000 }]);
    expect(clean.mismatches).toEqual([]);
  });

  it('after a restart, adopts a working order by its orderRef and maps its fill to the strategy', async () => {
    const h = await setup({ fills: { hold: true } });
    const o = order({ type: 'LIMIT', limitPrice: 149 });
    h.broker.place(o);
    await until(() => statuses(h).includes('Submitted'), 'Submitted');
    await h.broker.close();
    broker = undefined;
    await h.conn.close();

    conn = createIbConnection({ host: h.tws.host, port: h.tws.port, clientId: 21, account: 'DU777', reconnect: fast });
    broker = createIbkrBroker({ connection: conn, contracts });
    const reports: BrokerReport[] = [];
    const events: ExecutionEvent[] = [];
    broker.reports$.subscribe((r) => reports.push(r));
    broker.events$.subscribe((e) => events.push(e));
    await until(() => reports.some((r) => r.kind === 'recovered'), 'recovery');
    expect(reports).toContainEqual({ kind: 'adopted-order', orderId: o.id, ibOrderId: 100 });
    // In flight like one of this run's: announced, then filled.
    expect(events).toEqual([expect.objectContaining({ kind: 'order', status: 'Submitted', order: expect.objectContaining({ id: o.id }) })]);
    expect(broker.workingOrders().map((w) => w.id)).toEqual([o.id]);
    h.tws.fillOrder(100, { commission: 3 }, 21);
    await until(() => events.length === 3, 'the fill and Filled');
    expect(events[1]).toMatchObject({ kind: 'fill', orderId: o.id, strategyId: 'gotobi', symbol: 'USDJPY', qty: 100_000, price: 149, commission: 3 });
    expect(events[2]).toMatchObject({ kind: 'order', status: 'Filled' });
  });

  it('reports an execution correction instead of a second fill, and executions of other orders as foreign', async () => {
    const h = await setup({ fills: { price: 150 } });
    h.broker.place(order());
    await until(() => fills(h).length === 1, 'the fill');
    const first = h.tws.executions()[0];
    const corrected = first.execId.replace(/\.01$/, '.02');
    const exec = (execId: string, orderRef: string, orderId: number) => [
      11, -1, orderId, 0, 'USD', 'CASH', '', 0, '', 0, 'IDEALPRO', 'JPY', 'USD.JPY', '', execId, '20240105 00:00:00 UTC', 'DU777',
      'IDEALPRO', 'BOT', 100000, 150.5, 1, 21, 0, 100000, 150.5, orderRef, '', '', '', 2,
    ];
    h.tws.sendRaw(exec(corrected, first.orderRef, first.orderId));
    h.tws.sendRaw(exec('0000ffff.000001.01.01', 'typed in TWS', 0));
    await until(() => h.reports.some((r) => r.kind === 'foreign-execution'), 'the foreign execution');
    expect(h.reports).toContainEqual({ kind: 'execution-correction', execId: corrected, corrects: first.execId, qty: 100_000, price: 150.5 });
    expect(h.reports).toContainEqual({ kind: 'foreign-execution', execId: '0000ffff.000001.01.01', contract: 'USD.JPY (CASH)', orderRef: 'typed in TWS' });
    expect(fills(h)).toHaveLength(1);
  });

  it('fails with the message id and field on a malformed execution', async () => {
    const h = await setup({ fills: { hold: true } });
    h.broker.place(order());
    await until(() => statuses(h).includes('Submitted'), 'Submitted');
    h.tws.sendRaw([IN_MSG_ID.EXECUTION_DATA, -1, 100, 0, 'USD', 'CASH', '', 0, '', 0, 'IDEALPRO', 'JPY', 'USD.JPY', '', 'e1.01', '20240105 00:00:00 UTC', 'DU777', 'IDEALPRO', 'BOT', 'lots', 150, 1, 21, 0, 0, 0, 'x', '', '', '', 2]);
    await until(() => h.errors.length === 1, 'the error');
    expect(String(h.errors[0])).toBe('DataError: IB execDetails (message 11), field "execution.shares": Invalid input: expected number, received NaN');
  });

  it('refuses an account the login does not have', async () => {
    tws = await startFakeTws({ accounts: ['DU777'] });
    conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 22, account: 'U999' });
    broker = createIbkrBroker({ connection: conn, contracts });
    const error = await firstValueFrom(broker.events$).catch((e: unknown) => e);
    expect(String(error)).toBe('ConfigError: IBKR broker: account "U999" is not one of this TWS login\'s accounts (DU777)');
    await firstValueFrom(conn.session$.pipe(filter((s): s is IbSession => s !== null)));
  });
});
