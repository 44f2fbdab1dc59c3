/**
 * The live runtime: the replay graph run against TWS / IB Gateway (`startLiveRunner`), configured by a runner
 * config plus its `ib` and `live` sections (`liveConfig.ts`). The venue code it drives is `src/adapters/ibkr`.
 */
export { LiveRunnerError, startLiveRunner, type LiveEvent, type LiveNotice, type LiveRunner, type LiveRunnerOptions, type LiveRunResult } from './liveRunner';
export { barIntervalMs, liveConfigSchema, liveSectionSchema, loadLiveConfig, parseLiveConfig, type LiveConfig, type LiveSection } from './liveConfig';
