import { z } from 'zod';
import { DEFAULT_PERIODS_PER_YEAR, type Analyzer, type AnalyzerOptions } from './analyzer';
import { createDailyCloseTracker, dailyCloseSchema, type DailyCloseTracker } from './dailyCloses';
import { count, nullableNum, num, reasonText } from './resultFields';

/**
 * Returns of one equity curve.
 *
 * - `totalReturn` = finalEquity / initialEquity − 1 (a fraction: 0.05 is +5 %). With no point at all the
 *   final equity is the initial equity.
 * - `daily`: the close of each UTC day is the LAST equity point of that day; its return is close / previous
 *   close − 1, the first day measured against the initial equity (Backtrader's `TimeReturn` on days).
 * - `annualizedReturn` = (finalEquity / initialEquity)^(periodsPerYear / days) − 1, `days` = number of UTC
 *   days with at least one point (Backtrader's `Returns` `rnorm`, compounded, 252 days a year by default).
 *   `null`, with `reason`, when there is no day or the equity ratio is not positive.
 */
export const returnsAnalysisSchema = z
  .object({
    initialEquity: num,
    finalEquity: num,
    totalReturn: nullableNum,
    annualizedReturn: nullableNum,
    reason: reasonText,
    days: count,
    periodsPerYear: num.positive(),
    daily: z.array(dailyCloseSchema).readonly(),
  })
  .readonly();

export type ReturnsAnalysis = z.infer<typeof returnsAnalysisSchema>;

/**
 * @param shared a daily-close tracker fed by the caller (so `returns` and `sharpe` share one): the analyzer
 *   then has no `onEquity` hook of its own.
 */
export function createReturnsAnalyzer(options: AnalyzerOptions, shared?: DailyCloseTracker): Analyzer<ReturnsAnalysis> {
  const { initialEquity } = options;
  const periodsPerYear = options.periodsPerYear ?? DEFAULT_PERIODS_PER_YEAR;
  const tracker = shared ?? createDailyCloseTracker(initialEquity);

  const result = (): ReturnsAnalysis => {
    const finalEquity = tracker.lastEquity(initialEquity);
    const daily = tracker.closes();
    const days = daily.length;
    const ratio = initialEquity > 0 ? finalEquity / initialEquity : Number.NaN;
    const totalReturn = Number.isFinite(ratio) ? ratio - 1 : null;
    let annualizedReturn: number | null = null;
    let reason: string | null = null;
    if (totalReturn === null) reason = 'initial equity is not positive';
    else if (days === 0) reason = 'no equity point';
    else if (ratio <= 0) reason = 'final equity is not positive';
    else {
      const annualized = Math.pow(ratio, periodsPerYear / days) - 1;
      if (Number.isFinite(annualized)) annualizedReturn = annualized;
      else reason = `annualizing over ${days} day(s) overflows`;
    }
    return { initialEquity, finalEquity, totalReturn, annualizedReturn, reason, days, periodsPerYear, daily };
  };
  return shared ? { name: 'returns', result } : { name: 'returns', onEquity: (ts, equity) => tracker.push(ts, equity), result };
}
