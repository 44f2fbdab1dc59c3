import { std } from 'mathjs/number';
import { createSharpeAnalyzer, sharpeOfDailyReturns } from './sharpe';

const at = (iso: string): number => Date.parse(iso);

describe('sharpe analyzer', () => {
  it('annualizes mean / sample std of daily returns with √252', () => {
    // Daily closes 101 and 104.03 from 100: returns 0.01 and 0.03 (intraday points do not count).
    const analyzer = createSharpeAnalyzer({ initialEquity: 100 });
    analyzer.onEquity!(at('2024-01-01T01:00:00Z'), 99);
    analyzer.onEquity!(at('2024-01-01T22:00:00Z'), 101);
    analyzer.onEquity!(at('2024-01-02T03:00:00Z'), 107);
    analyzer.onEquity!(at('2024-01-02T21:00:00Z'), 104.03);
    const result = analyzer.result();
    // mean 0.02, sample std √((0.01² + 0.01²)/1) = 0.01·√2, so sharpe = √2·√252 = √504 ≈ 22.45.
    // The population std (0.01) would give 2·√252 ≈ 31.75; a sign error −22.45.
    expect(result.days).toBe(2);
    expect(result.meanDailyReturn).toBeCloseTo(0.02, 12);
    expect(result.stdDailyReturn).toBeCloseTo(0.01 * Math.SQRT2, 12);
    expect(result.sharpe).toBeCloseTo(Math.sqrt(504), 9);
    expect(result.sharpe).toBeCloseTo(22.449944, 5);
    expect(result.reason).toBeNull();
    expect(result.riskFreeRate).toBe(0);
  });

  it('agrees with mathjs unbiased std on a longer series', () => {
    const returns = [0.004, -0.012, 0.007, 0.001, -0.003, 0.015, -0.006];
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const expected = (mean / (std(returns, 'unbiased') as number)) * Math.sqrt(252);
    expect(sharpeOfDailyReturns(returns, 252).sharpe).toBeCloseTo(expected, 12);
  });

  it('is negative for a losing curve', () => {
    expect(sharpeOfDailyReturns([-0.01, -0.03], 252).sharpe).toBeCloseTo(-Math.sqrt(504), 9);
  });

  it('scales with the periods per year it is given', () => {
    expect(sharpeOfDailyReturns([0.01, 0.03], 260).sharpe).toBeCloseTo(Math.SQRT2 * Math.sqrt(260), 9);
  });

  it('is null with a reason for fewer than two days', () => {
    const analyzer = createSharpeAnalyzer({ initialEquity: 100 });
    expect(analyzer.result()).toMatchObject({ sharpe: null, days: 0 });
    analyzer.onEquity!(at('2024-01-01T01:00:00Z'), 101);
    analyzer.onEquity!(at('2024-01-01T05:00:00Z'), 103);
    const oneDay = analyzer.result();
    expect(oneDay.sharpe).toBeNull();
    expect(oneDay.reason).toMatch(/at least 2 daily returns, got 1/);
  });

  it('is null with a reason when returns do not vary', () => {
    const flat = sharpeOfDailyReturns([0, 0, 0], 252);
    expect(flat.sharpe).toBeNull();
    expect(flat.reason).toMatch(/zero standard deviation/);
    // Constant compounding: 1% a day gives returns equal up to float noise.
    const analyzer = createSharpeAnalyzer({ initialEquity: 100 });
    let equity = 100;
    for (let d = 1; d <= 5; d++) {
      equity *= 1.01;
      analyzer.onEquity!(at(`2024-01-0${d}T12:00:00Z`), equity);
    }
    expect(analyzer.result().sharpe).toBeNull();
  });

  it('is null when a return is undefined', () => {
    expect(sharpeOfDailyReturns([0.01, null, 0.02], 252)).toMatchObject({ sharpe: null, reason: expect.stringMatching(/undefined/) });
  });
});
