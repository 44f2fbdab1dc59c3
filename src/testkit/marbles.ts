import { deepStrictEqual } from 'node:assert/strict';
import { TestScheduler, type RunHelpers } from 'rxjs/testing';
import type { Bar } from '../core/types';

/**
 * Helpers for marble tests of strategies and operators: write bars as marbles, assert signals.
 *
 * ```ts
 * const bars = barSeries({ symbol: 'USDJPY', start: '2024-01-05T00:00:00Z', closes: [150, 151, 149] });
 * marbles(({ cold, expectObservable }) => {
 *   const src = cold('abc|', lettersFor('abc', bars));
 *   expectObservable(src.pipe(myStrategy)).toBe('--x|', { x: signal });
 * });
 * ```
 */

/** Throws when `actual` and `expected` differ; whatever it throws is the test's failure. */
export type DeepEqualAssertion = (actual: unknown, expected: unknown) => void;

/**
 * A TestScheduler whose assertions are `node:assert`'s deepStrictEqual by default: a mismatch throws an
 * AssertionError with a diff of the frames, which every test runner (jest, vitest, mocha, node:test) reports as
 * a failure. Pass your runner's own deep equality to use its matchers in expected values (with jest:
 * `(a, e) => expect(a).toEqual(e)` allows `expect.stringContaining(…)`).
 */
export function createMarbleScheduler(assertDeepEqual: DeepEqualAssertion = deepStrictEqual): TestScheduler {
  return new TestScheduler((actual, expected) => assertDeepEqual(actual, expected));
}

/** Runs `callback` in virtual time on a fresh marble scheduler. */
export function marbles<T>(callback: (helpers: RunHelpers) => T, assertDeepEqual?: DeepEqualAssertion): T {
  return createMarbleScheduler(assertDeepEqual).run(callback);
}

export interface BarSpec {
  readonly symbol?: string;
  /** Interval start: epoch ms or ISO text with a zone (`2024-01-05T00:00:00Z`). */
  readonly ts: number | string;
  readonly intervalMs?: number;
  readonly open?: number;
  readonly high?: number;
  readonly low?: number;
  readonly close: number;
  readonly volume?: number;
}

/** One bar; open defaults to close, high/low to the extremes of open and close. */
export function makeBar(spec: BarSpec): Bar {
  const ts = typeof spec.ts === 'number' ? spec.ts : Date.parse(spec.ts);
  if (Number.isNaN(ts)) throw new RangeError(`makeBar: unparseable ts "${String(spec.ts)}"`);
  const open = spec.open ?? spec.close;
  return {
    kind: 'bar',
    symbol: spec.symbol ?? 'USDJPY',
    ts,
    intervalMs: spec.intervalMs ?? 60_000,
    open,
    high: spec.high ?? Math.max(open, spec.close),
    low: spec.low ?? Math.min(open, spec.close),
    close: spec.close,
    volume: spec.volume ?? 0,
  };
}

export interface BarSeriesSpec {
  readonly symbol?: string;
  readonly start: number | string;
  readonly intervalMs?: number;
  /** One bar per close; each bar opens at the previous close (the first at its own close). */
  readonly closes: readonly number[];
}

/** Consecutive bars from a list of closes. */
export function barSeries(spec: BarSeriesSpec): Bar[] {
  const intervalMs = spec.intervalMs ?? 60_000;
  const start = typeof spec.start === 'number' ? spec.start : Date.parse(spec.start);
  return spec.closes.map((close, i) =>
    makeBar({ symbol: spec.symbol, ts: start + i * intervalMs, intervalMs, open: i === 0 ? close : spec.closes[i - 1], close }),
  );
}

/** Maps marble letters to values in order: `lettersFor('abc', [x, y, z])` → `{ a: x, b: y, c: z }`. */
export function lettersFor<T>(letters: string, values: readonly T[]): Record<string, T> {
  if (letters.length !== values.length) {
    throw new RangeError(`lettersFor: ${letters.length} letters for ${values.length} values`);
  }
  const out: Record<string, T> = {};
  for (let i = 0; i < letters.length; i++) out[letters[i]] = values[i];
  return out;
}
