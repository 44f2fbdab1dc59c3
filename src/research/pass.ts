import type { Observable } from 'rxjs';
import { fxInvert } from '../../operators/fxInvert';
import { contractFor } from '../core/contracts';
import type { Bar, ContractBook } from '../core/types';
import { createBook } from '../portfolio/book';
import { createSizer } from '../risk/sizers';
import { createAnalyzers, type AnalyzerSet } from '../runner/analyzers/createAnalyzers';
import type { Analyzer } from '../runner/analyzers/analyzer';
import { DEFAULT_ANALYZERS, type RunnerConfig } from '../runner/config';
import { buildGraph, type GraphEvent } from '../runner/graph';
import { createEquitySampler, type EquitySeries } from '../runner/report/equitySampler';
import { simBrokerFor } from '../runner/tradeRunner';
import { createStrategy } from '../strategy/registry';
import type { Strategy } from '../strategy/types';
import { barsOf, type BarColumns } from './dataset';
import { metricsOf, type Metrics } from './metrics';

/**
 * Many configs in one pass over the bars.
 *
 * The book keeps every strategy's position, cash and trades apart (a strategy's equity is "as if it had the
 * account alone"), the SimBroker fills each order from the bars alone, and a config's account figures are the
 * sum of its strategies. So as long as nothing in a config looks at the whole account — a risk limit on the
 * account's position, notional, daily loss or order rate, or a sizer that sizes from the account's equity —
 * the strategies of many configs can run side by side in ONE graph, each under an id of its own, and each
 * config's account is rebuilt from its own strategies exactly as the book builds it (`initialCash + Σ
 * (strategy equity − initialCash)`, in the config's order). The bars, the broker's settling and the marks are
 * then paid once per pass instead of once per config, and a strategy entry that several configs share (the two
 * Gotobi legs of the demo config while a grid sweeps an SMA beside them) runs once.
 *
 * A config that does look at the whole account runs alone in its pass, with its limits and sizer: exactly a
 * replay. Either way the figures are those `npm run replay` reports for the config (the sweep's specs check it
 * against the replay's JSON), whichever configs share its pass.
 */

export interface SweepConfig {
  /** The config's place in the sweep (its row). */
  readonly index: number;
  readonly config: RunnerConfig;
}

export interface PassOptions {
  readonly columns: BarColumns;
  readonly configs: readonly SweepConfig[];
  readonly contracts: ContractBook;
  /** Bars `[start, end)` of the columns; default all. */
  readonly range?: { readonly start: number; readonly end: number };
  /** Keep each config's downsampled equity curve (the sweep page's curves). */
  readonly equitySeries?: boolean;
  /** Called every `PROGRESS_BARS` bars with the share of the pass done. */
  readonly onProgress?: (share: number) => void;
  /** Each config's account after each bar: equity (account currency) and whether it holds a position. */
  readonly onAccount?: (index: number, ts: number, equity: number, exposed: boolean) => void;
}

export interface ConfigResult {
  readonly index: number;
  readonly metrics: Metrics;
  readonly equity?: EquitySeries;
}

/**
 * Risk limits judged per order, from the order and its own strategy's position: configs with these (and the
 * same values) can share a pass.
 */
const PER_ORDER_LIMITS = new Set(['maxOrderContracts', 'maxLossPerTradeTicks']);

const PROGRESS_BARS = 65_536;

/**
 * Whether a config's strategies can share a graph with other configs' strategies: nothing in it reads the
 * whole account (see the module comment).
 */
export function sharesAPass(config: RunnerConfig): boolean {
  const limits = Object.entries(config.risk ?? {}).filter(([, value]) => value !== undefined);
  return limits.every(([name]) => PER_ORDER_LIMITS.has(name)) && config.sizer?.type !== 'percentOfEquity';
}

/** Configs that may share a pass have the same sections besides `strategies`. */
export function passKey(config: RunnerConfig): string {
  const { strategies: _strategies, ...rest } = config;
  return JSON.stringify(rest);
}

/**
 * Splits configs into passes: configs that may share one (same settings, nothing account-wide) in groups of
 * at most `passSize`, in index order; any other config alone. The plan depends on the configs and `passSize`
 * only, never on the number of workers.
 */
export function planPasses(configs: readonly SweepConfig[], passSize: number): SweepConfig[][] {
  const groups = new Map<string, SweepConfig[]>();
  const passes: SweepConfig[][] = [];
  for (const entry of configs) {
    if (!sharesAPass(entry.config)) {
      passes.push([entry]);
      continue;
    }
    const key = passKey(entry.config);
    let group = groups.get(key);
    if (group === undefined || group.length >= passSize) {
      group = [];
      groups.set(key, group);
      passes.push(group);
    }
    group.push(entry);
  }
  return passes;
}

interface Leg {
  /** The strategy's id in the pass's graph. */
  readonly graphId: string;
  readonly symbol: string;
}

interface ConfigView {
  readonly index: number;
  /** Its strategies, as indices into the pass's legs, in the config's order. */
  readonly legs: readonly number[];
  readonly analyzers: AnalyzerSet;
  readonly sampler: Analyzer<EquitySeries> | undefined;
  // Number and boolean fields updated in place per bar (see LegCache in tradeRunner.ts).
  stale: boolean;
  exposed: boolean;
  equity: number;
}

/** Runs the configs of a pass (see `planPasses`) over the bars and returns each one's figures, in the pass's order. */
export async function runPass(options: PassOptions): Promise<ConfigResult[]> {
  const { configs, contracts, columns } = options;
  if (configs.length === 0) return [];
  const first = configs[0].config;
  if (configs.length > 1 && !configs.every((c) => sharesAPass(c.config) && passKey(c.config) === passKey(first))) {
    throw new Error('runPass: these configs cannot share a pass (plan passes with planPasses)');
  }
  const initialCash = first.account.initialCash;
  const analyzerNames = first.analyzers ?? DEFAULT_ANALYZERS;
  const book = createBook({ contracts, accountCurrency: first.account.currency, initialCash });

  // One leg per distinct strategy entry: configs that list the same entry share its leg.
  const legs: Leg[] = [];
  const legByEntry = new Map<string, number>();
  const strategies: Strategy[] = [];
  const views: ConfigView[] = [];
  for (const { index, config } of configs) {
    const legIndices = config.strategies.map((entry) => {
      const key = JSON.stringify(entry);
      let leg = legByEntry.get(key);
      if (leg === undefined) {
        leg = legs.length;
        const graphId = `${leg}:${entry.id}`;
        legs.push({ graphId, symbol: entry.symbol });
        legByEntry.set(key, leg);
        strategies.push(createStrategy({ ...entry, id: graphId }, contractFor(contracts, entry.symbol)));
      }
      return leg;
    });
    views.push({
      index,
      legs: legIndices,
      analyzers: createAnalyzers(analyzerNames, { initialEquity: initialCash }),
      sampler: options.equitySeries === true ? createEquitySampler({ initialEquity: initialCash }) : undefined,
      stale: true,
      exposed: false,
      equity: initialCash,
    });
  }
  const viewsOfLeg: ConfigView[][] = legs.map((_, leg) => views.filter((view) => view.legs.includes(leg)));
  const legOfId = new Map(legs.map((leg, i) => [leg.graphId, i]));

  const start = options.range?.start ?? 0;
  const end = options.range?.end ?? columns.length;
  const source$ = barsOf(columns, start, end);
  const bars$: Observable<Bar> = first.data?.invert === true ? source$.pipe(fxInvert<Bar>()) : source$;
  const graph = buildGraph({
    bars$,
    strategies,
    broker: simBrokerFor(first, contracts),
    book,
    contracts,
    limits: first.risk,
    sizer: first.sizer === undefined ? undefined : createSizer(first.sizer, book, contracts),
  });

  // Each leg's equity read straight from its owner in the book (tracked by buildGraph): no lookup by id per bar.
  const legEquityOf = legs.map((leg) => book.equityReader(leg.graphId));
  const legEquity = new Float64Array(legs.length);
  const total = Math.max(1, end - start);
  const progress = { bars: 0 };
  const onMark = (bar: Bar): void => {
    const ts = bar.ts;
    for (let l = 0; l < legs.length; l++) legEquity[l] = legEquityOf[l]();
    for (let v = 0; v < views.length; v++) {
      const view = views[v];
      const own = view.legs;
      // The account's equity as the book sums it: initial cash plus each strategy's result, in config order.
      let equity = initialCash;
      for (let i = 0; i < own.length; i++) equity += legEquity[own[i]] - initialCash;
      view.equity = equity;
      if (view.stale) {
        let position = 0;
        for (let i = 0; i < own.length; i++) position += book.position(legs[own[i]].graphId, bar.symbol);
        view.exposed = Math.abs(position) >= 1e-9;
        view.stale = false;
      }
      view.analyzers.onPoint(ts, equity, view.exposed);
      view.sampler?.onEquity?.(ts, equity);
      options.onAccount?.(view.index, ts, equity, view.exposed);
    }
    if (options.onProgress !== undefined && ++progress.bars % PROGRESS_BARS === 0) options.onProgress(progress.bars / total);
  };
  const onEvent = (event: GraphEvent): void => {
    switch (event.kind) {
      case 'mark':
        onMark(event.bar);
        return;
      case 'fill': {
        const holders = viewsOfLeg[legOfId.get(event.strategyId) ?? -1] ?? [];
        for (const view of holders) {
          view.analyzers.onFill(event);
          view.stale = true;
        }
        return;
      }
      case 'trade': {
        const holders = viewsOfLeg[legOfId.get(event.trade.strategyId) ?? -1] ?? [];
        for (const view of holders) view.analyzers.onTrade(event.trade);
        return;
      }
      default:
        return;
    }
  };
  await new Promise<void>((done, fail) => graph.events$.subscribe({ next: onEvent, error: fail, complete: done }));

  return views.map((view) => {
    // As the book's final equity: each strategy's equity at the end, summed in the config's order.
    let finalEquity = initialCash;
    for (const leg of view.legs) finalEquity += book.equity(legs[leg].graphId) - initialCash;
    const metrics = metricsOf({ initialCash, finalEquity, analyzers: view.analyzers.results() });
    return view.sampler === undefined ? { index: view.index, metrics } : { index: view.index, metrics, equity: view.sampler.result() };
  });
}
