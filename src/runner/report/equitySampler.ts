import type { Analyzer } from '../analyzers/analyzer';

/**
 * A bounded sample of an equity curve, for charts. Parallel arrays in `ts` order.
 * `peak[i]` is the EXACT running peak at `ts[i]` (max of the initial equity and every point up to it, sampled
 * or not), so `equity[i] − peak[i]` is the exact drawdown at that point.
 */
export interface EquitySeries {
  readonly ts: readonly number[];
  readonly equity: readonly number[];
  readonly peak: readonly number[];
  /** The last equity of every UTC calendar month with a point (`ts` = the month's first instant): monthly returns. */
  readonly months: { readonly ts: readonly number[]; readonly equity: readonly number[] };
}

export interface EquitySamplerOptions {
  /** Seeds the running peak (the account's starting equity). Default: the first point. */
  readonly initialEquity?: number;
  /** Finest bucket width. Default one minute. */
  readonly minBucketMs?: number;
  /** Most buckets kept; each keeps at most 5 points. Default 1024 (≤ 5,120 points). */
  readonly maxBuckets?: number;
}

/**
 * Downsamples an equity curve while streaming, in bounded memory whatever the run's length.
 *
 * Time is cut into buckets aligned on multiples of the bucket width (UTC epoch). Each bucket keeps five
 * points: its first, its minimum, its maximum, its deepest drawdown (largest peak − equity) and its last, so
 * the chart keeps every extreme: the sampled curve's min, max and max drawdown are those of the full curve.
 * When more than `maxBuckets` buckets exist the width doubles and neighbouring buckets merge (keeping the
 * same five extremes), so a 10M-bar run holds at most `maxBuckets + 1` buckets. O(1) per point, amortized.
 *
 * Points must come in non-decreasing `ts`; a point dated before the bucket in progress joins that bucket.
 */
export function createEquitySampler(options: EquitySamplerOptions = {}): Analyzer<EquitySeries> {
  const maxBuckets = Math.max(1, Math.floor(options.maxBuckets ?? 1024));

  // Finished buckets: STRIDE numbers each, five (ts, equity, peak) triples in the order FIRST, MIN, MAX, DD, LAST.
  const store: number[] = [];
  let buckets = 0;
  // Month closes: one pair per month, pushed when the next month's first point arrives.
  const monthTs: number[] = [];
  const monthEquity: number[] = [];
  const month = { start: Number.NaN, end: Number.NEGATIVE_INFINITY, last: 0 };
  const rollMonth = (ts: number): void => {
    if (!Number.isNaN(month.start)) {
      monthTs.push(month.start);
      monthEquity.push(month.last);
    }
    const d = new Date(ts);
    month.start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    month.end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  };

  // Per-point state as number fields of one object (V8 updates those in place; doubles written to closure
  // variables are re-boxed on every write): the width, the running peak and the bucket in progress.
  const s = {
    open: false,
    width: Math.max(1, options.minBucketMs ?? 60_000),
    peak: options.initialEquity ?? Number.NEGATIVE_INFINITY,
    /** Start of the next bucket: most points fall before it and need no division. */
    bucketEnd: Number.NEGATIVE_INFINITY,
    fTs: 0, fEq: 0, fPk: 0,
    minTs: 0, minEq: 0, minPk: 0,
    maxTs: 0, maxEq: 0, maxPk: 0,
    ddTs: 0, ddEq: 0, ddPk: 0,
    lTs: 0, lEq: 0, lPk: 0,
  };

  const start = (ts: number, equity: number, pk: number): void => {
    s.open = true;
    s.bucketEnd = (Math.floor(ts / s.width) + 1) * s.width;
    s.fTs = s.minTs = s.maxTs = s.ddTs = s.lTs = ts;
    s.fEq = s.minEq = s.maxEq = s.ddEq = s.lEq = equity;
    s.fPk = s.minPk = s.maxPk = s.ddPk = s.lPk = pk;
  };

  const openBucket = (): number[] => [s.fTs, s.fEq, s.fPk, s.minTs, s.minEq, s.minPk, s.maxTs, s.maxEq, s.maxPk, s.ddTs, s.ddEq, s.ddPk, s.lTs, s.lEq, s.lPk];

  const flush = (): void => {
    store.push(s.fTs, s.fEq, s.fPk, s.minTs, s.minEq, s.minPk, s.maxTs, s.maxEq, s.maxPk, s.ddTs, s.ddEq, s.ddPk, s.lTs, s.lEq, s.lPk);
    buckets++;
    while (buckets > maxBuckets) compact();
  };

  /** Doubles the width and merges the stored buckets that now share an index. */
  const compact = (): void => {
    s.width *= 2;
    const width = s.width;
    let out = 0;
    for (let b = 0; b < buckets; b++) {
      const src = b * STRIDE;
      if (out > 0 && Math.floor(store[(out - 1) * STRIDE] / width) === Math.floor(store[src] / width)) {
        mergeInto(store, (out - 1) * STRIDE, src);
      } else {
        if (out !== b) for (let k = 0; k < STRIDE; k++) store[out * STRIDE + k] = store[src + k];
        out++;
      }
    }
    buckets = out;
    store.length = out * STRIDE;
  };

  /** Takes the last stored bucket back as the bucket in progress (after a compaction it may be the same). */
  const reopenLast = (): void => {
    const o = (buckets - 1) * STRIDE;
    [s.fTs, s.fEq, s.fPk, s.minTs, s.minEq, s.minPk, s.maxTs, s.maxEq, s.maxPk, s.ddTs, s.ddEq, s.ddPk, s.lTs, s.lEq, s.lPk] = store.slice(o, o + STRIDE);
    s.bucketEnd = (Math.floor(s.fTs / s.width) + 1) * s.width;
    s.open = true;
    buckets--;
    store.length = buckets * STRIDE;
  };

  /**
   * A point past the bucket in progress (or the first point): closes that bucket and starts one with the
   * point (→ false), or reopens the last stored bucket when a compaction made the point part of it (→ true:
   * the caller folds the point in). Kept out of `onEquity` so the per-point path stays small.
   */
  const rollOver = (ts: number, equity: number): boolean => {
    if (s.open) {
      flush();
      if (buckets > 0 && Math.floor(store[(buckets - 1) * STRIDE] / s.width) === Math.floor(ts / s.width)) {
        reopenLast();
        return true;
      }
    }
    start(ts, equity, s.peak);
    return false;
  };

  return {
    name: 'equityCurve',
    onEquity(ts, equity) {
      if (ts >= month.end) rollMonth(ts);
      month.last = equity;
      if (equity > s.peak) s.peak = equity;
      if (ts >= s.bucketEnd && !rollOver(ts, equity)) return;
      const peak = s.peak;
      if (equity < s.minEq) {
        s.minTs = ts;
        s.minEq = equity;
        s.minPk = peak;
      }
      if (equity > s.maxEq) {
        s.maxTs = ts;
        s.maxEq = equity;
        s.maxPk = peak;
      }
      if (peak - equity > s.ddPk - s.ddEq) {
        s.ddTs = ts;
        s.ddEq = equity;
        s.ddPk = peak;
      }
      s.lTs = ts;
      s.lEq = equity;
      s.lPk = peak;
    },
    result() {
      const ts: number[] = [];
      const equity: number[] = [];
      const peaks: number[] = [];
      const all = s.open ? store.concat(openBucket()) : store;
      const count = all.length / STRIDE;
      const order = [0, 1, 2, 3, 4];
      for (let b = 0; b < count; b++) {
        const o = b * STRIDE;
        order.sort((x, y) => all[o + 3 * x] - all[o + 3 * y] || x - y);
        let previous = Number.NaN;
        for (const k of order) {
          const t = all[o + 3 * k];
          if (t === previous) continue;
          previous = t;
          ts.push(t);
          equity.push(all[o + 3 * k + 1]);
          peaks.push(all[o + 3 * k + 2]);
        }
      }
      const months = Number.isNaN(month.start)
        ? { ts: monthTs.slice(), equity: monthEquity.slice() }
        : { ts: [...monthTs, month.start], equity: [...monthEquity, month.last] };
      return { ts, equity, peak: peaks, months };
    },
  };
}

const STRIDE = 15;
const MIN = 3;
const MAX = 6;
const DD = 9;
const LAST = 12;

/** Merges the bucket at `src` (later in time) into the bucket at `dst`: first stays, extremes compete, last moves. */
function mergeInto(store: number[], dst: number, src: number): void {
  if (store[src + MIN + 1] < store[dst + MIN + 1]) copyTriple(store, dst + MIN, src + MIN);
  if (store[src + MAX + 1] > store[dst + MAX + 1]) copyTriple(store, dst + MAX, src + MAX);
  if (store[src + DD + 2] - store[src + DD + 1] > store[dst + DD + 2] - store[dst + DD + 1]) copyTriple(store, dst + DD, src + DD);
  copyTriple(store, dst + LAST, src + LAST);
}

function copyTriple(store: number[], dst: number, src: number): void {
  store[dst] = store[src];
  store[dst + 1] = store[src + 1];
  store[dst + 2] = store[src + 2];
}
