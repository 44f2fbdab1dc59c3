import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ignoreElements, lastValueFrom, tap, toArray, type Observable } from 'rxjs';
import { createSimBroker } from '../broker/simBroker';
import { loadContracts } from '../core/contracts';
import type { Bar } from '../core/types';
import { mergeByEventTime } from '../data/merge';
import { readBarsParquet } from '../data/dataStore';
import { replayFile } from '../data/replay';
import { createBook } from '../portfolio/book';
import { makeStrategy } from '../strategy/types';
import { loadRunnerConfig, parseRunnerConfig, type RunnerConfig } from './config';
import { buildGraph } from './graph';
import { runTradeRunner, type TradeRunResult } from './tradeRunner';

/**
 * Several symbols in one replay (the three fixture files of the USDJPY/EURUSD/EURJPY triangle, January 2024):
 * no symbol shifts another in time, strategies that do not interact fill exactly as in their own replays, and
 * EURJPY's PnL reaches the USD account at USDJPY's rate of each fill's own time.
 */

const ROOT = join(__dirname, '..', '..');
const FILES = ['usdjpy.parquet', 'eurusd.parquet', 'eurjpy.parquet'].map((f) => join(ROOT, 'fixtures', f));
const TO = Date.UTC(2024, 1, 1);
const contracts = loadContracts();
const multi = loadRunnerConfig(join(ROOT, 'config/multi.json'));

const fileBars = (file: string): Observable<Bar> => replayFile(file, { to: TO });
const merged = (files: readonly string[] = FILES): Observable<Bar> =>
  mergeByEventTime(files.map((file) => ({ name: file, bars: (pace) => replayFile(file, { to: TO, pace }) })));

const run = (config: RunnerConfig, bars$: Observable<Bar>, symbols: readonly string[]): Promise<TradeRunResult> =>
  runTradeRunner({ config, contracts, bars$, symbols }).result;

const only = (id: string, currency = 'USD'): RunnerConfig => ({
  ...multi,
  account: { ...multi.account, currency },
  strategies: multi.strategies.filter((s) => s.id === id),
});

let bySymbol: Map<string, Bar[]>;
beforeAll(async () => {
  const all = await Promise.all(FILES.map((f) => readBarsParquet(f, { to: TO })));
  bySymbol = new Map(all.map((bars) => [bars[0].symbol, bars]));
});

describe('a replay of several files', () => {
  it('passes every bar of every file once, in close-time order, each symbol exactly as its file has it', async () => {
    const seen: Bar[] = [];
    const recorder = makeStrategy({
      id: 'spread',
      symbol: 'EURJPY',
      reads: ['EURUSD', 'USDJPY'],
      decide: (bars$) => bars$.pipe(tap((bar) => seen.push(bar)), ignoreElements()),
    });
    const usdOnly: Bar[] = [];
    const usdjpyOnly = makeStrategy({
      id: 'usdjpy',
      symbol: 'USDJPY',
      decide: (bars$) => bars$.pipe(tap((bar) => usdOnly.push(bar)), ignoreElements()),
    });
    const book = createBook({ contracts, accountCurrency: 'USD', initialCash: 1_000_000, pricedSymbols: ['EURJPY', 'EURUSD', 'USDJPY'] });
    const graph = buildGraph({ bars$: merged(), strategies: [recorder, usdjpyOnly], broker: createSimBroker({ contracts }), book, contracts });
    await lastValueFrom(graph.events$.pipe(toArray()));

    // A strategy reading three symbols sees each one's bars as its file has them: no shift, no gap filled.
    for (const [symbol, bars] of bySymbol) {
      const got = seen.filter((b) => b.symbol === symbol);
      expect(got.length).toBe(bars.length);
      expect(got.findIndex((b, i) => b.ts !== bars[i].ts || b.close !== bars[i].close)).toBe(-1);
    }
    // One stream in close-time order, equal close times by symbol name.
    const outOfOrder = seen.findIndex((b, i) => i > 0 && (seen[i - 1].ts > b.ts || (seen[i - 1].ts === b.ts && seen[i - 1].symbol >= b.symbol)));
    expect(outOfOrder).toBe(-1);
    // A strategy of one symbol sees that symbol's bars alone: EURJPY's missing minutes do not touch them.
    expect(usdOnly.length).toBe(bySymbol.get('USDJPY')?.length);
    expect(usdOnly.every((b) => b.symbol === 'USDJPY')).toBe(true);

    // Lined up by time, the triangle holds bar by bar: a symbol shifted by one minute would break it.
    const latest = new Map<string, Bar>();
    let checked = 0;
    const outside: number[] = [];
    for (const bar of seen) {
      latest.set(bar.symbol, bar);
      const [cross, eurusd, usdjpy] = ['EURJPY', 'EURUSD', 'USDJPY'].map((s) => latest.get(s));
      if (cross === undefined || eurusd === undefined || usdjpy === undefined || cross.ts !== eurusd.ts || cross.ts !== usdjpy.ts || bar.symbol !== 'USDJPY') continue;
      checked++;
      if (Math.abs(cross.close - eurusd.close * usdjpy.close) > 0.005) outside.push(cross.ts);
    }
    expect(checked).toBeGreaterThan(30_000);
    expect(outside).toEqual([]);
  });

  it('fills strategies that do not interact exactly as their own single-symbol replays do', async () => {
    const together = await run(multi, merged(), ['EURJPY', 'EURUSD', 'USDJPY']);
    const fills = (r: TradeRunResult, id: string) => r.report.strategies.find((s) => s.id === id)?.fills ?? [];
    const alone = {
      long_into_fix: await run(only('long_into_fix'), fileBars(FILES[0]), ['USDJPY']),
      eurusd_sma: await run(only('eurusd_sma'), fileBars(FILES[1]), ['EURUSD']),
      // Alone, EURJPY has no USDJPY rate: a EUR account books it at its own price, and its fills are the same.
      eurjpy_sma: await run(only('eurjpy_sma', 'EUR'), fileBars(FILES[2]), ['EURJPY']),
    };
    for (const [id, single] of Object.entries(alone)) {
      expect(fills(together, id).length).toBeGreaterThan(5);
      expect(fills(together, id)).toEqual(fills(single, id));
    }
    // In the account currency too, where no conversion links them (USDJPY and EURUSD in USD).
    for (const id of ['long_into_fix', 'eurusd_sma'] as const) {
      expect(together.report.strategies.find((s) => s.id === id)?.netPnlAccount).toBe(alone[id].report.strategies[0].netPnlAccount);
    }
  });

  it('books EURJPY PnL in USD at the USDJPY close at or before each fill (not the next one), and marks at the latest', async () => {
    const result = await run(multi, merged(), ['EURJPY', 'EURUSD', 'USDJPY']);
    const leg = result.report.strategies.find((s) => s.id === 'eurjpy_sma');
    if (leg === undefined) throw new Error('no eurjpy_sma');
    const usdjpy = bySymbol.get('USDJPY') ?? [];
    const closes = usdjpy.map((b) => ({ at: b.ts + b.intervalMs, close: b.close }));
    /** USDJPY's last close at or before `ts`, or (`ahead`) the first one after it: what look-ahead would take. */
    const rate = (ts: number, ahead = false): number => {
      let lo = 0;
      let hi = closes.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (closes[mid].at <= ts) lo = mid;
        else hi = mid - 1;
      }
      return ahead ? closes[lo + 1].close : closes[lo].close;
    };
    // The leg's money, replayed by hand: each fill's realized PnL and commission (JPY) at its own rate, the
    // open position at the last EURJPY close and the last USDJPY close.
    const usd = (ahead: boolean): number => {
      let qty = 0;
      let avg = 0;
      let money = 0;
      for (const f of leg.fills) {
        const signed = f.side === 'BUY' ? f.qty : -f.qty;
        const r = rate(f.ts, ahead);
        money -= f.commission / r;
        if (qty !== 0 && Math.sign(qty) !== Math.sign(signed)) {
          const closed = Math.min(Math.abs(signed), Math.abs(qty));
          money += (closed * (f.price - avg) * Math.sign(qty)) / r;
          const left = qty + signed;
          avg = left === 0 ? 0 : Math.sign(left) === Math.sign(qty) ? avg : f.price;
          qty = left;
        } else {
          avg = (Math.abs(qty) * avg + f.qty * f.price) / (Math.abs(qty) + f.qty);
          qty += signed;
        }
      }
      const lastCross = (bySymbol.get('EURJPY') ?? []).at(-1)?.close ?? Number.NaN;
      return money + (qty * (lastCross - avg)) / (usdjpy.at(-1)?.close ?? Number.NaN);
    };
    expect(leg.fills.length).toBeGreaterThan(100);
    expect(leg.netPnlAccount).toBeCloseTo(usd(false), 6);
    // The check can tell: the next bar's rate (look-ahead) gives other money, and so would JPY taken for USD.
    expect(Math.abs(usd(true) - usd(false))).toBeGreaterThan(0.01);
    expect(Math.abs(leg.netPnlAccount)).toBeLessThan(Math.abs(leg.totals.netPnl));
  });

  it('runs a EUR account on USDJPY with EURUSD loaded (JPY → USD → EUR), and refuses it at the start without', async () => {
    // No commission: a closed trade's money is then its PnL alone, at its exit's rates.
    const { broker: _commission, ...noCommission } = only('long_into_fix', 'EUR');
    const config = parseRunnerConfig(noCommission);
    expect(() => runTradeRunner({ config, contracts, bars$: fileBars(FILES[0]), symbols: ['USDJPY'] })).toThrow(/no rate can be derived from the symbols loaded \(USDJPY\); load EURJPY bars beside it/);
    const result = await run(config, merged([FILES[0], FILES[1]]), ['EURUSD', 'USDJPY']);
    const leg = result.report.strategies[0];
    expect(leg.trades.length).toBeGreaterThan(3);
    // Each closed trade's money: JPY ÷ its exit price (USD) ÷ EURUSD's close at or before the exit. EURUSD sorts
    // before USDJPY, so when a USDJPY bar settles, EURUSD's bar of the same minute is marked already: taking its
    // close (the latest) would be look-ahead, and this check fails.
    const eurusd = bySymbol.get('EURUSD') ?? [];
    const eurusdAt = (ts: number): number => {
      let found = Number.NaN;
      for (const b of eurusd) if (b.ts + b.intervalMs <= ts) found = b.close;
      return found;
    };
    for (const t of leg.trades) expect(t.pnlNetAccount).toBeCloseTo(t.pnl / t.exitPrice / eurusdAt(t.exitTs), 6);
  });
});
