import { resolve } from 'node:path';
import { composePipeline } from './composePipeline';

describe('examples/composePipeline', () => {
  it('replays a week through both strategies with the risk limit and commission applied', async () => {
    const { fills, trades, equity } = await composePipeline(resolve(__dirname, '../fixtures/usdjpy.parquet'), {
      from: Date.parse('2024-01-08T00:00:00Z'),
      to: Date.parse('2024-01-13T00:00:00Z'),
    });
    expect(trades.filter((t) => t.strategyId === 'fix').length).toBeGreaterThanOrEqual(1);
    expect(trades.filter((t) => t.strategyId === 'streak').length).toBeGreaterThan(0);
    for (const fill of fills) expect(fill.commission).toBeCloseTo(fill.qty * 0.00002, 9);
    const net = trades.reduce((sum, t) => sum + t.pnlNetAccount, 0);
    expect(equity).toBeCloseTo(1_000_000 + net, 6); // every position is flat again at the end of the week
  });
});
