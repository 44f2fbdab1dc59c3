import { Observable, Subject, type Subscription } from 'rxjs';
import { fxInvert } from '../../operators/fxInvert';
import { commissionModel } from '../broker/commission';
import { createSimBroker } from '../broker/simBroker';
import type { Broker } from '../broker/types';
import { contractFor } from '../core/contracts';
import { ConfigError } from '../core/errors';
import type { Bar, ContractBook, Fill, RejectReason } from '../core/types';
import { createBook, type Book } from '../portfolio/book';
import { createSizer } from '../risk/sizers';
import { createStrategy } from '../strategy/registry';
import { createAnalyzers, type AnalyzerSet } from './analyzers/createAnalyzers';
import { DEFAULT_ANALYZERS, type RunnerConfig } from './config';
import { buildGraph, type GraphEvent } from './graph';
import { createEquitySampler, type EquitySeries } from './report/equitySampler';
import type { ReportSeries } from './report/htmlReport';
import { buildReplayReport, type ReplayReport, type StrategyRunResult } from './report/replayReport';
import type { Analyzer } from './analyzers/analyzer';

/**
 * The seed's TradeRunner: one source multicast to every strategy of a config, contract sizing from
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
  /** Default: a SimBroker with the config's commission and slippage. */
  readonly broker?: Broker;
  /** Keep downsampled equity curves for the HTML report. */
  readonly equitySeries?: boolean;
  /** Live: remember execIds so a broker replaying executions cannot double a fill. */
  readonly dedupeFills?: boolean;
  readonly killSwitch$?: Observable<boolean>;
  /** Prepended to order ids; live runs pass one unique to the run (see `ordersFromSignals`). */
  readonly orderIdPrefix?: string;
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
}

export function runTradeRunner(options: TradeRunnerOptions): TradeRun {
  const { config, contracts } = options;
  const now = options.now ?? (() => performance.now());
  const invert = config.data?.invert === true;
  const bars$ = invert ? options.bars$.pipe(fxInvert<Bar>()) : options.bars$;

  const book = createBook({
    contracts,
    accountCurrency: config.account.currency,
    initialCash: config.account.initialCash,
    dedupe: options.dedupeFills ?? false,
  });
  const broker =
    options.broker ??
    createSimBroker({
      contracts,
      commission: commissionModel(config.broker?.commission),
      slippageTicks: config.broker?.slippageTicks ?? 0,
    });
  const analyzerNames = config.analyzers ?? DEFAULT_ANALYZERS;
  const initialEquity = config.account.initialCash;
  const sampler = (): Analyzer<EquitySeries> | undefined =>
    options.equitySeries === true ? createEquitySampler({ initialEquity }) : undefined;

  const states = new Map<string, StrategyState>();
  const bySymbol = new Map<string, StrategyState[]>();
  const graphStrategies = config.strategies.map((spec) => {
    const contract = contractFor(contracts, spec.symbol);
    const state: StrategyState = {
      id: spec.id,
      symbol: spec.symbol,
      quoteCurrency: contract.quoteCurrency,
      fills: [],
      rejected: {},
      analyzers: createAnalyzers(analyzerNames, { initialEquity }),
      sampler: sampler(),
    };
    states.set(spec.id, state);
    const list = bySymbol.get(spec.symbol) ?? [];
    list.push(state);
    bySymbol.set(spec.symbol, list);
    return { id: spec.id, symbol: spec.symbol, strategy: createStrategy(spec, contract) };
  });
  if (graphStrategies.length === 0) throw new ConfigError('no strategies to run');

  const graph = buildGraph({
    bars$,
    strategies: graphStrategies,
    broker,
    book,
    contracts,
    limits: config.risk,
    killSwitch$: options.killSwitch$,
    orderIdPrefix: options.orderIdPrefix,
    sizer: config.sizer === undefined ? undefined : createSizer(config.sizer, book, contracts),
  });

  const account = createAnalyzers(analyzerNames, { initialEquity });
  const accountSampler = sampler();
  const events = new Subject<GraphEvent>();
  let subscription: Subscription | undefined;
  let stopped = false;
  let bars = 0;
  let firstBarTs = Number.NaN;
  let lastBarTs = Number.NaN;
  let started = 0;

  const onEvent = (event: GraphEvent): void => {
    switch (event.kind) {
      case 'mark': {
        const bar = event.bar;
        bars++;
        if (bars === 1) firstBarTs = bar.ts;
        lastBarTs = bar.ts;
        // Equity points carry the bar's START, like fills: a day's last bar stays in its UTC day.
        account.onEquity(bar.ts, event.equity);
        account.onBar(bar.ts, book.accountPosition(bar.symbol) !== 0);
        accountSampler?.onEquity?.(bar.ts, event.equity);
        const legs = bySymbol.get(bar.symbol);
        if (legs !== undefined) {
          for (let i = 0; i < legs.length; i++) {
            const leg = legs[i];
            const equity = book.equity(leg.id);
            leg.analyzers.onEquity(bar.ts, equity);
            leg.analyzers.onBar(bar.ts, book.position(leg.id, leg.symbol) !== 0);
            leg.sampler?.onEquity?.(bar.ts, equity);
          }
        }
        break;
      }
      case 'fill': {
        const leg = states.get(event.strategyId);
        if (leg !== undefined) {
          leg.fills.push(event);
          leg.analyzers.onFill(event);
        }
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
    events.next(event);
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
      period: bars === 0 ? null : { firstBarTs, lastBarTs },
      run: { bars, wallMs },
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
