import type { Bar } from '../../core/types';

/**
 * The replayed prices, kept for the HTML report's candlestick chart in bounded memory whatever the run's
 * length:
 *
 * - `overview`: the bars re-aggregated to the smallest size of 1m, 5m, 15m, 30m, 1h, 4h, 1d (then doubling)
 *   that keeps at most `maxOverviewBars` of them (six months of 1-minute bars → 1-hour bars). The size
 *   grows while the run goes: each step merges whole buckets, so the result is the same as aggregating at
 *   the final size from the start.
 * - `detail`: the bars as replayed around every fill, `windowBars` before and after it (windows that meet
 *   are merged), so the chart can zoom to the minute around any trade. At most `maxDetailBars`; beyond that
 *   later fills get no window (`detailComplete` false).
 *
 * Feed it the graph's events in order (`record`): a fill opens a window that takes the bars before it from a
 * small ring and the bars after it as they come.
 */
export interface PriceSeries {
  readonly symbol: string;
  readonly overviewMs: number;
  readonly overview: readonly Bar[];
  readonly detailMs: number;
  readonly detail: readonly Bar[];
  readonly detailComplete: boolean;
}

export interface PriceSamplerOptions {
  readonly symbol: string;
  readonly maxOverviewBars?: number;
  readonly windowBars?: number;
  readonly maxDetailBars?: number;
}

export interface PriceSampler {
  /** A graph event: a mark carries its bar; a fill opens a detail window. Others are ignored. */
  record(event: { readonly kind: string; readonly bar?: Bar; readonly ts?: number; readonly symbol?: string }): void;
  result(): PriceSeries;
}

const MINUTE = 60_000;
/** Bar sizes the overview steps through; each divides the next (after 1d it doubles). */
const LADDER = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, 60 * MINUTE, 240 * MINUTE, 1440 * MINUTE];

export function createPriceSampler(options: PriceSamplerOptions): PriceSampler {
  const maxOverview = options.maxOverviewBars ?? 4000;
  const windowBars = options.windowBars ?? 30;
  const maxDetail = options.maxDetailBars ?? 40_000;
  let overviewMs = 0;
  const overview: Bar[] = [];
  const detail: Bar[] = [];
  const ring: Bar[] = [];
  let keepUntil = Number.NEGATIVE_INFINITY;
  let lastDetailTs = Number.NEGATIVE_INFINITY;
  let detailMs = 0;
  let detailComplete = true;

  const nextSize = (ms: number): number => LADDER.find((size) => size > ms && size % ms === 0) ?? ms * 2;

  const bucketOf = (ts: number): number => Math.floor(ts / overviewMs) * overviewMs;

  /** Re-aggregates the overview at the next size up: whole buckets merge, so nothing is approximated. */
  const coarsen = (): void => {
    overviewMs = nextSize(overviewMs);
    let out = 0;
    for (const bar of overview) {
      const ts = bucketOf(bar.ts);
      const last = out > 0 ? overview[out - 1] : undefined;
      if (last !== undefined && last.ts === ts) overview[out - 1] = merge(last, bar);
      else overview[out++] = { ...bar, ts, intervalMs: overviewMs };
    }
    overview.length = out;
  };

  const addOverview = (bar: Bar): void => {
    if (overviewMs === 0) overviewMs = LADDER.find((size) => size >= bar.intervalMs && size % bar.intervalMs === 0) ?? bar.intervalMs;
    const ts = bucketOf(bar.ts);
    const last = overview[overview.length - 1];
    if (last !== undefined && last.ts === ts) overview[overview.length - 1] = merge(last, bar);
    else {
      overview.push({ ...bar, ts, intervalMs: overviewMs });
      if (overview.length > maxOverview) coarsen();
    }
  };

  const addDetail = (bar: Bar): void => {
    if (bar.ts <= lastDetailTs) return;
    if (detail.length >= maxDetail) {
      detailComplete = false;
      return;
    }
    detail.push(bar);
    lastDetailTs = bar.ts;
  };

  return {
    record(event) {
      if (event.kind === 'mark' && event.bar !== undefined) {
        const bar = event.bar;
        if (bar.symbol !== options.symbol) return;
        addOverview(bar);
        if (detailMs === 0) detailMs = bar.intervalMs;
        if (bar.ts <= keepUntil) addDetail(bar);
        ring.push(bar);
        if (ring.length > windowBars) ring.shift();
      } else if (event.kind === 'fill' && event.symbol === options.symbol && event.ts !== undefined) {
        for (const bar of ring) addDetail(bar);
        keepUntil = Math.max(keepUntil, event.ts + windowBars * (detailMs || MINUTE));
      }
    },
    result: () => ({ symbol: options.symbol, overviewMs, overview: overview.slice(), detailMs, detail: detail.slice(), detailComplete }),
  };
}

function merge(into: Bar, bar: Bar): Bar {
  return { ...into, high: Math.max(into.high, bar.high), low: Math.min(into.low, bar.low), close: bar.close, volume: into.volume + bar.volume };
}
