import { performance } from 'node:perf_hooks';
import { Observable, Subject, type Subscriber } from 'rxjs';
import WebSocket from 'ws';
import type { z } from 'zod';
import { DataError } from '../../core/errors';
import type { QuoteTick } from '../../core/types';
import { ctraderUrl, type CtraderConfig } from './config';
import {
  encode,
  messageName,
  normalizeSymbolName,
  parseInbound,
  PayloadType,
  payloadSchemas,
  PRICE_SCALE,
  type InboundMessage,
  type SpotEventPayload,
} from './protocol';

/**
 * A client for the cTrader Open API's JSON-over-WebSocket protocol (see `protocol.ts` for the messages and the
 * Spotware documents they were checked against) that turns spot events into the graph's `QuoteTick`s.
 *
 * ```
 * client.quotes('USDJPY'):
 *   ws open ─► ApplicationAuthReq ─► AccountAuthReq ─► SymbolsListReq ─► SubscribeSpotsReq ─► spots…
 *   spots:   --{bid:15012345,ask:15012360}--{ask:15012370}--{bid:15012350}--
 *   quotes:  --{bid:150.12345,ask:150.1236}--{bid:150.12345,ask:150.1237}--{bid:150.1235,ask:150.1237}--
 *                                            (a one-sided spot keeps the last known other side)
 * ```
 *
 * One connection serves every symbol; it opens with the first subscriber and closes after the last one leaves
 * (`quotes()` is cold; unsubscribing sends ProtoOAUnsubscribeSpotsReq or closes the socket). `ts` is the spot's
 * timestamp (the subscription asks for it) or, when absent, the receive time.
 *
 * Connection faults: a ProtoHeartbeatEvent goes out every `heartbeatMs` (the documented 10 s) and an inbound one
 * is answered; a connection silent for `staleAfterMs`, a request unanswered in `requestTimeoutMs`, a dropped
 * socket, ProtoOAClientDisconnectEvent or ProtoOAAccountDisconnectEvent all lead to a reconnect with exponential
 * backoff (`initialDelayMs` doubling up to `maxDelayMs`, reset once a session is ready), which re-authenticates and
 * resubscribes every symbol still wanted. Rejected credentials, an invalidated token, a symbol the account does not
 * offer, and a malformed message are not retried: they fail the affected streams with an error naming the
 * message, its payloadType and the field.
 *
 * What a reconnect can and cannot guarantee: the protocol has no replay of spot events, so prices that changed
 * while the socket was down are not seen; the stream resumes with the snapshot spot the server sends after each
 * subscription. That snapshot is dropped when it repeats the last quote delivered (same bid, ask and timestamp),
 * and any spot stamped earlier than the last delivered quote is dropped, so subscribers never see a duplicate or
 * time going backwards. A crossed quote built from two one-sided spots is passed on as the server implied it.
 */

export interface ReconnectOptions {
  /** First delay after a drop; doubles per consecutive failure. Default 500 ms. */
  readonly initialDelayMs?: number;
  /** Default 30 s. */
  readonly maxDelayMs?: number;
  /** Consecutive failed attempts before the streams fail; default unlimited. */
  readonly maxAttempts?: number;
}

export interface OpenApiClientOptions {
  /** Default 10 000 (Spotware: "keep sending a ProtoHeartbeatEvent in 10 seconds interval"). */
  readonly heartbeatMs?: number;
  /** Silence after which the connection is presumed dead; default 3 × heartbeatMs. */
  readonly staleAfterMs?: number;
  /** Default 10 000. */
  readonly requestTimeoutMs?: number;
  readonly reconnect?: ReconnectOptions;
  /** Receive-time clock for spots without a timestamp; default `Date.now`. */
  readonly now?: () => number;
}

export type CtraderClientEvent =
  | { readonly type: 'connecting'; readonly attempt: number; readonly url: string }
  | { readonly type: 'ready'; readonly accountId: number }
  | { readonly type: 'subscribed'; readonly symbols: readonly string[] }
  | { readonly type: 'disconnected'; readonly reason: string }
  | { readonly type: 'reconnect-scheduled'; readonly attempt: number; readonly delayMs: number }
  | { readonly type: 'dropped-spot'; readonly symbol: string; readonly reason: 'duplicate' | 'stale' };

export interface CtraderOpenApiClient {
  /** Quotes of `symbol` (`USDJPY`, `USD/JPY` and `usdjpy` are the same); cold, shared connection. */
  quotes(symbol: string): Observable<QuoteTick>;
  /** Connection lifecycle, for logs and supervisors. */
  readonly events$: Observable<CtraderClientEvent>;
  /** Completes every stream and closes the connection; resolves once the socket is closed. */
  close(): Promise<void>;
}

/** An error the server answered with (ProtoOAErrorRes / ProtoErrorRes). */
export class CtraderProtocolError extends Error {
  override readonly name = 'CtraderProtocolError';
  constructor(
    readonly errorCode: string,
    readonly description: string | undefined,
    readonly request: string,
  ) {
    super(`cTrader ${request} failed: ${errorCode}${description ? ` (${description})` : ''}`);
  }
}

/** Error codes that say "try again later", not "you are wrong". */
const RETRYABLE_CODES = new Set([
  'CH_SERVER_NOT_REACHABLE',
  'SERVER_IS_UNDER_MAINTENANCE',
  'REQUEST_FREQUENCY_EXCEEDED',
  'BLOCKED_PAYLOAD_TYPE',
  'CANT_ROUTE_REQUEST',
  'TIMEOUT_ERROR',
  'UNKNOWN_ERROR',
]);

type Schemas = typeof payloadSchemas;
type ResponseType = keyof Schemas;

interface Pending {
  readonly request: string;
  readonly expect: number;
  readonly resolve: (payload: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface SymbolFeed {
  /** Normalized name; also the tick's `symbol`. */
  readonly key: string;
  readonly subscribers: Set<Subscriber<QuoteTick>>;
  symbolId: number | undefined;
  /** Last known sides in price units: a one-sided spot keeps the other. */
  bid: number | undefined;
  ask: number | undefined;
  /** The last delivered quote, for the duplicate and time-order checks. */
  lastTs: number;
  lastBid: number;
  lastAsk: number;
}

interface Session {
  readonly ws: WebSocket;
  readonly pending: Map<string, Pending>;
  readonly subscribedIds: Set<number>;
  /** Normalized symbol name → symbolId, from ProtoOASymbolsListRes. */
  symbolIndex: Map<string, number>;
  ready: boolean;
  closed: boolean;
  /** Set when the session ends for a reason that must not be retried. */
  fatal: boolean;
  reason: string;
  reconciling: boolean;
  reconcileAgain: boolean;
  lastReceivedAt: number;
  lastHeartbeatAnswerAt: number;
  heartbeat: NodeJS.Timeout | undefined;
  readonly closeWaiters: Array<() => void>;
}

class FatalError extends Error {}

export function createOpenApiClient(config: CtraderConfig, options: OpenApiClientOptions = {}): CtraderOpenApiClient {
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const staleAfterMs = options.staleAfterMs ?? 3 * heartbeatMs;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const initialDelayMs = options.reconnect?.initialDelayMs ?? 500;
  const maxDelayMs = options.reconnect?.maxDelayMs ?? 30_000;
  const maxAttempts = options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY;
  const now = options.now ?? Date.now;
  const url = ctraderUrl(config);
  const accountId = config.accountId;

  const events$ = new Subject<CtraderClientEvent>();
  const feeds = new Map<string, SymbolFeed>();
  const byId = new Map<number, SymbolFeed>();
  let session: Session | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  let attempts = 0;
  let messageSeq = 0;
  let closedByUser = false;

  // ── connection lifecycle ────────────────────────────────────────────────────────────────────────────────────

  function ensureConnected(): void {
    if (session !== undefined || reconnectTimer !== undefined || feeds.size === 0) return;
    startSession();
  }

  function startSession(): void {
    attempts++;
    events$.next({ type: 'connecting', attempt: attempts, url });
    const ws = new WebSocket(url, { handshakeTimeout: requestTimeoutMs });
    const s: Session = {
      ws,
      pending: new Map(),
      subscribedIds: new Set(),
      symbolIndex: new Map(),
      ready: false,
      closed: false,
      fatal: false,
      reason: 'connection closed',
      reconciling: false,
      reconcileAgain: false,
      lastReceivedAt: performance.now(),
      lastHeartbeatAnswerAt: Number.NEGATIVE_INFINITY,
      heartbeat: undefined,
      closeWaiters: [],
    };
    session = s;
    ws.on('message', (data: WebSocket.RawData) => onMessage(s, data));
    ws.on('error', (error: Error) => {
      s.reason = error.message;
    });
    ws.on('close', (code: number, reason: Buffer) => onClose(s, code, reason.toString()));
    ws.on('open', () => {
      s.lastReceivedAt = performance.now();
      s.heartbeat = setInterval(() => heartbeatTick(s), heartbeatMs);
      void handshake(s);
    });
  }

  async function handshake(s: Session): Promise<void> {
    try {
      await request(s, PayloadType.APPLICATION_AUTH_REQ, { clientId: config.clientId, clientSecret: config.clientSecret }, PayloadType.APPLICATION_AUTH_RES);
      await request(s, PayloadType.ACCOUNT_AUTH_REQ, { ctidTraderAccountId: accountId, accessToken: config.accessToken }, PayloadType.ACCOUNT_AUTH_RES);
      const list = await request(s, PayloadType.SYMBOLS_LIST_REQ, { ctidTraderAccountId: accountId }, PayloadType.SYMBOLS_LIST_RES);
      s.symbolIndex = new Map();
      for (const symbol of list.symbol) {
        if (symbol.symbolName !== undefined) s.symbolIndex.set(normalizeSymbolName(symbol.symbolName), symbol.symbolId);
      }
      if (s.closed) return;
      s.ready = true;
      failures = 0;
      attempts = 0;
      events$.next({ type: 'ready', accountId });
      await reconcile(s);
    } catch (error) {
      sessionFailed(s, error as Error, true);
    }
  }

  /** Brings the server's subscriptions in line with the feeds wanted; one run at a time per session. */
  async function reconcile(s: Session): Promise<void> {
    if (!s.ready || s.closed) return;
    if (s.reconciling) {
      s.reconcileAgain = true;
      return;
    }
    s.reconciling = true;
    try {
      do {
        s.reconcileAgain = false;
        const toSubscribe: number[] = [];
        const names: string[] = [];
        for (const feed of [...feeds.values()]) {
          const symbolId = s.symbolIndex.get(feed.key);
          if (symbolId === undefined) {
            failFeed(
              feed,
              new DataError('symbol is not offered by the account', { file: 'cTrader ProtoOASymbolsListRes (payloadType 2115)', field: 'payload.symbol' }, `no symbolName matches "${feed.key}" for ctidTraderAccountId ${accountId}`),
            );
            continue;
          }
          feed.symbolId = symbolId;
          byId.set(symbolId, feed);
          if (!s.subscribedIds.has(symbolId)) {
            toSubscribe.push(symbolId);
            names.push(feed.key);
          }
        }
        const toUnsubscribe = [...s.subscribedIds].filter((id) => !byId.has(id));
        if (s.closed) return;
        if (toSubscribe.length > 0) {
          for (const id of toSubscribe) s.subscribedIds.add(id);
          try {
            await request(s, PayloadType.SUBSCRIBE_SPOTS_REQ, { ctidTraderAccountId: accountId, symbolId: toSubscribe, subscribeToSpotTimestamp: true }, PayloadType.SUBSCRIBE_SPOTS_RES);
            events$.next({ type: 'subscribed', symbols: names });
          } catch (error) {
            if (!(error instanceof CtraderProtocolError) || RETRYABLE_CODES.has(error.errorCode)) throw error;
            if (error.errorCode !== 'ALREADY_SUBSCRIBED') {
              // The server refused these symbols (e.g. SYMBOL_NOT_FOUND): retrying will not change its mind.
              for (const id of toSubscribe) {
                s.subscribedIds.delete(id);
                const feed = byId.get(id);
                if (feed !== undefined) failFeed(feed, error);
              }
            }
          }
        }
        if (toUnsubscribe.length > 0 && !s.closed) {
          for (const id of toUnsubscribe) s.subscribedIds.delete(id);
          try {
            await request(s, PayloadType.UNSUBSCRIBE_SPOTS_REQ, { ctidTraderAccountId: accountId, symbolId: toUnsubscribe }, PayloadType.UNSUBSCRIBE_SPOTS_RES);
          } catch (error) {
            if (!(error instanceof CtraderProtocolError)) throw error;
          }
        }
      } while (s.reconcileAgain && !s.closed);
    } catch (error) {
      sessionFailed(s, error as Error, false);
    } finally {
      s.reconciling = false;
    }
  }

  /**
   * A step of a session failed. Server refusals during authentication are final (retrying cannot fix
   * credentials); a refusal later, a timeout or a lost socket are retried by reconnecting.
   */
  function sessionFailed(s: Session, error: Error, authenticating: boolean): void {
    if (s.closed) return;
    const refused = error instanceof CtraderProtocolError && !RETRYABLE_CODES.has(error.errorCode);
    if (error instanceof FatalError || error instanceof DataError || (refused && authenticating)) {
      failAll(error);
      return;
    }
    drop(s, error.message);
  }

  function onClose(s: Session, code: number, reason: string): void {
    if (s.closed) {
      for (const resolve of s.closeWaiters.splice(0)) resolve();
      return;
    }
    s.closed = true;
    if (s.heartbeat !== undefined) clearInterval(s.heartbeat);
    for (const pending of s.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`cTrader connection closed during ${pending.request}`));
    }
    s.pending.clear();
    if (session === s) session = undefined;
    events$.next({ type: 'disconnected', reason: `${s.reason}${code ? ` (close code ${code}${reason ? `: ${reason}` : ''})` : ''}` });
    for (const resolve of s.closeWaiters.splice(0)) resolve();
    if (!closedByUser && !s.fatal && feeds.size > 0) scheduleReconnect();
  }

  function scheduleReconnect(): void {
    failures++;
    if (failures > maxAttempts) {
      failAll(new Error(`cTrader: gave up reconnecting to ${url} after ${maxAttempts} attempts`));
      return;
    }
    const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** (failures - 1));
    events$.next({ type: 'reconnect-scheduled', attempt: failures, delayMs });
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (!closedByUser && feeds.size > 0 && session === undefined) startSession();
    }, delayMs);
  }

  /** Ends a session so that `onClose` reconnects. */
  function drop(s: Session, reason: string): void {
    if (s.closed) return;
    s.reason = reason;
    s.ws.terminate();
  }

  /** Ends the current session for good (no reconnect); resolves once its socket is closed. */
  function shutdown(): Promise<void> {
    if (reconnectTimer !== undefined) {
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
    }
    const s = session;
    if (s === undefined) return Promise.resolve();
    session = undefined;
    s.fatal = true;
    if (s.heartbeat !== undefined) clearInterval(s.heartbeat);
    return new Promise<void>((resolve) => {
      s.closeWaiters.push(resolve);
      if (s.ws.readyState === WebSocket.CLOSED) onClose(s, 0, '');
      else if (s.ws.readyState === WebSocket.OPEN) {
        s.reason = 'closed by the client';
        s.ws.close(1000);
      } else s.ws.terminate();
    });
  }

  function heartbeatTick(s: Session): void {
    const silentMs = performance.now() - s.lastReceivedAt;
    if (silentMs > staleAfterMs) {
      drop(s, `no message for ${Math.round(silentMs)} ms (stale after ${staleAfterMs} ms)`);
      return;
    }
    send(s, { payloadType: PayloadType.HEARTBEAT_EVENT, payload: {} });
  }

  // ── messages ────────────────────────────────────────────────────────────────────────────────────────────────

  function send(s: Session, message: { clientMsgId?: string; payloadType: number; payload: unknown }): void {
    if (s.closed || s.ws.readyState !== WebSocket.OPEN) return;
    s.ws.send(encode(message));
  }

  function request<K extends ResponseType>(s: Session, payloadType: number, payload: unknown, expect: K): Promise<z.output<Schemas[K]>> {
    const clientMsgId = `rx-${++messageSeq}`;
    const name = messageName(payloadType);
    return new Promise((resolve, reject) => {
      if (s.closed) {
        reject(new Error(`cTrader connection closed before ${name}`));
        return;
      }
      const timer = setTimeout(() => {
        s.pending.delete(clientMsgId);
        reject(new Error(`cTrader ${name}: no ${messageName(expect)} within ${requestTimeoutMs} ms`));
      }, requestTimeoutMs);
      s.pending.set(clientMsgId, { request: name, expect, resolve: resolve as (p: unknown) => void, reject, timer });
      send(s, { clientMsgId, payloadType, payload });
    });
  }

  function onMessage(s: Session, data: WebSocket.RawData): void {
    if (s.closed) return;
    s.lastReceivedAt = performance.now();
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const message = parseInbound(text);
    if (message instanceof DataError) {
      malformed(text, message);
      return;
    }
    if (message.clientMsgId !== undefined && settle(s, message)) return;
    switch (message.payloadType) {
      case PayloadType.SPOT_EVENT:
        onSpot(message.payload);
        return;
      case PayloadType.HEARTBEAT_EVENT:
        // Answered at most once per half interval (≤ 1 s), so two peers that both answer cannot ping-pong.
        if (performance.now() - s.lastHeartbeatAnswerAt >= Math.min(1000, heartbeatMs / 2)) {
          s.lastHeartbeatAnswerAt = performance.now();
          send(s, { payloadType: PayloadType.HEARTBEAT_EVENT, payload: {} });
        }
        return;
      case PayloadType.OA_ERROR_RES:
      case PayloadType.ERROR_RES:
        // Unsolicited: the session is in an unknown state; a fresh one re-authenticates and resubscribes.
        drop(s, new CtraderProtocolError(message.payload.errorCode, message.payload.description, 'session').message);
        return;
      case PayloadType.CLIENT_DISCONNECT_EVENT:
        drop(s, `server disconnected the client${message.payload.reason ? `: ${message.payload.reason}` : ''}`);
        return;
      case PayloadType.ACCOUNT_DISCONNECT_EVENT:
        if (message.payload.ctidTraderAccountId === accountId) drop(s, 'server ended the account session');
        return;
      case PayloadType.ACCOUNTS_TOKEN_INVALIDATED_EVENT:
        if (message.payload.ctidTraderAccountIds.includes(accountId)) {
          failAll(new FatalError(`cTrader access token invalidated for account ${accountId}${message.payload.reason ? `: ${message.payload.reason}` : ''}; set a fresh CTRADER_ACCESS_TOKEN`));
        }
        return;
      default:
        // Responses nobody waits for (a late answer after a timeout) and events this client does not use.
        return;
    }
  }

  /** Resolves or rejects the request a response answers; false when none waits for it. */
  function settle(s: Session, message: InboundMessage): boolean {
    const pending = s.pending.get(message.clientMsgId ?? '');
    if (pending === undefined) return false;
    if (message.payloadType === PayloadType.OA_ERROR_RES || message.payloadType === PayloadType.ERROR_RES) {
      s.pending.delete(message.clientMsgId ?? '');
      clearTimeout(pending.timer);
      pending.reject(new CtraderProtocolError(message.payload.errorCode, message.payload.description, pending.request));
      return true;
    }
    if (message.payloadType !== pending.expect) return false;
    s.pending.delete(message.clientMsgId ?? '');
    clearTimeout(pending.timer);
    pending.resolve(message.payload);
    return true;
  }

  /** A message failed validation: fail the one symbol it concerns when that is known, else every stream. */
  function malformed(text: string, error: DataError): void {
    const symbolId = symbolIdIn(text);
    const feed = symbolId !== undefined ? byId.get(symbolId) : undefined;
    if (feed !== undefined) failFeed(feed, error);
    else failAll(error);
  }

  function onSpot(spot: SpotEventPayload): void {
    if (spot.ctidTraderAccountId !== accountId) return;
    // Spots may still arrive for a symbol just unsubscribed (documented): nobody wants them.
    const feed = byId.get(spot.symbolId);
    if (feed === undefined) return;
    if (spot.bid !== undefined) feed.bid = spot.bid / PRICE_SCALE;
    if (spot.ask !== undefined) feed.ask = spot.ask / PRICE_SCALE;
    if ((spot.bid === undefined && spot.ask === undefined) || feed.bid === undefined || feed.ask === undefined) return;
    const ts = spot.timestamp ?? now();
    if (ts < feed.lastTs) {
      events$.next({ type: 'dropped-spot', symbol: feed.key, reason: 'stale' });
      return;
    }
    if (ts === feed.lastTs && feed.bid === feed.lastBid && feed.ask === feed.lastAsk) {
      events$.next({ type: 'dropped-spot', symbol: feed.key, reason: 'duplicate' });
      return;
    }
    feed.lastTs = ts;
    feed.lastBid = feed.bid;
    feed.lastAsk = feed.ask;
    const tick: QuoteTick = { kind: 'quote', symbol: feed.key, ts, bid: feed.bid, ask: feed.ask };
    for (const subscriber of feed.subscribers) subscriber.next(tick);
  }

  // ── streams ─────────────────────────────────────────────────────────────────────────────────────────────────

  function removeFeed(feed: SymbolFeed): void {
    if (feeds.get(feed.key) !== feed) return;
    feeds.delete(feed.key);
    if (feed.symbolId !== undefined && byId.get(feed.symbolId) === feed) byId.delete(feed.symbolId);
    if (feeds.size === 0) void shutdown();
    else if (session?.ready) void reconcile(session);
  }

  function failFeed(feed: SymbolFeed, error: Error): void {
    const subscribers = [...feed.subscribers];
    feed.subscribers.clear();
    removeFeed(feed);
    for (const subscriber of subscribers) subscriber.error(error);
  }

  function failAll(error: Error): void {
    if (session !== undefined) session.fatal = true;
    for (const feed of [...feeds.values()]) failFeed(feed, error);
    void shutdown();
  }

  function quotes(symbol: string): Observable<QuoteTick> {
    const key = normalizeSymbolName(symbol);
    return new Observable<QuoteTick>((subscriber) => {
      if (closedByUser) {
        subscriber.error(new Error('cTrader client is closed'));
        return undefined;
      }
      if (key.length === 0) {
        subscriber.error(new RangeError(`cTrader: "${symbol}" is not a symbol name`));
        return undefined;
      }
      let feed = feeds.get(key);
      if (feed === undefined) {
        feed = { key, subscribers: new Set(), symbolId: undefined, bid: undefined, ask: undefined, lastTs: Number.NEGATIVE_INFINITY, lastBid: Number.NaN, lastAsk: Number.NaN };
        feeds.set(key, feed);
      }
      const mine = feed;
      mine.subscribers.add(subscriber);
      if (session?.ready) void reconcile(session);
      else ensureConnected();
      return () => {
        if (!mine.subscribers.delete(subscriber)) return;
        if (mine.subscribers.size === 0) removeFeed(mine);
      };
    });
  }

  async function close(): Promise<void> {
    closedByUser = true;
    const all = [...feeds.values()];
    feeds.clear();
    byId.clear();
    const closed = shutdown();
    for (const feed of all) {
      const subscribers = [...feed.subscribers];
      feed.subscribers.clear();
      for (const subscriber of subscribers) subscriber.complete();
    }
    await closed;
    events$.complete();
  }

  return { quotes, events$: events$.asObservable(), close };
}

/** The `payload.symbolId` of a raw message, if it has a usable one (for routing a malformed spot's error). */
function symbolIdIn(text: string): number | undefined {
  try {
    const json: unknown = JSON.parse(text);
    if (json === null || typeof json !== 'object') return undefined;
    const payload = (json as { payload?: unknown }).payload;
    if (payload === null || typeof payload !== 'object') return undefined;
    const id = Number((payload as { symbolId?: unknown }).symbolId);
    return Number.isSafeInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
