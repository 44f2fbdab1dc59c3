import { createDrawdownAnalyzer } from './drawdown';
import { HOUR, T0 } from '../../../test/support/testTrades';

const t = (i: number): number => T0 + i * HOUR;

function feed(initialEquity: number, equities: readonly number[]) {
  const analyzer = createDrawdownAnalyzer({ initialEquity });
  equities.forEach((equity, i) => analyzer.onEquity!(t(i + 1), equity));
  return analyzer.result();
}

describe('drawdown analyzer', () => {
  // t1..t9: 100, 110 (peak), 99, 88 (trough: −22 = −20 %), 105, 111 (recovered), 200 (peak), 170 (−30 = −15 %), 205.
  const curve = [100, 110, 99, 88, 105, 111, 200, 170, 205];

  it('finds the largest money drawdown and the largest percent drawdown, each with its own peak and trough', () => {
    const result = feed(100, curve);
    // Money: 200 → 170 (30) beats 110 → 88 (22). A sign error would give −30; reading the trough one bar
    // late would give t9.
    expect(result.maxDrawdown).toBe(30);
    expect(result.peakTs).toBe(t(7));
    expect(result.troughTs).toBe(t(8));
    // Percent: 22 / 110 = 20 % beats 30 / 200 = 15 %.
    expect(result.maxDrawdownPct).toBeCloseTo(20, 12);
    expect(result.pctPeakTs).toBe(t(2));
    expect(result.pctTroughTs).toBe(t(4));
  });

  it('gives the percent drawdown of the point-by-point definition exactly (the division is skipped only where it cannot win)', () => {
    // A random walk with repeated levels, equal drawdowns and new peaks; the reference divides at every point.
    let seed = 7;
    const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const equities: number[] = [];
    let equity = 1000;
    for (let i = 0; i < 5000; i++) {
      equity += Math.round((random() - 0.5) * 40) / 4;
      equities.push(equity);
    }
    let peak = 1000;
    let best = { pct: 0, peakTs: Number.NaN, troughTs: Number.NaN };
    let peakTs = t(1);
    equities.forEach((e, i) => {
      if (e >= peak) {
        peak = e;
        peakTs = t(i + 1);
        return;
      }
      const pct = (100 * (peak - e)) / peak;
      if (pct > best.pct) best = { pct, peakTs, troughTs: t(i + 1) };
    });
    const result = feed(1000, equities);
    expect(best.pct).toBeGreaterThan(0);
    expect(result.maxDrawdownPct).toBe(best.pct);
    expect(result.pctPeakTs).toBe(best.peakTs);
    expect(result.pctTroughTs).toBe(best.troughTs);
  });

  it('measures the longest drawdown from its peak to its recovery', () => {
    const result = feed(100, curve);
    // 110 at t2 is regained first at t6 (4 h, 3 points under water); 200 at t7 at t9 (2 h, 1 point).
    expect(result).toMatchObject({
      longestDurationMs: 4 * HOUR,
      longestBars: 3,
      longestStartTs: t(2),
      longestEndTs: t(6),
      longestRecovered: true,
      drawdown: 0,
      drawdownPct: 0,
    });
  });

  it('reports a drawdown still open at the end', () => {
    const result = feed(100, [100, 90, 95]);
    expect(result).toMatchObject({
      maxDrawdown: 10,
      maxDrawdownPct: 10,
      peakTs: t(1),
      troughTs: t(2),
      longestDurationMs: 2 * HOUR,
      longestBars: 2,
      longestStartTs: t(1),
      longestEndTs: t(3),
      longestRecovered: false,
      drawdown: 5,
      drawdownPct: 5,
    });
  });

  it('prefers an open drawdown that already lasts longer than every recovered one', () => {
    const result = feed(100, [100, 99, 100, 101, 100, 100, 100.5]);
    expect(result).toMatchObject({ longestStartTs: t(4), longestEndTs: t(7), longestDurationMs: 3 * HOUR, longestBars: 3, longestRecovered: false });
  });

  it('counts equity back at the peak as recovered', () => {
    const result = feed(100, [100, 95, 100, 96]);
    expect(result).toMatchObject({ maxDrawdown: 5, troughTs: t(2), longestStartTs: t(1), longestEndTs: t(3), longestRecovered: true });
  });

  it('treats the initial equity as the first peak', () => {
    const result = feed(100, [97, 101]);
    expect(result).toMatchObject({ maxDrawdown: 3, peakTs: t(1), troughTs: t(1), longestBars: 1, longestEndTs: t(2) });
    expect(result.maxDrawdownPct).toBeCloseTo(3, 12);
  });

  it('is zero for a curve that never falls, and for no curve', () => {
    for (const result of [feed(100, [100, 100, 120, 130]), feed(100, [])]) {
      expect(result).toEqual({
        maxDrawdown: 0,
        peakTs: null,
        troughTs: null,
        maxDrawdownPct: 0,
        pctPeakTs: null,
        pctTroughTs: null,
        longestDurationMs: 0,
        longestBars: 0,
        longestStartTs: null,
        longestEndTs: null,
        longestRecovered: false,
        drawdown: 0,
        drawdownPct: 0,
      });
    }
  });
});
