import { resolve } from 'node:path';
import { firstValueFrom, from, throwError, toArray, concat } from 'rxjs';
import { loadContracts } from '../core/contracts';
import { DataError } from '../core/errors';
import type { Bar } from '../core/types';
import { replayFile } from '../data/replay';
import { makeBar } from '../testkit/marbles';
import { loadRunnerConfig, parseRunnerConfig, type RunnerConfig } from './config';
import { serializeReport, type ReplayReport } from './report/replayReport';
import { runTradeRunner } from './tradeRunner';

const contracts = loadContracts();
const FIXTURE = resolve(__dirname, '../../fixtures/usdjpy.parquet');
const demo = loadRunnerConfig(resolve(__dirname, '../../config/gotobi.json'));

const withoutRun = (report: ReplayReport): string => serializeReport({ ...report, run: { bars: report.run.bars, wallMs: 0, barsPerSec: null } });

function fixtureBars(from: string, to: string) {
  return replayFile(FIXTURE, { symbol: 'USDJPY', from: Date.parse(from), to: Date.parse(to) });
}

describe('runTradeRunner on the fixture (hand-checked)', () => {
  // 2024-01-05 (Fri) is a gotobi day. long_into_fix: the 15:59Z bar closes at 16:00Z = 01:00 JST → BUY
  // fills at the OPEN of the 16:00Z bar (139.558); the 00:54Z bar closes at 09:55 JST → SELL at the 00:55Z
  // open (140.237). short_after_fix: SELL at the 00:55Z open (140.237), BUY back at the 05:00Z open
  // (14:00 JST, 140.353). Prices read off the fixture with readBarsParquet.
  it('gives exactly the trades of 2024-01-05, in JPY and in USD', async () => {
    const { report } = await runTradeRunner({ config: demo, contracts, bars$: fixtureBars('2024-01-04T12:00:00Z', '2024-01-05T12:00:00Z') }).result;
    const [long, short] = report.strategies;
    expect(long.fills.map((f) => [f.time, f.side, f.qty, f.price])).toEqual([
      ['2024-01-04T16:00:00.000Z', 'BUY', 100_000, 139.558],
      ['2024-01-05T00:55:00.000Z', 'SELL', 100_000, 140.237],
    ]);
    expect(short.fills.map((f) => [f.time, f.side, f.qty, f.price])).toEqual([
      ['2024-01-05T00:55:00.000Z', 'SELL', 100_000, 140.237],
      ['2024-01-05T05:00:00.000Z', 'BUY', 100_000, 140.353],
    ]);
    expect(long.trades).toHaveLength(1);
    expect(long.trades[0]).toMatchObject({ side: 'LONG', qty: 100_000, entryPrice: 139.558, exitPrice: 140.237 });
    expect(long.trades[0].pnl).toBeCloseTo(67_900, 6); // JPY
    expect(long.trades[0].pnlNetAccount).toBeCloseTo(67_900 / 140.237, 9); // USD at the closing fill's rate
    expect(short.trades[0]).toMatchObject({ side: 'SHORT', entryPrice: 140.237, exitPrice: 140.353 });
    expect(short.trades[0].pnl).toBeCloseTo(-11_600, 6);
    expect(short.trades[0].pnlNetAccount).toBeCloseTo(-11_600 / 140.353, 9);
    expect(report.account.finalEquity).toBeCloseTo(1_000_000 + 67_900 / 140.237 - 11_600 / 140.353, 6);
    expect(long.totals).toMatchObject({ trades: 1 });
    expect(long.position).toBeNull();
  });

  it('is deterministic: the same run twice gives the same JSON apart from timing', async () => {
    const once = async () => (await runTradeRunner({ config: demo, contracts, bars$: fixtureBars('2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z') }).result).report;
    const [a, b] = [await once(), await once()];
    expect(a.strategies[0].trades.length).toBeGreaterThan(3);
    expect(withoutRun(a)).toBe(withoutRun(b));
  });
});

describe('runTradeRunner semantics on synthetic bars', () => {
  const leg = (overrides: Partial<RunnerConfig> = {}): RunnerConfig =>
    parseRunnerConfig({
      account: { currency: 'USD', initialCash: 1_000_000 },
      strategies: [{ id: 'g', type: 'gotobi', symbol: 'USDJPY', side: 'long', contracts: 2, entry: '01:00', exit: '09:55' }],
      ...overrides,
    });
  // Every bar GAPS from the previous close (open = previous close + 0.050), so a fill at the deciding bar's
  // close, or one bar late, gives a different price than the correct next-bar open.
  const gapped = (times: readonly string[], firstOpen: number): Bar[] => {
    let open = firstOpen;
    return times.map((t) => {
      const bar = makeBar({ ts: t, open, close: open + 0.01, high: open + 0.02, low: open - 0.01 });
      open = bar.close + 0.05;
      return bar;
    });
  };
  const bars = gapped(
    ['2024-01-04T15:58:00Z', '2024-01-04T15:59:00Z', '2024-01-04T16:00:00Z', '2024-01-04T16:01:00Z', '2024-01-05T00:54:00Z', '2024-01-05T00:55:00Z', '2024-01-05T00:56:00Z'],
    140,
  );

  it('fills a market order at the open of the bar after the deciding bar, never earlier or later', async () => {
    const run = runTradeRunner({ config: leg(), contracts, bars$: from(bars) });
    const events = firstValueFrom(run.events$.pipe(toArray()));
    const { report } = await run.result;
    const signals = (await events).flatMap((e) => (e.kind === 'signal' ? [e.signal] : []));
    expect(signals.map((s) => [new Date(s.ts).toISOString(), s.target])).toEqual([
      ['2024-01-04T16:00:00.000Z', 2],
      ['2024-01-05T00:55:00.000Z', 0],
    ]);
    const [buy, sell] = report.strategies[0].fills;
    expect(buy).toMatchObject({ ts: bars[2].ts, side: 'BUY', qty: 200_000, price: bars[2].open });
    expect(sell).toMatchObject({ ts: bars[5].ts, side: 'SELL', qty: 200_000, price: bars[5].open });
    expect(bars[2].open).not.toBe(bars[1].close);
    const trade = report.strategies[0].trades[0];
    expect(trade.pnl).toBeCloseTo(200_000 * (bars[5].open - bars[2].open), 6);
    expect(trade.pnl).toBeGreaterThan(0);
  });

  it('charges commission in the quote currency and nets it per trade', async () => {
    const config = leg({ broker: { commission: { perUnit: 0.0005 } } });
    const { report } = await runTradeRunner({ config, contracts, bars$: from(bars) }).result;
    const [trade] = report.strategies[0].trades;
    expect(report.strategies[0].fills.map((f) => f.commission)).toEqual([100, 100]); // 200,000 × 0.0005 JPY
    expect(trade.pnlNet).toBeCloseTo(trade.pnl - 200, 6);
  });

  it('counts every refused order by reason and trades nothing', async () => {
    const config = leg({ risk: { maxOrderContracts: 1 } });
    const { report } = await runTradeRunner({ config, contracts, bars$: from(bars) }).result;
    expect(report.strategies[0].fills).toEqual([]);
    expect(report.strategies[0].rejected.byReason.MAX_ORDER_SIZE).toBeGreaterThanOrEqual(1);
    expect(report.strategies[0].rejected.total).toBe(report.strategies[0].rejected.byReason.MAX_ORDER_SIZE);
  });

  it('leaves an order decided on the last bar working, not filled and not dropped', async () => {
    const { report } = await runTradeRunner({ config: leg(), contracts, bars$: from(bars.slice(0, 2)) }).result;
    expect(report.strategies[0].fills).toEqual([]);
    expect(report.strategies[0].workingOrders).toMatchObject([{ side: 'BUY', qty: 200_000, type: 'MARKET' }]);
  });

  it('reports a source error to the caller on both the result and events$', async () => {
    const failure = new DataError('timestamps must be strictly increasing', { file: 'x.csv', row: 3, field: 'timestamp' });
    const run = runTradeRunner({ config: leg(), contracts, bars$: concat(from(bars.slice(0, 3)), throwError(() => failure)) });
    const events = firstValueFrom(run.events$.pipe(toArray()));
    await expect(run.result).rejects.toBe(failure);
    await expect(events).rejects.toBe(failure);
  });

  it('stops early on request and still reports what happened', async () => {
    const run = runTradeRunner({ config: leg(), contracts, bars$: from(bars) });
    run.stop();
    const { report } = await run.result;
    expect(report.run.bars).toBe(0);
    expect(report.account.finalEquity).toBe(1_000_000);
  });
});

describe('runner config', () => {
  it('names the field that is wrong', () => {
    expect(() => parseRunnerConfig({ account: { currency: 'usd', initialCash: 1 }, strategies: [] }, 'x.json')).toThrow(
      /x\.json: .*account\.currency.*strategies/s,
    );
    expect(() =>
      parseRunnerConfig(
        { account: { currency: 'USD', initialCash: 1 }, strategies: [{ id: 'a', type: 'smaCross', symbol: 'USDJPY', fast: 50, slow: 20, contracts: 1 }] },
        'y.json',
      ),
    ).toThrow(/y\.json: strategies\[0\]/);
  });

  it('loads the demo config: two one-contract Gotobi legs on USDJPY', () => {
    expect(demo.strategies.map((s) => [s.id, s.type, s.symbol, s.contracts])).toEqual([
      ['long_into_fix', 'gotobi', 'USDJPY', 1],
      ['short_after_fix', 'gotobi', 'USDJPY', 1],
    ]);
  });
});
