import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runReplay } from '../../cli/replay';
import { renderHtmlReport } from './htmlReport';
import { parseReplayReport, type ReplayReport } from './replayReport';
import { buildSampleRun } from '../../../test/support/sampleRun';
import { chromiumAvailable, openBrowser, screenshotPath, type BrowserSession } from '../../../test/support/chromium';
import type { Page } from 'playwright-core';

/**
 * The replay report of the demo (`npm run replay -- fixtures/usdjpy.parquet --html …`) in headless Chromium,
 * opened from its file with every network request refused: the price chart is drawn with one marker per
 * fill (in both bar sizes), a click on a trade zooms to it, the monthly table adds up to the net PnL, and the
 * page logs no error. The full-page screenshot goes to docs/replay-report.png with UPDATE_SCREENSHOTS=1.
 */
if (!chromiumAvailable) console.warn('Skipping the HTML report render test: /usr/bin/chromium is not installed (apt-get install -y chromium). It always runs in CI.');

const FIXTURE = resolve(__dirname, '../../../fixtures/usdjpy.parquet');

// The spec compiles without the DOM lib: the browser shapes used in page callbacks.
interface Doc {
  querySelector(selector: string): { getAttribute(name: string): string | null; getBoundingClientRect(): { width: number; height: number } } | null;
  querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null; width: number; height: number }>;
}
declare const document: Doc;
interface TableRow {
  readonly cells: ArrayLike<{ readonly textContent: string | null }>;
}
interface Element {
  readonly tagName: string;
}
interface BrowserWindow {
  getComputedStyle(element: Element): { readonly backgroundColor: string };
}

(chromiumAvailable ? describe : describe.skip)('the replay report in headless Chromium', () => {
  jest.setTimeout(120_000);
  let dir = '';
  let htmlPath = '';
  let report: ReplayReport;
  let browser: BrowserSession;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'report-chromium-'));
    htmlPath = join(dir, 'report.html');
    const jsonPath = join(dir, 'report.json');
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } };
    expect(await runReplay([FIXTURE, '--html', htmlPath, '--json', jsonPath, '--no-progress'], io)).toBe(0);
    report = parseReplayReport(readFileSync(jsonPath, 'utf8'), jsonPath);
    browser = await openBrowser({ width: 1280, height: 900 });
    await browser.context.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
    await browser.page.goto(pathToFileURL(htmlPath).href);
    await browser.page.waitForSelector('#price-chart canvas');
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is one file under 1 MB that records its input, config and contracts', () => {
    expect(statSync(htmlPath).size).toBeLessThan(1024 * 1024);
    expect(report.input).toMatchObject({ file: 'usdjpy.parquet', symbol: 'USDJPY', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(report.config?.strategies.map((s) => s.id)).toEqual(['long_into_fix', 'short_after_fix']);
    expect(report.contracts?.USDJPY).toMatchObject({ multiplier: 100_000, tickSize: 0.001 });
  });

  it('draws the price chart with one marker per fill, in the overview and around the trades', async () => {
    const { page } = browser;
    const fills = report.strategies.reduce((n, s) => n + s.fills.length, 0);
    expect(fills).toBeGreaterThan(100);
    const chart = await page.evaluate(() => {
      const box = document.querySelector('#price-chart');
      const canvases = Array.from(document.querySelectorAll('#price-chart canvas'));
      return { bars: Number(box?.getAttribute('data-bars')), markers: Number(box?.getAttribute('data-markers')), width: box?.getBoundingClientRect().width ?? 0, canvases: canvases.length };
    });
    expect(chart.markers).toBe(fills);
    expect(chart.bars).toBeGreaterThan(2000);
    expect(chart.bars).toBeLessThanOrEqual(4000);
    expect(chart.width).toBeGreaterThan(900);
    expect(chart.canvases).toBeGreaterThan(0);
    await page.click('.res button[data-res="detail"]');
    expect(await page.getAttribute('#price-chart', 'data-view')).toBe('detail');
    expect(Number(await page.getAttribute('#price-chart', 'data-markers'))).toBe(fills);
    await page.click('.res button[data-res="overview"]');
    expect(Number(await page.getAttribute('#price-chart', 'data-markers'))).toBe(fills);
  });

  it('zooms to the minute around a trade when its row is clicked', async () => {
    const { page } = browser;
    await page.click('#s0 table.trades tbody tr:nth-child(3) td:nth-child(2)');
    expect(await page.getAttribute('#price-chart', 'data-view')).toBe('detail');
    await page.click('.res button[data-res="overview"]');
  });

  it('adds up the monthly returns table to the net PnL, for the account and each strategy', async () => {
    const sum = (selector: string): Promise<number> =>
      browser.page.$$eval(selector, (cells) => cells.reduce((total, td) => total + Number(td.getAttribute('data-v')), 0));
    expect(await sum('#account-monthly td.month')).toBeCloseTo(report.account.netPnl, 6);
    for (const [i, s] of report.strategies.entries()) {
      expect(await sum(`#s${i}-monthly td.month`)).toBeCloseTo(s.netPnlAccount, 6);
    }
    // Gotobi legs enter from 01:00 (until 09:55) and from 09:55 (until 14:00) in Tokyo, later only after a gap
    // in the data: the hour table counts entries in the strategy's zone.
    const hours = (i: number): Promise<number[]> => browser.page.$$eval(`#s${i}-hour tbody th`, (ths) => ths.map((th) => Number(th.textContent?.slice(0, 2))));
    expect(await hours(0)).toContain(1);
    expect((await hours(0)).every((h) => h >= 1 && h <= 9)).toBe(true);
    expect(await hours(1)).toContain(9);
    expect((await hours(1)).every((h) => h >= 9 && h <= 13)).toBe(true);
  });

  it('draws equity, drawdown and trade results for the account and each strategy', async () => {
    for (const group of ['account', 's0', 's1']) {
      expect(Number(await browser.page.getAttribute(`#${group}-equity`, 'data-points'))).toBeGreaterThan(100);
      expect(await browser.page.locator(`#${group}-drawdown canvas`).count()).toBeGreaterThan(0);
    }
    for (const [i, s] of report.strategies.entries()) {
      expect(Number(await browser.page.getAttribute(`#s${i}-trades`, 'data-points'))).toBe(s.trades.length);
    }
  });

  it("lists each trade's exit reason and colours exit markers by it: the demo's target changes, a bracket's stops and take-profits", async () => {
    const exitReasons = (page: Page, i: number): Promise<string[]> =>
      page.$$eval(`#s${i} table.trades tbody tr`, (rows) => rows.map((r) => (r as unknown as TableRow).cells[8].textContent ?? ''));
    const legend = (page: Page): Promise<Record<string, string>> =>
      page.$$eval('#marker-legend span', (spans) =>
        Object.fromEntries(spans.map((span) => [span.textContent ?? '', (globalThis as unknown as BrowserWindow).getComputedStyle(span.querySelector('i') as unknown as Element).backgroundColor])),
      );
    expect(await browser.page.locator('#s0 table.trades thead th').nth(8).textContent()).toBe('Exit reason');
    for (const [i, s] of report.strategies.entries()) expect(await exitReasons(browser.page, i)).toEqual(s.trades.map(() => 'exit'));
    expect(await legend(browser.page)).toEqual({ 'buy (entry)': expect.any(String), 'sell (entry)': expect.any(String), 'exit: exit': 'rgb(107, 114, 128)' });

    const bracketHtml = join(dir, 'bracket.html');
    const bracketJson = join(dir, 'bracket.json');
    const io = { stdout: { write: () => true }, stderr: { write: (text: string) => void process.stderr.write(text) } };
    const args = [FIXTURE, '--config', resolve(__dirname, '../../../config/gotobi-bracket.json'), '--to', '2024-04-01', '--html', bracketHtml, '--json', bracketJson, '--no-progress'];
    expect(await runReplay(args, io)).toBe(0);
    const bracket = parseReplayReport(readFileSync(bracketJson, 'utf8'), bracketJson);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(bracketHtml).href);
    await page.waitForSelector('#price-chart canvas');
    for (const [i, s] of bracket.strategies.entries()) expect(await exitReasons(page, i)).toEqual(s.trades.map((t) => t.exitReason));
    expect(new Set(bracket.strategies.flatMap((s) => s.trades.map((t) => t.exitReason)))).toEqual(new Set(['exit', 'stop', 'takeProfit']));
    expect(await legend(page)).toMatchObject({ 'exit: exit': 'rgb(107, 114, 128)', 'exit: stop': 'rgb(194, 38, 29)', 'exit: takeProfit': 'rgb(21, 128, 61)' });
    expect(Number(await page.getAttribute('#price-chart', 'data-markers'))).toBe(bracket.strategies.reduce((n, s) => n + s.fills.length, 0));
    await page.close();
  });

  it('shows a hostile strategy id as text', async () => {
    const hostile = '<img src=x onerror=alert(1)>"leg"';
    const { report: sample, series } = buildSampleRun({ ids: ['long_into_fix', hostile] });
    const page = await browser.newPage();
    await page.setContent(await renderHtmlReport(sample, series), { waitUntil: 'load' });
    expect(await page.locator('#s1 h2').textContent()).toBe(hostile);
    expect(await page.locator('img').count()).toBe(0);
    await page.close();
  });

  it('made no request and logged no error, and leaves a screenshot to look at', async () => {
    await browser.page.screenshot({ path: screenshotPath('replay-report.png'), fullPage: true });
    expect(browser.problems).toEqual([]);
    expect(browser.requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
  });
});
