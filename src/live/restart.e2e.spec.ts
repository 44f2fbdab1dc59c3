import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadIbContracts } from '../adapters/ibkr/contracts';
import type { Bar } from '../core/types';
import { readJournal, rebuildBook } from '../journal';
import { startFakeTws, type FakeTws, type FillScript, type PlaceOrderRequest } from '../testkit/fakeTws';
import { startLiveProcess, type LiveLogLine, type LiveProcess } from '../../test/support/liveProcess';
import { until } from '../../test/support/until';
import { startLiveRunner } from './liveRunner';
import { runLive } from '../cli/live';
import { EXIT_DATA } from '../cli/io';
import { JournalError, journalConfigHash, openJournal, type Journal } from '../journal';
import { unwritableDirectory } from '../../test/support/journalFixtures';
import { parseLiveConfig } from './liveConfig';

/**
 * A restart is a non-event: the engine runs as `npm run live` in a child process against a fake TWS (the real
 * wire protocol), is killed (SIGKILL) or stopped (SIGINT) at a dangerous point, and started again on the same
 * journal. Each case checks what the broker saw (no order twice), what the journal booked (no fill lost or
 * twice) and that the positions and realized PnL equal those of the same bars run without a break.
 *
 * The market is sent by hand (5-second bars), so the tests wait on the engine, never on wall-clock pacing.
 * 2024-01-05 (a Friday) is a gotobi day: 01:00 JST is 2024-01-04T16:00Z, 09:55 JST is 2024-01-05T00:55Z.
 */

const ROOT = resolve(__dirname, '../..');
const contracts = loadIbContracts();
const shipped = JSON.parse(readFileSync(join(ROOT, 'config/live.json'), 'utf8')) as { strategies: { id: string }[]; live: Record<string, unknown>; ib: Record<string, unknown> };
const ACCOUNT = 'DU1234567';
const LONG_ENTRY = 'long_into_fix.USDJPY.20240104T160000Z.1';
const LONG_EXIT = 'long_into_fix.USDJPY.20240105T005500Z.1';
/** TWS's prices: the entry at 144.155, the exit at 144.62, 2 USD commission an execution. */
const prices = (order: PlaceOrderRequest): FillScript => ({ price: order.action === 'BUY' ? 144.155 : 144.62, commission: 2, commissionCurrency: 'USD' });

let dir: string;
let tws: FakeTws | undefined;
const engines: LiveProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'live-restart-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const engine of engines.splice(0)) engine.kill('SIGKILL');
  await tws?.close();
  tws = undefined;
});

/** config/live.json with the long leg only (flat at the broker after its exit), short timeouts, fast reconnects. */
function longLegConfig(): Record<string, unknown> {
  return {
    ...shipped,
    strategies: shipped.strategies.filter((s) => s.id === 'long_into_fix'),
    ib: { ...shipped.ib, reconnect: { initialMs: 10, maxMs: 40, factor: 2 } },
    live: { ...shipped.live, connectTimeoutMs: 5000, commissionTimeoutMs: 1000, cancelTimeoutMs: 2000 },
  };
}

function writeConfig(name: string, config: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** 5-second MIDPOINT bars of USDJPY from `startIso`: a gentle deterministic walk. */
function fiveSecondBars(startIso: string, count: number, base: number): Bar[] {
  const start = Date.parse(startIso);
  return Array.from({ length: count }, (_, i) => {
    const open = Number((base + 0.001 * ((i * 7) % 11) + 0.0005 * i).toFixed(3));
    const close = Number((base + 0.001 * (((i + 1) * 7) % 11) + 0.0005 * (i + 1)).toFixed(3));
    const high = Number((Math.max(open, close) + 0.002).toFixed(3));
    const low = Number((Math.min(open, close) - 0.002).toFixed(3));
    return { kind: 'bar', symbol: 'USDJPY', ts: start + i * 5000, intervalMs: 5000, open, high, low, close, volume: 0 };
  });
}

/** Up to 15:59:55Z: the 15:59 bar closes at 01:00 JST and the long leg buys. */
const BEFORE_ENTRY = fiveSecondBars('2024-01-04T15:58:00Z', 24, 144.1);
/** Two more minutes in the position. */
const HOLDING = fiveSecondBars('2024-01-04T16:00:00Z', 24, 144.11);
/** Around 09:55 JST: the long leg exits. */
const AROUND_EXIT = fiveSecondBars('2024-01-05T00:53:00Z', 48, 144.6);

const sendBars = (fake: FakeTws, bars: readonly Bar[]): void => {
  for (const b of bars) fake.sendRealTimeBar({ time: b.ts / 1000, open: b.open, high: b.high, low: b.low, close: b.close, volume: -1, wap: -1, count: -1 });
};

function engine(config: string, journal: string, clientId: number, extra: readonly string[] = []): LiveProcess {
  if (tws === undefined) throw new Error('no fake TWS');
  const started = startLiveProcess(['--config', config, '--journal', journal, ...extra], { IB_PORT: String(tws.port), IB_CLIENT_ID: String(clientId), IB_ACCOUNT: ACCOUNT });
  engines.push(started);
  return started;
}

/** The engine subscribed and the fake has its real-time bar subscription (bars sent before it would be lost). */
async function subscribed(e: LiveProcess): Promise<void> {
  await e.waitFor((l) => l.type === 'subscribed', 'the market data subscribed');
  await until(() => tws?.subscriptions().realTimeBars === 1, 'the real-time bars subscription at TWS');
}
const fills = (e: LiveProcess) => e.lines().filter((l) => l.type === 'fill');
const ordersAtTws = (fake: FakeTws) => fake.orders().map((o) => [o.request.action, o.request.totalQuantity, o.request.orderRef]);
const ref = (orderId: string, reason: string) => `rx:long_into_fix:${orderId}:${reason}`;

/** The same bars without a break, in process, against a fake TWS of their own with the same prices. */
async function uninterrupted(configDoc: Record<string, unknown>, bars: readonly Bar[]) {
  const fake = await startFakeTws({ accounts: [ACCOUNT], fills: prices });
  try {
    const config = parseLiveConfig({ ...configDoc, ib: { ...(configDoc.ib as object), host: fake.host, port: fake.port, clientId: 90 } });
    const runner = startLiveRunner({ config, contracts, env: { IB_ACCOUNT: ACCOUNT } });
    let fillCount = 0;
    runner.events$.subscribe((e) => e.kind === 'fill' && fillCount++);
    await runner.ready;
    await fake.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    sendBars(fake, bars);
    await until(() => fillCount === 2, 'the entry and the exit');
    const { book } = await runner.shutdown('reference done');
    return book.positions().map((p) => ({ strategyId: p.strategyId, qty: p.qty, realizedPnl: p.realizedPnl, realizedPnlAccount: p.realizedPnlAccount, commission: p.commission }));
  } finally {
    await fake.close();
  }
}

/** Positions and realized PnL as the journal books them (what the next start recovers). */
function journaledBook(file: string) {
  const reader = readJournal(file);
  try {
    return rebuildBook(reader, { contracts })
      .positions()
      .map((p) => ({ strategyId: p.strategyId, qty: p.qty, realizedPnl: p.realizedPnl, realizedPnlAccount: p.realizedPnlAccount, commission: p.commission }));
  } finally {
    reader.close();
  }
}

function journaledFills(file: string) {
  const reader = readJournal(file);
  try {
    return reader.fills().map((f) => [f.fill.orderId, f.fill.side, f.fill.qty, f.fill.price]);
  } finally {
    reader.close();
  }
}

const indexOf = (lines: readonly LiveLogLine[], match: (l: LiveLogLine) => boolean) => lines.findIndex(match);

/**
 * The rest of a long-leg day after a restart: two minutes holding (then `afterHolding`), then 09:55 JST; a clean
 * stop. Checks TWS saw `expected.orders` and is flat, the journal holds `expected.fills` (each booked once), and
 * its book equals that of the same bars run without a break.
 */
async function finishAfterRestart(
  second: LiveProcess,
  journal: string,
  configDoc: Record<string, unknown>,
  expected: { readonly orders: readonly unknown[]; readonly fills: readonly unknown[] },
  afterHolding: () => Promise<void> = async () => undefined,
): Promise<void> {
  if (tws === undefined) throw new Error('no fake TWS');
  sendBars(tws, HOLDING);
  // Warm-up: the leg ran through the Tokyo day's history (its 01:00 entry among it, so its target is long) before
  // the first live bar after the restart.
  await second.waitFor((l) => l.type === 'warmed' && l.strategyId === 'long_into_fix', 'the warm-up after the restart');
  expect(second.lines().find((l) => l.type === 'warmed')).toMatchObject({ target: 1 });
  await afterHolding();
  sendBars(tws, AROUND_EXIT);
  await second.waitFor((l) => l.type === 'trade' && l.strategyId === 'long_into_fix', 'the closed trade');
  second.kill('SIGINT');
  expect(await second.exited).toBe(0);
  expect(ordersAtTws(tws)).toEqual(expected.orders);
  expect(tws.positions().map((p) => p.position)).toEqual([0]);
  expect(journaledFills(journal)).toEqual(expected.fills);
  expect(journaledBook(journal)).toEqual(await uninterrupted(configDoc, [...BEFORE_ENTRY, ...HOLDING, ...AROUND_EXIT]));
}

/** TWS's orders and the journal's fills of a long-leg day: one entry (decided at `entryId`), one exit. */
const oneRoundTrip = (entryId = LONG_ENTRY) => ({
  orders: [
    ['BUY', 100_000, ref(entryId, 'entry')],
    ['SELL', 100_000, ref(LONG_EXIT, 'exit')],
  ],
  fills: [
    [entryId, 'BUY', 100_000, 144.155],
    [LONG_EXIT, 'SELL', 100_000, 144.62],
  ],
});

describe('a restart is a non-event (npm run live in a child process, fake TWS)', () => {
  for (const stop of ['SIGKILL', 'SIGINT'] as const) {
    it(`${stop} right after the 01:00 JST entry fill: the position is recovered, no second buy, one exit at 09:55 JST, flat at TWS`, async () => {
      tws = await startFakeTws({ accounts: [ACCOUNT], fills: prices });
      const configDoc = longLegConfig();
      const config = writeConfig(`probe-${stop}.json`, configDoc);
      const journal = join(dir, `probe-${stop}.db`);

      const first = engine(config, journal, 51);
      await subscribed(first);
      sendBars(tws, BEFORE_ENTRY);
      await first.waitFor((l) => l.type === 'fill', 'the entry fill');
      first.kill(stop);
      expect(await first.exited).toBe(stop === 'SIGINT' ? 0 : null);

      const second = engine(config, journal, 51);
      await subscribed(second);
      const lines = second.lines();
      // The first lines: the position recovered, then TWS agreeing with it, before any trading.
      const recovered = lines.filter((l) => l.type === 'recovered-position');
      expect(recovered).toEqual([expect.objectContaining({ strategyId: 'long_into_fix', symbol: 'USDJPY', qty: 100_000, avgPrice: 144.155 })]);
      const reconcile = lines.find((l) => l.type === 'reconcile');
      expect(reconcile).toMatchObject({ positions: [{ symbol: 'USDJPY', brokerQty: 100_000, bookQty: 100_000 }], mismatches: [] });
      expect(lines.find((l) => l.type === 'recovery')).toMatchObject({
        positionsRecovered: 1,
        fillsWhileDown: [],
        ordersAdopted: [],
        ordersNotAtBroker: [],
        stoppedSymbols: {},
        previousRun: { id: 1, stoppedAt: stop === 'SIGINT' ? expect.any(Number) : null },
      });
      expect(indexOf(lines, (l) => l.type === 'recovered-position')).toBeLessThan(indexOf(lines, (l) => l.type === 'reconcile'));

      // TWS sees one buy and one sell, the exit decided at 09:55 JST, and ends flat.
      await finishAfterRestart(second, journal, configDoc, oneRoundTrip());
      expect(fills(second).map((f) => [f.orderId, f.side])).toEqual([[LONG_EXIT, 'SELL']]);
    }, 40_000);
  }


  it('SIGKILL after the fill reached the engine but before the journal saw it (its commission report still on the way): booked once after the restart', async () => {
    // TWS reports the execution at once and its commission a minute later (recovery replays both).
    tws = await startFakeTws({ accounts: [ACCOUNT], fills: (order) => ({ ...prices(order), ...(order.action === 'BUY' ? { commissionDelayMs: 60_000 } : {}) }) });
    const configDoc = { ...longLegConfig(), live: { ...longLegConfig().live as object, commissionTimeoutMs: 10_000 } };
    const config = writeConfig('unjournaled-fill.json', configDoc);
    const journal = join(dir, 'unjournaled-fill.db');

    const first = engine(config, journal, 52);
    await subscribed(first);
    sendBars(tws, BEFORE_ENTRY);
    await until(() => tws?.executions().length === 1, 'the execution at TWS');
    // The execution is on the socket; its fill waits (up to 10 s) for the commission report.
    await new Promise((r) => setTimeout(r, 200));
    first.kill('SIGKILL');
    await first.exited;
    expect(fills(first)).toEqual([]);
    expect(journaledFills(journal)).toEqual([]);

    const second = engine(config, journal, 52);
    await subscribed(second);
    const lines = second.lines();
    expect(lines.filter((l) => l.type === 'recovered-position')).toEqual([]);
    expect(lines.find((l) => l.type === 'recovery')).toMatchObject({
      positionsRecovered: 0,
      fillsWhileDown: [{ orderId: LONG_ENTRY, side: 'BUY', qty: 100_000, price: 144.155, execId: expect.any(String) }],
    });
    expect(lines.find((l) => l.type === 'reconcile')).toMatchObject({ positions: [{ symbol: 'USDJPY', brokerQty: 100_000, bookQty: 100_000 }], mismatches: [] });
    await finishAfterRestart(second, journal, configDoc, oneRoundTrip());
  }, 40_000);

  it('SIGKILL after the order was sent, before TWS acknowledged it: adopted as in flight, not sent again, its fill booked once', async () => {
    // TWS takes the entry but answers only after a minute (and does not fill it by itself).
    tws = await startFakeTws({ accounts: [ACCOUNT], fills: (order) => (order.action === 'BUY' ? { ackDelayMs: 60_000, hold: true } : prices(order)) });
    const configDoc = longLegConfig();
    const config = writeConfig('unacknowledged.json', configDoc);
    const journal = join(dir, 'unacknowledged.db');

    const first = engine(config, journal, 53);
    await subscribed(first);
    sendBars(tws, BEFORE_ENTRY);
    await until(() => tws?.orders().length === 1, 'the order at TWS');
    first.kill('SIGKILL');
    await first.exited;
    expect(first.lines().filter((l) => l.type === 'order').map((l) => l.status)).toEqual(['Accepted']);

    const second = engine(config, journal, 53);
    await subscribed(second);
    expect(second.lines().find((l) => l.type === 'recovery')).toMatchObject({ positionsRecovered: 0, fillsWhileDown: [], ordersAdopted: [LONG_ENTRY], ordersNotAtBroker: [] });
    // In flight: the next bars' target (long) is covered by it, nothing more is bought; TWS fills it later.
    await finishAfterRestart(second, journal, configDoc, oneRoundTrip(), async () => {
      tws?.fillOrder(tws.orders()[0].request.orderId, { price: 144.155, commission: 2, commissionCurrency: 'USD' }, 53);
      await second.waitFor((l) => l.type === 'fill', "the adopted order's fill");
    });
  }, 40_000);

  it('SIGKILL after the intent was journaled, before it was sent (TWS had lost its link to IB): journaled as never sent, not sent after the restart', async () => {
    tws = await startFakeTws({ accounts: [ACCOUNT], fills: prices });
    const configDoc = longLegConfig();
    const config = writeConfig('unsent.json', configDoc);
    const journal = join(dir, 'unsent.db');

    const first = engine(config, journal, 54);
    await subscribed(first);
    // 1100: TWS lost IB; the broker holds orders until it is back.
    tws.sendConnectivity(1100);
    await first.waitFor((l) => l.type === 'connectivity' && l.code === 1100, 'the link lost');
    sendBars(tws, BEFORE_ENTRY);
    await first.waitFor((l) => l.type === 'broker' && l.kind === 'held', 'the entry held');
    first.kill('SIGKILL');
    await first.exited;
    expect(tws.orders()).toEqual([]);

    const second = engine(config, journal, 54);
    await subscribed(second);
    expect(second.lines().find((l) => l.type === 'recovery')).toMatchObject({ positionsRecovered: 0, ordersAdopted: [], ordersNotAtBroker: [LONG_ENTRY] });
    const reader = readJournal(journal);
    try {
      expect(reader.sentOrder(LONG_ENTRY)).toMatchObject({ status: 'Rejected', reason: 'DISCONNECTED' });
    } finally {
      reader.close();
    }
    // Warmed, the leg's target is long (its 01:00 entry is in the history) but the book is flat: the engine does
    // not catch up on its own (a late entry is not what replay would do); it says so, and the operator decides
    // (/kill_strategy then /resume_strategy re-aligns it). So nothing is bought, and the 09:55 exit has nothing to sell.
    sendBars(tws, HOLDING);
    await second.waitFor((l) => l.type === 'warmed' && l.strategyId === 'long_into_fix', 'the warm-up after the restart');
    expect(second.lines().find((l) => l.type === 'warmed')).toMatchObject({ target: 1, position: 0 });
    sendBars(tws, AROUND_EXIT);
    await second.waitFor((l) => l.type === 'signal' && l.target === 0, 'the 09:55 JST exit decided');
    second.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(tws.orders()).toEqual([]);
    expect(journaledFills(journal)).toEqual([]);
  }, 40_000);

  it('SIGKILL while a bracket is working: its children are re-adopted, not placed again, and go at the 09:55 JST exit, which happens once', async () => {
    // The entry fills at 144.12, the exit at 144.3; stop and take-profit rest until the market reaches them (it does not).
    tws = await startFakeTws({
      accounts: [ACCOUNT],
      fills: (order) =>
        order.orderType === 'MKT' ? { price: order.action === 'BUY' ? 144.12 : 144.3, commission: 2, commissionCurrency: 'USD' } : { match: 'price', commission: 2, commissionCurrency: 'USD' },
    });
    const base = longLegConfig();
    const configDoc = { ...base, strategies: [{ ...(base.strategies as object[])[0], bracket: { stopLossTicks: 200, takeProfitTicks: 300 } }] };
    const config = writeConfig('bracket.json', configDoc);
    const journal = join(dir, 'bracket.db');
    const flat = (startIso: string, count: number) => fiveSecondBars(startIso, count, 144.2).map((b) => ({ ...b, open: 144.2, high: 144.21, low: 144.19, close: 144.2 }));

    const first = engine(config, journal, 55);
    await subscribed(first);
    sendBars(tws, BEFORE_ENTRY);
    // The bracket, then its children re-priced from the entry's fill; both acknowledged.
    await first.waitFor((l) => l.type === 'fill', 'the entry fill');
    await until(() => first.lines().filter((l) => l.type === 'order' && l.status === 'Submitted' && String(l.orderId).endsWith('.tp')).length === 2, 'the re-priced take-profit acknowledged');
    const placedBefore = tws.requestsOf('placeOrder').length;
    first.kill('SIGKILL');
    await first.exited;

    const second = engine(config, journal, 55);
    await subscribed(second);
    expect(second.lines().find((l) => l.type === 'recovery')).toMatchObject({
      positionsRecovered: 1,
      ordersAdopted: expect.arrayContaining([`${LONG_ENTRY}.sl`, `${LONG_ENTRY}.tp`]),
      ordersNotAtBroker: [],
    });
    sendBars(tws, flat('2024-01-04T16:00:00Z', 24));
    await second.waitFor((l) => l.type === 'warmed', 'the warm-up after the restart');
    // Nothing placed again: the children protect the position from TWS.
    expect(tws.requestsOf('placeOrder')).toHaveLength(placedBefore);
    expect(tws.orders().map((o) => [o.request.orderRef, o.status])).toEqual([
      [ref(LONG_ENTRY, 'entry'), 'Filled'],
      [`rx:long_into_fix:${LONG_ENTRY}.sl:stop`, 'Submitted'],
      [`rx:long_into_fix:${LONG_ENTRY}.tp:takeProfit`, 'Submitted'],
    ]);
    sendBars(tws, flat('2024-01-05T00:53:00Z', 48));
    await second.waitFor((l) => l.type === 'trade' && l.strategyId === 'long_into_fix', 'the closed trade');
    second.kill('SIGINT');
    expect(await second.exited).toBe(0);
    // At 09:55 JST: the children cancelled, one market exit.
    expect(tws.orders().map((o) => [o.request.action, o.request.orderType, o.request.orderRef, o.status])).toEqual([
      ['BUY', 'MKT', ref(LONG_ENTRY, 'entry'), 'Filled'],
      ['SELL', 'STP', `rx:long_into_fix:${LONG_ENTRY}.sl:stop`, 'Cancelled'],
      ['SELL', 'LMT', `rx:long_into_fix:${LONG_ENTRY}.tp:takeProfit`, 'Cancelled'],
      ['SELL', 'MKT', ref(LONG_EXIT, 'exit'), 'Filled'],
    ]);
    expect(tws.positions().map((p) => p.position)).toEqual([0]);
    expect(journaledFills(journal)).toEqual([
      [LONG_ENTRY, 'BUY', 100_000, 144.12],
      [LONG_EXIT, 'SELL', 100_000, 144.3],
    ]);
  }, 40_000);
});

/** `npm run live` in process, its output captured; no signals (it is expected to refuse before trading). */
async function runLiveRefusing(args: readonly string[], env: Readonly<Record<string, string>>): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const io = { stdout: { write: (_: string) => undefined }, stderr: { write: (text: string) => void err.push(text) } };
  const code = await runLive(args, { io, env, signals: { on: () => undefined, off: () => undefined } });
  return { code, stderr: err.join('') };
}

describe('a journal that cannot be used stops the engine before it trades', () => {
  it('a second engine on the same journal refuses (naming the first), and the first trades on', async () => {
    tws = await startFakeTws({ accounts: [ACCOUNT], fills: prices });
    const config = writeConfig('two-engines.json', longLegConfig());
    const journal = join(dir, 'two-engines.db');
    const first = engine(config, journal, 56);
    await subscribed(first);
    const second = await runLiveRefusing(['--config', config, '--journal', journal], { IB_PORT: String(tws.port), IB_CLIENT_ID: '57', IB_ACCOUNT: ACCOUNT });
    expect(second.code).toBe(EXIT_DATA);
    expect(second.stderr).toMatch(new RegExp(`journal ${journal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.* in use by another running engine: pid \\d+`));
    // It never connected: TWS knows the first engine only.
    expect(tws.clients().map((c) => c.clientId)).toEqual([56]);
    sendBars(tws, BEFORE_ENTRY);
    await first.waitFor((l) => l.type === 'fill', 'the first engine trading on');
  }, 30_000);

  it('a journal on a read-only path: a clear error, no connection to TWS', async () => {
    tws = await startFakeTws({ accounts: [ACCOUNT] });
    const config = writeConfig('read-only.json', longLegConfig());
    const journal = join(unwritableDirectory(), 'live.journal.db');
    const refused = await runLiveRefusing(['--config', config, '--journal', journal], { IB_PORT: String(tws.port), IB_CLIENT_ID: '58', IB_ACCOUNT: ACCOUNT });
    expect(refused.code).toBe(EXIT_DATA);
    expect(refused.stderr).toContain(`journal ${journal}`);
    expect(refused.stderr).toMatch(/cannot|read-only|permission|EACCES|EROFS/i);
    expect(tws.requests).toEqual([]);
  });

  it('a journal write that fails mid-run (as on a full disk): the order whose intent cannot be committed is not sent, and the engine stops', async () => {
    tws = await startFakeTws({ accounts: [ACCOUNT], fills: prices });
    const configDoc = longLegConfig();
    const config = parseLiveConfig({ ...configDoc, ib: { ...(configDoc.ib as object), host: tws.host, port: tws.port, clientId: 59, account: ACCOUNT } });
    const file = join(dir, 'failing.db');
    const journal = openJournal(file, { mode: 'live', account: ACCOUNT, configHash: journalConfigHash(config), accountCurrency: 'USD', initialCash: 1_000_000 });
    // The journal's own refusal of a full disk is its spec's; here its intent write fails as it would then.
    const full: Journal = {
      ...journal,
      beforeSend: (order) => {
        throw new JournalError('full', file, `full while journaling the intent of order ${order.id} (database or disk is full); nothing of that write was kept`);
      },
    };
    const runner = startLiveRunner({ config, contracts, journal: full });
    const orders: string[] = [];
    runner.events$.subscribe({ next: (e) => e.kind === 'order' && orders.push(`${e.status} ${e.reason ?? ''}`), error: () => undefined });
    await runner.ready;
    await until(() => tws?.subscriptions().realTimeBars === 1, 'the real-time bars subscription at TWS');
    sendBars(tws, BEFORE_ENTRY);
    await expect(runner.done).rejects.toThrow(/full while journaling the intent of order long_into_fix\.USDJPY\.20240104T160000Z\.1/);
    // Never sent: TWS has no order; the order path reported it refused; the connection is closed.
    expect(tws.orders()).toEqual([]);
    expect(orders).toEqual(['Accepted ', 'Rejected BROKER']);
    expect(runner.connection.state().status).toBe('closed');
  }, 20_000);
});
