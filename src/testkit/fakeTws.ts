import { createServer, type Server, type Socket } from 'node:net';
import {
  commissionReportMsg,
  contractKey,
  currentTimeMsg,
  errorMsg,
  execDetailsEndMsg,
  execDetailsMsg,
  FAKE_TWS_SERVER_VERSION,
  historicalDataMsg,
  managedAccountsMsg,
  nextValidIdMsg,
  openOrderEndMsg,
  openOrderMsg,
  orderStatusMsg,
  outMessageName,
  parseClientMessage,
  positionEndMsg,
  positionMsg,
  realTimeBarMsg,
  TICK,
  tickPriceMsg,
  tickSizeMsg,
  type ClientRequest,
  type HistoricalDataRequest,
  type MktDataRequest,
  type PlaceOrderRequest,
  type RealTimeBarsRequest,
  type WireContract,
  type WireExecution,
  type WireRealTimeBar,
} from './fakeTws/protocol';
import {
  barSizeSeconds,
  durationSeconds,
  fakePriceAt,
  formatTwsDate,
  generateBars,
  parseEndDateTime,
  toWireBar,
  type GeneratedBar,
} from './fakeTws/history';
import { createFrameReader, encodeFrame, encodeRawFrame, type WireField } from './fakeTws/wire';
import { parseExecutionTime } from '../adapters/ibkr/orderMapping';

/**
 * A fake TWS / IB Gateway for tests: a TCP server on 127.0.0.1 (ephemeral port) that speaks the real API wire
 * protocol (V100+ framing, `API\0` handshake, server version {@link FAKE_TWS_SERVER_VERSION}) and answers the
 * requests @stoqey/ib sends with scripted, deterministic responses. It keeps an account (orders, executions,
 * positions) that outlives client connections, so a test can drop the connection, let an order fill while the
 * client is away, and check that the client recovers it.
 *
 * Orders are worked as TWS works them: an order sent with `transmit` false waits for the order of its bracket
 * that transmits; a child (`parentId`) is held (PreSubmitted) until its parent fills, and cancelled with a parent
 * that is; the first execution of an order of a one-cancels-all group (`ocaType` 1) cancels the others; a
 * placeOrder under a live order's id modifies it. How an order fills is its fill script's: at once by default,
 * or (`match: 'price'`) when the market the fake sends — `sendRealTimeBar`, `sendQuote`, timed feeds; it moves
 * whether or not a client is connected — reaches it: at its price on a touch, at the market through a gap, a
 * TRAIL stop following the price; GTD orders end at their goodTillDate.
 *
 * ```ts
 * const tws = await startFakeTws({ realTimeBars: { everyMs: 20 } });
 * const conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 7 });
 * …
 * tws.dropConnections();            // the socket closes mid-stream
 * tws.sendConnectivity(1101);        // "connectivity restored, data lost"
 * expect(tws.requestsOf('reqExecutions')).toHaveLength(1);
 * await tws.close();
 * ```
 */

export { FAKE_TWS_SERVER_VERSION } from './fakeTws/protocol';
export type { HistoricalDataRequest, PlaceOrderRequest, WireContract, WireExecution, WireRealTimeBar } from './fakeTws/protocol';
export type { WireField } from './fakeTws/wire';
export { generateBars, fakePriceAt } from './fakeTws/history';
export type { GeneratedBar } from './fakeTws/history';

export type ClientRequestType = ClientRequest['type'];

/** One message a client sent, as the fake logged it. */
export interface LoggedRequest {
  readonly seq: number;
  /** Clock time (ms) when the fake read it. */
  readonly at: number;
  readonly connectionId: number;
  /** undefined until the connection sent startApi. */
  readonly clientId: number | undefined;
  readonly msgId: number;
  readonly name: string;
  readonly fields: readonly string[];
  /** The parsed request, or undefined when parsing failed (see `parseError`). */
  readonly request: ClientRequest | undefined;
  readonly parseError?: string;
}

export type HistoricalReply =
  | { readonly bars: readonly GeneratedBar[] }
  | { readonly error: { readonly code: number; readonly message: string } }
  /** Never answer (a request lost on the way). */
  | { readonly silent: true };

export interface HistoricalContext {
  /** Start of the requested window (end − duration), epoch ms. */
  readonly startMs: number;
  readonly endMs: number;
  readonly barSec: number;
  /** What the default generator would answer. */
  readonly defaultBars: () => GeneratedBar[];
}

export type HistoricalHandler = (request: HistoricalDataRequest, ctx: HistoricalContext) => HistoricalReply;

/**
 * History of a market that stood still at `price` before the test: what a live strategy warms up on when the
 * test's own bars should decide alone (`startFakeTws({ historical: flatHistory(150) })`).
 */
export function flatHistory(price: number): HistoricalHandler {
  return (_request, { defaultBars }) => ({ bars: defaultBars().map((bar) => ({ ...bar, open: price, high: price, low: price, close: price })) });
}

/** IB's historical pacing rules, enforced by the fake with error 162 when given. */
export interface FakePacingRules {
  readonly windowMs: number;
  readonly maxPerWindow: number;
  readonly identicalMs: number;
  readonly perContractWindowMs: number;
  readonly perContractMax: number;
  /**
   * Requests arriving up to this much closer together than a rule allows still pass: the fake shares its event
   * loop with the client, so arrival times jitter by a few ms (real TWS adds network jitter on top).
   */
  readonly jitterMs?: number;
}

/** How the fake answers one placed order. */
export interface FillScript {
  /** Reject with error `code` (201 by default) and status Inactive. */
  readonly reject?: { readonly code?: number; readonly message: string };
  /** Leave the order working (Submitted) until cancelled. */
  readonly hold?: boolean;
  /**
   * TWS takes the order at once (it is listed by reqOpenOrders, it can be filled) but tells the client this much
   * later (its openOrder and orderStatus, and the order only works then): an order sent, not yet acknowledged.
   */
  readonly ackDelayMs?: number;
  /** Delay from placement to the first execution (default 0: on the next turn of the event loop). */
  readonly latencyMs?: number;
  /** Execution price (default: the limit for LMT, the stop for STP, else the last quote mid, else 150). */
  readonly price?: number;
  /** Quantities of successive executions (default: one execution of the whole quantity). */
  readonly partials?: readonly number[];
  /** Gap between partial executions. */
  readonly partialGapMs?: number;
  /** Commission of each execution (default 2). */
  readonly commission?: number;
  readonly commissionCurrency?: string;
  /** Delay of each commissionReport after its execDetails (default 0: same turn). */
  readonly commissionDelayMs?: number;
  /** Never send the commissionReport. */
  readonly omitCommission?: boolean;
  /**
   * 'price': a LMT, STP, STP LMT or TRAIL order rests until the market the fake sends (real-time bars, quotes)
   * reaches it, and fills as TWS would: at its price when touched, at the market when it gapped through; a
   * TRAIL stop follows the price. Default: it fills at once (after `latencyMs`).
   */
  readonly match?: 'price';
}

export interface FakePosition {
  readonly account: string;
  readonly contract: WireContract;
  /** Signed units. */
  readonly position: number;
  readonly avgCost: number;
}

/** An execution in the fake's account (what reqExecutions replays). */
export interface FakeExecution extends WireExecution {
  readonly commission: number;
  readonly commissionCurrency: string;
  /** False when the fill script said to withhold the commission report. */
  readonly reportCommission: boolean;
}

export interface FakeOrder {
  readonly clientId: number;
  /** As last placed (a placeOrder for a live order id modifies it). */
  request: PlaceOrderRequest;
  readonly permId: number;
  /**
   * Untransmitted: sent with `transmit` false, kept until an order of its bracket is transmitted (never
   * reported). PreSubmitted: a child held until its parent fills. Submitted: working.
   */
  status: 'Untransmitted' | 'PreSubmitted' | 'Submitted' | 'Filled' | 'Cancelled' | 'Inactive';
  filled: number;
  avgFillPrice: number;
  /** A TRAIL order's stop now (it follows the market). */
  trailStop: number | undefined;
  /** A STP LMT order whose stop has triggered: a limit order now. */
  triggered: boolean;
  readonly script: FillScript;
}

export interface RealTimeBarsMode {
  /** Send the next 5-second bar to every subscription of a contract every `everyMs` real milliseconds. */
  readonly everyMs: number;
  /** Epoch seconds of the first bar (aligned down to 5 s). Default 2024-01-05T00:00:00Z. */
  readonly startTime?: number;
}

export interface QuotesMode {
  /** Send a bid and an ask tick to every quote subscription every `everyMs` real milliseconds. */
  readonly everyMs: number;
}

export interface FakeTwsOptions {
  readonly accounts?: readonly string[];
  /** First nextValidId (default 1). */
  readonly nextOrderId?: number;
  /** Clock for the request log, connection time and execution times (default Date.now). */
  readonly clock?: () => number;
  readonly historical?: HistoricalHandler;
  /** Delay before each historical answer. */
  readonly historicalLatencyMs?: number;
  /**
   * Delay of the answer to a cancelOrder: the order is off the market at once (it cannot fill, and a placeOrder
   * modifying it gets error 104), TWS says PendingCancel, and Cancelled only after this many ms, as a busy TWS
   * does. Default 0: Cancelled at once. See also `setCancelLatency`.
   */
  readonly cancelLatencyMs?: number;
  readonly pacing?: FakePacingRules;
  /** Default: 'manual' (bars only through `sendRealTimeBar`). */
  readonly realTimeBars?: RealTimeBarsMode | 'manual';
  /** Default: 'manual' (ticks only through `sendQuote`). */
  readonly quotes?: QuotesMode | 'manual';
  readonly fills?: FillScript | ((order: PlaceOrderRequest) => FillScript);
  /** Zone written after execution times (default 'UTC'). */
  readonly timeZoneLabel?: string;
  /** Send the farm-status notices (2104, 2106, 2158) a real TWS sends after startApi (default true). */
  readonly farmNotices?: boolean;
}

export interface ConnectedClient {
  readonly connectionId: number;
  readonly clientId: number | undefined;
}

export interface FakeTws {
  readonly host: string;
  readonly port: number;
  /** Every message every client sent, in arrival order. */
  readonly requests: readonly LoggedRequest[];
  /** Handshake and parse problems the fake saw (a test expecting none asserts this is empty). */
  readonly protocolErrors: readonly string[];
  requestsOf(type: ClientRequestType): LoggedRequest[];
  /** Resolves with the first logged request (already logged or future) that matches. */
  waitForRequest(match: (r: LoggedRequest) => boolean, timeoutMs?: number): Promise<LoggedRequest>;
  /** Resolves when `count` clients have completed startApi and are connected. */
  waitForClients(count: number, timeoutMs?: number): Promise<void>;
  clients(): ConnectedClient[];
  orders(): readonly FakeOrder[];
  executions(): readonly FakeExecution[];
  positions(): readonly FakePosition[];
  setPositions(positions: readonly FakePosition[]): void;
  setFills(fills: FillScript | ((order: PlaceOrderRequest) => FillScript)): void;
  setHistorical(handler: HistoricalHandler): void;
  /** From now on, answers cancelOrder after `ms` (see `FakeTwsOptions.cancelLatencyMs`). */
  setCancelLatency(ms: number): void;
  /** Executes (part of) a working order now, e.g. one placed with `hold`. */
  fillOrder(orderId: number, fill?: { readonly qty?: number; readonly price?: number } & FillScript, clientId?: number): void;
  /** Sends one real-time bar to every matching subscription (all when `localSymbol` is omitted). */
  sendRealTimeBar(bar: WireRealTimeBar, localSymbol?: string): void;
  /** Sends bid and ask (price + size ticks) to every matching quote subscription. */
  sendQuote(bid: number, ask: number, localSymbol?: string, size?: number): void;
  /** An error/notice message; `id` −1 for one not tied to a request. */
  sendError(id: number, code: number, message: string, clientId?: number): void;
  /** 1100 connectivity lost, 1101 restored with data lost, 1102 restored with data kept. */
  sendConnectivity(code: 1100 | 1101 | 1102, clientId?: number): void;
  /** Any fields, framed (for malformed messages: wrong types, missing or extra fields). */
  sendRaw(fields: readonly WireField[], clientId?: number): void;
  /** A frame with a verbatim body. */
  sendRawBody(body: Buffer, clientId?: number): void;
  /** Closes client sockets (all, or those of one clientId) as TWS does on a crash or its nightly restart. */
  dropConnections(clientId?: number): void;
  /** While false, new connections are closed right after they are accepted. */
  setAcceptConnections(accept: boolean): void;
  /** Active real-time bar / quote subscriptions. */
  subscriptions(): { readonly realTimeBars: number; readonly quotes: number };
  close(): Promise<void>;
}

interface Session {
  readonly connectionId: number;
  readonly socket: Socket;
  clientId: number | undefined;
  started: boolean;
  readonly realTimeBars: Map<number, RealTimeBarsRequest>;
  readonly quotes: Map<number, MktDataRequest>;
  readonly historical: Set<number>;
}

const DEFAULT_RT_START = Date.UTC(2024, 0, 5) / 1000;

/** A price step of the market as resting orders see it. */
interface Ohlc {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}
const PACING_MESSAGE = 'Historical Market Data Service error message:Pacing violation';
const NO_DATA_MESSAGE = 'Historical Market Data Service error message:HMDS query returned no data';

export async function startFakeTws(options: FakeTwsOptions = {}): Promise<FakeTws> {
  const clock = options.clock ?? Date.now;
  const accounts = options.accounts ?? ['DU1234567'];
  const timeZoneLabel = options.timeZoneLabel ?? 'UTC';
  const farmNotices = options.farmNotices ?? true;
  let historical: HistoricalHandler = options.historical ?? ((_req, ctx) => ({ bars: ctx.defaultBars() }));
  let fills: FillScript | ((order: PlaceOrderRequest) => FillScript) = options.fills ?? {};
  let cancelLatencyMs = options.cancelLatencyMs ?? 0;
  const rtMode = options.realTimeBars ?? 'manual';
  const quoteMode = options.quotes ?? 'manual';

  const sessions = new Map<number, Session>();
  const requests: LoggedRequest[] = [];
  const protocolErrors: string[] = [];
  const waiters: { match: (r: LoggedRequest) => boolean; resolve: (r: LoggedRequest) => void }[] = [];
  const clientWaiters: { count: number; resolve: () => void }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const orders = new Map<string, FakeOrder>();
  const executions: FakeExecution[] = [];
  let positions: FakePosition[] = [];
  let nextOrderId = options.nextOrderId ?? 1;
  let nextConnectionId = 1;
  let nextPermId = 900_000_001;
  let execSeq = 0;
  let seq = 0;
  let accepting = true;
  let lastMid: number | undefined;
  const historyLog: { at: number; key: string; contract: string }[] = [];

  // Per-contract feeds, so every subscription of a contract sees the same bar at the same time and a
  // resubscription continues where the feed is (no bar twice, none skipped while subscribed).
  const rtFeeds = new Map<string, { nextTime: number; timer: NodeJS.Timeout }>();
  const stoppedRtTimes = new Map<string, number>();
  const quoteFeeds = new Map<string, { n: number; timer: NodeJS.Timeout }>();

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const send = (s: Session, fields: readonly WireField[]): void => {
    if (!s.socket.destroyed && s.socket.writable) s.socket.write(encodeFrame(fields));
  };
  const startedSessions = (clientId?: number): Session[] =>
    [...sessions.values()].filter((s) => s.started && (clientId === undefined || s.clientId === clientId));

  const server: Server = createServer((socket) => {
    if (!accepting) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const session: Session = {
      connectionId: nextConnectionId++,
      socket,
      clientId: undefined,
      started: false,
      realTimeBars: new Map(),
      quotes: new Map(),
      historical: new Set(),
    };
    sessions.set(session.connectionId, session);
    const reader = createFrameReader();
    socket.on('data', (data) => {
      let chunks;
      try {
        chunks = reader.push(data);
      } catch (e) {
        protocolErrors.push((e as Error).message);
        socket.destroy();
        return;
      }
      for (const chunk of chunks) {
        if (chunk.kind === 'handshake') {
          const { minVersion, maxVersion } = chunk.handshake;
          if (FAKE_TWS_SERVER_VERSION < minVersion || FAKE_TWS_SERVER_VERSION > maxVersion) {
            protocolErrors.push(`handshake: client range v${minVersion}..${maxVersion} excludes ${FAKE_TWS_SERVER_VERSION}`);
            socket.destroy();
            return;
          }
          send(session, [FAKE_TWS_SERVER_VERSION, `${formatTwsDate(clock())} UTC`]);
        } else {
          onMessage(session, chunk.fields);
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => endSession(session));
  });

  function endSession(s: Session): void {
    if (!sessions.delete(s.connectionId)) return;
    s.realTimeBars.clear();
    s.quotes.clear();
    stopIdleFeeds();
  }

  function log(s: Session, fields: string[]): LoggedRequest {
    const msgId = Number(fields[0]);
    let request: ClientRequest | undefined;
    let parseError: string | undefined;
    try {
      request = parseClientMessage(fields);
    } catch (e) {
      parseError = (e as Error).message;
      protocolErrors.push(parseError);
    }
    const entry: LoggedRequest = {
      seq: seq++,
      at: clock(),
      connectionId: s.connectionId,
      clientId: s.clientId,
      msgId,
      name: outMessageName(msgId),
      fields,
      request,
      ...(parseError ? { parseError } : {}),
    };
    requests.push(entry);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].match(entry)) {
        waiters[i].resolve(entry);
        waiters.splice(i, 1);
      }
    }
    return entry;
  }

  function onMessage(s: Session, fields: string[]): void {
    const entry = log(s, fields);
    const req = entry.request;
    if (!req) {
      // TWS answers a request it cannot read with error 320 and carries on.
      send(s, errorMsg(-1, 320, `Error reading request: ${entry.parseError ?? 'unreadable'}`));
      return;
    }
    switch (req.type) {
      case 'startApi':
        return startApi(s, req.clientId);
      case 'reqIds':
        return send(s, nextValidIdMsg(nextOrderId));
      case 'reqCurrentTime':
        return send(s, currentTimeMsg(Math.floor(clock() / 1000)));
      case 'reqHistoricalData':
        return onHistorical(s, req.request);
      case 'cancelHistoricalData':
        s.historical.delete(req.reqId);
        return;
      case 'reqRealTimeBars':
        s.realTimeBars.set(req.request.reqId, req.request);
        return ensureRtFeed(req.request.contract);
      case 'cancelRealTimeBars':
        s.realTimeBars.delete(req.reqId);
        return stopIdleFeeds();
      case 'reqMktData':
        s.quotes.set(req.request.reqId, req.request);
        return ensureQuoteFeed(req.request.contract);
      case 'cancelMktData':
        s.quotes.delete(req.reqId);
        return stopIdleFeeds();
      case 'placeOrder':
        return onPlaceOrder(s, req.request);
      case 'cancelOrder':
        return onCancelOrder(s, req.orderId);
      case 'reqOpenOrders':
      case 'reqAllOpenOrders':
        return onOpenOrders(s, req.type === 'reqAllOpenOrders');
      case 'reqExecutions':
        return onExecutions(s, req.request.reqId, req.request.clientId, req.request.time);
      case 'reqPositions':
        for (const p of positions) send(s, positionMsg(p));
        return send(s, positionEndMsg());
      case 'reqAutoOpenOrders':
      case 'reqMarketDataType':
      case 'cancelPositions':
      case 'unknown':
        return;
    }
  }

  function startApi(s: Session, clientId: number): void {
    if (startedSessions(clientId).length > 0) {
      send(s, errorMsg(-1, 326, 'Unable to connect as the client id is already in use. Retry with a unique client id.'));
      s.socket.end();
      return;
    }
    s.clientId = clientId;
    s.started = true;
    send(s, managedAccountsMsg(accounts));
    send(s, nextValidIdMsg(nextOrderId));
    if (farmNotices) {
      send(s, errorMsg(-1, 2104, 'Market data farm connection is OK:usfarm'));
      send(s, errorMsg(-1, 2106, 'HMDS data farm connection is OK:ushmds'));
      send(s, errorMsg(-1, 2158, 'Sec-def data farm connection is OK:secdefnj'));
    }
    const ready = startedSessions().length;
    for (let i = clientWaiters.length - 1; i >= 0; i--) {
      if (ready >= clientWaiters[i].count) {
        clientWaiters[i].resolve();
        clientWaiters.splice(i, 1);
      }
    }
  }

  // ---- historical data ------------------------------------------------------------------------------------

  function pacingViolation(req: HistoricalDataRequest, now: number): boolean {
    const rules = options.pacing;
    const contract = contractKey(req.contract);
    const key = `${contract}|${req.endDateTime}|${req.duration}|${req.barSize}|${req.whatToShow}|${req.useRTH}`;
    let violated = false;
    if (rules) {
      const j = rules.jitterMs ?? 0;
      const inWindow = historyLog.filter((h) => now - h.at < rules.windowMs - j).length;
      const identical = historyLog.some((h) => h.key === key && now - h.at < rules.identicalMs - j);
      const sameContract = historyLog.filter((h) => h.contract === contract && now - h.at < rules.perContractWindowMs - j).length;
      violated = inWindow + 1 > rules.maxPerWindow || identical || sameContract + 1 > rules.perContractMax;
    }
    historyLog.push({ at: now, key, contract });
    return violated;
  }

  function onHistorical(s: Session, req: HistoricalDataRequest): void {
    const now = clock();
    s.historical.add(req.reqId);
    const answer = (fields: readonly WireField[]) => {
      const reply = () => {
        if (s.historical.delete(req.reqId)) send(s, fields);
      };
      if (options.historicalLatencyMs) later(options.historicalLatencyMs, reply);
      else reply();
    };
    if (pacingViolation(req, now)) return answer(errorMsg(req.reqId, 162, PACING_MESSAGE));
    const barSec = barSizeSeconds(req.barSize);
    const durSec = durationSeconds(req.duration);
    const endMs = parseEndDateTime(req.endDateTime, now);
    if (barSec === undefined || durSec === undefined || endMs === undefined) {
      return answer(
        errorMsg(
          req.reqId,
          321,
          `Error validating request.-'bP' : cause - Historical data request: bar size "${req.barSize}", duration "${req.duration}" or end "${req.endDateTime}" is invalid`,
        ),
      );
    }
    if (req.formatDate !== 1 && req.formatDate !== 2) {
      return answer(errorMsg(req.reqId, 321, `Error validating request: formatDate ${req.formatDate} is invalid`));
    }
    const startMs = endMs - durSec * 1000;
    const reply = historical(req, { startMs, endMs, barSec, defaultBars: () => generateBars(startMs, endMs, barSec) });
    if ('silent' in reply) return;
    if ('error' in reply) return answer(errorMsg(req.reqId, reply.error.code, reply.error.message));
    if (reply.bars.length === 0) return answer(errorMsg(req.reqId, 162, NO_DATA_MESSAGE));
    const text = (ts: number) => (req.formatDate === 2 ? String(Math.floor(ts / 1000)) : formatTwsDate(ts));
    answer(historicalDataMsg(req.reqId, text(startMs), text(endMs), reply.bars.map((b) => toWireBar(b, req.formatDate, barSec))));
  }

  // ---- real-time bars and quotes ----------------------------------------------------------------------------

  function rtBarAt(time: number): WireRealTimeBar {
    const ts = time * 1000;
    const open = fakePriceAt(ts, 150, 0.001);
    const close = fakePriceAt(ts + 5000, 150, 0.001);
    const high = Number((Math.max(open, close) + 0.002).toFixed(3));
    const low = Number((Math.min(open, close) - 0.002).toFixed(3));
    return { time, open, high, low, close, volume: -1, wap: -1, count: -1 };
  }

  function ensureRtFeed(contract: WireContract): void {
    if (rtMode === 'manual') return;
    const key = contractKey(contract);
    const existing = rtFeeds.get(key);
    if (existing) return;
    const start = Math.floor((rtMode.startTime ?? DEFAULT_RT_START) / 5) * 5;
    const feed = {
      nextTime: start,
      timer: setInterval(() => {
        const bar = rtBarAt(feed.nextTime);
        feed.nextTime += 5;
        onMarket((c) => contractKey(c) === key, () => bar);
        for (const s of sessions.values()) {
          for (const r of s.realTimeBars.values()) if (contractKey(r.contract) === key) send(s, realTimeBarMsg(r.reqId, bar));
        }
      }, rtMode.everyMs),
    };
    const previous = stoppedRtTimes.get(key);
    if (previous !== undefined) feed.nextTime = previous;
    rtFeeds.set(key, feed);
  }

  function ensureQuoteFeed(contract: WireContract): void {
    if (quoteMode === 'manual') return;
    const key = contractKey(contract);
    if (quoteFeeds.has(key)) return;
    const feed = {
      n: 0,
      timer: setInterval(() => {
        const mid = fakePriceAt(DEFAULT_RT_START * 1000 + feed.n++ * 1000, 150, 0.001);
        quoteTo(key, Number((mid - 0.005).toFixed(3)), Number((mid + 0.005).toFixed(3)), 1_000_000);
      }, quoteMode.everyMs),
    };
    quoteFeeds.set(key, feed);
  }

  function stopIdleFeeds(): void {
    const live = (pick: (s: Session) => Iterable<{ contract: WireContract }>) => {
      const keys = new Set<string>();
      for (const s of sessions.values()) for (const r of pick(s)) keys.add(contractKey(r.contract));
      return keys;
    };
    const rtLive = live((s) => s.realTimeBars.values());
    for (const [key, feed] of rtFeeds) {
      if (!rtLive.has(key)) {
        clearInterval(feed.timer);
        stoppedRtTimes.set(key, feed.nextTime);
        rtFeeds.delete(key);
      }
    }
    const quotesLive = live((s) => s.quotes.values());
    for (const [key, feed] of quoteFeeds) {
      if (!quotesLive.has(key)) {
        clearInterval(feed.timer);
        quoteFeeds.delete(key);
      }
    }
  }

  function quoteTo(key: string | undefined, bid: number, ask: number, size: number): void {
    lastMid = (bid + ask) / 2;
    const at = (price: number): Ohlc => ({ open: price, high: price, low: price, close: price });
    onMarket((c) => key === undefined || contractKey(c) === key || c.localSymbol === key, (buy) => at(buy ? ask : bid));
    for (const s of sessions.values()) {
      for (const r of s.quotes.values()) {
        if (key !== undefined && contractKey(r.contract) !== key && r.contract.localSymbol !== key) continue;
        // Like TWS: each price with its size, then the size again as its own tick.
        send(s, tickPriceMsg(r.reqId, TICK.BID, bid, size));
        send(s, tickSizeMsg(r.reqId, TICK.BID_SIZE, size));
        send(s, tickPriceMsg(r.reqId, TICK.ASK, ask, size));
        send(s, tickSizeMsg(r.reqId, TICK.ASK_SIZE, size));
      }
    }
  }

  // ---- orders -------------------------------------------------------------------------------------------------

  const orderKey = (clientId: number, orderId: number) => `${clientId}:${orderId}`;
  const isLive = (o: FakeOrder): boolean => o.status === 'Submitted' || o.status === 'PreSubmitted' || o.status === 'Untransmitted';

  function wireOrder(o: FakeOrder) {
    const r = o.request;
    return {
      ...r,
      account: r.account || accounts[0],
      trailStopPrice: o.trailStop ?? r.trailStopPrice,
      clientId: o.clientId,
      permId: o.permId,
      status: o.status,
    };
  }

  function statusOf(o: FakeOrder, lastFillPrice: number) {
    return {
      orderId: o.request.orderId,
      status: o.status,
      filled: o.filled,
      remaining: o.request.totalQuantity - o.filled,
      avgFillPrice: o.avgFillPrice,
      permId: o.permId,
      lastFillPrice,
      clientId: o.clientId,
    };
  }

  /** Order events go to the connection of the client that placed the order, if it is connected now. */
  function toOwner(o: FakeOrder, fields: readonly WireField[]): void {
    for (const s of startedSessions(o.clientId)) send(s, fields);
  }

  /** openOrder and orderStatus: what TWS sends when an order changes. */
  function announce(o: FakeOrder, lastFillPrice = 0): void {
    toOwner(o, openOrderMsg(wireOrder(o)));
    toOwner(o, orderStatusMsg(statusOf(o, lastFillPrice)));
  }

  /** The orders attached to `parent` (same client), in placement order. */
  const childrenOf = (parent: FakeOrder): FakeOrder[] =>
    [...orders.values()].filter((o) => o.clientId === parent.clientId && o.request.parentId === parent.request.orderId);

  function onPlaceOrder(s: Session, req: PlaceOrderRequest): void {
    const clientId = s.clientId ?? 0;
    if (req.orderId >= nextOrderId) nextOrderId = req.orderId + 1;
    const key = orderKey(clientId, req.orderId);
    const existing = orders.get(key);
    if (existing) return modify(s, existing, req);
    const script = typeof fills === 'function' ? fills(req) : fills;
    const order: FakeOrder = { clientId, request: req, permId: nextPermId++, status: 'Untransmitted', filled: 0, avgFillPrice: 0, trailStop: req.trailStopPrice, triggered: false, script };
    orders.set(key, order);
    // TWS keeps untransmitted orders; the one with transmit set sends them all (a bracket: parent, then children).
    if (req.transmit) transmitFor(clientId);
  }

  function transmitFor(clientId: number): void {
    for (const o of [...orders.values()]) if (o.clientId === clientId && o.status === 'Untransmitted') submit(o);
  }

  function submit(order: FakeOrder): void {
    const req = order.request;
    if (order.script.reject) {
      order.status = 'Inactive';
      toOwner(order, errorMsg(req.orderId, order.script.reject.code ?? 201, `Order rejected - reason:${order.script.reject.message}`));
      toOwner(order, orderStatusMsg(statusOf(order, 0)));
      return;
    }
    const parent = req.parentId !== 0 ? orders.get(orderKey(order.clientId, req.parentId)) : undefined;
    if (parent !== undefined && parent.status !== 'Filled') {
      // Held until its parent fills.
      order.status = 'PreSubmitted';
      announce(order);
      return;
    }
    order.status = 'Submitted';
    const ackDelay = order.script.ackDelayMs ?? 0;
    if (ackDelay <= 0) {
      announce(order);
      work(order);
      return;
    }
    later(ackDelay, () => {
      if (order.status !== 'Submitted') return;
      announce(order);
      work(order);
    });
  }

  /** Fills a working order as its script says: at once (after its latency), or when the market reaches it. */
  function work(order: FakeOrder): void {
    const { script } = order;
    const req = order.request;
    if (script.hold || (script.match === 'price' && req.orderType !== 'MKT')) return;
    const parts = script.partials ?? [req.totalQuantity];
    const price =
      script.price ??
      (req.orderType === 'LMT' ? req.lmtPrice : req.orderType === 'STP' ? req.auxPrice : undefined) ??
      lastMid ??
      150;
    let delay = script.latencyMs ?? 0;
    for (const qty of parts) {
      later(delay, () => execute(order, qty, price, script));
      delay += script.partialGapMs ?? 0;
    }
  }

  /** A placeOrder for a live order id: TWS modifies the order (a filled or cancelled one cannot be). */
  function modify(s: Session, order: FakeOrder, req: PlaceOrderRequest): void {
    if (!isLive(order)) {
      send(s, errorMsg(req.orderId, 104, `Cannot modify a filled or cancelled order (state ${order.status}).`));
      return;
    }
    order.request = req;
    if (req.orderType === 'TRAIL' && req.trailStopPrice !== undefined) order.trailStop = req.trailStopPrice;
    if (order.status === 'Untransmitted') {
      if (req.transmit) transmitFor(order.clientId);
      return;
    }
    announce(order);
  }

  function execute(order: FakeOrder, qty: number, price: number, script: FillScript): void {
    if (order.status !== 'Submitted') return;
    const r = order.request;
    const fillQty = Math.min(qty, r.totalQuantity - order.filled);
    if (fillQty <= 0) return;
    order.avgFillPrice = (order.avgFillPrice * order.filled + price * fillQty) / (order.filled + fillQty);
    order.filled += fillQty;
    if (order.filled >= r.totalQuantity) order.status = 'Filled';
    const now = clock();
    execSeq++;
    const execution: FakeExecution = {
      orderId: r.orderId,
      contract: r.contract,
      execId: `0000e1a7.${String(order.permId).slice(-6)}.${String(execSeq).padStart(2, '0')}.01`,
      time: `${formatTwsDate(now)} ${timeZoneLabel}`,
      account: r.account || accounts[0],
      exchange: r.contract.exchange || 'IDEALPRO',
      side: r.action === 'BUY' ? 'BOT' : 'SLD',
      shares: fillQty,
      price,
      permId: order.permId,
      clientId: order.clientId,
      cumQty: order.filled,
      avgPrice: order.avgFillPrice,
      orderRef: r.orderRef,
      commission: script.commission ?? 2,
      commissionCurrency: script.commissionCurrency ?? (r.contract.currency || 'USD'),
      reportCommission: !script.omitCommission,
    };
    executions.push(execution);
    applyToPositions(execution);
    toOwner(order, execDetailsMsg(-1, execution));
    toOwner(order, orderStatusMsg(statusOf(order, price)));
    if (order.status === 'Filled') announce(order, price);
    if (execution.reportCommission) {
      const report = () => toOwner(order, commissionReportMsg(execution.execId, execution.commission, execution.commissionCurrency));
      if (script.commissionDelayMs) later(script.commissionDelayMs, report);
      else report();
    }
    // One-cancels-all (type 1, with block): the first execution cancels the other orders of the group.
    if (r.ocaGroup !== '' && r.ocaType === 1) {
      for (const other of [...orders.values()]) {
        if (other !== order && other.clientId === order.clientId && other.request.ocaGroup === r.ocaGroup && isLive(other)) cancelOrder(other, 'OCA group');
      }
    }
    // A bracket's children start working once their parent has filled.
    if (order.status === 'Filled') {
      for (const child of childrenOf(order)) {
        if (child.status !== 'PreSubmitted') continue;
        child.status = 'Submitted';
        announce(child);
        work(child);
      }
    }
  }

  /**
   * Cancels a live order, and the children of a parent that ends unfilled. `answerAfterMs`: the order is off the
   * market now, but TWS says only PendingCancel until then (a cancel the client asked for, `cancelLatencyMs`).
   */
  function cancelOrder(order: FakeOrder, why: string, answerAfterMs = 0): void {
    order.status = 'Cancelled';
    const answer = (): void => {
      toOwner(order, orderStatusMsg(statusOf(order, 0)));
      toOwner(order, errorMsg(order.request.orderId, 202, `Order Canceled - reason:${why}`));
    };
    if (answerAfterMs > 0) {
      toOwner(order, orderStatusMsg({ ...statusOf(order, 0), status: 'PendingCancel' }));
      later(answerAfterMs, answer);
    } else answer();
    for (const child of childrenOf(order)) if (isLive(child)) cancelOrder(child, 'parent cancelled', answerAfterMs);
  }

  function applyToPositions(e: FakeExecution): void {
    const key = contractKey(e.contract);
    const signed = e.side === 'BOT' ? e.shares : -e.shares;
    const i = positions.findIndex((p) => p.account === e.account && contractKey(p.contract) === key);
    const prev = i >= 0 ? positions[i] : { account: e.account, contract: e.contract, position: 0, avgCost: 0 };
    const qty = prev.position + signed;
    const growing = Math.sign(signed) === Math.sign(prev.position) || prev.position === 0;
    const avgCost = qty === 0 ? 0 : growing ? (prev.avgCost * prev.position + e.price * signed) / qty : Math.sign(qty) === Math.sign(prev.position) ? prev.avgCost : e.price;
    const next = { ...prev, position: qty, avgCost };
    if (i >= 0) positions[i] = next;
    else positions.push(next);
  }

  function onCancelOrder(s: Session, orderId: number): void {
    const order = orders.get(orderKey(s.clientId ?? 0, orderId));
    if (!order) {
      send(s, errorMsg(orderId, 10147, `OrderId ${orderId} that needs to be cancelled is not found.`));
      return;
    }
    if (!isLive(order)) {
      send(s, errorMsg(orderId, 10148, `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${order.status}.`));
      return;
    }
    cancelOrder(order, '', cancelLatencyMs);
  }

  // ---- the market: orders that rest until the price reaches them --------------------------------------------

  /**
   * One step of the market for the contracts `matches` accepts: a real-time bar (its OHLC) or a quote (the ask
   * for buy orders, the bid for sell orders). GTD orders whose time has passed are cancelled first; then every
   * working order scripted `match: 'price'` is checked as TWS would, a TRAIL stop following the close.
   */
  function onMarket(matches: (c: WireContract) => boolean, priceFor: (buy: boolean) => Ohlc): void {
    const now = clock();
    for (const o of [...orders.values()]) {
      if (!isLive(o) || !matches(o.request.contract)) continue;
      const gtd = o.request.goodTillDate === '' ? undefined : parseExecutionTime(o.request.goodTillDate, 'UTC');
      if (gtd !== undefined && now >= gtd) {
        cancelOrder(o, 'GTD expired');
        continue;
      }
      if (o.status !== 'Submitted' || o.script.match !== 'price') continue;
      const bar = priceFor(o.request.action === 'BUY');
      const price = restingFill(o, bar);
      if (price !== undefined) execute(o, o.request.totalQuantity - o.filled, price, o.script);
      else if (o.request.orderType === 'TRAIL') followPrice(o, bar.close);
    }
  }

  /** Where a resting order fills on `bar`: gap through → the open, touch → its price; undefined when not reached. */
  function restingFill(o: FakeOrder, bar: Ohlc): number | undefined {
    const r = o.request;
    const buy = r.action === 'BUY';
    const limit = (price: number): number | undefined =>
      buy ? (bar.open <= price ? bar.open : bar.low <= price ? price : undefined) : bar.open >= price ? bar.open : bar.high >= price ? price : undefined;
    const stop = (price: number): number | undefined =>
      buy ? (bar.open >= price ? bar.open : bar.high >= price ? price : undefined) : bar.open <= price ? bar.open : bar.low <= price ? price : undefined;
    switch (r.orderType) {
      case 'LMT':
        return r.lmtPrice === undefined ? undefined : limit(r.lmtPrice);
      case 'STP':
        return r.auxPrice === undefined ? undefined : stop(r.auxPrice);
      case 'TRAIL':
        return o.trailStop === undefined ? undefined : stop(o.trailStop);
      case 'STP LMT': {
        if (r.auxPrice === undefined || r.lmtPrice === undefined) return undefined;
        if (!o.triggered && stop(r.auxPrice) === undefined) return undefined;
        o.triggered = true;
        return limit(r.lmtPrice);
      }
      default:
        return undefined;
    }
  }

  /** A TRAIL stop after a price that did not reach it: it follows the price by its amount, never back. */
  function followPrice(o: FakeOrder, price: number): void {
    const r = o.request;
    const amount = r.trailingPercent !== undefined ? (price * r.trailingPercent) / 100 : (r.auxPrice ?? 0);
    const candidate = r.action === 'SELL' ? price - amount : price + amount;
    if (o.trailStop === undefined || (r.action === 'SELL' ? candidate > o.trailStop : candidate < o.trailStop)) {
      o.trailStop = Number(candidate.toFixed(10));
      announce(o);
    }
  }

  function onOpenOrders(s: Session, all: boolean): void {
    for (const o of orders.values()) {
      if ((o.status !== 'Submitted' && o.status !== 'PreSubmitted') || (!all && o.clientId !== s.clientId)) continue;
      send(s, openOrderMsg(wireOrder(o)));
      send(s, orderStatusMsg(statusOf(o, 0)));
    }
    send(s, openOrderEndMsg());
  }

  /** The executions of `clientId` (all when undefined) at or after the filter's `time` ("yyyyMMdd-HH:mm:ss" UTC, or with a zone), as TWS filters them. */
  function onExecutions(s: Session, reqId: number, clientId: number | undefined, time: string | undefined): void {
    const since = time === undefined || time.trim() === '' ? undefined : parseExecutionTime(time, 'UTC');
    const listed = executions.filter(
      (e) => (clientId === undefined || clientId === e.clientId) && (since === undefined || (parseExecutionTime(e.time, timeZoneLabel) ?? since) >= since),
    );
    for (const e of listed) send(s, execDetailsMsg(reqId, e));
    send(s, execDetailsEndMsg(reqId));
    // TWS follows an executions answer with the commission reports of those executions.
    for (const e of listed) if (e.reportCommission) send(s, commissionReportMsg(e.execId, e.commission, e.commissionCurrency));
  }

  // ---- start ----------------------------------------------------------------------------------------------------

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake TWS: no TCP address');

  const fake: FakeTws = {
    host: '127.0.0.1',
    port: address.port,
    requests,
    protocolErrors,
    requestsOf: (type) => requests.filter((r) => r.request?.type === type),
    waitForRequest(match, timeoutMs = 5000) {
      const found = requests.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (r: LoggedRequest) => {
            clearTimeout(t);
            timers.delete(t);
            resolve(r);
          },
        };
        const t = setTimeout(() => {
          timers.delete(t);
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`fake TWS: no matching request within ${timeoutMs} ms`));
        }, timeoutMs);
        timers.add(t);
        waiters.push(waiter);
      });
    },
    waitForClients(count, timeoutMs = 5000) {
      if (startedSessions().length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = {
          count,
          resolve: () => {
            clearTimeout(t);
            timers.delete(t);
            resolve();
          },
        };
        const t = setTimeout(() => {
          timers.delete(t);
          clientWaiters.splice(clientWaiters.indexOf(waiter), 1);
          reject(new Error(`fake TWS: ${count} clients not connected within ${timeoutMs} ms`));
        }, timeoutMs);
        timers.add(t);
        clientWaiters.push(waiter);
      });
    },
    clients: () => startedSessions().map((s) => ({ connectionId: s.connectionId, clientId: s.clientId })),
    orders: () => [...orders.values()],
    executions: () => executions,
    positions: () => positions,
    setPositions(next) {
      positions = [...next];
    },
    setFills(next) {
      fills = next;
    },
    setCancelLatency(ms) {
      cancelLatencyMs = ms;
    },
    setHistorical(handler) {
      historical = handler;
    },
    fillOrder(orderId, fill = {}, clientId) {
      const order = [...orders.values()].find((o) => o.request.orderId === orderId && (clientId === undefined || o.clientId === clientId));
      if (!order) throw new Error(`fake TWS: no order ${orderId}`);
      const r = order.request;
      const price = fill.price ?? (r.orderType === 'LMT' ? r.lmtPrice : r.orderType === 'STP' ? r.auxPrice : undefined) ?? lastMid ?? 150;
      execute(order, fill.qty ?? r.totalQuantity - order.filled, price, fill);
    },
    sendRealTimeBar(bar, localSymbol) {
      // The market moves whether or not a client is connected to see it.
      onMarket((c) => localSymbol === undefined || c.localSymbol === localSymbol, () => bar);
      for (const s of startedSessions()) {
        for (const r of s.realTimeBars.values()) {
          if (localSymbol === undefined || r.contract.localSymbol === localSymbol) send(s, realTimeBarMsg(r.reqId, bar));
        }
      }
    },
    sendQuote(bid, ask, localSymbol, size = 1_000_000) {
      quoteTo(localSymbol, bid, ask, size);
    },
    sendError(id, code, message, clientId) {
      for (const s of startedSessions(clientId)) send(s, errorMsg(id, code, message));
    },
    sendConnectivity(code, clientId) {
      const text = {
        1100: 'Connectivity between IB and Trader Workstation has been lost.',
        1101: 'Connectivity between IB and Trader Workstation has been restored - data lost.',
        1102: 'Connectivity between IB and Trader Workstation has been restored - data maintained.',
      }[code];
      for (const s of startedSessions(clientId)) {
        send(s, errorMsg(-1, code, text));
        // With data lost, TWS forgets the market data subscriptions of the connection.
        if (code === 1101) {
          s.realTimeBars.clear();
          s.quotes.clear();
        }
      }
      if (code === 1101) stopIdleFeeds();
    },
    sendRaw(fields, clientId) {
      for (const s of startedSessions(clientId)) send(s, fields);
    },
    sendRawBody(body, clientId) {
      for (const s of startedSessions(clientId)) if (!s.socket.destroyed) s.socket.write(encodeRawFrame(body));
    },
    dropConnections(clientId) {
      for (const s of [...sessions.values()]) {
        if (clientId === undefined || s.clientId === clientId) {
          s.socket.destroy();
          endSession(s);
        }
      }
    },
    setAcceptConnections(accept) {
      accepting = accept;
    },
    subscriptions() {
      let realTimeBars = 0;
      let quotes = 0;
      for (const s of sessions.values()) {
        realTimeBars += s.realTimeBars.size;
        quotes += s.quotes.size;
      }
      return { realTimeBars, quotes };
    },
    async close() {
      accepting = false;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const f of rtFeeds.values()) clearInterval(f.timer);
      rtFeeds.clear();
      for (const f of quoteFeeds.values()) clearInterval(f.timer);
      quoteFeeds.clear();
      for (const s of [...sessions.values()]) {
        s.socket.destroy();
        endSession(s);
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
