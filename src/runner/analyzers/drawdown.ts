import { z } from 'zod';
import type { Analyzer, AnalyzerOptions } from './analyzer';
import { count, nullableTs, num } from './resultFields';

/**
 * Drawdowns of one equity curve (account currency), point by point:
 *
 *   peak(t) = max(initialEquity, equity of every point up to t)     drawdown(t) = peak(t) − equity(t) ≥ 0
 *   drawdownPct(t) = 100 × drawdown(t) / peak(t)   (percent; only while peak(t) > 0)
 *
 * - `maxDrawdown`: the largest drawdown(t), money, a POSITIVE number (0 when the curve never falls);
 *   `peakTs`: the last point at the peak before the fall; `troughTs`: the lowest point (the first one on
 *   ties). The initial equity counts as a peak held at the first point's `ts`.
 * - `maxDrawdownPct`: the largest drawdownPct(t), percent (5 = 5 %), with its own `pctPeakTs` / `pctTroughTs`
 *   (a smaller drop from a lower peak can be the larger percentage).
 * - Longest drawdown: a drawdown starts at its peak and ends at the first later point with equity ≥ that
 *   peak (recovery). `longestDurationMs` = recovery ts − peak ts, or last ts − peak ts while not recovered
 *   (`longestRecovered` false); `longestBars` = the points strictly below the peak in it. First one on ties.
 * - `drawdown` / `drawdownPct`: the drawdown at the last point.
 *
 * Backtrader's `DrawDown` reports the same money and percent figures (`moneydown`, `drawdown`) and the
 * length in bars (`len`).
 */
export const drawdownAnalysisSchema = z
  .object({
    maxDrawdown: num.nonnegative(),
    peakTs: nullableTs,
    troughTs: nullableTs,
    maxDrawdownPct: num.nonnegative(),
    pctPeakTs: nullableTs,
    pctTroughTs: nullableTs,
    longestDurationMs: num.nonnegative(),
    longestBars: count,
    longestStartTs: nullableTs,
    longestEndTs: nullableTs,
    longestRecovered: z.boolean(),
    drawdown: num.nonnegative(),
    drawdownPct: num.nonnegative(),
  })
  .readonly();

export type DrawdownAnalysis = z.infer<typeof drawdownAnalysisSchema>;

export function createDrawdownAnalyzer(options: AnalyzerOptions): Analyzer<DrawdownAnalysis> {
  // Number fields of one object, not closure variables: V8 updates them in place (see dailyCloses.ts).
  const s = {
    started: false,
    peak: options.initialEquity,
    peakTs: 0,
    lastTs: 0,
    lastEquity: options.initialEquity,
    maxDrawdown: 0,
    maxPeakTs: Number.NaN,
    maxTroughTs: Number.NaN,
    maxDrawdownPct: 0,
    pctPeakTs: Number.NaN,
    pctTroughTs: Number.NaN,
    // The drawdown in progress (underwaterBars > 0) and the longest finished one.
    underwaterBars: 0,
    /** The largest drawdown since the current peak: below it, the percentage cannot be a new maximum either. */
    episodeMax: 0,
    longestDurationMs: 0,
    longestBars: 0,
    longestStartTs: Number.NaN,
    longestEndTs: Number.NaN,
  };

  const closeEpisode = (endTs: number): void => {
    const duration = endTs - s.peakTs;
    if (duration > s.longestDurationMs || s.longestBars === 0) {
      s.longestDurationMs = duration;
      s.longestBars = s.underwaterBars;
      s.longestStartTs = s.peakTs;
      s.longestEndTs = endTs;
    }
    s.underwaterBars = 0;
  };

  return {
    name: 'drawdown',
    onEquity(ts, equity) {
      if (!s.started) {
        s.started = true;
        s.peakTs = ts;
      }
      s.lastTs = ts;
      s.lastEquity = equity;
      if (equity >= s.peak) {
        if (s.underwaterBars > 0) closeEpisode(ts);
        s.peak = equity;
        s.peakTs = ts;
        s.episodeMax = 0;
        return;
      }
      s.underwaterBars++;
      const drawdown = s.peak - equity;
      if (drawdown > s.maxDrawdown) {
        s.maxDrawdown = drawdown;
        s.maxPeakTs = s.peakTs;
        s.maxTroughTs = ts;
      }
      // Under one peak the percentage grows with the drawdown (a correctly rounded 100 × d / peak is monotonic in
      // d), so only a drawdown deeper than any since this peak can set a new maximum percentage: the division,
      // the costliest step of a point, is skipped for the others and the figures are unchanged.
      if (drawdown <= s.episodeMax) return;
      s.episodeMax = drawdown;
      if (s.peak > 0) {
        const pct = (100 * drawdown) / s.peak;
        if (pct > s.maxDrawdownPct) {
          s.maxDrawdownPct = pct;
          s.pctPeakTs = s.peakTs;
          s.pctTroughTs = ts;
        }
      }
    },
    result() {
      let duration = s.longestDurationMs;
      let bars = s.longestBars;
      let startTs = s.longestStartTs;
      let endTs = s.longestEndTs;
      let recovered = s.longestBars > 0;
      const openDuration = s.lastTs - s.peakTs;
      if (s.underwaterBars > 0 && (openDuration > duration || s.longestBars === 0)) {
        duration = openDuration;
        bars = s.underwaterBars;
        startTs = s.peakTs;
        endTs = s.lastTs;
        recovered = false;
      }
      const drawdown = s.started && s.lastEquity < s.peak ? s.peak - s.lastEquity : 0;
      const orNull = (ts: number): number | null => (Number.isNaN(ts) ? null : ts);
      return {
        maxDrawdown: s.maxDrawdown,
        peakTs: orNull(s.maxPeakTs),
        troughTs: orNull(s.maxTroughTs),
        maxDrawdownPct: s.maxDrawdownPct,
        pctPeakTs: orNull(s.pctPeakTs),
        pctTroughTs: orNull(s.pctTroughTs),
        longestDurationMs: duration,
        longestBars: bars,
        longestStartTs: orNull(startTs),
        longestEndTs: orNull(endTs),
        longestRecovered: recovered,
        drawdown,
        drawdownPct: drawdown > 0 && s.peak > 0 ? (100 * drawdown) / s.peak : 0,
      };
    },
  };
}
