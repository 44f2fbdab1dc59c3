import { map, type OperatorFunction } from 'rxjs';
import type { Signal } from '../core/types';
import type { Sizer } from './sizers';

/**
 * Re-sizes each signal's target with a sizer (sign kept, magnitude from the sizer); everything else about
 * the signal is unchanged. Signals are rare (a few a day), so a fresh object per signal is fine.
 *
 * ```
 * signals: --a--b--c--|   a: +1, b: 0, c: −3          sizer: fixed 2 contracts
 * sized:   --A--B--C--|   A: +2, B: 0, C: −2
 * ```
 */
export function sizeSignals(sizer: Sizer): OperatorFunction<Signal, Signal> {
  return map((signal) => {
    const target = sizer(signal);
    return target === signal.target ? signal : { ...signal, target };
  });
}
