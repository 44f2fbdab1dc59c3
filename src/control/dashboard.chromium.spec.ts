import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runDashboard } from '../cli/dashboard';
import { runReplay } from '../cli/replay';
import { readJournal } from '../journal/reader';
import { parseReplayReport } from '../runner/report/replayReport';
import { loadIbContracts } from '../adapters/ibkr/contracts';
import { runDemoLive } from '../cli/demoLive';
import { captureIo } from '../../test/support/cliCapture';
import type { Fill, Position } from '../core/types';
import { parseLiveConfig } from '../live/liveConfig';
import { startLiveRunner, type LiveRunner } from '../live/liveRunner';
import { flatHistory, startFakeTws, type FakeTws } from '../testkit/fakeTws';
import { startHttpApi, type HttpApi } from './httpApi';
import type { PnlSummary } from './control';
import { chromiumAvailable, openBrowser, screenshotPath, type BrowserSession } from '../../test/support/chromium';
import { eventually, until } from '../../test/support/until';

/**
 * The live dashboard in headless Chromium against the engine running on the project's fake TWS: fills reach
 * the table and the chart within a second of the fake filling them, positions and PnL are the API's, a
 * dropped event stream loses no fill, the kill button refuses a wrong token and works with the right one, the
 * bracket's levels are drawn, a strategy's flatten button closes it (and a wrong token changes nothing), and the
 * page logs no error. Then `npm run demo:live` on the same page, and a journal and a replay's report read-only. Screenshots: docs/dashboard.png and
 * docs/demo-live.png with UPDATE_SCREENSHOTS=1.
 */
if (!chromiumAvailable) console.warn('Skipping the dashboard test: /usr/bin/chromium is not installed (apt-get install -y chromium). It always runs in CI.');

const TOKEN = 'dashboard-spec-token-0123456789';
const T0 = Date.UTC(2024, 0, 5, 0, 0, 0) / 1000;
const BAR_S = 15;

// The spec compiles without the DOM lib: the browser shapes used in page callbacks.
interface Doc {
  querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
}
declare const document: Doc;
declare const sessionStorage: { setItem(key: string, value: string): void };

(chromiumAvailable ? describe : describe.skip)('the live dashboard in headless Chromium', () => {
  jest.setTimeout(60_000);
  let tws: FakeTws;
  let runner: LiveRunner;
  let browser: BrowserSession;
  let api: HttpApi;
  let restarted: HttpApi | undefined;
  let nextBar = 0;
  let lastClose = 150;
  /**
   * Runs a step in which the browser itself logs some console errors (a refused connection while the API is
   * down, a 401 answer): those matching `pattern` are dropped, anything else stays for the last test's check.
   */
  const allowingProblems = async (pattern: RegExp, step: () => Promise<void>): Promise<void> => {
    const from = browser.problems.length;
    try {
      await step();
    } finally {
      const during = browser.problems.splice(from);
      browser.problems.push(...during.filter((problem) => !pattern.test(problem)));
    }
  };

  /** Sends one strategy bar (three 5-second bars) closing at `close`, and the first input of the next bar so it closes now. */
  const sendBar = (close: number): void => {
    const open = lastClose;
    const start = T0 + nextBar * BAR_S;
    const mid = (open + close) / 2;
    const path = [mid + 0.01, mid - 0.02, close];
    path.forEach((price, i) => {
      const from = i === 0 ? open : path[i - 1];
      tws.sendRealTimeBar({ time: start + 5 * i, open: from, high: Math.max(from, price) + 0.004, low: Math.min(from, price) - 0.004, close: price, volume: -1, wap: -1, count: -1 });
    });
    nextBar += 1;
    lastClose = close;
  };
  /** The first 5-second bar of the next strategy bar: it closes the one before at once. */
  const nudge = (): void => {
    tws.sendRealTimeBar({ time: T0 + nextBar * BAR_S, open: lastClose, high: lastClose + 0.002, low: lastClose - 0.002, close: lastClose, volume: -1, wap: -1, count: -1 });
  };

  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as T;
  const fillRows = (): Promise<number> => browser.page.evaluate(() => document.querySelectorAll('#fills-body tr[data-exec-id]').length);
  const markerCount = (): Promise<number> => browser.page.evaluate(() => Number(document.querySelector('#chart')?.getAttribute('data-markers') ?? 0));

  beforeAll(async () => {
    // The fake stamps executions with the feed's time, as a real session has bars and fills on one clock.
    // The strategy warms up on a flat history: the bars the test sends decide alone.
    tws = await startFakeTws({ accounts: ['DU42'], clock: () => (T0 + nextBar * BAR_S) * 1000, historical: flatHistory(150) });
    // Market orders fill at once; the bracket's stop-loss and take-profit stay working until cancelled.
    tws.setFills((order) => (order.orderType === 'MKT' ? { price: lastClose, commission: 2 } : { hold: true }));
    const config = parseLiveConfig({
      account: { currency: 'USD', initialCash: 1_000_000 },
      strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 2, slow: 3, contracts: 1, bracket: { stopLossTicks: 300, takeProfitTicks: 500 } }],
      ib: { host: tws.host, port: tws.port, clientId: 1 },
      live: { bar: `${BAR_S}s`, graceMs: 60_000 },
      interfaces: { http: { port: 0, logLevel: 'silent' } },
    });
    runner = startLiveRunner({ config, contracts: loadIbContracts(), env: { ENGINE_HTTP_TOKEN: TOKEN } });
    await runner.ready;
    await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    const http = runner.surfaces()?.http;
    if (http === undefined) throw new Error('no HTTP API');
    api = http;
    browser = await openBrowser({ width: 1360, height: 1400 });
    await browser.page.goto(api.dashboardUrl);
    await browser.page.waitForSelector('#stream[data-state="open"]');
  });

  afterAll(async () => {
    await browser?.close();
    await runner?.shutdown('test end').catch(() => undefined);
    await restarted?.close();
    await tws?.close();
  });

  it('moves the token from the address bar into session storage', async () => {
    expect(browser.page.url()).toBe(`${api.url}/`);
    expect(await browser.page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('engine-api-token'))).toBe(TOKEN);
    expect(await browser.page.textContent('#connection')).toBe('TWS connected');
  });

  it('shows a fill in the table and on the chart within 1 s of the fake filling it', async () => {
    for (const close of [150.0, 149.9, 149.8]) sendBar(close);
    await browser.page.waitForFunction(() => Number(document.querySelector('#chart')?.getAttribute('data-bars') ?? 0) >= 3);
    sendBar(150.1); // fast SMA crosses above the slow one: buy 1
    nudge();
    await until(() => tws.executions().length === 1, 'the fake to fill', 5000);
    const filledAt = Date.now();
    await browser.page.waitForFunction(
      () => document.querySelectorAll('#fills-body tr[data-exec-id]').length === 1 && document.querySelector('#chart')?.getAttribute('data-markers') === '1',
      undefined,
      { timeout: 1000 },
    );
    expect(Date.now() - filledAt).toBeLessThan(1000);
    const execId = tws.executions()[0].execId;
    expect(await browser.page.getAttribute('#fills-body tr', 'data-exec-id')).toBe(execId);
    expect(await browser.page.getAttribute('#chart-fills li', 'data-exec-id')).toBe(execId);
  });

  it('draws the protective levels of the working bracket on the chart and lists them among working orders', async () => {
    const levels = (): Promise<string[]> => browser.page.$$eval('#chart-levels li', (items) => items.map((li) => li.textContent ?? ''));
    await browser.page.waitForFunction(() => document.querySelector('#chart')?.getAttribute('data-levels') === '2');
    const fill = tws.executions()[0];
    const [stop, target] = [fill.price - 0.3, fill.price + 0.5].map((p) => p.toFixed(3));
    expect(await levels()).toEqual([`stop-loss of sma: SELL 100,000 USDJPY at ${stop}`, `take-profit of sma: SELL 100,000 USDJPY at ${target}`]);
    const roles = await browser.page.$$eval('#working-body tr[data-order-id]', (rows) => rows.map((r) => (r as unknown as { cells: { textContent: string | null }[] }).cells[7].textContent));
    expect(roles).toEqual(['stop-loss', 'take-profit']);
  });

  it('shows the position and PnL the API reports', async () => {
    await eventually(async () => (await get<{ positions: Position[] }>('/positions')).positions.some((p) => p.qty === 100_000), 'the fill in the book');
    const [{ positions }, pnl] = await Promise.all([get<{ positions: Position[] }>('/positions'), get<PnlSummary>('/pnl')]);
    const position = positions.find((p) => p.strategyId === 'sma');
    if (position === undefined) throw new Error('no position');
    await browser.page.waitForFunction(
      (want) => document.querySelector('#total-value')?.getAttribute('data-v') === want,
      String(pnl.totalAccount),
    );
    const cells = await browser.page.$$eval('#strategies-body tr[data-strategy="sma"] td', (tds) => tds.map((td) => (td as unknown as { dataset: { v?: string } }).dataset.v ?? null));
    expect(cells.slice(3, 9).map(Number)).toEqual([
      position.qty,
      position.avgPrice,
      position.unrealizedPnl,
      position.realizedPnl,
      position.unrealizedPnlAccount,
      position.realizedPnlAccount,
    ]);
    expect(Number(await browser.page.getAttribute('#equity-value', 'data-v'))).toBe(pnl.equity?.equity);
    expect(Number(await browser.page.getAttribute('#realized-value', 'data-v'))).toBe(pnl.realizedAccount);
    expect(Number(await browser.page.getAttribute('#unrealized-value', 'data-v'))).toBe(pnl.unrealizedAccount);
  });

  it('loses no fill while its event stream is down, and shows none twice', async () => {
    const port = Number(new URL(api.url).port);
    await allowingProblems(/net::ERR_CONNECTION_REFUSED|net::ERR_EMPTY_RESPONSE|net::ERR_CONNECTION_RESET|net::ERR_INCOMPLETE_CHUNKED_ENCODING/, async () => {
    await api.close();
    await browser.page.waitForSelector('#stream[data-state="reconnecting"]');
    for (const close of [150.2, 149.7, 149.5]) sendBar(close); // crosses below: sell 2 (long 1 → short 1)
    nudge();
    await until(() => tws.executions().length === 2, 'the second fill', 5000);
    await until(() => runner.control?.fills().length === 2, 'the second fill in the engine', 5000);
    expect(await fillRows()).toBe(1);

    restarted = await startHttpApi(runner.control!, { port, token: TOKEN, logLevel: 'silent' });
    api = restarted;
    await browser.page.waitForSelector('#stream[data-state="open"]', { timeout: 10_000 });
    await browser.page.waitForFunction(() => document.querySelectorAll('#fills-body tr[data-exec-id]').length === 2);
    const { fills } = await get<{ fills: Fill[] }>('/fills');
    const shown = await browser.page.$$eval('#fills-body tr[data-exec-id]', (rows) => rows.map((r) => r.getAttribute('data-exec-id')));
    expect([...shown].sort()).toEqual(fills.map((f) => f.execId).sort());
    expect(await markerCount()).toBe(2);
    });
  });

  it('fills a page opened mid-session from /status and the retained events', async () => {
    const late = await browser.newPage();
    await late.goto(api.dashboardUrl);
    await late.waitForFunction(() => document.querySelectorAll('#fills-body tr[data-exec-id]').length === 2);
    const bars = await late.getAttribute('#chart', 'data-bars');
    expect(Number(bars)).toBe(Number(await browser.page.getAttribute('#chart', 'data-bars')));
    expect(await late.getAttribute('#chart', 'data-markers')).toBe('2');
    await late.close();
  });

  it('refuses the kill switch with a wrong token and turns it on with the right one', async () => {
    const { page } = browser;
    await page.evaluate(() => sessionStorage.setItem('engine-api-token', 'a-mistyped-token-000000'));
    await allowingProblems(/status of 401|HTTP 401 POST .*\/kill$/, async () => {
    await page.click('#kill-all');
    await page.fill('#confirm-reason', 'drill from the dashboard');
    await page.click('#confirm-ok');
    await page.waitForSelector('#token-dialog[open]');
    expect(await page.textContent('#action-message')).toMatch(/refused the token: nothing was changed/);
    expect((await get<{ killSwitch: { on: boolean } }>('/status')).killSwitch.on).toBe(false);
    });

    await page.fill('#token-input', TOKEN);
    await page.click('#token-ok');
    await page.click('#kill-all');
    await page.click('#confirm-ok');
    await page.waitForSelector('#kill-state[data-state="on"]');
    expect((await get<{ killSwitch: { on: boolean; reason: string } }>('/status')).killSwitch).toMatchObject({ on: true, reason: 'kill from the dashboard' });
    expect(await page.textContent('#kill-state')).toBe('KILL SWITCH ON: kill from the dashboard');

    await page.click('#resume-all');
    await page.click('#confirm-ok');
    await page.waitForSelector('#kill-state[data-state="off"]');
    expect((await get<{ killSwitch: { on: boolean } }>('/status')).killSwitch.on).toBe(false);
  });

  it('flattens one strategy from its button: a wrong token changes nothing, the right one closes it and holds it flat', async () => {
    const { page } = browser;
    const flattenButton = '#strategies-body tr[data-strategy="sma"] button[data-action="flatten"]';
    const qty = async (): Promise<number | undefined> => (await get<{ positions: Position[] }>('/positions')).positions.find((p) => p.strategyId === 'sma')?.qty;
    expect(await qty()).toBe(-100_000);
    await page.evaluate(() => sessionStorage.setItem('engine-api-token', 'a-mistyped-token-000000'));
    await allowingProblems(/status of 401|HTTP 401 POST .*\/flatten\/sma$/, async () => {
      await page.click(flattenButton);
      await page.click('#confirm-ok');
      await page.waitForSelector('#token-dialog[open]');
      expect(await page.textContent('#action-message')).toMatch(/refused the token: nothing was changed/);
    });
    expect((await get<{ halts: object }>('/status')).halts).toEqual({});
    expect(await qty()).toBe(-100_000);

    await page.fill('#token-input', TOKEN);
    await page.click('#token-ok');
    const placedBefore = tws.orders().length;
    await page.click(flattenButton);
    await page.click('#confirm-ok');
    await eventually(async () => (await qty()) === 0, 'the position closed at TWS');
    await page.waitForSelector('#strategies-body tr[data-strategy="sma"] td[data-v="0"]');
    await page.waitForSelector('#strategies-body tr[data-strategy="sma"] td.halt[data-state="flat"]');
    await page.waitForFunction(() => document.querySelector('#chart')?.getAttribute('data-levels') === '0');
    // One order sent: the close (the bracket was cancelled, not replaced).
    expect(tws.orders().slice(placedBefore).map((o) => [o.request.action, o.request.orderType])).toEqual([['BUY', 'MKT']]);
    expect((await get<{ halts: Record<string, { halt: string }> }>('/status')).halts).toMatchObject({ sma: { halt: 'flat' } });

    // Resume from its button: the strategy is short by its target again.
    await page.click('#strategies-body tr[data-strategy="sma"] button[data-action="resume"]');
    await page.click('#confirm-ok');
    await eventually(async () => (await qty()) === -100_000, 're-aligned with the target');
    await page.waitForSelector('#strategies-body tr[data-strategy="sma"] td.halt[data-state="trading"]');
  });

  it('logged no console error beyond the expected ones, asked nothing of another host, and leaves a screenshot', async () => {
    for (const close of [149.6, 149.8, 150.0, 150.3, 150.4, 150.2, 149.9, 149.95, 150.15, 150.35]) sendBar(close);
    // The forming bar: two 5-second bars of the next strategy bar.
    const start = T0 + nextBar * BAR_S;
    tws.sendRealTimeBar({ time: start, open: lastClose, high: lastClose + 0.03, low: lastClose - 0.01, close: lastClose + 0.02, volume: -1, wap: -1, count: -1 });
    tws.sendRealTimeBar({ time: start + 5, open: lastClose + 0.02, high: lastClose + 0.05, low: lastClose + 0.01, close: lastClose + 0.04, volume: -1, wap: -1, count: -1 });
    const want = nextBar + 1;
    await browser.page.waitForFunction((n) => Number(document.querySelector('#chart')?.getAttribute('data-bars') ?? 0) === n, want);
    // Every bar decided: the market orders of the reversals fill at the fake, and every fill reaches the page.
    await until(() => runner.broker.workingOrders().every((o) => o.type !== 'MARKET'), 'the market orders filled', 5000);
    await eventually(async () => (await fillRows()) === tws.executions().length, 'every fill on the page');
    // Each reversal left the position with exactly its stop-loss and take-profit working at TWS, for the whole of it.
    await eventually(async () => {
      const qty = runner.run.book.position('sma', 'USDJPY');
      const protective = tws.orders().filter((o) => o.status === 'Submitted' && o.request.orderType !== 'MKT');
      const closing = qty > 0 ? 'SELL' : 'BUY';
      return qty === 0
        ? protective.length === 0
        : protective.map((o) => o.request.orderType).sort().join() === 'LMT,STP' && protective.every((o) => o.request.action === closing && o.request.totalQuantity === Math.abs(qty));
    }, 'the position protected at TWS');
    await browser.page.screenshot({ path: screenshotPath('dashboard.png'), fullPage: true });
    expect(browser.problems).toEqual([]);
    expect(browser.requests.filter((url) => !url.startsWith(api.url))).toEqual([]);
  });
});

(chromiumAvailable ? describe : describe.skip)('npm run demo:live in headless Chromium', () => {
  jest.setTimeout(60_000);

  it('shows the demo morning trading on the dashboard: bars, the three fills and the positions', async () => {
    const browser = await openBrowser({ width: 1360, height: 1400 });
    let runner: LiveRunner | undefined;
    let opened: Promise<unknown> = Promise.resolve();
    try {
      const cap = captureIo();
      const finished = runDemoLive(['--speed', '150'], {
        io: cap.io,
        env: {},
        signals: new EventEmitter(),
        onStart: (started) => {
          runner = started;
          started.events$.subscribe((event) => {
            if (event.kind === 'http') opened = browser.page.goto(event.dashboardUrl);
          });
        },
      });
      await until(() => runner !== undefined, 'the demo to start', 10_000);
      await until(() => cap.stderr().includes('Replaying'), 'the feed to start', 10_000);
      await opened;
      await browser.page.waitForFunction(() => document.querySelectorAll('#fills-body tr[data-exec-id]').length === 3, undefined, { timeout: 30_000 });
      expect(Number(await browser.page.getAttribute('#chart', 'data-bars'))).toBeGreaterThan(500);
      expect(await browser.page.getAttribute('#chart', 'data-markers')).toBe('3');
      expect(await browser.page.textContent('#strategies-body tr[data-strategy="short_after_fix"] td:nth-child(4)')).toBe('-100,000');
      await browser.page.screenshot({ path: screenshotPath('demo-live.png'), fullPage: true });
      await runner?.shutdown('test done');
      expect(await finished).toBe(0);
      expect(browser.problems.filter((p) => !/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED_ENCODING/.test(p))).toEqual([]);
    } finally {
      await runner?.shutdown('test cleanup').catch(() => undefined);
      await browser.close();
    }
  });
});

(chromiumAvailable ? describe : describe.skip)('npm run dashboard: a journal read-only in headless Chromium', () => {
  jest.setTimeout(60_000);

  it('shows the journaled day (fills, positions, chart) with no button that changes anything, and the API refuses changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-journal-'));
    const file = join(dir, 'day.db');
    const fixture = resolve(__dirname, '../../fixtures/usdjpy.parquet');
    expect(await runReplay([fixture, '--from', '2024-01-04T12:00:00Z', '--to', '2024-01-06T00:00:00Z', '--journal', file], captureIo().io)).toBe(0);
    const journal = readJournal(file);
    const journaled = journal.fills().length;
    journal.close();
    expect(journaled).toBe(4);

    const browser = await openBrowser({ width: 1360, height: 1400 });
    const signals = new EventEmitter();
    let served: HttpApi | undefined;
    const cap = captureIo();
    const done = runDashboard(['--journal', file, '--data', fixture], { io: cap.io, signals, onServing: (api) => (served = api) });
    try {
      await until(() => served !== undefined, 'the page served', 20_000);
      const api = served as HttpApi;
      expect(cap.stderr()).toContain(`Dashboard (read-only, ${file}): ${api.dashboardUrl}`);
      await browser.page.goto(api.dashboardUrl);
      await browser.page.waitForFunction((n) => document.querySelectorAll('#fills-body tr[data-exec-id]').length === n, journaled);
      expect(await browser.page.textContent('#mode')).toBe('journal: read-only');
      expect(Number(await browser.page.getAttribute('#chart', 'data-bars'))).toBeGreaterThan(100);
      expect(await browser.page.getAttribute('#chart', 'data-markers')).toBe(String(journaled));
      expect(await browser.page.$$eval('#strategies-body button, header button:not([hidden])', (buttons) => buttons.length)).toBe(0);
      const flatten = await fetch(`${api.url}/flatten`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` } });
      expect(flatten.status).toBe(409);
      expect(await flatten.json()).toMatchObject({ error: { code: 'READ_ONLY' } });
      await browser.page.screenshot({ path: screenshotPath('dashboard-journal.png'), fullPage: true });
      expect(browser.problems).toEqual([]);
    } finally {
      signals.emit('SIGINT');
      expect(await done).toBe(0);
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

(chromiumAvailable ? describe : describe.skip)("npm run dashboard: a replay's report read-only in headless Chromium", () => {
  jest.setTimeout(60_000);

  it('shows the report (a fill row and a chart marker a fill, the positions) with no button that changes anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-report-'));
    const file = join(dir, 'report.json');
    const fixture = resolve(__dirname, '../../fixtures/usdjpy.parquet');
    // Cut while short_after_fix is short: the page has an open position to show.
    expect(await runReplay([fixture, '--from', '2024-01-04T12:00:00Z', '--to', '2024-01-05T03:00:00Z', '--json', file, '--no-progress'], captureIo().io)).toBe(0);
    const report = parseReplayReport(readFileSync(file, 'utf8'));
    const reported = report.strategies.reduce((n, s) => n + s.fills.length, 0);
    expect(reported).toBe(3);

    const browser = await openBrowser({ width: 1360, height: 1400 });
    const signals = new EventEmitter();
    let served: HttpApi | undefined;
    const done = runDashboard(['--report', file, '--data', fixture], { io: captureIo().io, signals, onServing: (api) => (served = api) });
    try {
      await until(() => served !== undefined, 'the page served', 20_000);
      const api = served as HttpApi;
      await browser.page.goto(api.dashboardUrl);
      await browser.page.waitForFunction((n) => document.querySelectorAll('#fills-body tr[data-exec-id]').length === n, reported);
      expect(await browser.page.textContent('#mode')).toBe('report: read-only');
      expect(await browser.page.textContent('#connection')).toBe('report');
      expect(await browser.page.getAttribute('#chart', 'data-markers')).toBe(String(reported));
      expect(await browser.page.textContent('#strategies-body tr[data-strategy="short_after_fix"] td:nth-child(4)')).toBe('-100,000');
      await browser.page.waitForFunction((want) => Number(document.querySelector('#equity-value')?.getAttribute('data-v')) === want, report.account.finalEquity);
      expect(await browser.page.$$eval('#strategies-body button, header button:not([hidden])', (buttons) => buttons.length)).toBe(0);
      expect(browser.problems).toEqual([]);
    } finally {
      signals.emit('SIGINT');
      expect(await done).toBe(0);
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
