import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadIbContracts } from '../src/adapters/ibkr';
import { parseLiveConfig, startLiveRunner } from '../src/live';
import { flatHistory, startFakeTws } from '../src/testkit';

/** The README's example of the test kit's fake TWS: a strategy run live, end to end, with no IB account. */

const T0 = Date.UTC(2024, 0, 5) / 1000; // epoch seconds, as TWS stamps its 5-second bars

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const start = Date.now(); !check(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
  }
}

describe('a strategy live against the fake TWS', () => {
  it('sends the order its first cross decides, as an IB market order', async () => {
    // 127.0.0.1, a free port; fills every order at once; the history the strategy warms up on is flat at 150
    const tws = await startFakeTws({ historical: flatHistory(150) });
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

  it('runs a strategy from the user’s own module live: the RSI entry goes with its stop-loss attached', async () => {
    const tws = await startFakeTws({ fills: { hold: true }, historical: flatHistory(150) }); // orders stay working: the test reads them as sent
    const config = parseLiveConfig(
      {
        account: { currency: 'USD', initialCash: 1_000_000 },
        strategies: [{ id: 'rsi', module: './strategies/rsiRevert.ts', symbol: 'USDJPY', params: { period: 2 }, bracket: { stopLossTicks: 200 } }],
        ib: { host: tws.host, port: tws.port, clientId: 1 },
        live: { bar: '5s' },
      },
      'examples/live-rsi.json',
      { baseDir: join(__dirname) },
    );
    const runner = startLiveRunner({ config, contracts: loadIbContracts() });
    try {
      await runner.ready;
      await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
      // Warmed on a flat 150, one fall makes RSI(2) 0, below 30: long one contract, its stop 200 ticks under the close.
      for (const [i, close] of [150, 149.8].entries()) {
        tws.sendRealTimeBar({ time: T0 + 5 * i, open: close, high: close, low: close, close, volume: -1, wap: -1, count: -1 });
      }
      await until(() => tws.orders().length === 2);
      expect(tws.orders().map((o) => [o.request.action, o.request.orderType, o.request.auxPrice, o.request.parentId !== 0])).toEqual([
        ['BUY', 'MKT', undefined, false],
        ['SELL', 'STP', 149.6, true],
      ]);
    } finally {
      await runner.shutdown();
      await tws.close();
    }
  });
});
