import type { OperatorFunction } from 'rxjs';
import type { Bar, Signal, TargetPosition } from '../core/types';

/**
 * A strategy: who it is, what it trades, and how it decides. A plain readonly object made by
 * `defineStrategy` (the built-ins: `gotobi(...)`, `smaCross(...)`, `createStrategy(spec, contract)`).
 *
 * `decide` is a pure operator from closed bars to target positions. It sees each bar of the stream once,
 * when the bar has closed — bars of other symbols too, which it ignores unless it needs them — and emits a
 * `TargetPosition` whenever its target (in contracts) changes. It never names itself in what it emits: the
 * graph stamps each target with `id` and `symbol` (`signalOf`), so what a strategy says and who said it
 * cannot disagree.
 *
 * Everything the engine learns about a strategy is a field of this object, so what a strategy may declare
 * later (the history it needs to warm up, its own fills as input, order intents beside targets) is one more
 * field given to the same `defineStrategy`.
 */
export interface Strategy {
  /** Unique among the strategies of a run: positions, orders and trades are kept by it. */
  readonly id: string;
  /** The symbol it trades (its contract comes from the contract book). */
  readonly symbol: string;
  readonly decide: OperatorFunction<Bar, TargetPosition>;
}

/**
 * The one way to make a `Strategy`: checks that it names itself and its symbol, and keeps only the fields a
 * strategy has.
 *
 * ```ts
 * const everyOther = defineStrategy({
 *   id: 'flip', symbol: 'USDJPY',
 *   decide: (bars$) => bars$.pipe(filter((bar) => bar.symbol === 'USDJPY'), map((bar, i) => ({ ts: bar.ts + bar.intervalMs, target: i % 2 }))),
 * });
 * ```
 */
export function defineStrategy(definition: Strategy): Strategy {
  const { id, symbol, decide } = definition;
  if (typeof id !== 'string' || id === '') throw new RangeError('strategy: id must be a non-empty string');
  if (typeof symbol !== 'string' || symbol === '') throw new RangeError(`strategy "${id}": symbol must be a non-empty string`);
  if (typeof decide !== 'function') throw new RangeError(`strategy "${id}": decide must be an operator (bars$) => targets$`);
  return { id, symbol, decide };
}

/** `target` as the order path sees it: stamped with the strategy's id and symbol. */
export function signalOf(strategy: Strategy, target: TargetPosition): Signal {
  const { ts, reason } = target;
  return reason === undefined
    ? { strategyId: strategy.id, symbol: strategy.symbol, ts, target: target.target }
    : { strategyId: strategy.id, symbol: strategy.symbol, ts, target: target.target, reason };
}
