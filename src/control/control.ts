import { BehaviorSubject, Subject, Subscription, type Observable } from 'rxjs';
import type { StrategyHalt, TradingHalts } from '../core/halts';
import type { Bar, EquityPoint, ExecutionEvent, Fill, Order, OrderEvent, Position } from '../core/types';
import { createRingBuffer } from './ringBuffer';

/**
 * What the control surfaces (HTTP API, Telegram bot) may see and do in a running engine. The runner
 * implements it, usually by plugging its streams into `createControlState`; the surfaces know nothing else
 * about the engine, so they work the same in replay and live.
 */
export interface EngineControl {
  status(): EngineStatus;
  positions(): readonly Position[];
  pnl(): PnlSummary;
  /** Recent order lifecycle events, oldest first (bounded). */
  orders(): readonly OrderEvent[];
  /** Recent fills, oldest first (bounded). */
  fills(): readonly Fill[];
  /** Recent control events with `seq` greater than `afterSeq` (all retained ones when omitted), oldest first. */
  recentEvents(afterSeq?: number): readonly ControlEvent[];
  /** Positions, PnL and working orders now: what a `book` event carries. */
  book(): BookSnapshot;
  /**
   * Turns the engine-wide kill switch on (new exposure refused, working entries cancelled; exits and protective
   * orders pass) or off (every strategy not halted on its own is re-aligned with its latest target). A no-op
   * when already in that state. `source` says who asked (`http`, `telegram`, …), for the journal.
   */
  setKillSwitch(on: boolean, reason: string, source?: string): KillSwitchState;
  /** Turns one strategy's own kill switch on (as the engine-wide one, for it alone). A flattened strategy stays flat. */
  killStrategy(strategyId: string, reason: string, source?: string): StrategyHaltState;
  /**
   * Flattens one strategy (or every one, `strategyId` undefined): its working orders are cancelled, protective
   * ones included, its position closed at market, and it is held flat until resumed. Asking again while one is
   * under way sends nothing new (it re-sends only a close the broker refused). Returns the strategies flattened.
   */
  flatten(strategyId: string | undefined, reason: string, source?: string): readonly string[];
  /**
   * Ends one strategy's own kill or flatten, or (`strategyId` undefined) the engine-wide kill switch and every
   * strategy's: each strategy no longer halted is re-aligned with its latest target.
   */
  resume(strategyId: string | undefined, reason: string, source?: string): void;
  /** Fills the run's journal holds (every run's), event time from `from` to before `to`, in journal order. Absent without a journal. */
  journalFills?(range: { readonly from?: number; readonly to?: number }): readonly JournalFillRecord[];
  /**
   * Resolves a position mismatch: books the broker's position in `symbol` as a journaled adjustment (to
   * `strategyId`, default the first strategy trading it) and trades the symbol again. Absent without a journal.
   */
  reconcile?(symbol: string, options: { readonly strategyId?: string; readonly reason: string; readonly source: string }): Promise<ReconcileOutcome>;
  /** Fills, order events, connection changes, kill-switch changes, notices: hot, never completes while running. */
  readonly events$: Observable<ControlEvent>;
  /** Updates superseded by the next one (the bar still forming): not numbered, not retained, not replayed. */
  readonly transient$?: Observable<TransientEvent>;
}

/**
 * `journal`: a finished day read back from a journal; `report`: a replay read back from its `--json` report. Both
 * read-only (nothing can be changed).
 */
export type EngineMode = 'replay' | 'live' | 'journal' | 'report';

/** A fill as the journal holds it: its place in the journal, its run, when it was written (wall ms). */
export interface JournalFillRecord {
  readonly seq: number;
  readonly runId: number;
  readonly recordedAt: number;
  readonly fill: Fill;
}

/** A symbol's position at the broker and in the book after a reconcile (equal). */
export interface ReconcileOutcome {
  readonly symbol: string;
  readonly brokerQty: number;
  readonly bookQty: number;
}

export interface KillSwitchState {
  readonly on: boolean;
  readonly reason: string;
  /** Wall-clock ms of the last change; null while it never changed. */
  readonly since: number | null;
}

/** The control state a previous run left: the engine-wide kill switch and each strategy's own halt. */
export interface RestoredControl {
  readonly killSwitch: KillSwitchState;
  readonly strategies: Readonly<Record<string, StrategyHaltState>>;
}

/**
 * Where the control state's changes are kept so that a restart restores them. The control state reads it once
 * at start and tells it each kill, flatten and resume before the order path acts on it. The journal is the one
 * kept on disk (`journalControlStore`); with none (`--journal none`) there is no store and a restart starts
 * with nothing halted.
 */
export interface ControlStore {
  restore(): RestoredControl;
  record(action: ControlStoreAction): void;
}

/** One kill, flatten or resume as a store keeps it (the journal's `ControlAction`). */
export interface ControlStoreAction {
  readonly kind: 'kill' | 'resume' | 'flatten';
  /** Wall-clock ms. */
  readonly ts: number;
  /** Absent: the engine-wide kill switch. */
  readonly strategyId?: string;
  readonly reason: string;
  /** Who asked: `http`, `telegram`, `engine`, … */
  readonly source: string;
}

/** One strategy's own halt: `null` when it trades (it may still be held by the engine-wide kill switch). */
export interface StrategyHaltState {
  readonly halt: StrategyHalt | null;
  readonly reason: string;
  /** Wall-clock ms of the last change; null while it never changed. */
  readonly since: number | null;
}

export interface EngineStatus {
  readonly mode: EngineMode;
  /** Wall-clock ms when the engine started. */
  readonly startedAt: number;
  /** Wall-clock ms when this status was taken. */
  readonly now: number;
  readonly barsSeen: number;
  /** Interval start of the last bar seen, per symbol. */
  readonly lastBarTs: Readonly<Record<string, number>>;
  /** Broker/feed connection as the runner reports it, e.g. 'connected', 'disconnected', 'replay'. */
  readonly connection: string;
  /** Since when (wall-clock ms) and, while reconnecting, the attempt and the wait before it. */
  readonly connectionDetail: ConnectionDetail;
  readonly killSwitch: KillSwitchState;
  /** Strategies halted on their own (killed or flattened), by id; the others are absent. */
  readonly halts: Readonly<Record<string, StrategyHaltState>>;
  /** Strategy ids configured or seen in positions and orders, sorted. */
  readonly strategies: readonly string[];
  readonly accountCurrency: string;
  /** `seq` of the last control event published (0 before any): a client resumes the event stream after it. */
  readonly lastSeq: number;
  /** The bar in progress per symbol, as last reported (none before the first input). */
  readonly forming: readonly Bar[];
  /**
   * Symbols the engine does not trade and why (live: its position at the broker differs from the book's until it
   * is reconciled). Present when the runner reports them.
   */
  readonly notTraded?: Readonly<Record<string, string>>;
}

export interface ConnectionDetail {
  /** Wall-clock ms of the last change of state. */
  readonly since: number;
  readonly attempt?: number;
  /** While disconnected: the wait before the next attempt, counted from `since`. */
  readonly retryInMs?: number;
  readonly reason?: string;
}

/** What a `book` event carries: the book after a fill, an order event or a bar's mark. */
export interface BookSnapshot {
  readonly positions: readonly Position[];
  readonly pnl: PnlSummary;
  /** Orders still working at the broker. */
  readonly workingOrders: readonly Order[];
}

/** One strategy on one symbol, in the symbol's quote currency. */
export interface LegPnl {
  readonly symbol: string;
  readonly qty: number;
  readonly realized: number;
  readonly unrealized: number;
  readonly commission: number;
}

export interface StrategyPnl {
  readonly strategyId: string;
  /** Account currency. */
  readonly realizedAccount: number;
  readonly unrealizedAccount: number;
  readonly totalAccount: number;
  readonly legs: readonly LegPnl[];
}

export interface PnlSummary {
  readonly accountCurrency: string;
  readonly strategies: readonly StrategyPnl[];
  readonly realizedAccount: number;
  readonly unrealizedAccount: number;
  readonly totalAccount: number;
  /** Last equity point reported by the runner; null when none yet. */
  readonly equity: EquityPoint | null;
}

interface ControlEventBase {
  /** Increasing per control state, from 1: lets an SSE client resume after a reconnect. */
  readonly seq: number;
  /** Event time for fills and orders; wall-clock ms for the others. */
  readonly ts: number;
}

export type ControlEvent =
  | (ControlEventBase & { readonly kind: 'fill'; readonly fill: Fill })
  | (ControlEventBase & { readonly kind: 'order'; readonly order: OrderEvent })
  | (ControlEventBase & ({ readonly kind: 'connection'; readonly state: string; readonly previous: string } & Omit<ConnectionDetail, 'since'>))
  /** A bar closed (the bars the strategies see). */
  | (ControlEventBase & { readonly kind: 'bar'; readonly bar: Bar })
  /** The book after something changed it. */
  | (ControlEventBase & { readonly kind: 'book' } & BookSnapshot)
  | (ControlEventBase & { readonly kind: 'killSwitch'; readonly on: boolean; readonly reason: string })
  /** One strategy's own halt changed: killed, flattened, or `null` (resumed). */
  | (ControlEventBase & { readonly kind: 'halt'; readonly strategyId: string; readonly halt: StrategyHalt | null; readonly reason: string })
  | (ControlEventBase & { readonly kind: 'notice'; readonly level: 'info' | 'warn' | 'error'; readonly message: string });

export type ControlEventKind = ControlEvent['kind'];

/** The bar still forming: superseded by the next update or by its closed `bar` event. */
export interface TransientEvent {
  readonly kind: 'forming';
  readonly bar: Bar;
}

/**
 * What the runner's graph emits (signals, order events, fills, closed trades, one mark per bar, the order path's
 * alerts), typed by shape so any such stream fits: executions, marks and alerts are read, the rest ignored.
 */
export type EngineEvent =
  | ExecutionEvent
  | { readonly kind: 'mark'; readonly bar: Bar; readonly equity: number }
  /** The order path found something wrong (a position without its protection): an error notice. */
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'signal' | 'intent' | 'trade' };

/**
 * Streams the runner already has. Pass hot (shared) streams: attaching must not start a second replay.
 * `graph$` carries bars (as marks), executions and equity at once; do not pass those again separately.
 */
export interface ControlSources {
  readonly graph$?: Observable<EngineEvent>;
  readonly bars$?: Observable<Bar>;
  readonly positions$?: Observable<Position>;
  readonly executions$?: Observable<ExecutionEvent>;
  readonly connection$?: Observable<string>;
  readonly equity$?: Observable<EquityPoint>;
}

export interface ControlStateOptions {
  readonly mode: EngineMode;
  readonly accountCurrency: string;
  /** Known before any order: listed by `status()` and accepted by `flatten`, `killStrategy`, `resume`. */
  readonly strategyIds?: readonly string[];
  /** Default: 'replay' in replay mode, 'connecting' live. */
  readonly initialConnection?: string;
  readonly killSwitch?: { readonly on: boolean; readonly reason: string };
  /**
   * Where control actions are kept so a restart restores them (the journal): read once here (it wins over
   * `killSwitch`), told each change before the order path acts on it. None: the state lives in memory only.
   */
  readonly store?: ControlStore;
  /** How many recent order events and fills are kept (each). Default 256. */
  readonly historySize?: number;
  /**
   * How many recent control events are kept for clients that resume the event stream or open the dashboard
   * mid-session. Default 4096: a day of 1-minute bars and book updates of one symbol, with its fills.
   */
  readonly eventHistorySize?: number;
  /** Orders still working at the broker, for `book` events (e.g. `() => broker.workingOrders()`). */
  readonly readWorkingOrders?: () => readonly Order[];
  /** Symbols not traded and why, for `status()` (e.g. the live runner's stopped symbols). */
  readonly readNotTraded?: () => Readonly<Record<string, string>>;
  /** See `EngineControl.journalFills`. */
  readonly journalFills?: EngineControl['journalFills'];
  /** See `EngineControl.reconcile`. */
  readonly reconcile?: EngineControl['reconcile'];
  /**
   * Where `positions()` and the PnL read positions when the runner keeps them queryable (e.g.
   * `() => book.positions()`); then `positions$` is not needed. Without it, the latest of `positions$`.
   */
  readonly readPositions?: () => readonly Position[];
  /** Wall clock, injectable for tests. Default `Date.now`. */
  readonly now?: () => number;
  /** Nothing may be changed (a journal or a report looked at afterwards): kill, flatten and resume throw `ReadOnlyError`. */
  readonly readOnly?: boolean;
}

/** An `EngineControl` the runner feeds with its streams. */
export interface ControlState extends EngineControl {
  /**
   * For the graph (`GraphOptions.halts$`): what is halted, replayed to late subscribers. A new value on each
   * change and on each flatten asked for (the order path re-checks it; a repeat sends only what is missing).
   */
  readonly halts$: Observable<TradingHalts>;
  /** Subscribes to the sources; unsubscribe the result to detach. A source error becomes an error notice. */
  attach(sources: ControlSources): Subscription;
  /**
   * Records one graph event, for a stream that can be subscribed only once: `events$.pipe(tap(control.record))`.
   * A bound function; per bar it only counts and stores numbers.
   */
  readonly record: (event: EngineEvent) => void;
  /** Sets the connection state shown by `status()`; a change (of state or detail) is a 'connection' event. */
  setConnection(state: string, detail?: Omit<ConnectionDetail, 'since'>): void;
  /** Reports the bar in progress of a symbol (a transient event). */
  setForming(bar: Bar): void;
  /** Publishes a notice (e.g. the runner reporting a source error) to the control surfaces. */
  notify(level: 'info' | 'warn' | 'error', message: string): void;
  /** Completes `events$` and detaches every source. */
  dispose(): void;
}

/** Distributes the union over its members so each event is built with its own fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type ControlEventInput = DistributiveOmit<ControlEvent, 'seq'>;

export function createControlState(options: ControlStateOptions): ControlState {
  const now = options.now ?? Date.now;
  const historySize = options.historySize ?? 256;
  const startedAt = now();
  const recentOrders = createRingBuffer<OrderEvent>(historySize);
  const recentFills = createRingBuffer<Fill>(historySize);
  const recentControlEvents = createRingBuffer<ControlEvent>(options.eventHistorySize ?? 4096);
  const events = new Subject<ControlEvent>();
  const transient = new Subject<TransientEvent>();
  const forming = new Map<string, Bar>();
  const restored: RestoredControl | undefined = options.store?.restore();
  let killSwitch: KillSwitchState = restored?.killSwitch ?? { on: options.killSwitch?.on ?? false, reason: options.killSwitch?.reason ?? '', since: null };
  const strategyHalts = new Map<string, StrategyHaltState>(Object.entries(restored?.strategies ?? {}));
  const currentHalts = (): TradingHalts => {
    const strategies: Record<string, StrategyHalt> = {};
    for (const [id, state] of strategyHalts) if (state.halt !== null) strategies[id] = state.halt;
    return { killAll: killSwitch.on, strategies, ts: now() };
  };
  const halts = new BehaviorSubject<TradingHalts>(currentHalts());
  // strategyId → symbol → latest position: nested maps so a position update needs no key string.
  const positionsByStrategy = new Map<string, Map<string, Position>>();
  const knownStrategies = new Set<string>(options.strategyIds ?? []);
  for (const id of strategyHalts.keys()) knownStrategies.add(id);
  const lastBarTs = new Map<string, number>();
  const attached = new Subscription();
  let barsSeen = 0;
  let connection = options.initialConnection ?? (options.mode === 'replay' ? 'replay' : 'connecting');
  let connectionDetail: ConnectionDetail = { since: startedAt };
  // Kept as numbers so a mark per bar allocates nothing; the EquityPoint is built when asked for.
  let equityTs = NaN;
  let equityValue = NaN;
  let seq = 0;

  const writable = (): void => {
    if (options.readOnly === true) throw new ReadOnlyError();
  };
  const known = (strategyId: string): string => {
    if (!knownStrategies.has(strategyId)) throw new UnknownStrategyError(strategyId);
    return strategyId;
  };
  const haltStateOf = (strategyId: string): StrategyHaltState => strategyHalts.get(strategyId) ?? { halt: null, reason: '', since: null };

  /** Journals the change (before the order path acts on it), then records and publishes it; the caller pushes the halts. */
  const setHalt = (strategyId: string, halt: StrategyHalt | null, reason: string, source: string): StrategyHaltState => {
    const since = now();
    options.store?.record({ kind: halt === null ? 'resume' : halt === 'flat' ? 'flatten' : 'kill', ts: since, strategyId, reason, source });
    const next: StrategyHaltState = { halt, reason, since };
    strategyHalts.set(strategyId, next);
    publish({ kind: 'halt', ts: since, strategyId, halt, reason });
    return next;
  };

  const changeKillSwitch = (on: boolean, reason: string, source: string): KillSwitchState => {
    const since = now();
    options.store?.record({ kind: on ? 'kill' : 'resume', ts: since, reason, source });
    killSwitch = { on, reason, since };
    publish({ kind: 'killSwitch', ts: since, on, reason });
    halts.next(currentHalts());
    return killSwitch;
  };

  const setKillSwitch = (on: boolean, reason: string, source = 'engine'): KillSwitchState => {
    writable();
    return killSwitch.on === on ? killSwitch : changeKillSwitch(on, reason, source);
  };

  const publish = (input: ControlEventInput): void => {
    seq += 1;
    const event = { ...input, seq } as ControlEvent;
    recentControlEvents.push(event);
    events.next(event);
  };

  const onBar = (bar: Bar): void => {
    barsSeen += 1;
    lastBarTs.set(bar.symbol, bar.ts);
    const current = forming.get(bar.symbol);
    if (current !== undefined && current.ts <= bar.ts) forming.delete(bar.symbol);
    publish({ kind: 'bar', ts: bar.ts, bar });
  };

  const publishBook = (ts: number): void => {
    if (options.readPositions === undefined && positionsByStrategy.size === 0) return;
    publish({ kind: 'book', ts, ...book() });
  };

  const book = (): BookSnapshot => ({ positions: currentPositions(), pnl: pnl(), workingOrders: options.readWorkingOrders?.() ?? [] });

  const onPosition = (position: Position): void => {
    let bySymbol = positionsByStrategy.get(position.strategyId);
    if (bySymbol === undefined) {
      bySymbol = new Map();
      positionsByStrategy.set(position.strategyId, bySymbol);
      knownStrategies.add(position.strategyId);
    }
    bySymbol.set(position.symbol, position);
  };

  const onExecution = (event: ExecutionEvent): void => {
    if (event.kind === 'fill') {
      recentFills.push(event);
      knownStrategies.add(event.strategyId);
      publish({ kind: 'fill', ts: event.ts, fill: event });
    } else {
      recentOrders.push(event);
      knownStrategies.add(event.order.strategyId);
      publish({ kind: 'order', ts: event.ts, order: event });
    }
  };

  /** The graph's events: the book has already applied each one, so a `book` event follows it. */
  const record = (event: EngineEvent): void => {
    if (event.kind === 'mark') {
      equityTs = event.bar.ts + event.bar.intervalMs;
      equityValue = event.equity;
      onBar(event.bar);
      publishBook(equityTs);
    } else if (event.kind === 'fill' || event.kind === 'order') {
      onExecution(event);
      publishBook(event.ts);
    } else if (event.kind === 'error') {
      notify('error', event.message);
    }
  };

  const currentPositions = (): readonly Position[] => {
    if (options.readPositions !== undefined) return options.readPositions();
    const all: Position[] = [];
    for (const strategyId of [...positionsByStrategy.keys()].sort()) {
      const bySymbol = positionsByStrategy.get(strategyId) ?? new Map<string, Position>();
      for (const symbol of [...bySymbol.keys()].sort()) all.push(bySymbol.get(symbol) as Position);
    }
    return all;
  };

  const strategyIds = (): string[] => {
    const ids = new Set(knownStrategies);
    if (options.readPositions !== undefined) for (const p of options.readPositions()) ids.add(p.strategyId);
    return [...ids].sort();
  };

  const setConnection = (state: string, detail: Omit<ConnectionDetail, 'since'> = {}): void => {
    if (state === connection && detail.attempt === connectionDetail.attempt && detail.retryInMs === connectionDetail.retryInMs) return;
    const previous = connection;
    const ts = now();
    connection = state;
    connectionDetail = { since: ts, ...detail };
    publish({ kind: 'connection', ts, state, previous, ...detail });
  };

  const notify = (level: 'info' | 'warn' | 'error', message: string): void => {
    publish({ kind: 'notice', ts: now(), level, message });
  };

  const watch = <T>(name: string, source$: Observable<T> | undefined, next: (value: T) => void): Subscription => {
    if (source$ === undefined) return Subscription.EMPTY;
    return source$.subscribe({
      next,
      error: (error: unknown) => notify('error', `${name} failed: ${error instanceof Error ? error.message : String(error)}`),
    });
  };

  const pnl = (): PnlSummary => {
    const byStrategy = new Map<string, Position[]>();
    for (const p of currentPositions()) {
      const legs = byStrategy.get(p.strategyId);
      if (legs === undefined) byStrategy.set(p.strategyId, [p]);
      else legs.push(p);
    }
    const strategies: StrategyPnl[] = [];
    let realizedTotal = 0;
    let unrealizedTotal = 0;
    for (const strategyId of [...byStrategy.keys()].sort()) {
      let realizedAccount = 0;
      let unrealizedAccount = 0;
      const legs: LegPnl[] = [];
      for (const p of byStrategy.get(strategyId) ?? []) {
        realizedAccount += p.realizedPnlAccount;
        unrealizedAccount += p.unrealizedPnlAccount;
        legs.push({ symbol: p.symbol, qty: p.qty, realized: p.realizedPnl, unrealized: p.unrealizedPnl, commission: p.commission });
      }
      legs.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
      realizedTotal += realizedAccount;
      unrealizedTotal += unrealizedAccount;
      strategies.push({ strategyId, realizedAccount, unrealizedAccount, totalAccount: realizedAccount + unrealizedAccount, legs });
    }
    return {
      accountCurrency: options.accountCurrency,
      strategies,
      realizedAccount: realizedTotal,
      unrealizedAccount: unrealizedTotal,
      totalAccount: realizedTotal + unrealizedTotal,
      equity: Number.isNaN(equityValue) ? null : { ts: equityTs, equity: equityValue },
    };
  };

  const control: ControlState = {
    events$: events.asObservable(),
    halts$: halts.asObservable(),
    transient$: transient.asObservable(),
    status: () => ({
      mode: options.mode,
      startedAt,
      now: now(),
      barsSeen,
      lastBarTs: Object.fromEntries([...lastBarTs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      connection,
      connectionDetail,
      killSwitch,
      halts: Object.fromEntries([...strategyHalts].filter(([, state]) => state.halt !== null).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      strategies: strategyIds(),
      accountCurrency: options.accountCurrency,
      lastSeq: seq,
      forming: [...forming.values()],
      ...(options.readNotTraded === undefined ? {} : { notTraded: options.readNotTraded() }),
    }),
    book,
    positions: currentPositions,
    pnl,
    orders: () => recentOrders.toArray(),
    fills: () => recentFills.toArray(),
    recentEvents: (afterSeq?: number) => {
      const all = recentControlEvents.toArray();
      return afterSeq === undefined ? all : all.filter((event) => event.seq > afterSeq);
    },
    setKillSwitch,
    killStrategy: (strategyId, reason, source = 'engine') => {
      writable();
      known(strategyId);
      const current = haltStateOf(strategyId);
      if (current.halt !== null) return current;
      const next = setHalt(strategyId, 'killed', reason, source);
      halts.next(currentHalts());
      return next;
    },
    flatten: (strategyId, reason, source = 'engine') => {
      writable();
      const ids = strategyId === undefined ? strategyIds() : [known(strategyId)];
      for (const id of ids) if (haltStateOf(id).halt !== 'flat') setHalt(id, 'flat', reason, source);
      // Also when nothing changed: the order path re-sends a close the broker refused, nothing else.
      if (ids.length > 0) halts.next(currentHalts());
      return ids;
    },
    resume: (strategyId, reason, source = 'engine') => {
      writable();
      if (strategyId !== undefined) known(strategyId);
      const ids = strategyId === undefined ? [...strategyHalts.keys()] : [strategyId];
      let changed = false;
      for (const id of ids) {
        if (haltStateOf(id).halt === null) continue;
        setHalt(id, null, reason, source);
        changed = true;
      }
      // The engine-wide switch last: one halts change re-aligns everything at once.
      if (strategyId === undefined && killSwitch.on) changeKillSwitch(false, reason, source);
      else if (changed) halts.next(currentHalts());
    },
    attach: (sources: ControlSources) => {
      const subscription = new Subscription();
      subscription.add(watch('graph$', sources.graph$, record));
      subscription.add(watch('bars$', sources.bars$, onBar));
      subscription.add(watch('positions$', sources.positions$, onPosition));
      subscription.add(watch('executions$', sources.executions$, onExecution));
      subscription.add(watch('connection$', sources.connection$, setConnection));
      subscription.add(
        watch('equity$', sources.equity$, (point) => {
          equityTs = point.ts;
          equityValue = point.equity;
        }),
      );
      attached.add(subscription);
      return subscription;
    },
    record,
    setConnection,
    setForming: (bar: Bar) => {
      forming.set(bar.symbol, bar);
      transient.next({ kind: 'forming', bar });
    },
    notify,
    dispose: () => {
      attached.unsubscribe();
      halts.complete();
      transient.complete();
      events.complete();
    },
  };

  return {
    ...control,
    ...(options.journalFills === undefined ? {} : { journalFills: options.journalFills }),
    ...(options.reconcile === undefined ? {} : { reconcile: options.reconcile }),
  };
}

/** `flatten`, `killStrategy` or `resume` was asked for a strategy the engine does not run. The HTTP API answers 404. */
export class UnknownStrategyError extends Error {
  override readonly name = 'UnknownStrategyError';
  constructor(readonly strategyId: string) {
    super(`unknown strategy "${strategyId}"`);
  }
}

/** A change was asked of a read-only control state (a journal or a report looked at afterwards). The HTTP API answers 409. */
export class ReadOnlyError extends Error {
  override readonly name = 'ReadOnlyError';
  constructor() {
    super('read-only: this dashboard shows a finished day, nothing can be changed');
  }
}
