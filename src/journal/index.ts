/**
 * The durable journal: an append-only SQLite file recording what a run decided, sent, heard and was told.
 *
 * ```ts
 * const journal = openJournal('data/live.db', { mode: 'live', account, configHash: journalConfigHash(config), accountCurrency: 'USD', initialCash });
 * const book = rebuildBook(journal, { contracts });                 // recovery: the book the last run left
 * const broker = writeAheadBroker(ibkrBroker, journal, { onAlreadySent });   // intents and fills committed first
 * const run = runTradeRunner({ …, broker });
 * run.events$.subscribe(recordGraphEvents(journal));                 // signals, intents, order events, trades, marks
 * // … at the end:
 * journal.recordPositions(run.book.positions());
 * journal.close('SIGINT');
 * ```
 */
export { journalConfigHash, type TradingConfig } from './configHash';
export { lockPathOf } from './database';
export { adjustmentFill, openJournal, type Journal, type JournalOptions, type SendDecision } from './journal';
export { JournalError, type JournalErrorReason } from './journalError';
export {
  readJournal,
  type ControlAction,
  type ControlActionKind,
  type JournalControlState,
  type JournaledControl,
  type JournaledError,
  type JournaledFill,
  type JournaledIntent,
  type JournaledMark,
  type JournaledOrder,
  type JournaledOrderEvent,
  type JournaledPosition,
  type JournaledSignal,
  type JournaledTrade,
  type JournalEntry,
  type JournalReader,
  type JournalRun,
  type KillState,
  type ReconcileAdjustment,
  type TimeRange,
  type VenueOrderIds,
} from './reader';
export { rebuildBook, type RebuildOptions } from './rebuild';
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from './schema';
export { recordGraphEvents, writeAheadBroker, type WriteAheadOptions } from './writeAhead';
