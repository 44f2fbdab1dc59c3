export { DEFAULT_PERIODS_PER_YEAR, isoDateOfDay, utcDayOf, type Analyzer, type AnalyzerOptions } from './analyzer';
export {
  ANALYZER_NAMES,
  analyzerNameSchema,
  analyzerNamesSchema,
  createAnalyzer,
  createAnalyzers,
  type AnalyzerName,
  type AnalyzerResultMap,
  type AnalyzerResults,
  type AnalyzerSet,
} from './createAnalyzers';
export { createDailyCloseTracker, type DailyClose, type DailyCloseTracker } from './dailyCloses';
export { createDrawdownAnalyzer, type DrawdownAnalysis } from './drawdown';
export { createExposureAnalyzer, type ExposureAnalysis } from './exposure';
export { createProfitFactorAnalyzer, type ProfitFactorAnalysis } from './profitFactor';
export { createReturnsAnalyzer, type ReturnsAnalysis } from './returns';
export { createSharpeAnalyzer, sharpeOfDailyReturns, type SharpeAnalysis } from './sharpe';
export { createTradesAnalyzer, type TradesAnalysis } from './trades';
export { createWinRateAnalyzer, type WinRateAnalysis } from './winRate';
