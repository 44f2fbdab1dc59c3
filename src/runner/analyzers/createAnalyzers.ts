import { z } from 'zod';
import { ConfigError } from '../../core/errors';
import type { Fill, Trade } from '../../core/types';
import type { Analyzer, AnalyzerOptions } from './analyzer';
import { createDailyCloseTracker } from './dailyCloses';
import { createDrawdownAnalyzer, type DrawdownAnalysis } from './drawdown';
import { createExposureAnalyzer, type ExposureAnalysis } from './exposure';
import { createProfitFactorAnalyzer, type ProfitFactorAnalysis } from './profitFactor';
import { createReturnsAnalyzer, type ReturnsAnalysis } from './returns';
import { createSharpeAnalyzer, type SharpeAnalysis } from './sharpe';
import { createTradesAnalyzer, type TradesAnalysis } from './trades';
import { createWinRateAnalyzer, type WinRateAnalysis } from './winRate';

/** The analyzers a runner config can attach by name, in the order their results are reported. */
export const ANALYZER_NAMES = ['trades', 'returns', 'sharpe', 'drawdown', 'winRate', 'profitFactor', 'exposure'] as const;

export type AnalyzerName = (typeof ANALYZER_NAMES)[number];

/** One analyzer name in a runner config: `"analyzers": ["sharpe", "drawdown"]`. */
export const analyzerNameSchema = z.enum(ANALYZER_NAMES);

/** The `analyzers` list of a runner config: known names, each at most once. */
export const analyzerNamesSchema = z.array(analyzerNameSchema).superRefine((names, ctx) => {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i], message: `analyzer "${name}" is listed twice` });
    seen.add(name);
  });
});

export interface AnalyzerResultMap {
  readonly trades: TradesAnalysis;
  readonly returns: ReturnsAnalysis;
  readonly sharpe: SharpeAnalysis;
  readonly drawdown: DrawdownAnalysis;
  readonly winRate: WinRateAnalysis;
  readonly profitFactor: ProfitFactorAnalysis;
  readonly exposure: ExposureAnalysis;
}

/** Results of the attached analyzers, keyed by name; an analyzer not attached has no key. */
export type AnalyzerResults = { readonly [K in AnalyzerName]?: AnalyzerResultMap[K] };

const factories: { readonly [K in AnalyzerName]: (options: AnalyzerOptions) => Analyzer<AnalyzerResultMap[K]> } = {
  trades: createTradesAnalyzer,
  returns: createReturnsAnalyzer,
  sharpe: createSharpeAnalyzer,
  drawdown: createDrawdownAnalyzer,
  winRate: createWinRateAnalyzer,
  profitFactor: createProfitFactorAnalyzer,
  exposure: createExposureAnalyzer,
};

/** Every analyzer by name. */
export function createAnalyzer<K extends AnalyzerName>(name: K, options: AnalyzerOptions): Analyzer<AnalyzerResultMap[K]> {
  return factories[name](options);
}

/**
 * Fans the runner's events out to the analyzers attached to one equity curve (a strategy or the account).
 * `returns` and `sharpe` share one daily-close tracker; each hook calls its analyzers at fixed call sites
 * (no loop over a mixed list), which keeps V8's calls monomorphic and the per-bar cost a few nanoseconds.
 */
export interface AnalyzerSet {
  readonly names: readonly AnalyzerName[];
  onEquity(ts: number, equity: number): void;
  onBar(ts: number, exposed: boolean): void;
  /** `onEquity(ts, equity)` then `onBar(ts, exposed)` in one call: a sweep's pass makes it for every config on every bar. */
  onPoint(ts: number, equity: number, exposed: boolean): void;
  onTrade(trade: Trade): void;
  onFill(fill: Fill): void;
  /** Results keyed by name, in {@link ANALYZER_NAMES} order whatever the order they were attached in. */
  results(): AnalyzerResults;
}

/**
 * Creates the named analyzers for one equity curve. Names are validated (a config goes through
 * `analyzerNamesSchema` first; a direct caller gets a `ConfigError` naming the bad or repeated name).
 */
export function createAnalyzers(names: readonly AnalyzerName[], options: AnalyzerOptions): AnalyzerSet {
  if (!Number.isFinite(options.initialEquity)) {
    throw new ConfigError(`initialEquity must be a finite number, got ${String(options.initialEquity)}`, 'analyzers');
  }
  if (options.periodsPerYear !== undefined && !(options.periodsPerYear > 0 && Number.isFinite(options.periodsPerYear))) {
    throw new ConfigError(`periodsPerYear must be a positive number, got ${String(options.periodsPerYear)}`, 'analyzers');
  }
  const parsed = analyzerNamesSchema.safeParse(names);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`analyzers[${String(issue.path[0] ?? '')}]: ${issue.message}`, 'analyzers');
  }
  const has = (name: AnalyzerName): boolean => names.includes(name);
  const daily = has('returns') || has('sharpe') ? createDailyCloseTracker(options.initialEquity) : null;
  const trades = has('trades') ? createTradesAnalyzer() : null;
  const returns = has('returns') ? createReturnsAnalyzer(options, daily ?? undefined) : null;
  const sharpe = has('sharpe') ? createSharpeAnalyzer(options, daily ?? undefined) : null;
  const drawdown = has('drawdown') ? createDrawdownAnalyzer(options) : null;
  const winRate = has('winRate') ? createWinRateAnalyzer() : null;
  const profitFactor = has('profitFactor') ? createProfitFactorAnalyzer() : null;
  const exposure = has('exposure') ? createExposureAnalyzer() : null;

  return {
    names: ANALYZER_NAMES.filter(has),
    onEquity(ts, equity) {
      if (daily !== null) daily.push(ts, equity);
      if (drawdown !== null) drawdown.onEquity!(ts, equity);
    },
    onBar(ts, exposed) {
      if (exposure !== null) exposure.onBar!(ts, exposed);
    },
    onPoint(ts, equity, exposed) {
      this.onEquity(ts, equity);
      this.onBar(ts, exposed);
    },
    onTrade(trade) {
      if (trades !== null) trades.onTrade!(trade);
      if (winRate !== null) winRate.onTrade!(trade);
      if (profitFactor !== null) profitFactor.onTrade!(trade);
    },
    onFill(fill) {
      if (trades !== null) trades.onFill!(fill);
    },
    results() {
      const out: { -readonly [K in AnalyzerName]?: AnalyzerResultMap[K] } = {};
      if (trades !== null) out.trades = trades.result();
      if (returns !== null) out.returns = returns.result();
      if (sharpe !== null) out.sharpe = sharpe.result();
      if (drawdown !== null) out.drawdown = drawdown.result();
      if (winRate !== null) out.winRate = winRate.result();
      if (profitFactor !== null) out.profitFactor = profitFactor.result();
      if (exposure !== null) out.exposure = exposure.result();
      return out;
    },
  };
}
