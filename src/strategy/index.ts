export { defineStrategy, signalOf, type Strategy } from './types';
export { incremental, type Incremental } from './incremental';
export * from './features';
export { createCrossover, crossover, type CrossDirection, type Crossover } from './signals';
export { gotobiDays, isGotobiDay, isJapaneseHoliday, isNominalGotobi, isTokyoBusinessDay } from './gotobiDays';
export { createGotobi, gotobi, GOTOBI_DEFAULT_TIMEZONE, GOTOBI_REASON, type GotobiParams } from './gotobi';
export { createSmaCross, smaCross, SMA_CROSS_REASON, type SmaCrossParams } from './smaCross';
export {
  createStrategy,
  duplicateStrategyIds,
  gotobiSpecSchema,
  smaCrossSpecSchema,
  strategySpecSchema,
  strategySpecsSchema,
  type GotobiSpec,
  type SmaCrossSpec,
  type StrategySpec,
} from './registry';
