import type { StrategyHalt } from '../core/halts';
import type { ControlAction, Journal } from '../journal';
import type { ControlStore, KillSwitchState, RestoredControl, StrategyHaltState } from './control';

/** A `ControlStore` on the journal: actions are journaled (committed before they return when live) and replayed in order at start. */
export function journalControlStore(journal: Pick<Journal, 'controlActions' | 'recordControl'>): ControlStore {
  return {
    restore: () => restoreControl(journal.controlActions().map((entry) => entry.action)),
    record: (action) => journal.recordControl(action),
  };
}

/**
 * The state a list of control actions leaves, oldest first: a kill or resume without a strategy sets the
 * engine-wide switch; with one, that strategy's halt (a kill does not lift a flatten); a flatten holds its strategy
 * flat. Reconcile adjustments change nothing here.
 */
export function restoreControl(actions: readonly (ControlAction | { readonly kind: 'reconcile' })[]): RestoredControl {
  let killSwitch: KillSwitchState = { on: false, reason: '', since: null };
  const strategies: Record<string, StrategyHaltState> = {};
  for (const action of actions) {
    if (action.kind === 'reconcile') continue;
    if (action.strategyId === undefined) {
      if (action.kind !== 'flatten') killSwitch = { on: action.kind === 'kill', reason: action.reason, since: action.ts };
      continue;
    }
    const before: StrategyHalt | null = Object.hasOwn(strategies, action.strategyId) ? strategies[action.strategyId].halt : null;
    const halt: StrategyHalt | null = action.kind === 'resume' ? null : action.kind === 'flatten' || before === 'flat' ? 'flat' : 'killed';
    strategies[action.strategyId] = { halt, reason: action.reason, since: action.ts };
  }
  return { killSwitch, strategies };
}
