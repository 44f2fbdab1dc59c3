export { makeStrategy, stamp, warmupProblem, type BarsStrategy, type FillsStrategy, type Strategy, type StrategyParts, type Warmup } from './types';
export {
  defineStrategy,
  isStrategyDefinition,
  type ParamsLocation,
  type ParamsSchema,
  type StrategyContext,
  type StrategyDefinition,
  type BarsDefinitionSpec,
  type FillsDefinitionSpec,
  type StrategyDefinitionSpec,
  type StrategyInstanceSpec,
} from './definition';
export { incremental, type Incremental } from './incremental';
export * from './features';
export { createCrossover, crossover, type CrossDirection, type Crossover } from './signals';
export { gotobiDays, isGotobiDay, isJapaneseHoliday, isNominalGotobi, isTokyoBusinessDay } from './gotobiDays';
export { createGotobi, gotobi, GOTOBI_DEFAULT_TIMEZONE, GOTOBI_REASON, gotobiParamsSchema, gotobiStrategy, gotobiWarmup, type GotobiParams } from './gotobi';
export { createSmaCross, smaCross, SMA_CROSS_REASON, smaCrossParamsSchema, smaCrossStrategy, type SmaCrossParams } from './smaCross';
export { loadStrategyModule } from './modules';
export {
  BUILT_IN_STRATEGIES,
  createStrategy,
  resolveStrategyModules,
  strategyDefinitionOf,
  strategyEntriesSchema,
  strategyEntrySchema,
  strategyParamsOf,
  type BuiltInStrategyEntry,
  type ModuleResolution,
  type ModuleStrategyEntry,
  type StrategyEntry,
} from './registry';
