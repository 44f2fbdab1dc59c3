import { histogramSvg, lineChartSvg, timeTicks, tradeBarsSvg, valueTicks } from './svgCharts';

const at = (iso: string): number => Date.parse(iso);

describe('chart axes', () => {
  it('puts weekly ticks on Mondays for a few weeks', () => {
    const { labels } = timeTicks(at('2024-03-04T00:00:00Z'), at('2024-04-12T23:00:00Z'));
    expect(labels).toEqual(['2024-03-04', '2024-03-11', '2024-03-18', '2024-03-25', '2024-04-01', '2024-04-08']);
  });

  it('uses hours within a day and months over years', () => {
    expect(timeTicks(at('2024-03-04T00:00:00Z'), at('2024-03-04T23:00:00Z')).labels).toEqual(['00:00', '06:00', '12:00', '18:00']);
    expect(timeTicks(at('2024-03-04T22:00:00Z'), at('2024-03-05T09:00:00Z')).labels).toEqual(['03-05 00:00', '03-05 03:00', '03-05 06:00', '03-05 09:00']);
    const years = timeTicks(at('2021-01-15T00:00:00Z'), at('2024-01-15T00:00:00Z'));
    expect(years.labels).toEqual(['2021-07', '2022-01', '2022-07', '2023-01', '2023-07', '2024-01']);
    expect(years.ticks[0]).toBe(at('2021-07-01T00:00:00Z'));
  });

  it('picks round value steps and the decimals they need', () => {
    expect(valueTicks(0, 1_000_000)).toEqual({ ticks: [0, 200_000, 400_000, 600_000, 800_000, 1_000_000], decimals: 0 });
    expect(valueTicks(999_990, 1_002_010).ticks).toEqual([1_000_000, 1_000_500, 1_001_000, 1_001_500, 1_002_000]);
    expect(valueTicks(-0.12, 0, 3)).toEqual({ ticks: [-0.1, -0.05, 0], decimals: 2 });
    expect(valueTicks(0, 1, 4)).toEqual({ ticks: [0, 0.25, 0.5, 0.75, 1], decimals: 2 });
  });
});

describe('chart drawing', () => {
  const base = { group: 'g', height: 200, formatTick: (v: number) => String(v), ariaLabel: 'x' };

  it('draws one path vertex per point, with no NaN, for normal, flat and one-point curves', () => {
    const cases: [readonly number[], readonly number[]][] = [
      [[1, 2, 3, 4], [100, 102, 99, 104]],
      [[1, 2, 3], [100, 100, 100]],
      [[5], [100]],
    ];
    for (const [ts, values] of cases) {
      const svg = lineChartSvg({ ...base, kind: 'equity', ts, values, baseline: 100 });
      const d = /class="line equity-line" d="([^"]+)"/.exec(svg)?.[1] ?? '';
      expect(d.match(/[ML]/g)?.length).toBe(Math.max(ts.length, 2));
      expect(svg).not.toMatch(/NaN|Infinity/);
    }
  });

  it('draws drawdown as an area under zero', () => {
    const svg = lineChartSvg({ ...base, kind: 'drawdown', ts: [1, 2, 3], values: [0, -2, 0] });
    expect(svg).toContain('class="dd-area"');
    expect(svg).toContain('data-hi="0"');
  });

  it('draws a bar per trade and a histogram that counts every trade', () => {
    const bars = tradeBarsSvg([{ value: 5, title: 'a' }, { value: -3, title: 'b<' }, { value: 0, title: 'c' }], 150, String, 'x');
    expect(bars.match(/<rect class="tbar win"/g)).toHaveLength(1);
    expect(bars.match(/<rect class="tbar loss"/g)).toHaveLength(1);
    expect(bars).toContain('<title>b&lt;</title>');
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 100);
    const histogram = histogramSvg(values, 150, String, 'x');
    const counts = [...histogram.matchAll(/<title>(\d+) trades from/g)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(30);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1000);
  });
});
