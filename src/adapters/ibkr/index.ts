/**
 * Interactive Brokers (TWS / IB Gateway through @stoqey/ib), in one place:
 *
 * - `connection.ts`: one shared connection per clientId, reconnecting with backoff; sessions, errors, notices.
 * - `messages.ts`: zod readers of the TWS messages that cross into the engine (message ids from @stoqey/ib).
 * - `contracts.ts`: contract mapping (the `ib` block of `config/contracts.json`, validated here).
 * - `orderMapping.ts`: engine order → IB order, IB status and error codes → what they mean, as tables.
 * - `execution.ts`: the execution state machine (orders, fills, commissions, execId dedupe).
 * - `reconciliation.ts`: recovery after every (re)connection, positions against the book at start.
 * - `broker.ts`: the broker, a composition of the above.
 * - `realtime/`: 5-second real-time bars and bid/ask quotes as the engine's Observables.
 * - `history/`: paced, resumable historical bars into a store (`npm run fetch:ibkr`).
 */
export { createIbkrBroker, type DisconnectedPolicy, type IbkrBroker, type IbkrBrokerOptions } from './broker';
export type { BrokerReport } from './brokerReports';
export {
  backoffDelay,
  createIbConnection,
  DEFAULT_BACKOFF,
  DEFAULT_IB_PORT,
  FIRST_REQUEST_ID,
  ibConnectionConfigSchema,
  resolveIbConnectionConfig,
  type BackoffPolicy,
  type IbApiError,
  type IbConnection,
  type IbConnectionConfig,
  type IbConnectionState,
  type IbNotice,
  type IbProtocolError,
  type IbSession,
} from './connection';
export {
  ibContractOf,
  ibContractSchema,
  loadIbContracts,
  parseIbContracts,
  symbolResolver,
  type IbContractBlock,
  type IbContractBook,
  type IbContractSpec,
} from './contracts';
export { IB_MESSAGE_IDS, readIbMessage, type IbMessageName } from './messages';
export { orderRefOf, parseOrderRef } from './orderMapping';
export type { BookPosition, PositionCheck, ReconcileReport } from './reconciliation';
export { fetchIbkrHistory, type FetchProgress, type FetchResult, type HistoricalWhatToShow, type IbkrHistoryOptions } from './history/historyService';
export { parquetHistoryStore, type HistoryStore } from './history/store';
export { dropStaleBars } from './realtime/dropStaleBars';
export { quoteTicks, type IbTick } from './realtime/quoteTicks';
export {
  ibkrQuotes,
  ibkrRealTimeBars,
  perSession,
  REAL_TIME_BAR_MS,
  type IbkrQuotesOptions,
  type IbkrRealTimeBarsOptions,
  type RealTimeWhatToShow,
} from './realtime/sources';
