import { expect } from '@jest/globals';
import type { RunHelpers } from 'rxjs/testing';
import { createMarbleScheduler, type DeepEqualAssertion } from '../../src/testkit/marbles';

/**
 * The test kit's marble helpers asserting with jest's `toEqual`, for specs whose expected values hold jest's
 * asymmetric matchers (`expect.stringContaining`, `expect.objectContaining`…). Everything else is the kit's.
 */

export const jestToEqual: DeepEqualAssertion = (actual, expected) => {
  expect(actual).toEqual(expected);
};

export function marbles<T>(callback: (helpers: RunHelpers) => T): T {
  return createMarbleScheduler(jestToEqual).run(callback);
}

export { barSeries, lettersFor, makeBar } from '../../src/testkit/marbles';
