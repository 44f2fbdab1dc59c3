import { createReturnsAnalyzer } from './returns';
import { HOUR } from '../../../test/support/testTrades';

const day = (iso: string): number => Date.parse(iso);

describe('returns analyzer', () => {
  // initial 100; day 1 closes at 105 (its LAST point, not its max 110), day 2 opens at 120 and closes at 126,
  // day 3 has no point, day 4 closes at 113.4.
  const points: readonly [string, number][] = [
    ['2024-01-01T00:00:00Z', 100],
    ['2024-01-01T12:00:00Z', 110],
    ['2024-01-01T23:59:59.999Z', 105],
    ['2024-01-02T00:00:00Z', 120],
    ['2024-01-02T23:00:00Z', 126],
    ['2024-01-04T10:00:00Z', 113.4],
  ];
  const run = () => {
    const analyzer = createReturnsAnalyzer({ initialEquity: 100 });
    for (const [iso, equity] of points) analyzer.onEquity!(day(iso), equity);
    return analyzer.result();
  };

  it('closes each UTC day at its last point and measures the first day against the initial equity', () => {
    const result = run();
    expect(result.daily.map((d) => d.date)).toEqual(['2024-01-01', '2024-01-02', '2024-01-04']);
    expect(result.daily.map((d) => d.equity)).toEqual([105, 126, 113.4]);
    expect(result.daily.map((d) => d.closeTs)).toEqual([
      day('2024-01-01T23:59:59.999Z'),
      day('2024-01-02T23:00:00Z'),
      day('2024-01-04T10:00:00Z'),
    ]);
    // 105/100 − 1, 126/105 − 1, 113.4/126 − 1. A one-point shift (closing a day with the next day's first
    // point, 120) would give 0.2 then 0.05; a sign error would make the last one +0.1.
    const returns = result.daily.map((d) => d.return as number);
    expect(returns[0]).toBeCloseTo(0.05, 12);
    expect(returns[1]).toBeCloseTo(0.2, 12);
    expect(returns[2]).toBeCloseTo(-0.1, 12);
  });

  it('reports total and annualized return compounded over the observed days', () => {
    const result = run();
    expect(result.finalEquity).toBe(113.4);
    expect(result.totalReturn).toBeCloseTo(0.134, 12);
    expect(result.days).toBe(3);
    expect(result.periodsPerYear).toBe(252);
    // (113.4 / 100)^(252 / 3) − 1
    expect(result.annualizedReturn).toBeCloseTo(Math.pow(1.134, 84) - 1, 6);
    expect(result.reason).toBeNull();
  });

  it('puts a point at exactly midnight UTC in the new day', () => {
    const analyzer = createReturnsAnalyzer({ initialEquity: 100 });
    analyzer.onEquity!(day('2024-01-01T23:00:00Z'), 101);
    analyzer.onEquity!(day('2024-01-02T00:00:00Z'), 102);
    const { daily } = analyzer.result();
    expect(daily.map((d) => [d.date, d.equity])).toEqual([
      ['2024-01-01', 101],
      ['2024-01-02', 102],
    ]);
  });

  it('can be read mid-run without changing what follows', () => {
    const analyzer = createReturnsAnalyzer({ initialEquity: 100 });
    analyzer.onEquity!(day('2024-01-01T10:00:00Z'), 102);
    const early = analyzer.result();
    expect(early.daily).toHaveLength(1);
    expect(early.totalReturn).toBeCloseTo(0.02, 12);
    analyzer.onEquity!(day('2024-01-01T10:00:00Z') + HOUR, 104);
    analyzer.onEquity!(day('2024-01-02T10:00:00Z'), 99.84);
    const late = analyzer.result();
    expect(late.daily.map((d) => d.equity)).toEqual([104, 99.84]);
    expect(late.daily[1].return).toBeCloseTo(-0.04, 12);
    expect(analyzer.result()).toEqual(late);
  });

  it('has no annualized return without points, or when equity is wiped out', () => {
    const empty = createReturnsAnalyzer({ initialEquity: 1000 }).result();
    expect(empty).toMatchObject({ finalEquity: 1000, totalReturn: 0, annualizedReturn: null, days: 0, daily: [] });
    expect(empty.reason).toMatch(/no equity point/);

    const wiped = createReturnsAnalyzer({ initialEquity: 1000 });
    wiped.onEquity!(day('2024-01-01T10:00:00Z'), -5);
    wiped.onEquity!(day('2024-01-02T10:00:00Z'), 10);
    const result = wiped.result();
    expect(result.totalReturn).toBeCloseTo(-0.99, 12);
    expect(result.annualizedReturn).toBeCloseTo(Math.pow(0.01, 126) - 1, 12);
    expect(result.daily[1].return).toBeNull();
  });

  it('uses the periods per year it is given', () => {
    const analyzer = createReturnsAnalyzer({ initialEquity: 100, periodsPerYear: 260 });
    analyzer.onEquity!(day('2024-01-01T10:00:00Z'), 101);
    analyzer.onEquity!(day('2024-01-02T10:00:00Z'), 102);
    expect(analyzer.result().annualizedReturn).toBeCloseTo(Math.pow(1.02, 130) - 1, 10);
  });
});
