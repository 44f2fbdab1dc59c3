/**
 * Interactive Brokers live adapters (TWS / IB Gateway through @stoqey/ib): one shared connection per clientId,
 * real-time 5-second bars and bid/ask quotes as the engine's Observables. The broker is `src/broker/ibkrBroker`.
 */
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
export { ibContractOf, symbolResolver } from './contracts';
export { dropStaleBars } from './realtime/dropStaleBars';
export { IB_MESSAGE_IDS, readIbMessage, type IbMessageName } from './messages';
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
