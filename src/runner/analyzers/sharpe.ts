import { z } from 'zod';
import { DEFAULT_PERIODS_PER_YEAR, type Analyzer, type AnalyzerOptions } from './analyzer';
import { createDailyCloseTracker, type DailyCloseTracker } from './dailyCloses';
import { count, nullableNum, num, reasonText } from './resultFields';

/**
 * Annualized Sharpe ratio of DAILY returns, risk-free rate 0:
 *
 *   sharpe = mean(r) / std(r) × √periodsPerYear
 *
 * - r: the daily returns of `returns` (close = last equity point of each UTC day; the first day against the
 *   initial equity; days without points are absent, not zero).
 * - std: SAMPLE standard deviation (divides by n − 1). Backtrader's `SharpeRatio` defaults to the
 *   population one (`stddev_sample=False`); the sample one is the usual statistical choice and is used here.
 * - √252 by default (Backtrader's daily factor; see `DEFAULT_PERIODS_PER_YEAR`).
 *
 * `null`, with `reason`, when there are fewer than 2 daily returns, their std is 0 (below 1e-12, which is
 * float noise for returns that are fractions: constant compounding gives such a std), or a return is undefined
 * (a non-positive close). Mean and std are computed at the end in two passes (exact enough, deterministic).
 */
export const sharpeAnalysisSchema = z
  .object({
    sharpe: nullableNum,
    reason: reasonText,
    /** Number of daily returns used. */
    days: count,
    meanDailyReturn: nullableNum,
    stdDailyReturn: nullableNum,
    periodsPerYear: num.positive(),
    riskFreeRate: z.literal(0),
  })
  .readonly();

export type SharpeAnalysis = z.infer<typeof sharpeAnalysisSchema>;

const ZERO_STD = 1e-12;

/** @param shared a daily-close tracker fed by the caller (see `createReturnsAnalyzer`). */
export function createSharpeAnalyzer(options: AnalyzerOptions, shared?: DailyCloseTracker): Analyzer<SharpeAnalysis> {
  const periodsPerYear = options.periodsPerYear ?? DEFAULT_PERIODS_PER_YEAR;
  const tracker = shared ?? createDailyCloseTracker(options.initialEquity);
  const result = (): SharpeAnalysis => sharpeOfDailyReturns(tracker.returns(), periodsPerYear);
  return shared ? { name: 'sharpe', result } : { name: 'sharpe', onEquity: (ts, equity) => tracker.push(ts, equity), result };
}

/** The Sharpe ratio of a list of daily returns, as defined on {@link SharpeAnalysis}. */
export function sharpeOfDailyReturns(returns: readonly (number | null)[], periodsPerYear: number): SharpeAnalysis {
  const days = returns.length;
  const base = { days, periodsPerYear, riskFreeRate: 0 as const };
  if (days < 2) {
    return { sharpe: null, reason: `needs at least 2 daily returns, got ${days}`, meanDailyReturn: null, stdDailyReturn: null, ...base };
  }
  let sum = 0;
  for (const r of returns) {
    if (r === null) {
      return { sharpe: null, reason: 'a daily return is undefined (equity not positive)', meanDailyReturn: null, stdDailyReturn: null, ...base };
    }
    sum += r;
  }
  const mean = sum / days;
  let squares = 0;
  for (const r of returns) {
    const d = (r as number) - mean;
    squares += d * d;
  }
  const std = Math.sqrt(squares / (days - 1));
  if (std < ZERO_STD) {
    return { sharpe: null, reason: 'daily returns have zero standard deviation', meanDailyReturn: mean, stdDailyReturn: std, ...base };
  }
  return { sharpe: (mean / std) * Math.sqrt(periodsPerYear), reason: null, meanDailyReturn: mean, stdDailyReturn: std, ...base };
}
