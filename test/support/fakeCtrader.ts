import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

/**
 * A cTrader Open API server on 127.0.0.1 that speaks the JSON protocol over WebSocket (payload types and fields as
 * in Spotware's openapi-proto-messages; see src/adapters/ctrader/protocol.ts), for tests:
 *
 * - ProtoOAApplicationAuthReq (2100) → Res (2101), or ProtoOAErrorRes (2142) CH_CLIENT_AUTH_FAILURE;
 * - ProtoOAAccountAuthReq (2102) → Res (2103), or CH_CLIENT_NOT_AUTHENTICATED before application auth,
 *   CH_ACCESS_TOKEN_INVALID / CH_CTID_TRADER_ACCOUNT_NOT_FOUND;
 * - ProtoOASymbolsListReq (2114) → Res (2115) with the configured symbols;
 * - ProtoOASubscribeSpotsReq (2127) → Res (2128), then the snapshot spot (the last one pushed) as the real server
 *   does; ProtoOAUnsubscribeSpotsReq (2129) → Res (2130);
 * - ProtoHeartbeatEvent (51) is recorded, not answered; with `heartbeatMs` the server sends its own.
 *
 * Tests drive the rest: push spots, send heartbeats or raw (malformed) frames, drop every connection, mute the
 * server. Every message received is recorded with the connection it came on.
 */

export interface FakeSymbol {
  readonly symbolId: number;
  readonly symbolName: string;
}

export interface FakeCtraderOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly accessToken?: string;
  readonly accountId?: number;
  readonly symbols?: readonly FakeSymbol[];
  /** Sends every open connection a ProtoHeartbeatEvent this often, as the proxy does; 0 = never (default). */
  readonly heartbeatMs?: number;
}

export interface ReceivedMessage {
  /** 1-based number of the connection it arrived on. */
  readonly connection: number;
  readonly clientMsgId?: string;
  readonly payloadType: number;
  readonly payload: Record<string, unknown>;
}

export interface FakeSpot {
  readonly symbolId: number;
  /** Integer price in 1/100000. */
  readonly bid?: number;
  readonly ask?: number;
  /** Epoch ms; sent only to clients that asked for subscribeToSpotTimestamp. */
  readonly timestamp?: number;
}

export interface FakeCtrader {
  readonly url: string;
  readonly port: number;
  readonly options: Required<FakeCtraderOptions>;
  /** Every message received, in order. */
  readonly received: readonly ReceivedMessage[];
  /** Connections accepted so far. */
  connectionCount(): number;
  /** Open connections subscribed to `symbolId`. */
  subscriberCount(symbolId: number): number;
  /** Sends a ProtoOASpotEvent to every connection subscribed to the symbol; returns how many got it. */
  pushSpot(spot: FakeSpot): number;
  /** Sends a ProtoHeartbeatEvent to every open connection. */
  sendHeartbeat(): void;
  /** Sends a text frame as is (e.g. a malformed message) to every open connection. */
  sendRaw(text: string): void;
  /** Terminates every open connection (as a network drop would). */
  dropConnections(): void;
  /** While muted the server answers nothing and sends nothing. */
  mute(muted: boolean): void;
  /** Resolves with the first received message (past or future) that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (message: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  close(): Promise<void>;
}

interface Connection {
  readonly id: number;
  readonly ws: WebSocket;
  appAuthorized: boolean;
  accountAuthorized: boolean;
  readonly spots: Set<number>;
  withTimestamp: boolean;
}

const defaults: Required<FakeCtraderOptions> = {
  clientId: 'test-client',
  clientSecret: 'test-secret',
  accessToken: 'test-token',
  accountId: 4242,
  heartbeatMs: 0,
  symbols: [
    { symbolId: 1, symbolName: 'EURUSD' },
    { symbolId: 4, symbolName: 'USDJPY' },
    { symbolId: 22, symbolName: 'XAUUSD' },
  ],
};

export async function startFakeCtrader(options: FakeCtraderOptions = {}): Promise<FakeCtrader> {
  const config: Required<FakeCtraderOptions> = { ...defaults, ...options };
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const connections = new Set<Connection>();
  const received: ReceivedMessage[] = [];
  const lastSpot = new Map<number, FakeSpot>();
  const waiters: Array<{ predicate: (m: ReceivedMessage) => boolean; resolve: (m: ReceivedMessage) => void }> = [];
  let accepted = 0;
  let muted = false;
  let closing: Promise<void> | undefined;
  const sendHeartbeats = (): void => {
    for (const c of connections) send(c, 51, {});
  };
  const heartbeat = config.heartbeatMs > 0 ? setInterval(sendHeartbeats, config.heartbeatMs) : undefined;

  const send = (c: Connection, payloadType: number, payload: object, clientMsgId?: string): void => {
    if (muted || c.ws.readyState !== WebSocket.OPEN) return;
    c.ws.send(JSON.stringify({ ...(clientMsgId !== undefined ? { clientMsgId } : {}), payloadType, payload }));
  };
  const error = (c: Connection, clientMsgId: string | undefined, errorCode: string, description: string): void =>
    send(c, 2142, { ctidTraderAccountId: config.accountId, errorCode, description }, clientMsgId);
  const spotPayload = (c: Connection, spot: FakeSpot): object => ({
    ctidTraderAccountId: config.accountId,
    symbolId: spot.symbolId,
    ...(spot.bid !== undefined ? { bid: spot.bid } : {}),
    ...(spot.ask !== undefined ? { ask: spot.ask } : {}),
    ...(spot.timestamp !== undefined && c.withTimestamp ? { timestamp: spot.timestamp } : {}),
  });

  const handle = (c: Connection, message: ReceivedMessage): void => {
    const { clientMsgId, payloadType, payload } = message;
    if (payloadType === 51) return;
    if (payloadType === 2100) {
      if (payload.clientId !== config.clientId || payload.clientSecret !== config.clientSecret) {
        error(c, clientMsgId, 'CH_CLIENT_AUTH_FAILURE', 'Open API client is not activated or wrong client credentials.');
        return;
      }
      c.appAuthorized = true;
      send(c, 2101, {}, clientMsgId);
      return;
    }
    if (!c.appAuthorized) {
      error(c, clientMsgId, 'CH_CLIENT_NOT_AUTHENTICATED', 'Open API application is not authorized');
      return;
    }
    if (payloadType === 2102) {
      if (payload.accessToken !== config.accessToken) {
        error(c, clientMsgId, 'CH_ACCESS_TOKEN_INVALID', 'Access token is invalid.');
        return;
      }
      if (payload.ctidTraderAccountId !== config.accountId) {
        error(c, clientMsgId, 'CH_CTID_TRADER_ACCOUNT_NOT_FOUND', 'Trading account is not found.');
        return;
      }
      c.accountAuthorized = true;
      send(c, 2103, { ctidTraderAccountId: config.accountId }, clientMsgId);
      return;
    }
    if (!c.accountAuthorized || payload.ctidTraderAccountId !== config.accountId) {
      error(c, clientMsgId, 'ACCOUNT_NOT_AUTHORIZED', 'Trading account is not authorized');
      return;
    }
    const ids = Array.isArray(payload.symbolId) ? payload.symbolId.map(Number) : [];
    switch (payloadType) {
      case 2114:
        send(c, 2115, { ctidTraderAccountId: config.accountId, symbol: config.symbols.map((s) => ({ ...s, enabled: true })) }, clientMsgId);
        return;
      case 2127: {
        const unknown = ids.find((id) => !config.symbols.some((s) => s.symbolId === id));
        if (unknown !== undefined) {
          error(c, clientMsgId, 'SYMBOL_NOT_FOUND', `symbolId ${unknown} not found`);
          return;
        }
        c.withTimestamp = payload.subscribeToSpotTimestamp === true;
        for (const id of ids) c.spots.add(id);
        send(c, 2128, { ctidTraderAccountId: config.accountId }, clientMsgId);
        for (const id of ids) {
          const snapshot = lastSpot.get(id);
          if (snapshot !== undefined) send(c, 2131, spotPayload(c, snapshot));
        }
        return;
      }
      case 2129:
        for (const id of ids) c.spots.delete(id);
        send(c, 2130, { ctidTraderAccountId: config.accountId }, clientMsgId);
        return;
      default:
        error(c, clientMsgId, 'UNSUPPORTED_MESSAGE', `payloadType ${payloadType} is not supported by the fake server`);
    }
  };

  server.on('connection', (ws) => {
    const c: Connection = { id: ++accepted, ws, appAuthorized: false, accountAuthorized: false, spots: new Set(), withTimestamp: false };
    connections.add(c);
    ws.on('close', () => connections.delete(c));
    ws.on('error', () => connections.delete(c));
    ws.on('message', (data) => {
      let json: { clientMsgId?: string; payloadType?: number; payload?: Record<string, unknown> };
      try {
        json = JSON.parse(String(data)) as typeof json;
      } catch {
        return;
      }
      const message: ReceivedMessage = {
        connection: c.id,
        ...(json.clientMsgId !== undefined ? { clientMsgId: json.clientMsgId } : {}),
        payloadType: Number(json.payloadType),
        payload: json.payload ?? {},
      };
      received.push(message);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(message)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
      if (!muted) handle(c, message);
    });
  });

  const open = (): Connection[] => [...connections].filter((c) => c.ws.readyState === WebSocket.OPEN);

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    options: config,
    received,
    connectionCount: () => accepted,
    subscriberCount: (symbolId) => open().filter((c) => c.spots.has(symbolId)).length,
    pushSpot(spot) {
      const previous = lastSpot.get(spot.symbolId);
      // The snapshot a new subscriber gets is the full current price, whatever side this spot moved.
      lastSpot.set(spot.symbolId, { ...previous, ...spot });
      let delivered = 0;
      for (const c of open()) {
        if (!c.spots.has(spot.symbolId) || muted) continue;
        send(c, 2131, spotPayload(c, spot));
        delivered++;
      }
      return delivered;
    },
    sendHeartbeat: sendHeartbeats,
    sendRaw(text) {
      for (const c of open()) c.ws.send(text);
    },
    dropConnections() {
      for (const c of connections) c.ws.terminate();
    },
    mute(value) {
      muted = value;
    },
    waitFor(predicate, timeoutMs = 3000) {
      const seen = received.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<ReceivedMessage>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`fake cTrader: no matching message within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          predicate,
          resolve: (m: ReceivedMessage) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        waiters.push(waiter);
      });
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        if (heartbeat !== undefined) clearInterval(heartbeat);
        for (const c of connections) c.ws.terminate();
        server.close((err) => (err ? reject(err) : resolve()));
      });
      return closing;
    },
  };
}
