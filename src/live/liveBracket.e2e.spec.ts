import { describe, expect, it } from '@jest/globals';
import { loadIbContracts } from '../adapters/ibkr/contracts';
import type { Fill, OrderEvent } from '../core/types';
import { startFakeTws, type FakeTws, type PlaceOrderRequest, type WireRealTimeBar } from '../testkit/fakeTws';
import { startLiveRunner, type LiveEvent, type LiveRunner } from './liveRunner';
import { parseLiveConfig, type LiveConfig } from './liveConfig';
import { until } from '../../test/support/until';

/**
 * A bracket's whole life, live against the fake TWS: the entry goes with its stop-loss and take-profit attached
 * (priced from the decision bar's close, so the position is protected from its first instant), the children are
 * re-priced from the entry's fill, TWS holds them until the entry has filled, the connection drops, the market
 * goes through the stop while the engine is away, TWS fills it and cancels the take-profit (their OCA group), and
 * once back the engine books the stop's fill, learns the take-profit is gone, and is flat.
 */

const contracts = loadIbContracts();
const fast = { initialMs: 10, maxMs: 40, factor: 2 };
const ENTRY_ID = 'long_into_fix.USDJPY.20240104T160000Z.1';

/** Runs `body` with `tws` and a live runner on it; the runner is shut down and the fake closed whatever happens. */
async function withRunner(tws: FakeTws, config: LiveConfig, body: (runner: LiveRunner) => Promise<void>): Promise<void> {
  try {
    const runner = startLiveRunner({ config, contracts });
    try {
      await body(runner);
    } finally {
      await runner.shutdown('test cleanup').catch(() => undefined);
    }
  } finally {
    await tws.close();
  }
}

/** 5-second bars at `price`, from `startIso`, one tick of range either way. */
function flatBars(startIso: string, count: number, price: number): WireRealTimeBar[] {
  const start = Date.parse(startIso) / 1000;
  return Array.from({ length: count }, (_, i) => ({ time: start + 5 * i, open: price, high: price + 0.001, low: price - 0.001, close: price, volume: -1, wap: -1, count: -1 }));
}

const fillsOf = (events: readonly LiveEvent[]): Fill[] => events.flatMap((e) => (e.kind === 'fill' ? [e] : []));
const orderEvents = (events: readonly LiveEvent[], orderId: string): OrderEvent[] =>
  events.flatMap((e) => (e.kind === 'order' && e.order.id === orderId ? [e] : []));
const placed = (fake: FakeTws): PlaceOrderRequest[] => fake.requestsOf('placeOrder').flatMap((r) => (r.request?.type === 'placeOrder' ? [r.request.request] : []));

describe('a bracket live against the fake TWS', () => {
  it('entry with its children attached, re-priced from the fill, a stop filled while disconnected, the other leg cancelled, flat', async () => {
    // The entry fills at 144.120; the children rest until the market reaches them.
    const tws = await startFakeTws({
      accounts: ['DU1234567'],
      fills: (order) => (order.orderType === 'MKT' ? { price: 144.12, commission: 2, commissionCurrency: 'USD' } : { match: 'price', commission: 2, commissionCurrency: 'USD' }),
    });
    const config = parseLiveConfig({
      account: { currency: 'USD', initialCash: 1_000_000 },
      strategies: [
        {
          id: 'long_into_fix',
          type: 'gotobi',
          symbol: 'USDJPY',
          side: 'long',
          entry: '01:00',
          exit: '09:55',
          bracket: { stopLossTicks: 200, takeProfitTicks: 300 },
        },
      ],
      ib: { host: tws.host, port: tws.port, clientId: 5, account: 'DU1234567', reconnect: fast },
      live: { bar: '1m', connectTimeoutMs: 3000, commissionTimeoutMs: 1000, cancelTimeoutMs: 2000 },
    });
    await withRunner(tws, config, async (runner) => {
      const events: LiveEvent[] = [];
      runner.events$.subscribe((e) => events.push(e));
      await runner.ready;
      await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');

      // 2024-01-05 is a gotobi day: the 15:59Z minute closes at 01:00 JST at 144.100 and the leg goes long.
      for (const bar of flatBars('2024-01-04T15:58:00Z', 24, 144.1)) tws.sendRealTimeBar(bar);
      await until(() => placed(tws).length >= 5, 'the bracket and its re-pricing');
      const sent = placed(tws);
      // 1. The bracket as IB takes it: stop and take-profit priced from the decision close 144.100 (∓ 200 / ± 300 ticks).
      expect(sent.slice(0, 3).map((p) => [p.orderId, p.action, p.orderType, p.auxPrice, p.lmtPrice, p.parentId, p.ocaGroup, p.ocaType, p.transmit, p.orderRef])).toEqual([
        [1, 'BUY', 'MKT', undefined, undefined, 0, '', 0, false, `rx:long_into_fix:${ENTRY_ID}:entry`],
        [2, 'SELL', 'STP', 143.9, undefined, 1, ENTRY_ID, 1, false, `rx:long_into_fix:${ENTRY_ID}.sl:stop`],
        [3, 'SELL', 'LMT', undefined, 144.4, 1, ENTRY_ID, 1, true, `rx:long_into_fix:${ENTRY_ID}.tp:takeProfit`],
      ]);
      // 2. Re-priced from the fill (144.120) under the same IB ids, as replay prices them.
      expect(sent.slice(3).map((p) => [p.orderId, p.auxPrice, p.lmtPrice, p.parentId, p.transmit])).toEqual([
        [2, 143.92, undefined, 1, true],
        [3, undefined, 144.42, 1, true],
      ]);
      await until(() => tws.orders().every((o) => o.status === 'Filled' || o.status === 'Submitted'), 'the children working at TWS');
      await until(() => orderEvents(events, `${ENTRY_ID}.sl`).filter((e) => e.status === 'Submitted').length === 2, 'the modification acknowledged');

      // 3. The connection drops; the market goes through the stop meanwhile.
      tws.setAcceptConnections(false);
      tws.dropConnections();
      await until(() => runner.connection.currentSession() === null, 'the disconnect');
      tws.sendRealTimeBar({ time: Date.parse('2024-01-04T16:00:00Z') / 1000, open: 144.0, high: 144.0, low: 143.9, close: 143.95, volume: -1, wap: -1, count: -1 });
      expect(tws.orders().map((o) => o.status)).toEqual(['Filled', 'Filled', 'Cancelled']);

      // 4. Back: the stop's fill is booked once, the take-profit learnt cancelled (OCO), the strategy flat.
      tws.setAcceptConnections(true);
      await until(() => orderEvents(events, `${ENTRY_ID}.tp`).some((e) => e.status === 'Cancelled') && fillsOf(events).length === 2, 'the recovery');
      expect(fillsOf(events).map((f) => [f.orderId, f.side, f.price, f.reason])).toEqual([
        [ENTRY_ID, 'BUY', 144.12, 'entry'],
        [`${ENTRY_ID}.sl`, 'SELL', 143.92, 'stop'],
      ]);
      expect(orderEvents(events, `${ENTRY_ID}.tp`).at(-1)).toMatchObject({ status: 'Cancelled', cancelReason: 'OCO' });
      expect(runner.run.book.position('long_into_fix', 'USDJPY')).toBe(0);
      expect(runner.run.book.workingOrders()).toEqual([]);
      expect(runner.run.book.trades()).toEqual([expect.objectContaining({ entryPrice: 144.12, exitPrice: 143.92, exitReason: 'stop' })]);

      const result = await runner.shutdown();
      expect(result.stillWorking).toEqual([]);
      expect(result.report.strategies[0].totals.exitsByReason.stop).toBe(1);
      expect(tws.protocolErrors).toEqual([]);
    });
  }, 15_000);
});
