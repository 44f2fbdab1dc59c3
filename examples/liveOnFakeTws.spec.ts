import { describe, expect, it } from '@jest/globals';
import { loadIbContracts } from '../src/adapters/ibkr';
import { parseLiveConfig, startLiveRunner } from '../src/live';
import { startFakeTws } from '../src/testkit';

/** The README's example of the test kit's fake TWS: a strategy run live, end to end, with no IB account. */

const T0 = Date.UTC(2024, 0, 5) / 1000; // epoch seconds, as TWS stamps its 5-second bars

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const start = Date.now(); !check(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
  }
}

describe('a strategy live against the fake TWS', () => {
  it('sends the order its first cross decides, as an IB market order', async () => {
    const tws = await startFakeTws(); // 127.0.0.1, a free port; fills every order at once
    const config = parseLiveConfig({
      account: { currency: 'USD', initialCash: 1_000_000 },
      strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 2, slow: 3, contracts: 1 }],
      ib: { host: tws.host, port: tws.port, clientId: 1 },
      live: { bar: '5s' },
    });
    const runner = startLiveRunner({ config, contracts: loadIbContracts() });
    try {
      await runner.ready; // connected, positions reconciled with the fake account
      await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
      for (const [i, close] of [150, 149.9, 149.8, 150.1].entries()) {
        tws.sendRealTimeBar({ time: T0 + 5 * i, open: close, high: close, low: close, close, volume: -1, wap: -1, count: -1 });
      }
      await until(() => tws.executions().length === 1);
      expect(tws.orders().map((o) => o.request)).toMatchObject([{ action: 'BUY', totalQuantity: 100_000, orderType: 'MKT' }]);
      await until(() => runner.run.book.positions().some((p) => p.qty === 100_000)); // the fill reached the book
    } finally {
      await runner.shutdown();
      await tws.close();
    }
  });
});
