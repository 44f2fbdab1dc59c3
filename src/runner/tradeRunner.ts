import { Observable, Subject, type Subscription } from 'rxjs';
import { fxInvert, swapCurrencies } from '../../operators/fxInvert';
import { commissionModel } from '../broker/commission';
import { createSimBroker } from '../broker/simBroker';
import type { Broker } from '../broker/types';
import { contractFor } from '../core/contracts';
import { ConfigError } from '../core/errors';
import type { TradingHalts } from '../core/halts';
import type { Bar, ContractBook, Fill, RejectReason } from '../core/types';
import { createBook, type Book } from '../portfolio/book';
import { createSizer } from '../risk/sizers';
import { createStrategy } from '../strategy/registry';
import { createAnalyzers, type AnalyzerSet } from './analyzers/createAnalyzers';
import { DEFAULT_ANALYZERS, type RunnerConfig } from './config';
import { buildGraph, type DecisionHold, type GraphEvent } from './graph';
import { createEquitySampler, type EquitySeries } from './report/equitySampler';
import type { ReportSeries } from './report/htmlReport';
import { buildReplayReport, type ReplayReport, type StrategyRunResult } from './report/replayReport';
import type { Analyzer } from './analyzers/analyzer';

/**
 * The trade runner: one source multicast to every strategy of a config, contract sizing from
 * contracts.json, the account currency, analyzers by name, and a report at the end.
 *
 * ```ts
 * const run = runTradeRunner({ config, contracts, bars$: replayFile('usdjpy.parquet', { symbol: 'USDJPY' }) });
 * run.events$.subscribe((e) => e.kind === 'fill' && console.log(e));   // optional: everything, as it happens
 * const { report } = await run.result;                                  // the report when the source completes
 * ```
 *
 * The run starts on the next microtask, so subscribers of `events$` attached right after the call miss
 * nothing. `events$` is hot and completes (or errors) with the run; `result` rejects with the source's or
 * the graph's error (a DataError names file and row), after `events$` has errored.
 */
export interface TradeRunnerOptions {
  readonly config: RunnerConfig;
  readonly contracts: ContractBook;
  /** The bars to trade (before `config.data.invert`). Replay: a file; live: a real-time source. */
  readonly bars$: Observable<Bar>;
  /**
   * The symbols `bars$` carries (before `config.data.invert`), when known in advance: only their closes may
   * convert PnL into the account currency, and a conversion none of them can make is an error before the first
   * bar (see `BookOptions.pricedSymbols`). Default: unknown, any contract may be a rate.
   */
  readonly symbols?: readonly string[];
  /** Default: a SimBroker with the config's commission and slippage. */
  readonly broker?: Broker;
  /** Keep downsampled equity curves for the HTML report. */
  readonly equitySeries?: boolean;
  /** Live: remember execIds so a broker replaying executions cannot double a fill. */
  readonly dedupeFills?: boolean;
  /** What the operator halted (kill switches, flatten); see `GraphOptions.halts$`. */
  readonly halts$?: Observable<TradingHalts>;
  /** Live warm-up: see `DecisionHold`. */
  readonly hold?: DecisionHold;
  /**
   * The book to go on from (live recovery: `rebuildBook` of the run's journal, with its positions, average prices
   * and realized PnL); default a new one with the config's account. It becomes the run's book (one writer: the ledger).
   */
  readonly book?: Book;
  /** Wall clock for the `run` timing block (ms). */
  readonly now?: () => number;
}

export interface TradeRunResult {
  readonly report: ReplayReport;
  readonly series: ReportSeries;
  readonly book: Book;
}

export interface TradeRun {
  readonly events$: Observable<GraphEvent>;
  readonly result: Promise<TradeRunResult>;
  readonly book: Book;
  /** Stops the run early (the result then reports what happened up to now). */
  stop(): void;
  /** Cancels every working order at the broker (live shutdown). */
  cancelWorking(): void;
}

interface StrategyState {
  readonly id: string;
  readonly symbol: string;
  readonly quoteCurrency: string;
  readonly fills: Fill[];
  readonly rejected: Partial<Record<RejectReason, number>>;
  readonly analyzers: AnalyzerSet;
  readonly sampler: Analyzer<EquitySeries> | undefined;
  /** The leg's equity and exposure as of its last fill; see `onMark`. */
  readonly cache: LegCache;
}

/**
 * What a mark needs of one leg, kept between bars. A strategy's position changes only when one of its fills
 * is applied, and its equity (cash + unrealized PnL) only then or while the position is open; so a flat leg
 * with no new fill reuses both, and the book is asked again after a fill (`stale`) or while `exposed`.
 * Number fields of an object, not closure variables: V8 updates them in place instead of boxing each write.
 */
interface LegCache {
  stale: boolean;
  exposed: boolean;
  equity: number;
}

/** The legs trading one symbol and the account's exposure in it (refreshed after a fill of that symbol). */
interface SymbolState {
  readonly symbol: string;
  readonly legs: StrategyState[];
  stale: boolean;
  accountExposed: boolean;
}

/** The replay broker a config describes: a SimBroker with the config's commission and slippage. */
export function simBrokerFor(config: RunnerConfig, contracts: ContractBook): Broker {
  return createSimBroker({
    contracts,
    commission: commissionModel(config.broker?.commission),
    slippageTicks: config.broker?.slippageTicks ?? 0,
  });
}

export function runTradeRunner(options: TradeRunnerOptions): TradeRun {
  const { config, contracts } = options;
  const now = options.now ?? (() => performance.now());
  const invert = config.data?.invert === true;
  const bars$ = invert ? options.bars$.pipe(fxInvert<Bar>()) : options.bars$;

  const book =
    options.book ??
    createBook({
      contracts,
      accountCurrency: config.account.currency,
      initialCash: config.account.initialCash,
      dedupe: options.dedupeFills ?? false,
      ...(options.symbols !== undefined ? { pricedSymbols: invert ? options.symbols.map((s) => swapCurrencies(s)) : options.symbols } : {}),
    });
  const broker = options.broker ?? simBrokerFor(config, contracts);
  const analyzerNames = config.analyzers ?? DEFAULT_ANALYZERS;
  const initialEquity = config.account.initialCash;
  const sampler = (): Analyzer<EquitySeries> | undefined =>
    options.equitySeries === true ? createEquitySampler({ initialEquity }) : undefined;

  const states = new Map<string, StrategyState>();
  const bySymbol = new Map<string, SymbolState>();
  const symbolState = (symbol: string): SymbolState => {
    let state = bySymbol.get(symbol);
    if (state === undefined) {
      state = { symbol, legs: [], stale: true, accountExposed: false };
      bySymbol.set(symbol, state);
    }
    return state;
  };
  const strategies = config.strategies.map((spec) => {
    const contract = contractFor(contracts, spec.symbol);
    const state: StrategyState = {
      id: spec.id,
      symbol: spec.symbol,
      quoteCurrency: contract.quoteCurrency,
      fills: [],
      rejected: {},
      analyzers: createAnalyzers(analyzerNames, { initialEquity }),
      sampler: sampler(),
      cache: { stale: true, exposed: false, equity: initialEquity },
    };
    states.set(spec.id, state);
    symbolState(spec.symbol).legs.push(state);
    return createStrategy(spec, contract);
  });
  if (strategies.length === 0) throw new ConfigError('no strategies to run');

  const graph = buildGraph({
    bars$,
    strategies,
    broker,
    book,
    contracts,
    limits: config.risk,
    halts$: options.halts$,
    hold: options.hold,
    sizer: config.sizer === undefined ? undefined : createSizer(config.sizer, book, contracts),
  });

  const account = createAnalyzers(analyzerNames, { initialEquity });
  const accountSampler = sampler();
  const events = new Subject<GraphEvent>();
  let subscription: Subscription | undefined;
  let stopped = false;
  // Per-bar counters in an object's fields (see LegCache).
  const stats = { bars: 0, firstBarTs: Number.NaN, lastBarTs: Number.NaN };
  let started = 0;
  // Bars come in runs of one symbol: remember the last one's state instead of a Map lookup per bar.
  let markedSymbol: SymbolState = symbolState(strategies[0].symbol);

  const onMark = (bar: Bar, accountEquity: number): void => {
    const ts = bar.ts;
    if (stats.bars++ === 0) stats.firstBarTs = ts;
    stats.lastBarTs = ts;
    let at = markedSymbol;
    if (at.symbol !== bar.symbol) {
      at = symbolState(bar.symbol);
      markedSymbol = at;
    }
    if (at.stale) {
      at.accountExposed = book.accountPosition(at.symbol) !== 0;
      at.stale = false;
    }
    // Equity points carry the bar's START, like fills: a day's last bar stays in its UTC day.
    account.onEquity(ts, accountEquity);
    account.onBar(ts, at.accountExposed);
    accountSampler?.onEquity?.(ts, accountEquity);
    const legs = at.legs;
    for (let i = 0; i < legs.length; i++) {
      const leg = legs[i];
      const cache = leg.cache;
      if (cache.stale) {
        cache.exposed = book.position(leg.id, leg.symbol) !== 0;
        cache.stale = false;
        cache.equity = book.equity(leg.id);
      } else if (cache.exposed) {
        cache.equity = book.equity(leg.id);
      }
      leg.analyzers.onEquity(ts, cache.equity);
      leg.analyzers.onBar(ts, cache.exposed);
      leg.sampler?.onEquity?.(ts, cache.equity);
    }
  };

  const onEvent = (event: GraphEvent): void => {
    switch (event.kind) {
      case 'mark':
        onMark(event.bar, event.equity);
        break;
      case 'fill': {
        const leg = states.get(event.strategyId);
        if (leg !== undefined) {
          leg.fills.push(event);
          leg.analyzers.onFill(event);
          leg.cache.stale = true;
        }
        symbolState(event.symbol).stale = true;
        account.onFill(event);
        break;
      }
      case 'trade': {
        states.get(event.trade.strategyId)?.analyzers.onTrade(event.trade);
        account.onTrade(event.trade);
        break;
      }
      case 'order': {
        if (event.status === 'Rejected') {
          const leg = states.get(event.order.strategyId);
          const reason = event.reason ?? 'BROKER';
          if (leg !== undefined) leg.rejected[reason] = (leg.rejected[reason] ?? 0) + 1;
        }
        break;
      }
      case 'signal':
        break;
    }
    // rxjs's Subject.next allocates per call even without observers; most replays have none.
    if (events.observed) events.next(event);
  };

  const buildResult = (): TradeRunResult => {
    const wallMs = now() - started;
    const positions = book.positions();
    const trades = book.trades();
    const working = book.workingOrders();
    const strategies: StrategyRunResult[] = [...states.values()].map((leg) => {
      const position = positions.find((p) => p.strategyId === leg.id && p.symbol === leg.symbol);
      return {
        id: leg.id,
        symbol: leg.symbol,
        quoteCurrency: leg.quoteCurrency,
        fills: leg.fills,
        trades: trades.filter((t) => t.strategyId === leg.id),
        netPnlAccount: book.equity(leg.id) - initialEquity,
        position: position !== undefined && position.qty !== 0 ? position : null,
        rejected: leg.rejected,
        workingOrders: working.filter((w) => w.order.strategyId === leg.id).map((w) => w.order),
        analyzers: leg.analyzers.results(),
      };
    });
    const report = buildReplayReport({
      account: {
        currency: config.account.currency,
        initialCash: initialEquity,
        finalEquity: book.equity(),
        analyzers: account.results(),
      },
      strategies,
      period: stats.bars === 0 ? null : { firstBarTs: stats.firstBarTs, lastBarTs: stats.lastBarTs },
      run: { bars: stats.bars, wallMs },
      config,
      contracts: Object.fromEntries([...new Set(config.strategies.map((s) => s.symbol))].sort().map((symbol) => [symbol, contractFor(contracts, symbol)])),
    });
    const series: ReportSeries = {
      account: accountSampler?.result(),
      strategies: Object.fromEntries(
        [...states.values()].flatMap((leg) => (leg.sampler === undefined ? [] : [[leg.id, leg.sampler.result()] as const])),
      ),
    };
    return { report, series, book };
  };

  let settle: { resolve(r: TradeRunResult): void; reject(e: unknown): void } | undefined;
  let settled = false;
  const fail = (error: unknown): void => {
    if (settled) return;
    settled = true;
    events.error(error);
    settle?.reject(error);
  };
  const finish = (): void => {
    if (settled) return;
    let built: TradeRunResult;
    try {
      built = buildResult();
    } catch (error) {
      fail(error);
      return;
    }
    settled = true;
    events.complete();
    settle?.resolve(built);
  };

  const result = new Promise<TradeRunResult>((resolve, reject) => {
    settle = { resolve, reject };
    queueMicrotask(() => {
      started = now();
      if (stopped) {
        finish();
        return;
      }
      subscription = graph.events$.subscribe({ next: onEvent, error: fail, complete: finish });
    });
  });

  return {
    events$: events.asObservable(),
    result,
    book,
    stop() {
      if (stopped) return;
      stopped = true;
      // An early stop still reports what happened up to now.
      if (subscription !== undefined) {
        subscription.unsubscribe();
        finish();
      }
    },
    cancelWorking: () => graph.cancelWorking(),
  };
}
