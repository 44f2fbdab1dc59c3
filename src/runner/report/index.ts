export { createEquitySampler, type EquitySamplerOptions, type EquitySeries } from './equitySampler';
export {
  currencyDecimals,
  escapeHtml,
  formatDuration,
  formatFractionPct,
  formatMoney,
  formatNumber,
  formatPrice,
  formatSigned,
  formatUtc,
  formatUtcDate,
  jsonForScript,
} from './format';
export { renderHtmlReport, type HtmlReportOptions, type ReportSeries } from './htmlReport';
export { createPriceSampler, type PriceSampler, type PriceSamplerOptions, type PriceSeries } from './priceSampler';
export {
  buildReplayReport,
  parseReplayReport,
  REJECT_REASONS,
  REPORT_SCHEMA_VERSION,
  replayReportSchema,
  reportTrade,
  serializeReport,
  withReportInput,
  type AccountReport,
  type ReplayReport,
  type ReplayReportInput,
  type ReportAnalyzers,
  type ReportFill,
  type ReportInput,
  type ReportOrder,
  type ReportPeriod,
  type ReportPosition,
  type ReportRejections,
  type ReportTotals,
  type ReportTrade,
  type RunStats,
  type StrategyReport,
  type StrategyRunResult,
  type TradesSummary,
} from './replayReport';
export { formatSummaryTable } from './summaryTable';
