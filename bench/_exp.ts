import { Observable } from 'rxjs';
import { loadContracts } from '../src/core/contracts';
import { parseRunnerConfig } from '../src/runner/config';
import { runTradeRunner } from '../src/runner/tradeRunner';
import { createSimBroker } from '../src/broker/simBroker';
import { createBook } from '../src/portfolio/book';
import { buildGraph } from '../src/runner/graph';
import { createStrategy } from '../src/strategy/registry';
import { barsOf, generateBars } from '../bench/data';
function arraySource<T>(items: readonly T[]): Observable<T> {
  return new Observable<T>((s) => { for (let i = 0; i < items.length && !s.closed; i++) s.next(items[i]); s.complete(); });
}
const bars = barsOf(generateBars(1_000_000));
const contracts = loadContracts('/work/wt/research/config/contracts.json');
const mk = (fast: number, slow: number, analyzers?: string[]) => parseRunnerConfig({ account: { currency: 'USD', initialCash: 1e6 }, ...(analyzers ? { analyzers } : {}), strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast, slow, contracts: 1 }] });
(async () => {
  for (let r = 0; r < 3; r++) {
    let t = performance.now();
    const { report } = await runTradeRunner({ config: mk(20, 50), contracts, bars$: arraySource(bars) }).result;
    console.log('runner all analyzers', (performance.now() - t).toFixed(0), 'ms', report.strategies[0].trades.length);
    t = performance.now();
    await runTradeRunner({ config: mk(20, 50, ['sharpe']), contracts, bars$: arraySource(bars) }).result;
    console.log('runner sharpe only', (performance.now() - t).toFixed(0), 'ms');
    t = performance.now();
    const book = createBook({ contracts, accountCurrency: 'USD', initialCash: 1e6 });
    const config = mk(20, 50);
    const graph = buildGraph({ bars$: arraySource(bars), strategies: config.strategies.map((s) => createStrategy(s, contracts[s.symbol])), broker: createSimBroker({ contracts }), book, contracts });
    await new Promise<void>((res, rej) => graph.events$.subscribe({ error: rej, complete: res }));
    console.log('graph alone', (performance.now() - t).toFixed(0), 'ms');
  }
})();
