import { Observable } from 'rxjs';
import { loadContracts } from '../src/core/contracts';
import { parseRunnerConfig } from '../src/runner/config';
import { runTradeRunner } from '../src/runner/tradeRunner';
import { barsOf, generateBars } from './data';
function arraySource<T>(items: readonly T[]): Observable<T> {
  return new Observable<T>((s) => { for (let i = 0; i < items.length && !s.closed; i++) s.next(items[i]); s.complete(); });
}
const bars = barsOf(generateBars(1_000_000));
const contracts = loadContracts('config/contracts.json');
const mk = (fast: number, slow: number) => parseRunnerConfig({ account: { currency: 'USD', initialCash: 1e6 }, analyzers: ['sharpe'], strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast, slow, contracts: 1 }] });
(async () => {
  for (let r = 0; r < 4; r++) {
    const t = performance.now();
    await runTradeRunner({ config: mk(20, 50), contracts, bars$: arraySource(bars) }).result;
    console.log('runner sharpe only', (performance.now() - t).toFixed(0), 'ms');
  }
})();
