import { lastValueFrom, tap } from 'rxjs';
import { commissionModel } from '../src/broker/commission';
import { createSimBroker } from '../src/broker/simBroker';
import { loadContracts } from '../src/core/contracts';
import type { Fill, Trade } from '../src/core/types';
import { replayParquet } from '../src/data/replay';
import { createBook } from '../src/portfolio/book';
import { buildGraph } from '../src/runner/graph';
import { gotobi } from '../src/strategy/gotobi';
import { upStreak } from './upStreak';

/**
 * The replay graph composed by hand: a Parquet source, two strategies, a risk limit, the SimBroker and the
 * book. Swap `bars$` for a live source and `broker` for the IBKR broker and nothing else changes.
 *
 *   npx tsx examples/composePipeline.ts [file.parquet]
 */
export async function composePipeline(file: string, range: { from?: number; to?: number } = {}): Promise<{ fills: Fill[]; trades: readonly Trade[]; equity: number }> {
  const contracts = loadContracts();
  const bars$ = replayParquet(file, { symbol: 'USDJPY', ...range });
  const book = createBook({ contracts, accountCurrency: 'USD', initialCash: 1_000_000 });
  const broker = createSimBroker({ contracts, commission: commissionModel({ perUnit: 0.00002 }) }); // 2 JPY a contract
  const graph = buildGraph({
    bars$,
    broker,
    book,
    contracts,
    limits: { maxPositionContracts: 3 },
    strategies: [
      gotobi({ id: 'fix', symbol: 'USDJPY', side: 'long', contracts: 1, entry: '01:00', exit: '09:55' }),
      upStreak({ id: 'streak', symbol: 'USDJPY', bars: 5, contracts: 2 }),
    ],
  });
  const fills: Fill[] = [];
  await lastValueFrom(graph.events$.pipe(tap((event) => event.kind === 'fill' && fills.push(event))), { defaultValue: undefined });
  return { fills, trades: book.trades(), equity: book.equity() };
}

if (require.main === module) {
  composePipeline(process.argv[2] ?? 'fixtures/usdjpy.parquet').then(({ fills, trades, equity }) => {
    for (const id of ['fix', 'streak']) {
      const mine = trades.filter((t) => t.strategyId === id);
      const net = mine.reduce((sum, t) => sum + t.pnlNetAccount, 0);
      console.log(`${id.padEnd(7)} ${String(mine.length).padStart(5)} trades  ${net.toFixed(2).padStart(10)} USD net`);
    }
    console.log(`${fills.length} fills; equity ${equity.toFixed(2)} USD`);
  });
}
