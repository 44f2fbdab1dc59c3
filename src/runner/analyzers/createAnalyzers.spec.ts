import { ConfigError } from '../../core/errors';
import { formatZodError } from '../../core/schemas';
import { ANALYZER_NAMES, analyzerNameSchema, analyzerNamesSchema, createAnalyzer, createAnalyzers } from './createAnalyzers';
import { HOUR, T0, makeFill, makeTrade } from '../../../test/support/testTrades';

describe('analyzer names', () => {
  it('accepts the known names', () => {
    expect(analyzerNamesSchema.parse(['sharpe', 'trades'])).toEqual(['sharpe', 'trades']);
    expect(analyzerNameSchema.options).toEqual([...ANALYZER_NAMES]);
  });

  it('names the bad entry of a config list', () => {
    const unknown = analyzerNamesSchema.safeParse(['sharpe', 'sortino']);
    expect(unknown.success).toBe(false);
    expect(formatZodError(unknown.error!)).toMatch(/^\[1\]: .*"trades"/);
    const twice = analyzerNamesSchema.safeParse(['sharpe', 'drawdown', 'sharpe']);
    expect(formatZodError(twice.error!)).toBe('[2]: analyzer "sharpe" is listed twice');
  });
});

describe('createAnalyzers', () => {
  it('feeds every attached analyzer and reports in the canonical order', () => {
    const set = createAnalyzers(['exposure', 'drawdown', 'trades', 'sharpe', 'winRate', 'profitFactor', 'returns'], { initialEquity: 1000 });
    expect(set.names).toEqual(ANALYZER_NAMES);
    const equities = [1000, 1010, 990, 1030];
    equities.forEach((equity, i) => {
      set.onEquity(T0 + i * 24 * HOUR, equity);
      set.onBar(T0 + i * 24 * HOUR, i % 2 === 1);
    });
    set.onFill(makeFill({ commission: 1 }));
    set.onTrade(makeTrade({ pnlNet: 30 }));
    set.onTrade(makeTrade({ pnlNet: -10 }));
    const results = set.results();
    expect(Object.keys(results)).toEqual([...ANALYZER_NAMES]);
    expect(results.trades).toMatchObject({ count: 2, fills: 1, commission: 1, netPnl: 20 });
    expect(results.returns?.totalReturn).toBeCloseTo(0.03, 12);
    expect(results.returns?.days).toBe(4);
    expect(results.sharpe?.days).toBe(4);
    expect(results.drawdown).toMatchObject({ maxDrawdown: 20, peakTs: T0 + 24 * HOUR, troughTs: T0 + 48 * HOUR });
    expect(results.winRate).toMatchObject({ wins: 1, losses: 1, winRate: 0.5 });
    expect(results.profitFactor?.profitFactor).toBe(3);
    expect(results.exposure?.exposure).toBe(0.5);
  });

  it('gives the same results as the analyzers created one by one (returns and sharpe share their daily closes)', () => {
    const set = createAnalyzers(ANALYZER_NAMES, { initialEquity: 100 });
    const alone = ANALYZER_NAMES.map((name) => createAnalyzer(name, { initialEquity: 100 }));
    const equities = [100, 103, 101, 99, 104, 106, 102];
    equities.forEach((equity, i) => {
      const ts = T0 + i * 10 * HOUR;
      set.onEquity(ts, equity);
      set.onBar(ts, i > 2);
      for (const a of alone) {
        a.onEquity?.(ts, equity);
        a.onBar?.(ts, i > 2);
      }
    });
    for (const trade of [makeTrade({ pnlNet: 3 }), makeTrade({ pnlNet: -1 })]) {
      set.onTrade(trade);
      for (const a of alone) a.onTrade?.(trade);
    }
    expect(set.results()).toEqual(Object.fromEntries(ANALYZER_NAMES.map((name, i) => [name, alone[i].result()])));
  });

  it('onPoint is onEquity then onBar', () => {
    const split = createAnalyzers(ANALYZER_NAMES, { initialEquity: 100 });
    const fused = createAnalyzers(ANALYZER_NAMES, { initialEquity: 100 });
    [100, 97, 101, 95, 96, 99, 108, 90].forEach((equity, i) => {
      const ts = T0 + i * 7 * HOUR;
      split.onEquity(ts, equity);
      split.onBar(ts, i % 3 !== 0);
      fused.onPoint(ts, equity, i % 3 !== 0);
    });
    expect(fused.results()).toEqual(split.results());
  });

  it('reports only what is attached', () => {
    const set = createAnalyzers(['winRate'], { initialEquity: 1 });
    set.onEquity(T0, 2);
    set.onTrade(makeTrade({ pnlNet: 1 }));
    expect(set.results()).toEqual({ winRate: expect.objectContaining({ wins: 1 }) });
    expect(createAnalyzers([], { initialEquity: 1 }).results()).toEqual({});
  });

  it('refuses unknown or repeated names and bad options with a ConfigError', () => {
    expect(() => createAnalyzers(['sortino' as never], { initialEquity: 1 })).toThrow(ConfigError);
    expect(() => createAnalyzers(['trades', 'trades'], { initialEquity: 1 })).toThrow('analyzers: analyzers[1]: analyzer "trades" is listed twice');
    expect(() => createAnalyzers(['trades'], { initialEquity: Number.NaN })).toThrow(/initialEquity must be a finite number/);
    expect(() => createAnalyzers(['sharpe'], { initialEquity: 1, periodsPerYear: 0 })).toThrow(/periodsPerYear must be a positive number/);
  });
});
