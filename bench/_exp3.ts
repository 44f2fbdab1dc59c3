import { Observable } from 'rxjs';
import { loadContracts } from '../src/core/contracts';
import { parseRunnerConfig } from '../src/runner/config';
import { runTradeRunner } from '../src/runner/tradeRunner';
import { createSimBroker } from '../src/broker/simBroker';
import { createBook } from '../src/portfolio/book';
import { buildGraph } from '../src/runner/graph';
import { createStrategy } from '../src/strategy/registry';
import { createSmaCross } from '../src/strategy/smaCross';
import { barsOf, generateBars } from './data';
function arraySource<T>(items: readonly T[]): Observable<T> {
  return new Observable<T>((s) => { for (let i = 0; i < items.length && !s.closed; i++) s.next(items[i]); s.complete(); });
}
const bars = barsOf(generateBars(1_000_000));
const contracts = loadContracts('config/contracts.json');
const mk = (analyzers?: string[]) => parseRunnerConfig({ account: { currency: 'USD', initialCash: 1e6 }, ...(analyzers ? { analyzers } : {}), strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 20, slow: 50, contracts: 1 }] });
const best: Record<string, number> = {};
const time = async (name: string, f: () => Promise<unknown> | unknown) => { const t = performance.now(); await f(); const d = performance.now() - t; best[name] = Math.min(best[name] ?? 1e9, d); };
(async () => {
  for (let r = 0; r < 6; r++) {
    await time('runner all', () => runTradeRunner({ config: mk(), contracts, bars$: arraySource(bars) }).result);
    await time('runner sharpe', () => runTradeRunner({ config: mk(['sharpe']), contracts, bars$: arraySource(bars) }).result);
    await time('graph', async () => {
      const book = createBook({ contracts, accountCurrency: 'USD', initialCash: 1e6 });
      const config = mk();
      const graph = buildGraph({ bars$: arraySource(bars), strategies: config.strategies.map((s) => createStrategy(s, contracts[s.symbol])), broker: createSimBroker({ contracts }), book, contracts });
      await new Promise<void>((res, rej) => graph.events$.subscribe({ error: rej, complete: res }));
    });
    await time('smaCross update only', () => { const s = createSmaCross({ id: 'x', symbol: 'USDJPY', fast: 20, slow: 50, contracts: 1, tickSize: 0.001 }); let n = 0; for (let i = 0; i < bars.length; i++) if (s.update(bars[i]) !== undefined) n++; return n; });
    await time('source only', () => new Promise<void>((res) => arraySource(bars).subscribe({ complete: res })));
  }
  console.log(best);
})();
