import { renderHtmlReport } from './htmlReport';
import { buildReplayReport } from './replayReport';
import { buildSampleRun } from '../../../test/support/sampleRun';
import { formatSummaryTable } from './summaryTable';
import type { ReportPageData } from '../../ui/pages/reportData';

const hostile = '<script>alert("x")</script>&\'';

/** The page without its two script elements: what must hold no external resource and no unescaped text. */
const withoutScripts = (page: string): string => page.replace(/<script[\s\S]*?<\/script>/g, '');
const pageData = (page: string): ReportPageData => JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(page)?.[1] ?? 'null') as ReportPageData;

describe('HTML report', () => {
  const { report, series } = buildSampleRun({ ids: ['long_into_fix', hostile] });
  let html = '';
  beforeAll(async () => {
    html = await renderHtmlReport(report, series);
  });

  it('is one self-contained page: the chart library inlined, no external resource of any kind', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const markup = withoutScripts(html);
    expect(markup).not.toMatch(/https?:|\/\/[a-z]/i);
    expect(markup).not.toMatch(/<link|<img|<iframe|@import|\ssrc=/i);
    expect(html.match(/<script/g)).toHaveLength(2);
    // lightweight-charts is in the page script, with its licence notice.
    expect(html).toMatch(/<script>[\s\S]*Apache License[\s\S]*<\/script>/);
    expect(html).not.toMatch(/<script>[\s\S]*<\/script[\s\S]*<\/script>\s*<\/body>/);
  });

  it('escapes every text from the report', () => {
    expect(withoutScripts(html)).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    const data = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(data).not.toContain('<');
    expect(pageData(html).strategies).toEqual(['long_into_fix', hostile]);
  });

  it('has a section with charts, monthly and calendar tables and the full trade table per strategy, plus the account', () => {
    expect(html).toContain('<section id="account"');
    report.strategies.forEach((s, i) => {
      const section = new RegExp(`<section id="s${i}"[\\s\\S]*?</section>`).exec(html)?.[0] ?? '';
      for (const id of [`s${i}-equity`, `s${i}-drawdown`, `s${i}-trades`, `s${i}-monthly`, `s${i}-weekday`, `s${i}-hour`]) expect(section).toContain(`id="${id}"`);
      expect(section.match(/<tr class="(win|loss|even)">/g)).toHaveLength(s.trades.length);
      expect(section.match(/<tr class="win">/g)).toHaveLength(s.trades.filter((t) => t.pnlNet > 0).length);
      const weekdayTrades = [...(new RegExp(`id="s${i}-weekday"[\\s\\S]*?</table>`).exec(section)?.[0] ?? '').matchAll(/<td data-v="(\d+)">/g)].map((m) => Number(m[1]));
      expect(weekdayTrades.reduce((a, b) => a + b, 0)).toBe(s.trades.length);
    });
    const data = pageData(html);
    expect(Object.keys(data.curves)).toEqual(['account', 's0', 's1']);
    expect(data.curves.s1.dt).toHaveLength(series.strategies?.[hostile].ts.length ?? -1);
    expect(data.trades.s0.v).toHaveLength(report.strategies[0].trades.length);
  });

  it('adds up the monthly table to the equity change', () => {
    const table = /<table class="monthly" id="account-monthly">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    const months = [...table.matchAll(/<td class="month [a-z]+" data-v="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(months.length).toBeGreaterThan(0);
    const last = series.account?.equity.at(-1) ?? NaN;
    expect(months.reduce((a, b) => a + b, 0)).toBeCloseTo(last - report.account.initialCash, 6);
  });

  it('shows the summary figures on cards', () => {
    expect(html).toMatch(/Final equity<\/div><div class="value">1,001,\d{3}\.\d{2} USD</);
    expect(html).toContain('>2 rejected<');
    expect(html).toMatch(/<div class="label">Sharpe<\/div><div class="value">-?\d+\.\d{2}</);
  });

  it('caps long trade tables', async () => {
    const capped = await renderHtmlReport(report, series, { maxTradeRows: 5 });
    const section = /<section id="s0"[\s\S]*?<\/section>/.exec(capped)?.[0] ?? '';
    expect(section.match(/<tr class="(win|loss|even)">/g)).toHaveLength(5);
    expect(section).toContain(`Showing the first 5 of ${report.strategies[0].trades.length} trades`);
  });

  it('renders an empty run', async () => {
    const empty = buildReplayReport({ account: { currency: 'USD', initialCash: 1000, finalEquity: 1000 }, strategies: [], period: null, run: { bars: 0, wallMs: 0 } });
    const page = await renderHtmlReport(empty, {});
    expect(page).toContain('<title>Replay report — no strategy</title>');
    expect(page).toContain('No equity curve was recorded for the account.');
    expect(page).toContain('No price series was recorded.');
    expect(formatSummaryTable(empty)).toContain('0 bars in 0.000 s\n');
  });

  it('renders without curves, and the same input gives the same page', async () => {
    const bare = await renderHtmlReport(report);
    expect(bare).toContain('No equity curve was recorded for the account.');
    expect(bare).not.toContain('id="account-equity"');
    expect(await renderHtmlReport(report, series)).toBe(html);
  });
});
