import { expect } from '@jest/globals';
import { mulberry32 } from '../../scripts/random';

/** Test support for the indicator specs: reproducible random series and series-wide closeness checks. */

/** Deterministic uniform [0, 1) (mulberry32), so a failing case reproduces. */
export const seededRandom = mulberry32;

/**
 * `toBeCloseTo(expected[i], digits)` for every i, and `undefined` exactly where expected is `undefined`,
 * asserted on the first index that fails (or the last index when all pass), so a 10k-value comparison is
 * one readable assertion that names where it went wrong.
 */
export function expectSeriesCloseTo(actual: readonly (number | undefined)[], expected: readonly (number | undefined)[], digits: number): void {
  expect(actual).toHaveLength(expected.length);
  const tolerance = 10 ** -digits / 2;
  let at = expected.length - 1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const ok = a === undefined || e === undefined ? a === e : Math.abs(a - e) < tolerance;
    if (!ok) {
      at = i;
      break;
    }
  }
  const a = actual[at];
  const e = expected[at];
  if (e === undefined || a === undefined) expect({ index: at, value: a }).toEqual({ index: at, value: e });
  else expect({ index: at, value: a }).toEqual({ index: at, value: expect.closeTo(e, digits) });
}
