import { Observable } from 'rxjs';
import { loadContracts } from '../src/core/contracts';
import { parseRunnerConfig } from '../src/runner/config';
import { runTradeRunner } from '../src/runner/tradeRunner';
import { barsOf as gen, generateBars } from './data';
import { columnsOf } from '../src/research/dataset';
import { runPass, planPasses } from '../src/research/pass';
import { metricsOf } from '../src/research/metrics';
const bars = gen(generateBars(1_000_000));
const n = bars.length;
const columns = columnsOf({ symbol: 'USDJPY', length: n, buffer: new SharedArrayBuffer(7 * n * 8) });
bars.forEach((b, i) => { columns.ts[i] = b.ts; columns.intervalMs[i] = b.intervalMs; columns.open[i] = b.open; columns.high[i] = b.high; columns.low[i] = b.low; columns.close[i] = b.close; columns.volume[i] = b.volume; });
const contracts = loadContracts('config/contracts.json');
const mk = (fast: number, slow: number) => parseRunnerConfig({ account: { currency: 'USD', initialCash: 1e6 }, strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast, slow, contracts: 1 }] });
const configs = [];
for (const f of [5, 10, 20, 40]) for (const s of [60, 120, 240]) configs.push({ index: configs.length, config: mk(f, s) });
function arraySource<T>(items: readonly T[]): Observable<T> { return new Observable<T>((s) => { for (let i = 0; i < items.length && !s.closed; i++) s.next(items[i]); s.complete(); }); }
(async () => {
  for (const size of [12, 12]) {
    const t = performance.now();
    const results = [];
    for (const pass of planPasses(configs, size)) results.push(...await runPass({ columns, configs: pass, contracts }));
    const dt = performance.now() - t;
    console.log(`pass size ${size}: ${(configs.length / dt * 1000).toFixed(2)} configs/s`, JSON.stringify(results[5].metrics));
  }
  const t = performance.now();
  const { report } = await runTradeRunner({ config: configs[5].config, contracts, bars$: arraySource(bars) }).result;
  console.log('runner', (performance.now() - t).toFixed(0), JSON.stringify(metricsOf(report.account)));
})();
