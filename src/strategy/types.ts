import type { OperatorFunction } from 'rxjs';
import type { Bar, BracketSpec, Decision, Signal, StrategyInput, StrategyOutput } from '../core/types';

/**
 * The history a strategy needs before its decisions are right, for a live start to replay first:
 * - `{ bars: n }`: the last n closed bars (an SMA(50) cross: 51);
 * - `{ session: { zone, from } }`: every bar since the last `from` wall time in `zone` (a calendar strategy
 *   such as Gotobi, whose day starts at 00:00 Tokyo: what it did today decides what it may still do).
 */
export type Warmup = { readonly bars: number } | { readonly session: { readonly zone: string; readonly from: string } };

interface StrategyIdentity {
  /** Unique among the strategies of a run: positions, orders and trades are kept by it. */
  readonly id: string;
  /** The symbol it trades (its contract comes from the contract book). */
  readonly symbol: string;
  /**
   * Symbols it reads besides its own (a spread on EURJPY reads EURUSD and USDJPY): their bars reach `decide`
   * with its own, in stream order. None: only its own symbol's bars.
   */
  readonly reads?: readonly string[];
  readonly warmup: Warmup;
  /** Protective orders for every fill of its own orders, unless a target or intent says otherwise. */
  readonly bracket?: BracketSpec;
}

/** A strategy deciding from closed bars alone. */
export interface BarsStrategy extends StrategyIdentity {
  readonly input: 'bars';
  readonly decide: OperatorFunction<Bar, StrategyOutput>;
}

/** A strategy deciding from closed bars and its own fills (each delivered after the book has applied it). */
export interface FillsStrategy extends StrategyIdentity {
  readonly input: 'barsAndFills';
  readonly decide: OperatorFunction<StrategyInput, StrategyOutput>;
}

/**
 * A strategy: who it is, what it trades, the history it needs, and how it decides. A plain readonly object made
 * by `makeStrategy` (or by a strategy definition's `create`, see `definition.ts`).
 *
 * `decide` is a pure operator. It sees each bar of its symbol and of the symbols it `reads` once, when the bar
 * has closed, in the stream's order, and — when `input` is `barsAndFills` — each fill of its
 * own orders, right after the book has applied it and before the next bar. It emits target positions
 * (`{ ts, target }`, in contracts, whenever its target changes) and order intents (`{ kind: 'place' | 'cancel' |
 * 'modify', … }`). It never names itself in what it emits: the graph stamps each output with `id` and
 * `symbol` (`stamp`), so what a strategy says and who said it cannot disagree.
 *
 * A bars-only strategy never receives a fill, so an operator written for bars (`filter((bar) => bar.symbol
 * === s)`, …) cannot mistake one for a bar; the graph feeds it bars and nothing else, at no cost per bar.
 */
export type Strategy = BarsStrategy | FillsStrategy;

/** What `makeStrategy` takes: `input` defaults to `bars`, `warmup` to none (`{ bars: 0 }`). */
export type StrategyParts = Omit<StrategyIdentity, 'warmup'> & { readonly warmup?: Warmup } & (
    | { readonly input?: 'bars'; readonly decide: OperatorFunction<Bar, StrategyOutput> }
    | { readonly input: 'barsAndFills'; readonly decide: OperatorFunction<StrategyInput, StrategyOutput> }
  );

/**
 * Makes a `Strategy`: checks that it names itself and its symbol, and keeps only the fields a strategy has.
 *
 * ```ts
 * const everyOther = makeStrategy({
 *   id: 'flip', symbol: 'USDJPY', warmup: { bars: 0 },
 *   decide: (bars$) => bars$.pipe(filter((bar) => bar.symbol === 'USDJPY'), map((bar, i) => ({ ts: bar.ts + bar.intervalMs, target: i % 2 }))),
 * });
 * const breakEven = makeStrategy({ id: 'be', symbol: 'USDJPY', input: 'barsAndFills', decide: (input$) => … });
 * ```
 */
export function makeStrategy(parts: StrategyParts): Strategy {
  const { id, symbol, decide } = parts;
  if (typeof id !== 'string' || id === '') throw new RangeError('strategy: id must be a non-empty string');
  if (typeof symbol !== 'string' || symbol === '') throw new RangeError(`strategy "${id}": symbol must be a non-empty string`);
  if (typeof decide !== 'function') throw new RangeError(`strategy "${id}": decide must be an operator (input$) => decisions$`);
  const warmup = parts.warmup ?? { bars: 0 };
  const problem = warmupProblem(warmup);
  if (problem !== undefined) throw new RangeError(`strategy "${id}": warmup: ${problem}`);
  const reads = readsOf(id, symbol, parts.reads);
  const identity = {
    id,
    symbol,
    ...(reads !== undefined ? { reads } : {}),
    warmup,
    ...(parts.bracket !== undefined ? { bracket: parts.bracket } : {}),
  };
  return parts.input === 'barsAndFills' ? { ...identity, input: 'barsAndFills', decide: parts.decide } : { ...identity, input: 'bars', decide: parts.decide };
}

/** The other symbols a strategy reads, each once, its own left out; undefined when none. */
function readsOf(id: string, symbol: string, reads: readonly string[] | undefined): readonly string[] | undefined {
  if (reads === undefined) return undefined;
  if (!Array.isArray(reads) || reads.some((s) => typeof s !== 'string' || s === '')) {
    throw new RangeError(`strategy "${id}": reads must be a list of symbols, such as ["EURUSD", "USDJPY"]`);
  }
  const others = [...new Set(reads)].filter((s) => s !== symbol);
  return others.length === 0 ? undefined : Object.freeze(others);
}

/** Why `warmup` is not one; undefined when it is. */
export function warmupProblem(warmup: Warmup): string | undefined {
  if ('bars' in warmup) return Number.isInteger(warmup.bars) && warmup.bars >= 0 ? undefined : `bars must be a whole number ≥ 0, got ${String(warmup.bars)}`;
  if ('session' in warmup && typeof warmup.session?.zone === 'string' && /^\d{2}:\d{2}$/.test(warmup.session.from ?? '')) return undefined;
  return 'expected { bars: n } or { session: { zone, from: "HH:MM" } }';
}

/**
 * What `strategy` emitted, as the order path sees it: stamped with the strategy's id and symbol. A target is
 * copied field by field (the common case, and the fields a target has: nothing else a strategy put on it
 * leaks into the order path); an intent is copied whole.
 */
export function stamp(strategy: Pick<Strategy, 'id' | 'symbol'>, output: StrategyOutput): Decision {
  if (output.kind === undefined || output.kind === 'target') {
    const { ts, target, reason, bracket } = output;
    const signal: { -readonly [K in keyof Signal]: Signal[K] } = { strategyId: strategy.id, symbol: strategy.symbol, ts, target };
    if (reason !== undefined) signal.reason = reason;
    if (bracket !== undefined) signal.bracket = bracket;
    return signal;
  }
  return { ...output, strategyId: strategy.id, symbol: strategy.symbol };
}
