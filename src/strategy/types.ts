import type { OperatorFunction } from 'rxjs';
import type { Bar, Signal } from '../core/types';

/**
 * A strategy is a pure operator from closed bars to target positions. It sees each bar once, when the bar
 * has closed, and emits a Signal whenever its target (in contracts) changes. It may receive bars of other
 * symbols on a shared stream and must ignore them.
 */
export type Strategy = OperatorFunction<Bar, Signal>;
