// Deep imports: the package root also loads IBApiNext and its dependencies (~230 ms more at start-up) that
// nothing here uses. @stoqey/ib 1.6 has no "exports" map, so these paths are part of what it publishes.
import { IBApi } from '@stoqey/ib/dist/api/api';
import { EventName } from '@stoqey/ib/dist/api/data/enum/event-name';
import { IN_MSG_ID } from '@stoqey/ib/dist/core/io/enum/in-msg-id';
import { BehaviorSubject, Observable, Subject } from 'rxjs';
import { z } from 'zod';
import { ConfigError, DataError } from '../../core/errors';
import { formatZodError } from '../../core/schemas';

/**
 * One TWS / IB Gateway API connection (one socket per clientId), shared by the real-time source, the quote
 * source and the broker. It connects at creation, reconnects with exponential backoff after any drop (a TWS
 * crash, the nightly restart, a network fault), and tells its users what they must redo:
 *
 * - `session$` emits a new {@link IbSession} each time market-data subscriptions must be (re)made: after each
 *   (re)connection and after TWS's 1101 "connectivity restored, data lost". It emits `null` while there is
 *   no usable connection, replays the current value to new subscribers, and completes on `close()` (errors
 *   when reconnection gives up).
 * - `state$` is the connection state for logs and UIs (1100 shows as `link: 'lost'`, 1101/1102 restore it).
 * - `errors$` carries TWS errors tied to a request or order id; `protocolErrors$` messages the client could not
 *   decode (the data they carried is lost, so the users of the connection fail loudly on them).
 *
 * Request ids (market data, historical data, executions) start at {@link FIRST_REQUEST_ID}, far above order
 * ids, so an error's id names one or the other without ambiguity.
 */

export const FIRST_REQUEST_ID = 1_000_000;

export interface BackoffPolicy {
  /** First retry delay. */
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** Consecutive failed attempts before giving up (default: never give up). */
  readonly maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000, factor: 2, maxAttempts: Infinity };

export interface IbConnectionConfig {
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
  /** The account orders go to; optional when the login has exactly one. */
  readonly account?: string;
  readonly reconnect?: Partial<BackoffPolicy>;
  /** Time from opening the socket to nextValidId + managedAccounts before the attempt counts as failed. */
  readonly handshakeTimeoutMs?: number;
  /** Outbound message rate limit of the client library (TWS allows 50/s). */
  readonly maxRequestsPerSecond?: number;
}

export type IbConnectionState =
  | { readonly status: 'connecting'; readonly attempt: number }
  | {
      readonly status: 'connected';
      readonly connectionId: number;
      readonly serverVersion: number;
      readonly accounts: readonly string[];
      /** TWS's own link to IB's servers: 'lost' between 1100 and 1101/1102. */
      readonly link: 'ok' | 'lost';
    }
  | { readonly status: 'disconnected'; readonly attempt: number; readonly retryInMs: number; readonly reason: string }
  | { readonly status: 'failed'; readonly reason: string }
  | { readonly status: 'closed' };

/** A TWS error tied to a request id or order id (id −1 notices are in `notices$`). */
export interface IbApiError {
  readonly id: number;
  readonly code: number;
  readonly message: string;
  readonly connectionId: number;
}

/** A message the client library could not decode: its data is lost, so whoever expected it must fail loudly. */
export interface IbProtocolError {
  /** The client library's name for the message (`REAL_TIME_BARS`), when it gave one it knows. */
  readonly messageName: IbInMessageName | undefined;
  readonly error: DataError;
}

export type IbNotice =
  | { readonly kind: 'connectivity'; readonly code: 1100 | 1101 | 1102; readonly message: string }
  | { readonly kind: 'info'; readonly code: number; readonly message: string }
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly retryInMs: number; readonly reason: string }
  | { readonly kind: 'connected'; readonly connectionId: number; readonly serverVersion: number };

/** The arguments of one API event, as the client library emitted them (validated by the reader). */
export type IbEventArgs = readonly unknown[];

export interface IbSession {
  /** Increments per socket connection. */
  readonly connectionId: number;
  /** Increments per connection and per 1101: subscriptions made in an older epoch are gone. */
  readonly epoch: number;
  readonly api: IBApi;
  readonly serverVersion: number;
  readonly accounts: readonly string[];
  /** False once the socket of this session closed or a newer epoch began. */
  isCurrent(): boolean;
  /** True while the socket of this session is open (also after a 1101 started a newer epoch on it). */
  isOpen(): boolean;
  /** The arguments of every `name` event of this session's socket. */
  on(name: EventName): Observable<IbEventArgs>;
}

export interface IbConnection {
  readonly config: IbConnectionConfig;
  readonly state$: Observable<IbConnectionState>;
  readonly session$: Observable<IbSession | null>;
  readonly errors$: Observable<IbApiError>;
  readonly notices$: Observable<IbNotice>;
  readonly protocolErrors$: Observable<IbProtocolError>;
  state(): IbConnectionState;
  currentSession(): IbSession | null;
  nextRequestId(): number;
  /** The next order id: at least TWS's latest nextValidId, never reused. */
  nextOrderId(): number;
  close(): Promise<void>;
}

/** TWS paper-trading port (IB Gateway paper: 4002; live: 7496 / 4001). */
export const DEFAULT_IB_PORT = 7497;

const port = z.number().int().min(1).max(65535);
const clientId = z.number().int().min(0).max(2_147_483_647);

export const ibConnectionConfigSchema = z.strictObject({
  host: z.string().min(1),
  port,
  clientId,
  account: z.string().min(1).optional(),
  reconnect: z
    .strictObject({
      initialMs: z.number().int().positive().optional(),
      maxMs: z.number().int().positive().optional(),
      factor: z.number().min(1).optional(),
      maxAttempts: z.number().int().positive().optional(),
    })
    .optional(),
  handshakeTimeoutMs: z.number().int().positive().optional(),
  maxRequestsPerSecond: z.number().positive().max(50).optional(),
});

/**
 * The connection settings of a config file section (`{ host, port, clientId, account, reconnect }`), with
 * IB_HOST, IB_PORT, IB_CLIENT_ID and IB_ACCOUNT from `env` taking precedence; host defaults to 127.0.0.1 and
 * port to the TWS paper port. A ConfigError names the field (or variable) and the rule.
 */
export function resolveIbConnectionConfig(section: unknown, env: NodeJS.ProcessEnv = {}, source = 'ib'): IbConnectionConfig {
  const base = section === undefined ? {} : section;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new ConfigError('expected an object', source);
  const fromEnv = (name: string, asNumber: boolean): string | number | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    if (!asNumber) return text;
    const n = Number(text);
    if (!Number.isInteger(n)) throw new ConfigError(`must be a whole number, got "${text}"`, name);
    return n;
  };
  const merged: Record<string, unknown> = { host: '127.0.0.1', port: DEFAULT_IB_PORT, ...base };
  for (const [field, name, asNumber] of [
    ['host', 'IB_HOST', false],
    ['port', 'IB_PORT', true],
    ['clientId', 'IB_CLIENT_ID', true],
    ['account', 'IB_ACCOUNT', false],
  ] as const) {
    const v = fromEnv(name, asNumber);
    if (v !== undefined) merged[field] = v;
  }
  const parsed = ibConnectionConfigSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error), source);
  return parsed.data;
}

/** Delay before retry `attempt` (1-based): initial × factor^(attempt−1), capped. */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  return Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, Math.max(0, attempt - 1)));
}

interface ArgsEmitter {
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  off(event: string, fn: (...args: unknown[]) => void): unknown;
}

/** The client library's name of an inbound message (`REAL_TIME_BARS`), a key of its IN_MSG_ID. */
export type IbInMessageName = Exclude<keyof typeof IN_MSG_ID, 'UNDEFINED'>;

function isInMessageName(name: string): name is IbInMessageName {
  return name !== 'UNDEFINED' && Object.hasOwn(IN_MSG_ID, name) && typeof (IN_MSG_ID as Readonly<Record<string, unknown>>)[name] === 'number';
}

/** The client library reports undecodable messages as error 505 with the message's enum name in the text. */
function protocolErrorOf(message: string): IbProtocolError | undefined {
  const m = /^(Underrun error|Decoding error) on ([A-Z_]+|undefined):\s*(.*?)(?: Please report.*)?$/s.exec(message);
  if (m) {
    const name = isInMessageName(m[2]) ? m[2] : undefined;
    const where = name !== undefined ? `IB message ${IN_MSG_ID[name]} (${name})` : `IB message ${m[2]}`;
    const rule = m[1] === 'Underrun error' ? 'has fewer fields than its layout' : 'has more fields than its layout';
    return { messageName: name, error: new DataError(rule, { file: where }, m[3].trim()) };
  }
  const unknown = /^No parser implementation found for token: (.*)\.$/.exec(message);
  if (unknown) return { messageName: undefined, error: new DataError('has an unknown message id', { file: `IB message ${unknown[1]}` }) };
  return undefined;
}

export function createIbConnection(config: IbConnectionConfig): IbConnection {
  const checked = ibConnectionConfigSchema.safeParse(config);
  if (!checked.success) throw new ConfigError(formatZodError(checked.error), 'IB connection');
  const policy: BackoffPolicy = { ...DEFAULT_BACKOFF, ...config.reconnect };
  const handshakeTimeoutMs = config.handshakeTimeoutMs ?? 10_000;

  const state$ = new BehaviorSubject<IbConnectionState>({ status: 'connecting', attempt: 1 });
  const session$ = new BehaviorSubject<IbSession | null>(null);
  const errors$ = new Subject<IbApiError>();
  const notices$ = new Subject<IbNotice>();
  const protocolErrors$ = new Subject<IbProtocolError>();

  let closing = false;
  let attempt = 0;
  let connectionCount = 0;
  let epochCount = 0;
  let requestId = FIRST_REQUEST_ID;
  let orderIdFloor = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let handshakeTimer: NodeJS.Timeout | undefined;
  let currentApi: IBApi | undefined;
  let detachCurrent: (() => void) | undefined;
  let closed: (() => void) | undefined;

  const setState = (s: IbConnectionState) => state$.next(s);

  function connectAttempt(): void {
    if (closing) return;
    attempt++;
    setState({ status: 'connecting', attempt });
    const api = new IBApi({ host: config.host, port: config.port, maxReqPerSec: config.maxRequestsPerSecond ?? 40 });
    const emitter = api as unknown as ArgsEmitter;
    currentApi = api;
    let connectionId = 0;
    let open = false;
    let nextValidIdSeen = false;
    let accounts: readonly string[] | undefined;
    let current: IbSession | null = null;
    let link: 'ok' | 'lost' = 'ok';

    const makeSession = (): IbSession => {
      const epoch = ++epochCount;
      const session: IbSession = {
        connectionId,
        epoch,
        api,
        serverVersion: api.serverVersion,
        accounts: accounts ?? [],
        isCurrent: () => current === session && open,
        isOpen: () => open,
        on: (name) =>
          new Observable<IbEventArgs>((subscriber) => {
            const fn = (...args: unknown[]) => subscriber.next(args);
            emitter.on(name, fn);
            return () => emitter.off(name, fn);
          }),
      };
      return session;
    };

    const publishConnected = () => {
      setState({ status: 'connected', connectionId, serverVersion: api.serverVersion, accounts: accounts ?? [], link });
    };

    const maybeReady = () => {
      if (current !== null || !nextValidIdSeen || accounts === undefined || !open) return;
      clearTimeout(handshakeTimer);
      handshakeTimer = undefined;
      attempt = 0;
      connectionId = ++connectionCount;
      current = makeSession();
      publishConnected();
      notices$.next({ kind: 'connected', connectionId, serverVersion: api.serverVersion });
      session$.next(current);
    };

    const handlers: [EventName, (...args: unknown[]) => void][] = [
      [
        EventName.connected,
        () => {
          open = true;
        },
      ],
      [
        EventName.nextValidId,
        (id) => {
          if (typeof id === 'number' && Number.isInteger(id)) orderIdFloor = Math.max(orderIdFloor, id);
          nextValidIdSeen = true;
          maybeReady();
        },
      ],
      [
        EventName.managedAccounts,
        (list) => {
          accounts = String(list ?? '')
            .split(',')
            .map((a) => a.trim())
            .filter((a) => a !== '');
          maybeReady();
        },
      ],
      [EventName.disconnected, () => dropped('connection closed', false)],
      [
        EventName.info,
        (message, code) => {
          const text = String(message);
          if (code === 1100 || code === 1101 || code === 1102) {
            notices$.next({ kind: 'connectivity', code, message: text });
            link = code === 1100 ? 'lost' : 'ok';
            if (current !== null) {
              publishConnected();
              if (code === 1101) {
                current = makeSession();
                session$.next(current);
              }
            }
          } else if (typeof code === 'number') {
            notices$.next({ kind: 'info', code, message: text });
          }
        },
      ],
      [
        EventName.error,
        (error, code, reqId) => {
          const message = error instanceof Error ? error.message : String(error);
          if (code === 502 /* CONNECT_FAIL */) return; // the socket's close event follows and schedules the retry
          if (code === 505 /* UNKNOWN_ID: the decoder's complaints */) {
            const protocolError = protocolErrorOf(message);
            if (protocolError) {
              protocolErrors$.next(protocolError);
              return;
            }
          }
          const id = typeof reqId === 'number' ? reqId : -1;
          if (code === 1100 || code === 1101 || code === 1102) {
            notices$.next({ kind: 'connectivity', code, message });
            return;
          }
          errors$.next({ id, code: typeof code === 'number' ? code : -1, message, connectionId });
        },
      ],
    ];
    for (const [name, fn] of handlers) emitter.on(name, fn);

    let detached = false;
    const detach = () => {
      if (detached) return;
      detached = true;
      for (const [name, fn] of handlers) emitter.off(name, fn);
    };
    detachCurrent = detach;

    function dropped(reason: string, forceClose: boolean): void {
      if (currentApi !== api) return;
      clearTimeout(handshakeTimer);
      handshakeTimer = undefined;
      open = false;
      current = null;
      currentApi = undefined;
      detach();
      if (forceClose) api.disconnect();
      session$.next(null);
      if (closing) {
        closed?.();
        return;
      }
      if (attempt === 0) attempt = 1;
      if (attempt >= policy.maxAttempts) {
        const why = `gave up after ${attempt} attempt(s) to reach TWS at ${config.host}:${config.port} (clientId ${config.clientId}): ${reason}`;
        setState({ status: 'failed', reason: why });
        session$.error(new Error(why));
        return;
      }
      const retryInMs = backoffDelay(attempt, policy);
      setState({ status: 'disconnected', attempt, retryInMs, reason });
      notices$.next({ kind: 'reconnecting', attempt, retryInMs, reason });
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        connectAttempt();
      }, retryInMs);
    }

    handshakeTimer = setTimeout(() => {
      handshakeTimer = undefined;
      if (current === null) dropped(`no handshake, nextValidId and managedAccounts within ${handshakeTimeoutMs} ms`, true);
    }, handshakeTimeoutMs);
    api.connect(config.clientId);
  }

  connectAttempt();

  return {
    config,
    state$: state$.asObservable(),
    session$: session$.asObservable(),
    errors$: errors$.asObservable(),
    notices$: notices$.asObservable(),
    protocolErrors$: protocolErrors$.asObservable(),
    state: () => state$.getValue(),
    currentSession: () => session$.getValue(),
    nextRequestId: () => requestId++,
    nextOrderId: () => orderIdFloor++,
    close() {
      if (closing) return Promise.resolve();
      closing = true;
      clearTimeout(retryTimer);
      clearTimeout(handshakeTimer);
      const api = currentApi;
      const finish = () => {
        detachCurrent?.();
        setState({ status: 'closed' });
        session$.next(null);
        session$.complete();
        state$.complete();
        errors$.complete();
        notices$.complete();
        protocolErrors$.complete();
      };
      if (!api) {
        finish();
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const fallback = setTimeout(() => closed?.(), 1000);
        closed = () => {
          closed = undefined;
          clearTimeout(fallback);
          currentApi = undefined;
          finish();
          resolve();
        };
        api.disconnect();
      });
    },
  };
}
