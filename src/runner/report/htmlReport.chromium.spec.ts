import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { renderHtmlReport } from './htmlReport';
import { buildSampleRun } from '../../../test/support/sampleRun';

/**
 * Renders the HTML report in headless Chromium (Debian's package, no download) and checks what a person
 * would see: charts drawn, tooltips working, one table row per trade, no console error, no network request.
 * The full-page screenshot goes to SCREENSHOT for a human look.
 *
 * Skips only when /usr/bin/chromium is missing AND `CI` is not set; in CI it always runs (and fails without
 * Chromium: `.ci/run` installs it).
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(tmpdir(), 'replay-report.png');
const runIt = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!runIt) {
  console.warn(`Skipping the HTML report render test: ${CHROMIUM} is not installed (apt-get install -y chromium). It always runs in CI.`);
}

// The spec compiles without the DOM lib (tsconfig is Node-only): the few browser shapes used in page callbacks.
interface PathElement {
  getAttribute(name: string): string | null;
  getTotalLength(): number;
}
interface TableRow {
  readonly cells: readonly { getAttribute(name: string): string | null }[];
}
interface BrowserWindow {
  getComputedStyle(element: unknown): { readonly color: string };
}

const hostile = '<img src=x onerror=alert(1)>"leg"';

(runIt ? describe : describe.skip)('HTML report in headless Chromium', () => {
  jest.setTimeout(120_000);
  const { report, series } = buildSampleRun({ ids: ['long_into_fix', hostile] });
  const html = renderHtmlReport(report, series);
  let userDataDir = '';
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    userDataDir = mkdtempSync(join(tmpdir(), 'report-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await context.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('draws every equity and drawdown chart with its points', async () => {
    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => {
        const line = svg.querySelector('path.line') as unknown as PathElement;
        const box = svg.getBoundingClientRect();
        return { kind: svg.getAttribute('data-kind'), vertices: (line.getAttribute('d') ?? '').split(/[ML]/).length - 1, length: line.getTotalLength(), width: box.width, height: box.height };
      }),
    );
    expect(charts.map((c) => c.kind)).toEqual(['equity', 'drawdown', 'equity', 'drawdown', 'equity', 'drawdown']);
    for (const chart of charts) {
      expect(chart.vertices).toBeGreaterThan(100);
      expect(chart.length).toBeGreaterThan(500);
      expect(chart.width).toBeGreaterThan(900);
      expect(chart.height).toBeGreaterThan(100);
    }
  });

  it('lists every trade, colours wins and losses, and shows the hostile id as text', async () => {
    for (const [i, s] of report.strategies.entries()) {
      expect(await page.locator(`#s${i} table.trades tbody tr`).count()).toBe(s.trades.length);
      expect(await page.locator(`#s${i} table.trades tbody tr.win`).count()).toBe(s.trades.filter((t) => t.pnlNet > 0).length);
      expect(await page.locator(`#s${i} svg.trade-bars rect.tbar`).count()).toBe(s.trades.length);
    }
    const winColour = await page.locator('#s0 tr.win td.net .num').first().evaluate((el) => (globalThis as unknown as BrowserWindow).getComputedStyle(el).color);
    const lossColour = await page.locator('#s0 tr.loss td.net .num').first().evaluate((el) => (globalThis as unknown as BrowserWindow).getComputedStyle(el).color);
    expect(winColour).toBe('rgb(21, 128, 61)');
    expect(lossColour).toBe('rgb(194, 38, 29)');
    expect(await page.locator('#s1 h2').textContent()).toBe(hostile);
    expect(await page.locator('img').count()).toBe(0);
  });

  it('shows a dated tooltip and a crosshair on hover', async () => {
    const chart = page.locator('#account svg.chart.equity');
    const box = await chart.boundingBox();
    expect(box).not.toBeNull();
    await page.mouse.move(box!.x + box!.width * 0.6, box!.y + box!.height / 2);
    const tip = page.locator('#tip');
    await expect(tip.isVisible()).resolves.toBe(true);
    expect(await tip.textContent()).toMatch(/^2024-\d\d-\d\d \d\d:\d\d UTCEquity 1,00\d,\d{3}\.\d\d USDDrawdown -?[\d,]+\.\d\d \(-?\d+\.\d\d %\)$/);
    expect(await page.locator('#account svg.chart.drawdown .xhair').getAttribute('visibility')).toBe('visible');
    await page.mouse.move(1, 1);
    expect(await tip.isVisible()).toBe(false);
  });

  it('sorts a trade table by a column', async () => {
    await page.locator('#s0 table.trades th', { hasText: 'Net (JPY)' }).click();
    const sorted = await page.$$eval('#s0 table.trades tbody tr', (rows) => rows.map((r) => Number((r as unknown as TableRow).cells[10].getAttribute('data-v'))));
    expect(sorted).toEqual([...report.strategies[0].trades.map((t) => t.pnlNet)].sort((a, b) => a - b));
  });

  it('made no request and logged no error, and leaves a screenshot to look at', async () => {
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
  });
});
