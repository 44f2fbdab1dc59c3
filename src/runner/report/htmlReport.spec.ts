import { renderHtmlReport } from './htmlReport';
import { buildReplayReport } from './replayReport';
import { buildSampleRun } from '../../../test/support/sampleRun';
import { formatSummaryTable } from './summaryTable';

const hostile = '<script>alert("x")</script>&\'';

describe('HTML report', () => {
  const { report, series } = buildSampleRun({ ids: ['long_into_fix', hostile] });
  const html = renderHtmlReport(report, series);

  it('is one self-contained page: no external resource of any kind', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/https?:|\/\/[a-z]/i);
    expect(html).not.toMatch(/<link|<img|<iframe|@import|\ssrc=/i);
    expect([...html.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1]).every((u) => u.startsWith('#'))).toBe(true);
    expect(html.match(/<script/g)).toHaveLength(2);
  });

  it('escapes every text from the report', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    const data = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(data).not.toContain('<');
    expect(JSON.parse(data).currency).toBe('USD');
  });

  it('has a section, charts and a full trade table per strategy, plus the account', () => {
    expect(html).toContain('<section id="account"');
    report.strategies.forEach((s, i) => {
      const section = new RegExp(`<section id="s${i}"[\\s\\S]*?</section>`).exec(html)?.[0] ?? '';
      expect(section.match(/<svg class="chart equity"/g)).toHaveLength(1);
      expect(section.match(/<svg class="chart drawdown"/g)).toHaveLength(1);
      expect(section.match(/<rect class="tbar/g)).toHaveLength(s.trades.length);
      expect(section.match(/<tr class="(win|loss|even)">/g)).toHaveLength(s.trades.length);
      const wins = s.trades.filter((t) => t.pnlNet > 0).length;
      expect(section.match(/<tr class="win">/g)).toHaveLength(wins);
    });
    const data = JSON.parse(/id="report-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '{}');
    expect(Object.keys(data.groups)).toEqual(['account', 's0', 's1']);
    expect(data.groups.s1.ts).toEqual(series.strategies?.[hostile].ts);
    const path = /<svg class="chart equity"[^>]*data-group="account"[\s\S]*?class="line equity-line" d="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(path.match(/L/g)).toHaveLength((series.account?.ts.length ?? 0) - 1);
  });

  it('shows the summary figures on cards', () => {
    expect(html).toMatch(/Final equity<\/div><div class="value">1,001,\d{3}\.\d{2} USD</);
    expect(html).toContain('>2 rejected<');
    expect(html).toMatch(/<div class="label">Sharpe<\/div><div class="value">-?\d+\.\d{2}</);
  });

  it('caps long trade tables, and switches to a histogram for many trades', () => {
    const capped = renderHtmlReport(report, series, { maxTradeRows: 5, maxTradeBars: 10 });
    const section = /<section id="s0"[\s\S]*?<\/section>/.exec(capped)?.[0] ?? '';
    expect(section.match(/<tr class="(win|loss|even)">/g)).toHaveLength(5);
    expect(section).toContain(`Showing the first 5 of ${report.strategies[0].trades.length} trades`);
    expect(section).toContain('<svg class="chart-static histogram"');
  });

  it('renders an empty run', () => {
    const empty = buildReplayReport({ account: { currency: 'USD', initialCash: 1000, finalEquity: 1000 }, strategies: [], period: null, run: { bars: 0, wallMs: 0 } });
    const page = renderHtmlReport(empty, {});
    expect(page).toContain('<title>Replay report — no strategy</title>');
    expect(page).toContain('No equity curve was recorded for Account.');
    expect(formatSummaryTable(empty)).toContain('0 bars in 0.000 s\n');
  });

  it('renders without curves, and the same input gives the same page', () => {
    const bare = renderHtmlReport(report);
    expect(bare).toContain('No equity curve was recorded for Account.');
    expect(bare).not.toContain('<svg class="chart ');
    expect(renderHtmlReport(report, series)).toBe(html);
  });
});
