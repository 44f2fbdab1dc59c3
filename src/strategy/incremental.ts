import type { OperatorFunction } from 'rxjs';
import { operate } from '../../operators/operate';

/**
 * A computation fed one input at a time, in O(1): an indicator (`createSma(20)`) or a strategy
 * (`createGotobi(params)`). `update` answers `undefined` while it has nothing to say (an indicator still
 * warming up, a strategy whose target did not change).
 *
 * The stateful form is what a tight loop calls; `incremental` turns it into an operator.
 */
export interface Incremental<In, Out> {
  update(input: In): Out | undefined;
}

/**
 * An operator that feeds each value to a fresh `Incremental` (one per subscription, so the operator is
 * cold and reusable) and emits what it answers, skipping `undefined`.
 *
 * ```
 * source:                         --1--2--3--4--|
 * incremental(() => createSma(2)): -----a--b--c--|    a = 1.5, b = 2.5, c = 3.5
 * ```
 *
 * No closure or object is created per value: the hot path is one method call and one comparison. An
 * error thrown by `update` errors the output (and unsubscribes the source).
 */
export function incremental<In, Out>(create: () => Incremental<In, Out>): OperatorFunction<In, Out> {
  return operate((destination) => {
    const state = create();
    return {
      next(value) {
        const out = state.update(value);
        if (out !== undefined) destination.next(out);
      },
    };
  });
}
