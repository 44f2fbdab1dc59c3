/**
 * What an operator has stopped, as the order path reads it. The control surfaces change it (kill, flatten,
 * resume); the order manager and the risk gate act on each change, in the graph, in event order.
 *
 * | state of a strategy | new exposure | exits, protective orders | working orders when it starts | its targets        |
 * |---------------------|--------------|--------------------------|-------------------------------|--------------------|
 * | killed              | refused      | pass                     | entries cancelled             | followed for exits |
 * | flat (flattened)    | refused      | only the flatten's close | all cancelled, then closed    | refused (FLATTENED)|
 *
 * A strategy is `killed` by its own kill switch or by the engine-wide one (`killAll`); `flat` wins over both.
 * When a strategy stops being halted (resume), the order manager re-derives its orders from its latest target.
 */
export type StrategyHalt = 'killed' | 'flat';

export interface TradingHalts {
  /** The engine-wide kill switch. */
  readonly killAll: boolean;
  /** Strategies halted on their own, by id. */
  readonly strategies: Readonly<Record<string, StrategyHalt>>;
  /** Wall-clock ms of the change: the time of what it leads to while no bar has been seen yet (a restart). */
  readonly ts?: number;
}

export const NO_HALTS: TradingHalts = { killAll: false, strategies: {} };

/** How `strategyId` is halted under `halts`, if it is. */
export function haltOf(halts: TradingHalts, strategyId: string): StrategyHalt | undefined {
  // Own properties only: a strategy may be called `constructor`.
  const own = Object.hasOwn(halts.strategies, strategyId) ? halts.strategies[strategyId] : undefined;
  return own ?? (halts.killAll ? 'killed' : undefined);
}
