import { describe, expect, it } from '@jest/globals';
import { loadIbContracts } from '../adapters/ibkr/contracts';
import { flatHistory, startFakeTws, type FakeOrder, type FakeTws } from '../testkit/fakeTws';
import { until } from '../../test/support/until';
import { parseLiveConfig } from './liveConfig';
import { startLiveRunner, type LiveEvent } from './liveRunner';

/**
 * Protective orders through cancels TWS acknowledges late, live against the fake TWS: a burst of reversals whose
 * fills come after the next decision. The fake takes a cancelled order off the market at once but answers
 * Cancelled only later, and answers a modification of an order it no longer works with error 104 — so a child
 * the engine modified instead of placing anew would be lost, and the position left with no stop-loss.
 */

const contracts = loadIbContracts();
const T0 = Date.UTC(2024, 0, 5, 0, 0, 0) / 1000;
const BAR_S = 15;

/** The engine's order id of a TWS order (from its orderRef `rx:<strategy>:<order id>:<reason>`). */
const engineId = (o: FakeOrder): string => o.request.orderRef.split(':')[2];
/** What TWS works now to protect the position: `[engine id, action, type, price, quantity]`. */
const protection = (tws: FakeTws) =>
  tws
    .orders()
    .filter((o) => o.status === 'Submitted' && o.request.orderType !== 'MKT')
    .map((o) => [engineId(o), o.request.action, o.request.orderType, o.request.orderType === 'STP' ? o.request.auxPrice : o.request.lmtPrice, o.request.totalQuantity]);
const twsPosition = (tws: FakeTws): number => tws.positions().reduce((sum, p) => sum + p.position, 0);

describe('a bracket through cancels in flight, live against the fake TWS', () => {
  it('a burst of reversals with late fills and late cancel acknowledgements leaves every position with exactly its stop-loss and take-profit', async () => {
    let nextBar = 0;
    let lastClose = 150;
    const tws = await startFakeTws({ accounts: ['DU42'], clock: () => (T0 + nextBar * BAR_S) * 1000, historical: flatHistory(150) });
    // Market orders fill at the last close: the first at once, later ones when the test says (`heldBuys`) or after
    // `sellLatencyMs`; protective orders rest until cancelled.
    let sellLatencyMs = 0;
    let holdBuys = false;
    tws.setFills((order) =>
      order.orderType !== 'MKT' ? { hold: true } : order.action === 'BUY' && holdBuys ? { hold: true } : { price: lastClose, latencyMs: order.action === 'SELL' ? sellLatencyMs : 0, commission: 2 },
    );
    const config = parseLiveConfig({
      account: { currency: 'USD', initialCash: 1_000_000 },
      strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 2, slow: 3, contracts: 1, bracket: { stopLossTicks: 300, takeProfitTicks: 500 } }],
      ib: { host: tws.host, port: tws.port, clientId: 3 },
      live: { bar: `${BAR_S}s`, graceMs: 60_000, commissionTimeoutMs: 1000 },
    });
    const runner = startLiveRunner({ config, contracts });
    const events: LiveEvent[] = [];
    runner.events$.subscribe((e) => events.push(e));
    /** One strategy bar (three 5-second bars) closing at `close`: the last one ends the bucket, so it closes at once. */
    const sendBar = (close: number): void => {
      const open = lastClose;
      const start = T0 + nextBar * BAR_S;
      [open, (open + close) / 2, close].forEach((price, i) => {
        const from = i === 0 ? open : (open + close) / 2;
        tws.sendRealTimeBar({ time: start + 5 * i, open: from, high: Math.max(from, price), low: Math.min(from, price), close: price, volume: -1, wap: -1, count: -1 });
      });
      nextBar += 1;
      lastClose = close;
    };
    const position = (): number => runner.run.book.position('sma', 'USDJPY');
    /** Every order the engine has working is working at TWS (no cancel or placement unanswered). */
    const settled = (): boolean =>
      tws.orders().every((o) => o.status !== 'Untransmitted') &&
      runner.run.book.workingOrders().every((w) => tws.orders().some((o) => engineId(o) === w.order.id && (o.status === 'Submitted' || o.status === 'PreSubmitted')));
    try {
      await runner.ready;
      await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');

      // 1. Long 1 (the fast average crosses above the slow one on 150.1), protected at the fill's levels.
      for (const close of [150.0, 149.9, 149.8, 150.1]) sendBar(close);
      await until(() => position() === 100_000 && protection(tws).length === 2 && settled(), 'long 1 protected', 5000);
      const [a] = tws.orders();
      expect(protection(tws)).toEqual([
        [`${engineId(a)}.sl`, 'SELL', 'STP', 149.8, 100_000],
        [`${engineId(a)}.tp`, 'SELL', 'LMT', 150.6, 100_000],
      ]);

      // 2. The burst: TWS slow to answer cancels, the fills late. Cross below on 149.4 (sell 2), and above again on
      //    151.0 (buy 2) before the sell has filled or any cancel is acknowledged.
      tws.setCancelLatency(300);
      sellLatencyMs = 400;
      holdBuys = true;
      sendBar(149.4);
      sendBar(151.0);
      await until(() => tws.orders().filter((o) => o.request.orderType === 'MKT').length === 3, 'the two orders of the burst at TWS', 5000);
      const [b, c] = tws.orders().filter((o) => o.request.orderType === 'MKT').slice(1);
      expect([b.request.action, b.request.totalQuantity, c.request.action, c.request.totalQuantity]).toEqual(['SELL', 200_000, 'BUY', 200_000]);

      // 3. The sell fills (at the fake's last close when it arrived): short 1, protected by new versions of the
      //    sell's children, the originals having been cancelled by the buy's target change. The buy's own children
      //    wait at TWS for the buy (PreSubmitted).
      await until(() => twsPosition(tws) === -100_000 && position() === -100_000 && settled() && protection(tws).length === 2, 'short 1 protected', 5000);
      const sellPrice = tws.executions().at(-1)?.price as number;
      expect(protection(tws)).toEqual([
        [`${engineId(b)}.sl.2`, 'BUY', 'STP', Number((sellPrice + 0.3).toFixed(3)), 100_000],
        [`${engineId(b)}.tp.2`, 'BUY', 'LMT', Number((sellPrice - 0.5).toFixed(3)), 100_000],
      ]);

      // 4. The buy fills: long 1, protected by its own children, which TWS started with it, re-priced from its fill.
      tws.fillOrder(c.request.orderId, { price: 151.0 });
      await until(() => twsPosition(tws) === 100_000 && position() === 100_000 && settled() && protection(tws).length === 2, 'long 1 protected again', 5000);
      expect(protection(tws)).toEqual([
        [`${engineId(c)}.sl`, 'SELL', 'STP', 150.7, 100_000],
        [`${engineId(c)}.tp`, 'SELL', 'LMT', 151.5, 100_000],
      ]);
      // Nothing was lost on the way (no modification TWS refused) and the watchdog never had to say so.
      expect(events.filter((e) => e.kind === 'tws-error' && e.code === 104)).toEqual([]);
      expect(events.filter((e) => e.kind === 'error')).toEqual([]);
      expect(tws.protocolErrors).toEqual([]);
    } finally {
      await runner.shutdown('test end').catch(() => undefined);
      await tws.close();
    }
  }, 20_000);
});
