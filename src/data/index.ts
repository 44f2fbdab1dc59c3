/** The data layer: files → bars (replay), bars → Parquet (DataStore), push sources (DataStreamer). */
export { replayParquet, replayCsv, replayFile, replayWith, readerFor, parseReplayOptions, DEFAULT_BATCH_ROWS } from './replay';
export type { ReplayOptions, ValidationReport, ValidationPolicy, SkippedRow } from './replay';
export { writeBarsParquet, readBarsParquet } from './dataStore';
export type { WriteBarsOptions, WriteBarsResult, BarSource } from './dataStore';
export { createDataStreamer, BufferOverflowError } from './dataStreamer';
export type { DataStreamer, DataStreamerOptions } from './dataStreamer';
export { openParquetReader } from './parquetReader';
export { openCsvReader } from './csvReader';
export type { BarBatch, BarBatchReader, BarReaderOptions, OpenBarReader, RowRejection, BarFileMetadata, BarColumnNames } from './barBatch';
export { BAR_RULES, BAR_RULE_TEXT } from './barRules';
export type { BarRule } from './barRules';
export { COLUMN_ALIASES } from './columns';
export { inferIntervalMs, formatDuration } from './intervals';
export { createGapTracker, isFxWeekendGap } from './gaps';
export type { Gap, GapSummary, GapTracker } from './gaps';
export { describeSkipped } from './validation';
