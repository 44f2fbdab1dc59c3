export { createLimitCheck, parseRiskLimits, riskLimitsSchema, type LimitCheck, type Refusal, type RiskLimits, type RiskView } from './limits';
export { sizeSignals } from './sizeSignals';
export { createSizer, parseSizerConfig, sizerConfigSchema, type Sizer, type SizerConfig, type SizingView } from './sizers';
