import { asyncScheduler, filter, firstValueFrom, map, merge, Observable, share, Subject, Subscription, tap, type SchedulerLike } from 'rxjs';
import { barBuilder } from '../../operators/barBuilder';
import { createIbkrBroker, type IbkrBroker } from '../adapters/ibkr/broker';
import type { BrokerReport } from '../adapters/ibkr/brokerReports';
import type { IbContractBook, IbContractSpec } from '../adapters/ibkr/contracts';
import type { PositionCheck, ReconcileReport } from '../adapters/ibkr/reconciliation';
import { watermarkClock } from '../core/clocks';
import { contractFor } from '../core/contracts';
import { ConfigError } from '../core/errors';
import type { Bar, Fill, Order, Position, Tick } from '../core/types';
import { JournalError, recordGraphEvents, writeAheadBroker, type Journal, type KillState } from '../journal';
import type { Broker } from '../broker/types';
import { adoptBrokerPosition, createTradingGate, recoverFromJournal, settleOrdersNotAtBroker, strategyForSymbol } from './recovery';
import { createControlState, type ConnectionDetail, type ControlState } from '../control/control';
import type { ControlStore } from '../control/control';
import { journalControlStore } from '../control/controlStore';
import { startControlSurfaces, type ControlSurfaces } from '../control/surfaces';
import { createIbConnection, resolveIbConnectionConfig, type IbConnection, type IbConnectionConfig, type IbConnectionState, type IbSession } from '../adapters/ibkr/connection';
import { ibkrQuotes, ibkrRealTimeBars } from '../adapters/ibkr/realtime/sources';
import type { GraphEvent } from '../runner/graph';
import { barIntervalMs, type LiveConfig } from './liveConfig';
import { runTradeRunner, type TradeRun, type TradeRunResult } from '../runner/tradeRunner';
import { BAR_SIZE_CODES, barSizeOf } from '../adapters/ibkr/history/chunks';
import type { HistoricalWhatToShow } from '../adapters/ibkr/history/historyService';
import { strategyDefinitionOf, strategyParamsOf } from '../strategy/registry';
import { createLiveWarmup, ibkrHistorySource, storeFirstHistorySource, type HistorySource, type LiveBoundary, type WarmupOutcome } from './warmup';

/**
 * The live runner: the replay graph (`runTradeRunner` → `buildGraph`) with the source and the broker swapped.
 *
 * ```
 * TWS 5-second bars (or quotes) ─► barBuilder(bar, watermark clock) ─┐
 *                                                                   ├─► runTradeRunner(config, bars$, IBKR broker)
 * TWS orderStatus / execDetails / commissionReport ◄─ IBKR broker ◄─┘        (the graph replay runs)
 * ```
 *
 * Start: connect (giving up after `live.connectTimeoutMs` with a clear message), reconcile TWS's positions
 * with the book (mismatches are events, never papered over; `onPositionMismatch: 'stop'` makes them fatal),
 * start the control surfaces of `interfaces`, then subscribe the market data. The first bucket is only
 * traded from its start: input before the first bar boundary is skipped, so no strategy sees a partial bar.
 * Once the feed reaches that boundary, the strategies are warmed up from history up to it (`warmup.ts`) before
 * the first live bar reaches them.
 *
 * Shutdown (`shutdown()`, e.g. on SIGINT): stop the market data (the open bucket is dropped, not flushed
 * into a partial bar), cancel the orders still working if `live.cancelWorkingOnExit` and wait for TWS's
 * acknowledgements (at most `live.cancelTimeoutMs`), wait for fills whose commission report is on its way,
 * complete the graph, close the broker and the connection, and resolve with the run's report.
 *
 * Everything that happens is an event on `events$`: connection changes and reconnects, TWS connectivity
 * notices and errors, the reconciliation, broker reports (held/released orders, recovered executions,
 * commission timeouts…), signals, orders, fills, trades, bars (as marks), late input and the shutdown.
 */

export class LiveRunnerError extends Error {
  override readonly name = 'LiveRunnerError';
}

/** What the runner itself reports, besides the graph's events. `ts` is wall-clock ms. */
export type LiveNotice =
  | { readonly kind: 'connection'; readonly ts: number; readonly state: IbConnectionState }
  | { readonly kind: 'connectivity'; readonly ts: number; readonly code: 1100 | 1101 | 1102; readonly message: string }
  | { readonly kind: 'tws-notice'; readonly ts: number; readonly code: number; readonly message: string }
  | { readonly kind: 'tws-error'; readonly ts: number; readonly id: number; readonly code: number; readonly message: string }
  | { readonly kind: 'protocol-error'; readonly ts: number; readonly message: string }
  | { readonly kind: 'reconcile'; readonly ts: number; readonly report: ReconcileReport }
  /** A position the journal's book holds at start (one per strategy and symbol), before anything else happens. */
  | { readonly kind: 'recovered-position'; readonly ts: number; readonly position: Position }
  /** What recovery did, once TWS's open orders, executions and positions are in (before any bar is traded). */
  | { readonly kind: 'recovery'; readonly ts: number; readonly summary: RecoverySummary }
  /** A decision whose order id the journal holds as sent already (an earlier run sent it): not sent again. */
  | { readonly kind: 'already-sent'; readonly ts: number; readonly orderId: string; readonly runId: number }
  /** A reconcile adjustment was journaled and booked: the book holds TWS's position in the symbol now. */
  | { readonly kind: 'reconciled'; readonly ts: number; readonly strategyId: string; readonly symbol: string; readonly qty: number; readonly price: number; readonly source: string }
  | { readonly kind: 'broker-report'; readonly ts: number; readonly report: BrokerReport }
  | { readonly kind: 'subscribed'; readonly ts: number; readonly symbols: readonly string[]; readonly source: LiveConfig['live']['source']; readonly barMs: number }
  /** The feed reached its first bar boundary: history up to `boundary.liveFrom` is being fetched. */
  | { readonly kind: 'warmup-started'; readonly ts: number; readonly boundary: LiveBoundary }
  /** A strategy ran through its history; `position` is the book's (units) when the first live bar comes. */
  | { readonly kind: 'warmed'; readonly ts: number; readonly outcome: Extract<WarmupOutcome, { status: 'warmed' }>; readonly position: number }
  /** A strategy's history was unavailable or too short (`outcome.reason` says which and how many bars). */
  | { readonly kind: 'warmup-short'; readonly ts: number; readonly outcome: Extract<WarmupOutcome, { status: 'short' }> }
  /** The HTTP API and dashboard listen: `dashboardUrl` carries the token (print it to the operator, never log it). */
  | { readonly kind: 'http'; readonly ts: number; readonly url: string; readonly dashboardUrl: string; readonly tokenGenerated: boolean }
  /** Input that arrived after its bar was closed: dropped from the bars (counted), the run goes on. */
  | { readonly kind: 'late-input'; readonly ts: number; readonly symbol: string; readonly eventTs: number; readonly dropped: number }
  /** A fill TWS reported after the graph completed (it is not in the book): reported, never silent. */
  | { readonly kind: 'unbooked-fill'; readonly ts: number; readonly fill: Fill }
  | { readonly kind: 'shutdown'; readonly ts: number; readonly phase: 'stopping'; readonly reason: string }
  | { readonly kind: 'shutdown'; readonly ts: number; readonly phase: 'cancelled'; readonly stillWorking: readonly Order[] }
  | { readonly kind: 'shutdown'; readonly ts: number; readonly phase: 'stopped'; readonly stillWorking: readonly Order[] };

export type LiveEvent = GraphEvent | LiveNotice;

/** Recovery at start, as the first lines after a restart show it. */
export interface RecoverySummary {
  /** The journal file. */
  readonly journal: string;
  /** The run before this one (undefined: a new journal); `stoppedAt` null means it was killed or crashed. */
  readonly previousRun: { readonly id: number; readonly startedAt: number; readonly stoppedAt: number | null; readonly stopReason: string | null } | undefined;
  /** Positions rebuilt from the journal's fills. */
  readonly positionsRecovered: number;
  /** Fills TWS reported that the journal did not have (they happened while the engine was down), each booked once. */
  readonly fillsWhileDown: readonly Fill[];
  /** Orders TWS still works that an earlier run sent, adopted by orderRef (in flight from now on). */
  readonly ordersAdopted: readonly string[];
  /** Orders journaled as sent that TWS never got (journaled as rejected now). */
  readonly ordersNotAtBroker: readonly string[];
  /** The kill switch as the journal left it. */
  readonly killSwitch: KillState;
  /** Symbols whose position at TWS differs from the book's and that are not traded until resolved, with why. */
  readonly stoppedSymbols: Readonly<Record<string, string>>;
}

export interface LiveRunnerOptions {
  readonly config: LiveConfig;
  /** The contracts with their IB fields (`loadIbContracts`). */
  readonly contracts: IbContractBook;
  /** IB_HOST, IB_PORT, IB_CLIENT_ID, IB_ACCOUNT override `config.ib`; control-surface secrets. Default: none. */
  readonly env?: NodeJS.ProcessEnv;
  /** Wall clock for notices and quote stamps. Default Date.now. */
  readonly now?: () => number;
  /** Scheduler of the watermark clock. Default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** Where kills, flattens and resumes are kept across restarts. Default: the journal's (`journalControlStore`), none without one. */
  readonly controlStore?: ControlStore;
  /**
   * The run's journal (`openJournal(…, { mode: 'live' })`), owned by the runner from here on (closed at its end).
   * With it the run is write-ahead (an order's intent is committed before it is sent, a fill before the book sees
   * it) and starts by recovering (see `RecoverySummary`). Without it nothing survives a restart.
   */
  readonly journal?: Journal;
  /**
   * A position at TWS that differs from the book at start is adopted: the difference is journaled as a reconcile
   * adjustment (at TWS's average cost) and booked to the first strategy trading the symbol. Default false: the
   * symbol is not traded until `reconcile(symbol)`. Needs a journal.
   */
  readonly adoptBrokerPositions?: boolean;
}

export interface LiveRunResult extends TradeRunResult {
  readonly reason: string;
  /** The reconciliation at start; undefined when the runner stopped before it. */
  readonly reconcile: ReconcileReport | undefined;
  /** Orders still working at TWS when the runner stopped (not cancelled, or not acknowledged in time). */
  readonly stillWorking: readonly Order[];
}

export interface LiveRunner {
  /** Hot; subscribe right after the call to miss nothing. Completes after shutdown, errors on a fatal fault. */
  readonly events$: Observable<LiveEvent>;
  /** Connected, reconciled, subscribed to market data. Rejects when the runner cannot start. */
  readonly ready: Promise<ReconcileReport>;
  /** The run's end: the report after `shutdown()`, or the fatal error (connection, broker, source). */
  readonly done: Promise<LiveRunResult>;
  /** The replay graph's runner, as it runs live (its book, its events). */
  readonly run: TradeRun;
  readonly broker: IbkrBroker;
  readonly connection: IbConnection;
  readonly ibConfig: IbConnectionConfig;
  /** The kill switches and flattens, and what the control surfaces show: present with an `interfaces` section or a journal. */
  readonly control: ControlState | undefined;
  /** The control surfaces once started (HTTP API, Telegram bot). */
  surfaces(): ControlSurfaces | undefined;
  /** Clean stop (see above); resolves like `done`. Idempotent. */
  shutdown(reason?: string): Promise<LiveRunResult>;
  /**
   * Resolves a position mismatch of `symbol`: asks TWS for its position, journals the difference as a reconcile
   * adjustment (booked to `strategyId`, default the first strategy trading the symbol, at TWS's average cost)
   * and trades the symbol again. Resolves with the position check after it (bookQty = brokerQty).
   */
  reconcile(symbol: string, options?: { readonly strategyId?: string; readonly source?: string; readonly reason?: string }): Promise<PositionCheck>;
  /** Symbols not traded because their position at TWS differs from the book, with why. */
  stoppedSymbols(): ReadonlyMap<string, string>;
}

/** How long a shutdown waits for fills whose commission report is late, beyond the broker's own timeout. */
const COMMISSION_WAIT_MARGIN_MS = 1000;

export function startLiveRunner(options: LiveRunnerOptions): LiveRunner {
  const { config, contracts } = options;
  const live = config.live;
  const now = options.now ?? Date.now;
  const scheduler = options.scheduler ?? asyncScheduler;
  const intervalMs = barIntervalMs(live.bar);
  if (intervalMs === undefined) throw new ConfigError(`not a bar interval: "${live.bar}"`, 'live.bar');
  const ibConfig = resolveIbConnectionConfig(config.ib, options.env ?? {}, 'ib');
  // The symbols traded and those strategies read besides (a spread's other legs): each gets its real-time bars.
  const symbols = [...new Set(config.strategies.flatMap((s) => [s.symbol, ...(s.reads ?? [])]))];
  const specs = symbols.map((symbol) => contractFor(contracts, symbol));

  const { journal } = options;
  // 1. The book, the execIds booked and the kill switch the journal holds (before anything connects).
  const recovery = journal === undefined ? undefined : recoverFromJournal(journal, contracts, config.account);
  const connection = createIbConnection(ibConfig);
  const broker = createIbkrBroker({
    connection,
    contracts,
    account: ibConfig.account,
    whenDisconnected: live.whenDisconnected,
    commissionTimeoutMs: live.commissionTimeoutMs,
    now,
    ...(recovery === undefined
      ? {}
      : { knownExecIds: recovery.knownExecIds, recoverExecutionsSince: recovery.recoverExecutionsSince ?? now(), executionsSince: recovery.executionsSince }),
  });
  // 2. TWS's first recovery (open orders adopted, executions booked): what it adopted and when it ended.
  const adopted: string[] = [];
  const adoptions = broker.reports$.subscribe((report) => {
    if (report.kind === 'adopted-order') adopted.push(report.orderId);
  });
  const firstRecovery = firstValueFrom(broker.reports$.pipe(filter((r) => r.kind === 'recovered' || r.kind === 'recovery-timeout')));
  firstRecovery.then(
    () => adoptions.unsubscribe(),
    () => adoptions.unsubscribe(),
  );
  // The control state owns the halts (kill switches, flattens): with a journal it exists even without control
  // surfaces, so what an earlier run halted stays halted from the first order.
  const controlStore = options.controlStore ?? (journal === undefined ? undefined : journalControlStore(journal));
  const control =
    config.interfaces === undefined && journal === undefined
      ? undefined
      : createControlState({
          mode: 'live',
          accountCurrency: config.account.currency,
          strategyIds: config.strategies.map((s) => s.id),
          readPositions: () => run.book.positions(),
          readWorkingOrders: () => broker.workingOrders(),
          store: controlStore,
          now,
          ...(journal === undefined
            ? {}
            : {
                readNotTraded: () => Object.fromEntries(gate.stopped()),
                journalFills: (range) => journal.fills(range).map(({ seq, runId, recordedAt, fill }) => ({ seq, runId, recordedAt, fill })),
                reconcile: (symbol, how) => reconcileSymbol(symbol, how),
              }),
        });

  const events = new Subject<LiveEvent>();
  const emit = (event: LiveEvent): void => events.next(event);

  // Write-ahead: intents and fills reach the journal before TWS and the book; a gate in front stops the symbols
  // whose positions disagree with TWS.
  const journaled =
    journal === undefined
      ? broker
      : stopsOnJournalFailure(
          writeAheadBroker(broker, journal, {
            onAlreadySent: (order, previous) => emit({ kind: 'already-sent', ts: now(), orderId: order.id, runId: previous.runId }),
          }),
          (error) => fatal(error),
        );
  const gate = createTradingGate(journaled, now);

  // The graph's source: bars are pushed once the runner is connected and reconciled; completing it ends the run.
  const bars = new Subject<Bar>();
  const warmup = createLiveWarmup({
    strategies: config.strategies.map((entry) => ({ id: entry.id, symbol: entry.symbol, warmup: strategyDefinitionOf(entry).warmup(strategyParamsOf(entry)) })),
    intervalMs,
    source: live.source,
    history: historySourceOf(config, contracts, connection, intervalMs),
    onShort: live.warmup.onShort,
    deliver: (bar) => bars.next(bar),
    report: (report) => {
      if (report.kind === 'warmup-started') return emit({ kind: 'warmup-started', ts: now(), boundary: report.boundary });
      for (const outcome of report.outcomes) {
        if (outcome.status === 'short') {
          emit({ kind: 'warmup-short', ts: now(), outcome });
          control?.notify('warn', `${outcome.reason}: ${outcome.action === 'refused' ? 'it trades nothing this run' : 'it trades from what it got'}`);
          continue;
        }
        const position = run.book.position(outcome.strategyId, outcome.symbol);
        emit({ kind: 'warmed', ts: now(), outcome, position });
        const target = outcome.target ?? 0;
        // Orders in flight (adopted from an earlier run) count, as they do in target − (position + working).
        const working = run.book.working(outcome.strategyId, outcome.symbol);
        if (Math.sign(target) !== Math.sign(position + working)) {
          const held = working === 0 ? `${position}` : `${position} and has ${working} working`;
          control?.notify('warn', `${outcome.strategyId}: its target after warm-up is ${target} but the book holds ${held} ${outcome.symbol}: nothing is traded until its next change (/kill_strategy then /resume_strategy re-aligns it)`);
        }
      }
    },
    fail: (error) => fatal(error),
  });
  let run: TradeRun;
  try {
    run = runTradeRunner({ config, contracts, bars$: bars, broker: gate.broker, dedupeFills: true, halts$: control?.halts$, hold: warmup.hold, book: recovery?.book });
  } catch (error) {
    void broker.close().then(() => connection.close());
    control?.dispose();
    journal?.close('failed to start');
    throw error;
  }

  const wiring = new Subscription();
  let marketData: Subscription | undefined;
  let surfaces: ControlSurfaces | undefined;
  let reconcileReport: ReconcileReport | undefined;
  let graphDone = false;
  let stopping = false;
  let finished = false;
  // Rejects when the runner is told to stop (shutdown or a fatal fault): whatever `start` awaits gives way.
  let requestStop!: (reason: Error) => void;
  const stopRequested = new Promise<never>((_resolve, reject) => (requestStop = reject));
  stopRequested.catch(() => undefined);
  const unlessStopped = <T>(step: Promise<T>): Promise<T> => {
    step.catch(() => undefined); // its late failure, after a stop, is moot
    return Promise.race([step, stopRequested]);
  };

  let resolveDone!: (r: LiveRunResult) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<LiveRunResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // The caller may await only one of them: neither is an unhandled rejection.
  done.catch(() => undefined);

  const teardown = async (): Promise<void> => {
    // Whatever `start` still had in flight (bounded by its timeouts) is finished first: nothing is left open.
    await startSettled;
    marketData?.unsubscribe();
    try {
      await surfaces?.close();
    } finally {
      control?.dispose();
      await broker.close();
      await connection.close();
      wiring.unsubscribe();
    }
  };

  /** The journal's last words: the positions at the end, then the run's stop. */
  const closeJournal = (reason: string): void => {
    if (journal === undefined) return;
    try {
      journal.recordPositions(run.book.positions());
    } finally {
      journal.close(reason);
    }
  };

  const fatal = (error: unknown): void => {
    if (finished) return;
    finished = true;
    requestStop(error instanceof Error ? error : new Error(String(error)));
    marketData?.unsubscribe();
    if (!graphDone) run.stop();
    try {
      journal?.recordError('live runner', error);
    } catch {
      // The journal itself may be what failed: its own error is the one reported.
    }
    void teardown()
      .catch(() => undefined)
      .then(() => {
        try {
          closeJournal(`failed: ${error instanceof Error ? error.message : String(error)}`);
        } catch {
          // idem
        }
        events.error(error);
        rejectDone(error);
      });
  };

  // The dashboard's forming bar: the input folded into the bar in progress, reported as it grows.
  const forming = new Map<string, Bar>();
  const showForming = (input: Tick | Bar): void => {
    if (control === undefined) return;
    const bar = foldIntoForming(forming.get(input.symbol), input, intervalMs);
    if (bar === undefined) return;
    forming.set(input.symbol, bar);
    control.setForming(bar);
  };

  const barsOf = (spec: IbContractSpec): Observable<Bar> => {
    const onLate = (event: Tick | Bar, dropped: number): void =>
      emit({ kind: 'late-input', ts: now(), symbol: event.symbol, eventTs: event.ts, dropped });
    const clockOf = (feedTs$: Observable<number>) => watermarkClock(feedTs$, { periodMs: live.clockPeriodMs, graceMs: live.graceMs, scheduler });
    if (live.source === 'realTimeBars') {
      // 5-second bars from the first bucket boundary on (the warm-up's): the first bar out is a whole one.
      const input$ = ibkrRealTimeBars({ connection, contract: spec, whatToShow: live.whatToShow }).pipe(
        filter((bar) => warmup.admit(bar.ts)),
        share(),
      );
      // A 5-second bar is known at its end: that is the feed's time.
      const clock$ = clockOf(input$.pipe(map((bar) => bar.ts + bar.intervalMs)));
      return input$.pipe(tap(showForming), barBuilder(intervalMs, { clock$, late: 'drop', onLate }));
    }
    // Quotes from the bucket after the first quote's on (the warm-up's boundary).
    const input$ = ibkrQuotes({ connection, contract: spec, now }).pipe(
      filter((quote) => warmup.admit(quote.ts)),
      share(),
    );
    const clock$ = clockOf(input$.pipe(map((quote) => quote.ts)));
    return input$.pipe(tap(showForming), barBuilder(intervalMs, { clock$, late: 'drop', onLate }));
  };

  const waitForSession = (): Promise<IbSession> =>
    new Promise<IbSession>((resolve, reject) => {
      const sub = new Subscription();
      let lastProblem = '';
      const finish = (outcome: () => void): void => {
        sub.unsubscribe();
        outcome();
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new LiveRunnerError(
                `cannot connect to TWS at ${ibConfig.host}:${ibConfig.port} (clientId ${ibConfig.clientId}) within ${live.connectTimeoutMs} ms — ` +
                  `is TWS/IB Gateway running with the API enabled?${lastProblem ? ` (${lastProblem})` : ''}`,
              ),
            ),
          ),
        live.connectTimeoutMs,
      );
      sub.add(() => clearTimeout(timer));
      stopRequested.catch((reason: unknown) => finish(() => reject(reason)));
      sub.add(
        connection.errors$.subscribe((e) => {
          if (e.id < 0) lastProblem = `TWS ${e.code}: ${e.message}`;
        }),
      );
      sub.add(
        connection.state$.subscribe((state) => {
          if (state.status === 'disconnected' && lastProblem === '') lastProblem = state.reason;
        }),
      );
      sub.add(
        connection.session$.subscribe({
          next: (session) => {
            if (session !== null) queueMicrotask(() => finish(() => resolve(session)));
          },
          error: (error: unknown) => finish(() => reject(error)),
        }),
      );
    });

  /** TWS's positions against the book's (summed over strategies per symbol). */
  const reconcilePositions = (): Promise<ReconcileReport> =>
    broker.reconcile(
      run.book.positions().map((p) => ({ symbol: p.symbol, qty: p.qty })),
      live.connectTimeoutMs,
    );

  /** Journals and books the adjustment that makes the book hold TWS's position in `check.symbol`; the symbol trades again. */
  const adopt = (check: PositionCheck, strategyId: string, source: string, reason: string): void => {
    if (journal === undefined) throw new LiveRunnerError(`cannot reconcile ${check.symbol} without a journal: the adjustment would not survive a restart`);
    const held = run.book.position(strategyId, check.symbol);
    // TWS flat: the book's position goes out at its own average price (no PnL made up).
    const bookAvg = run.book.positions().find((p) => p.strategyId === strategyId && p.symbol === check.symbol)?.avgPrice ?? 0;
    const price = check.brokerQty !== 0 && check.brokerAvgPrice > 0 ? check.brokerAvgPrice : held !== 0 ? bookAvg : (run.book.lastPrice(check.symbol) ?? 0);
    if (!(price > 0)) throw new LiveRunnerError(`cannot reconcile ${check.symbol}: TWS gave no average cost and the book has no price for it`);
    const fill = adoptBrokerPosition(journal, run.book, check, { strategyId, price, ts: now(), reason, source });
    gate.book(fill);
    gate.resume(check.symbol);
    emit({ kind: 'reconciled', ts: now(), strategyId, symbol: check.symbol, qty: check.brokerQty - check.bookQty, price, source });
  };

  /** See `LiveRunner.reconcile`. */
  async function reconcileSymbol(symbol: string, reconcileOptions: { readonly strategyId?: string; readonly source?: string; readonly reason?: string }): Promise<PositionCheck> {
    const strategyId = reconcileOptions.strategyId ?? strategyForSymbol(config.strategies, symbol);
    if (strategyId === undefined || !config.strategies.some((s) => s.id === strategyId && s.symbol === symbol)) {
      const which = reconcileOptions.strategyId === undefined ? 'no strategy' : `strategy "${reconcileOptions.strategyId}" is not one`;
      throw new LiveRunnerError(`cannot reconcile ${symbol}: ${which} of this config trading it`);
    }
    const before = (await reconcilePositions()).positions.find((p) => p.symbol === symbol) ?? { symbol, brokerQty: 0, bookQty: 0, brokerAvgPrice: 0 };
    if (Math.abs(before.brokerQty - before.bookQty) > 1e-9) adopt(before, strategyId, reconcileOptions.source ?? 'api', reconcileOptions.reason ?? 'reconciled with TWS');
    else gate.resume(symbol);
    const after = await reconcilePositions();
    return after.positions.find((p) => p.symbol === symbol) ?? { symbol, brokerQty: 0, bookQty: 0, brokerAvgPrice: 0 };
  }

  const start = async (): Promise<ReconcileReport> => {
    // Forwarding starts on the next microtask, so subscribers attached right after the call miss nothing.
    await Promise.resolve();
    // The journal's positions come first, before anything TWS says.
    for (const position of recovery?.positions ?? []) emit({ kind: 'recovered-position', ts: now(), position });
    wiring.add(
      connection.state$.subscribe((state) => {
        emit({ kind: 'connection', ts: now(), state });
        control?.setConnection(connectionLabel(state), connectionDetail(state));
      }),
    );
    wiring.add(
      connection.notices$.subscribe((notice) => {
        if (notice.kind === 'connectivity') emit({ kind: 'connectivity', ts: now(), code: notice.code, message: notice.message });
        else if (notice.kind === 'info') emit({ kind: 'tws-notice', ts: now(), code: notice.code, message: notice.message });
      }),
    );
    wiring.add(
      connection.errors$.subscribe((e) => {
        emit({ kind: 'tws-error', ts: now(), id: e.id, code: e.code, message: e.message });
        journal?.recordError('tws', new Error(`TWS ${e.code} (id ${e.id}): ${e.message}`));
      }),
    );
    wiring.add(
      connection.protocolErrors$.subscribe((e) => {
        emit({ kind: 'protocol-error', ts: now(), message: e.error.message });
        journal?.recordError('tws protocol', e.error);
      }),
    );
    wiring.add(broker.reports$.subscribe((report) => emit({ kind: 'broker-report', ts: now(), report })));
    wiring.add(
      broker.events$.subscribe({
        next: (event) => {
          if (graphDone && event.kind === 'fill') emit({ kind: 'unbooked-fill', ts: now(), fill: event });
        },
        error: () => undefined, // the graph reports it
      }),
    );
    const journalGraph = journal === undefined ? undefined : recordGraphEvents(journal);
    /** Fills booked before the market data starts: those TWS reported while the engine was down. */
    const fillsWhileDown: Fill[] = [];
    wiring.add(
      run.events$.subscribe({
        next: (event) => {
          journalGraph?.(event);
          if (event.kind === 'fill' && marketData === undefined && !event.execId.startsWith('reconcile:')) fillsWhileDown.push(event);
          control?.record(event);
          emit(event);
        },
        error: () => undefined, // run.result rejects with it
      }),
    );
    if (control !== undefined && config.interfaces !== undefined) {
      surfaces = await startControlSurfaces(control, config.interfaces, { env: options.env ?? {} });
      const http = surfaces.http;
      if (http !== undefined) emit({ kind: 'http', ts: now(), url: http.url, dashboardUrl: http.dashboardUrl, tokenGenerated: http.tokenGenerated });
    }
    await waitForSession();
    let ordersNotAtBroker: string[] = [];
    if (journal !== undefined) {
      // Recovery's steps 2 and 3: what TWS did while the engine was down is booked before positions are compared.
      const ended = await unlessStopped(firstRecovery.catch(() => undefined));
      await unlessStopped(waitUntil(() => broker.awaitingCommission() === 0, live.commissionTimeoutMs + COMMISSION_WAIT_MARGIN_MS));
      // Only TWS's complete lists prove an order never reached it: after a timed-out recovery nothing is settled.
      if (ended?.kind === 'recovered') ordersNotAtBroker = settleOrdersNotAtBroker(journal, new Set(broker.workingOrders().map((o) => o.id)), now());
      else control?.notify('warn', 'TWS did not list its open orders and executions in time: orders journaled as sent are left as they are');
    }
    let report = await unlessStopped(reconcilePositions());
    if (report.mismatches.length > 0 && journal !== undefined) {
      for (const m of report.mismatches) {
        const strategyId = strategyForSymbol(config.strategies, m.symbol);
        // A symbol none of the strategies trades is reported, and no strategy's trading depends on it.
        if (strategyId === undefined) continue;
        if (options.adoptBrokerPositions === true) adopt(m, strategyId, 'cli', 'adopted at start (--adopt-broker-positions)');
        else gate.stop(m.symbol, `the position at TWS (${m.brokerQty}) differs from the book's (${m.bookQty}): resolve it with --adopt-broker-positions or /reconcile`);
      }
      if (options.adoptBrokerPositions === true) report = await unlessStopped(reconcilePositions());
    }
    reconcileReport = report;
    emit({ kind: 'reconcile', ts: now(), report });
    for (const m of report.mismatches) {
      control?.notify('warn', `position mismatch on ${m.symbol}: TWS ${m.brokerQty}, book ${m.bookQty} (account ${report.account})${gate.stopped().has(m.symbol) ? `: ${m.symbol} is not traded until it is resolved (/reconcile)` : ''}`);
    }
    if (report.mismatches.length > 0 && live.onPositionMismatch === 'stop') {
      const list = report.mismatches.map((m) => `${m.symbol} TWS ${m.brokerQty} vs book ${m.bookQty}`).join(', ');
      throw new LiveRunnerError(`positions at TWS differ from the book (${list}) and live.onPositionMismatch is "stop"`);
    }
    if (journal !== undefined && recovery !== undefined) {
      const previous = recovery.previousRun;
      emit({
        kind: 'recovery',
        ts: now(),
        summary: {
          journal: journal.file,
          previousRun: previous === undefined ? undefined : { id: previous.id, startedAt: previous.startedAt, stoppedAt: previous.stoppedAt, stopReason: previous.stopReason },
          positionsRecovered: recovery.positions.length,
          fillsWhileDown,
          ordersAdopted: [...adopted],
          ordersNotAtBroker,
          killSwitch: recovery.killSwitch,
          stoppedSymbols: Object.fromEntries(gate.stopped()),
        },
      });
    }
    if (stopping) return report;
    marketData = merge(...specs.map(barsOf)).subscribe({
      // Live bars wait until the warm-up has run the history through the strategies.
      next: (bar) => warmup.push(bar),
      error: (error: unknown) => bars.error(error),
      // The sources complete when the connection is closed under the runner: stop cleanly.
      complete: () => void shutdown('the market data ended'),
    });
    emit({ kind: 'subscribed', ts: now(), symbols, source: live.source, barMs: intervalMs });
    return report;
  };

  run.result.then(
    () => {
      graphDone = true;
    },
    (error: unknown) => {
      graphDone = true;
      fatal(error);
    },
  );
  const ready = start();
  const startSettled = ready.then(
    () => undefined,
    (error: unknown) => {
      if (!stopping) fatal(error);
    },
  );

  const shutdown = (reason = 'shutdown requested'): Promise<LiveRunResult> => {
    if (stopping || finished) return done;
    stopping = true;
    requestStop(new LiveRunnerError(`stopped while starting (${reason})`));
    const stop = async (): Promise<{ result: TradeRunResult; stillWorking: readonly Order[] }> => {
      emit({ kind: 'shutdown', ts: now(), phase: 'stopping', reason });
      await startSettled;
      marketData?.unsubscribe();
      let stillWorking: readonly Order[];
      if (live.cancelWorkingOnExit && broker.workingOrders().length > 0) {
        stillWorking = await broker.cancelWorking(live.cancelTimeoutMs, { protective: live.cancelProtectiveOnExit });
        emit({ kind: 'shutdown', ts: now(), phase: 'cancelled', stillWorking });
      } else {
        stillWorking = broker.workingOrders();
      }
      await waitUntil(() => broker.awaitingCommission() === 0 || graphDone, live.commissionTimeoutMs + COMMISSION_WAIT_MARGIN_MS);
      bars.complete();
      return { result: await run.result, stillWorking };
    };
    stop().then(async ({ result, stillWorking }) => {
      if (finished) return;
      finished = true;
      emit({ kind: 'shutdown', ts: now(), phase: 'stopped', stillWorking });
      try {
        await teardown();
        closeJournal(reason);
      } catch (error) {
        events.error(error);
        rejectDone(error);
        return;
      }
      events.complete();
      resolveDone({ ...result, reason, reconcile: reconcileReport, stillWorking });
    }, fatal);
    return done;
  };

  return {
    events$: events.asObservable(),
    ready,
    done,
    run,
    broker,
    connection,
    ibConfig,
    control,
    surfaces: () => surfaces,
    shutdown,
    reconcile: (symbol, how = {}) => reconcileSymbol(symbol, how),
    stoppedSymbols: () => gate.stopped(),
  };
}

/**
 * `broker` whose `place` failing with a JournalError (the intent could not be committed: a full disk, an I/O
 * error) stops the run: the order was not sent (route reports it rejected) and no later one may be.
 */
function stopsOnJournalFailure(broker: Broker, stop: (error: JournalError) => void): Broker {
  return {
    ...broker,
    place(order, children) {
      try {
        broker.place(order, children);
      } catch (error) {
        if (error instanceof JournalError) queueMicrotask(() => stop(error));
        throw error;
      }
    },
  };
}

/**
 * Where warm-up history comes from: the config's local files first (`live.warmup.files`), IB's historical bars
 * (through the history service) for the rest. IB's bars are of the live bar's kind: MIDPOINT for FX and for
 * bars built from quotes, the real-time bars' `whatToShow` otherwise.
 */
function historySourceOf(config: LiveConfig, contracts: IbContractBook, connection: IbConnection, intervalMs: number): HistorySource {
  const live = config.live;
  const barSize = BAR_SIZE_CODES.map(barSizeOf).find((size) => size.intervalMs === intervalMs);
  const ibkr: HistorySource =
    barSize === undefined
      ? () => Promise.reject(new Error(`IB has no historical bar size of ${live.bar} (give the history in live.warmup.files)`))
      : ibkrHistorySource({
          connection,
          contracts,
          barSize,
          whatToShow: (symbol): HistoricalWhatToShow =>
            live.source === 'quotes' ? 'MIDPOINT' : (live.whatToShow ?? (contractFor(contracts, symbol).ib.secType === 'CASH' ? 'MIDPOINT' : 'TRADES')),
          requestTimeoutMs: live.connectTimeoutMs,
        });
  return Object.keys(live.warmup.files).length === 0 ? ibkr : storeFirstHistorySource(live.warmup.files, ibkr);
}

/** What the dashboard shows beside the label: the attempt and, while disconnected, the wait before the next one. */
function connectionDetail(state: IbConnectionState): Omit<ConnectionDetail, 'since'> {
  switch (state.status) {
    case 'disconnected':
      return { attempt: state.attempt, retryInMs: state.retryInMs, reason: state.reason };
    case 'connecting':
      return { attempt: state.attempt };
    case 'failed':
      return { reason: state.reason };
    default:
      return {};
  }
}

function connectionLabel(state: IbConnectionState): string {
  if (state.status === 'connected') return state.link === 'ok' ? 'connected' : 'connected (TWS lost its link to IB)';
  return state.status;
}

/**
 * The bar in progress after one more input (a 5-second bar, a quote or a trade): a new bucket starts a new bar.
 * For display only: the strategies see the bars of `barBuilder`. Undefined for a quote without a usable mid.
 */
export function foldIntoForming(current: Bar | undefined, input: Tick | Bar, intervalMs: number): Bar | undefined {
  let open: number;
  let high: number;
  let low: number;
  let close: number;
  let volume: number;
  if (input.kind === 'bar') {
    ({ open, high, low, close } = input);
    volume = Math.max(0, input.volume);
  } else {
    const price = input.kind === 'quote' ? (input.bid + input.ask) / 2 : input.price;
    if (!Number.isFinite(price) || price <= 0) return undefined;
    open = high = low = close = price;
    volume = input.kind === 'trade' ? input.size : 0;
  }
  const ts = Math.floor(input.ts / intervalMs) * intervalMs;
  if (current === undefined || current.ts !== ts) return { kind: 'bar', symbol: input.symbol, ts, intervalMs, open, high, low, close, volume };
  return { ...current, high: Math.max(current.high, high), low: Math.min(current.low, low), close, volume: current.volume + volume };
}

function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const poll = (): void => {
      if (check() || Date.now() >= deadline) resolve();
      else setTimeout(poll, 10);
    };
    poll();
  });
}
