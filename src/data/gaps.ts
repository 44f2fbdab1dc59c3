import { DAY_MS, HOUR_MS } from '../core/time';

/**
 * Gaps in a bar series: missing intervals between consecutive bars. The FX weekend (the market closes
 * Friday ~22:00 UTC and reopens Sunday ~22:00 UTC; 21:00 in the northern summer) is a class of its own, so a
 * clean FX file reports no gaps.
 */

export interface Gap {
  /** Start of the first missing bar. */
  readonly from: number;
  /** Start of the next bar present. */
  readonly to: number;
  readonly missingBars: number;
}

export interface GapSummary {
  /** Gaps other than FX weekends. */
  readonly count: number;
  readonly missingBars: number;
  readonly largest?: Gap;
  /** The first gaps, in time order (at most the tracker's `listLimit`). */
  readonly listed: readonly Gap[];
  readonly weekendGaps: number;
}

export interface GapTracker {
  /** Feed bar start times in increasing order. */
  add(ts: number): void;
  summary(): GapSummary;
}

/** Weekday (0 = Sunday) and hour of a UTC instant. */
function weekdayHour(ts: number): readonly [number, number] {
  const day = Math.floor(ts / DAY_MS);
  return [(((day + 4) % 7) + 7) % 7, Math.floor((ts - day * DAY_MS) / HOUR_MS)];
}

/**
 * True when the missing span [from, to) is an FX weekend: it starts Friday from 20:00 UTC and ends the
 * Sunday after, from 20:00 UTC (the window allows for the New York DST shift and a quiet last hour).
 */
export function isFxWeekendGap(from: number, to: number): boolean {
  if (to - from > 3 * DAY_MS) return false;
  const [fromDay, fromHour] = weekdayHour(from);
  const [toDay, toHour] = weekdayHour(to);
  return fromDay === 5 && fromHour >= 20 && toDay === 0 && toHour >= 20;
}

export function createGapTracker(intervalMs: number, listLimit = 10): GapTracker {
  let previous = Number.NaN;
  let count = 0;
  let missingBars = 0;
  let weekendGaps = 0;
  let largest: Gap | undefined;
  const listed: Gap[] = [];
  return {
    add: (ts) => {
      const expected = previous + intervalMs;
      previous = ts;
      if (!(ts > expected)) return;
      if (isFxWeekendGap(expected, ts)) {
        weekendGaps++;
        return;
      }
      const gap: Gap = { from: expected, to: ts, missingBars: Math.round((ts - expected) / intervalMs) };
      count++;
      missingBars += gap.missingBars;
      if (!largest || gap.missingBars > largest.missingBars) largest = gap;
      if (listed.length < listLimit) listed.push(gap);
    },
    summary: () => ({ count, missingBars, ...(largest ? { largest } : {}), listed: [...listed], weekendGaps }),
  };
}
