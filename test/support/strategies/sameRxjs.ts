import { Observable, filter } from 'rxjs';
import { z } from 'zod';
import type { Bar, StrategyOutput } from '../../../src/core/types';
import { defineStrategy } from '../../../src/strategy';

/**
 * A user's strategy module that refuses to run unless the engine hands its decide operator an Observable of
 * the module's own rxjs (`instanceof`): what a strategy author's code relies on when it mixes its own rxjs
 * with the engine's streams. It never trades.
 */
export default defineStrategy({
  params: z.strictObject({}),
  warmup: () => ({ bars: 0 }),
  create: () => (bars$) => {
    if (!(bars$ instanceof Observable)) throw new Error('the engine and this module have different copies of rxjs');
    return bars$.pipe(filter((_bar: Bar): _bar is Bar & StrategyOutput => false));
  },
});
