import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadIbContracts } from '../adapters/ibkr/contracts';
import { journalConfigHash, openJournal, readJournal } from '../journal';
import { startFakeTws, type FakeTws, type WireRealTimeBar } from '../testkit/fakeTws';
import { until } from '../../test/support/until';
import { startLiveRunner, type LiveEvent, type LiveRunner } from './liveRunner';
import { loadLiveConfig, parseLiveConfig, type LiveConfig } from './liveConfig';
import { USDJPY_WIRE } from '../../test/support/ibContracts';

/**
 * Recovery decisions of the live runner on a journal, in process against the fake TWS: a position at TWS that
 * the book does not have stops its symbol until it is reconciled (or is adopted at start when asked), and the
 * kill switch outlives the run that set it.
 */

const contracts = loadIbContracts();
const shipped = loadLiveConfig(resolve(__dirname, '../../config/live.json'));
const ACCOUNT = 'DU1234567';
const ENTRY = 'long_into_fix.USDJPY.20240104T160000Z.1';

let dir: string;
let tws: FakeTws | undefined;
const runners: LiveRunner[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'live-recovery-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const r of runners.splice(0)) await r.shutdown('test cleanup').catch(() => undefined);
  await tws?.close();
  tws = undefined;
});

function configFor(fake: FakeTws, extra: Record<string, unknown> = {}): LiveConfig {
  return parseLiveConfig({
    ...shipped,
    strategies: shipped.strategies.filter((s) => s.id === 'long_into_fix'),
    ib: { host: fake.host, port: fake.port, clientId: 5, account: ACCOUNT, reconnect: { initialMs: 10, maxMs: 40, factor: 2 } },
    live: { ...shipped.live, connectTimeoutMs: 3000, commissionTimeoutMs: 500, cancelTimeoutMs: 1000 },
    ...extra,
  });
}

/** A runner on the journal `file` (opened for it), its events collected. */
function start(config: LiveConfig, file: string, adoptBrokerPositions = false): { runner: LiveRunner; events: LiveEvent[] } {
  const journal = openJournal(file, { mode: 'live', account: ACCOUNT, configHash: journalConfigHash(config), accountCurrency: 'USD', initialCash: 1_000_000 });
  const runner = startLiveRunner({ config, contracts, journal, adoptBrokerPositions });
  runners.push(runner);
  const events: LiveEvent[] = [];
  runner.events$.subscribe({ next: (e) => events.push(e), error: () => undefined });
  return { runner, events };
}

/** Up to 15:59:55Z at `price`: the 15:59 bar closes at 01:00 JST (a gotobi day) and the long leg decides. */
const toEntry = (price: number): WireRealTimeBar[] =>
  Array.from({ length: 24 }, (_, i) => ({ time: Date.parse('2024-01-04T15:58:00Z') / 1000 + 5 * i, open: price, high: price, low: price, close: price, volume: -1, wap: -1, count: -1 }));

const ofKind = <K extends LiveEvent['kind']>(events: readonly LiveEvent[], kind: K) => events.filter((e): e is Extract<LiveEvent, { kind: K }> => e.kind === kind);

describe('live recovery on a journal', () => {
  it('a position at TWS the book lacks stops its symbol (orders refused, reported) until /reconcile books it from the journal', async () => {
    tws = await startFakeTws({ accounts: [ACCOUNT], fills: { price: 144.2, commission: 2, commissionCurrency: 'USD' } });
    tws.setPositions([{ account: ACCOUNT, contract: USDJPY_WIRE, position: 100_000, avgCost: 144.05 }]);
    const config = configFor(tws, { interfaces: { http: { port: 0, logLevel: 'silent' } } });
    const file = join(dir, 'mismatch.db');
    const { runner, events } = start(config, file);
    const report = await runner.ready;
    expect(report.mismatches).toEqual([{ symbol: 'USDJPY', brokerQty: 100_000, bookQty: 0, brokerAvgPrice: 144.05 }]);
    expect(ofKind(events, 'recovery')[0].summary.stoppedSymbols).toEqual({
      USDJPY: 'the position at TWS (100000) differs from the book\'s (0): resolve it with --adopt-broker-positions or /reconcile',
    });
    expect(runner.control?.recentEvents().some((e) => e.kind === 'notice' && e.level === 'warn' && e.message.includes('USDJPY is not traded until it is resolved'))).toBe(true);
    expect(runner.control?.status().notTraded).toEqual({ USDJPY: expect.stringContaining('the position at TWS (100000) differs') });

    await until(() => tws?.subscriptions().realTimeBars === 1, 'the subscription');
    for (const bar of toEntry(144.1)) tws.sendRealTimeBar(bar);
    await until(() => ofKind(events, 'order').some((e) => e.status === 'Rejected'), 'the entry refused');
    expect(ofKind(events, 'order').map((e) => [e.status, e.reason, e.message])).toEqual([
      ['Accepted', undefined, undefined],
      ['Rejected', 'BROKER', expect.stringContaining('USDJPY is not traded: the position at TWS (100000) differs')],
    ]);
    expect(tws.orders()).toEqual([]);

    // The user resolves it: TWS's position is journaled as an adjustment and booked; the symbol trades again.
    const check = await runner.reconcile('USDJPY', { source: 'test' });
    expect(check).toMatchObject({ symbol: 'USDJPY', brokerQty: 100_000, bookQty: 100_000 });
    expect(runner.stoppedSymbols().size).toBe(0);
    expect(runner.control?.status().notTraded).toEqual({});
    expect(runner.run.book.position('long_into_fix', 'USDJPY')).toBe(100_000);
    await runner.shutdown('done');
    const reader = readJournal(file);
    try {
      expect(reader.controlActions().map((c) => c.action)).toEqual([
        expect.objectContaining({ kind: 'reconcile', strategyId: 'long_into_fix', symbol: 'USDJPY', qty: 100_000, price: 144.05, source: 'test' }),
      ]);
    } finally {
      reader.close();
    }

    // The next start recovers the adjusted position, and TWS agrees.
    const next = start(config, file);
    const agreed = await next.runner.ready;
    expect(agreed.mismatches).toEqual([]);
    expect(ofKind(next.events, 'recovered-position').map((e) => [e.position.strategyId, e.position.qty, e.position.avgPrice])).toEqual([['long_into_fix', 100_000, 144.05]]);
  }, 20_000);

  it('--adopt-broker-positions books the difference at start: the reconcile line shows the book equal to TWS', async () => {
    tws = await startFakeTws({ accounts: [ACCOUNT] });
    tws.setPositions([{ account: ACCOUNT, contract: USDJPY_WIRE, position: -100_000, avgCost: 145.5 }]);
    const { runner, events } = start(configFor(tws), join(dir, 'adopt.db'), true);
    const report = await runner.ready;
    expect(report.mismatches).toEqual([]);
    expect(report.positions).toEqual([{ symbol: 'USDJPY', brokerQty: -100_000, bookQty: -100_000, brokerAvgPrice: 145.5 }]);
    expect(ofKind(events, 'reconciled')).toEqual([expect.objectContaining({ strategyId: 'long_into_fix', symbol: 'USDJPY', qty: -100_000, price: 145.5, source: 'cli' })]);
    expect(ofKind(events, 'recovery')[0].summary.stoppedSymbols).toEqual({});
    const kinds = events.map((e) => e.kind);
    expect(kinds.indexOf('reconciled')).toBeLessThan(kinds.indexOf('reconcile'));
  });

  it('the kill switch outlives the run that set it: restored at start, new exposure refused', async () => {
    tws = await startFakeTws({ accounts: [ACCOUNT], fills: { price: 144.2 } });
    const config = configFor(tws, { interfaces: { http: { port: 0, logLevel: 'silent' } } });
    const file = join(dir, 'kill.db');
    const first = start(config, file);
    await first.runner.ready;
    first.runner.control?.setKillSwitch(true, 'operator stop');
    await first.runner.shutdown('done');

    const second = start(config, file);
    await second.runner.ready;
    expect(second.runner.control?.status().killSwitch).toMatchObject({ on: true, reason: 'operator stop' });
    expect(ofKind(second.events, 'recovery')[0].summary.killSwitch).toMatchObject({ on: true, reason: 'operator stop', source: 'engine' });
    await until(() => tws?.subscriptions().realTimeBars === 1, 'the subscription');
    for (const bar of toEntry(144.1)) tws.sendRealTimeBar(bar);
    await until(() => ofKind(second.events, 'order').length > 0, 'the entry decided');
    expect(ofKind(second.events, 'order').map((e) => [e.order.id, e.status, e.reason])).toEqual([[ENTRY, 'Rejected', 'KILL_SWITCH']]);
    expect(tws.orders()).toEqual([]);
  });

  it('over HTTP (token needed, as every data route): POST /reconcile resolves a mismatch, GET /journal/fills?from= reads the journal', async () => {
    tws = await startFakeTws({ accounts: [ACCOUNT], fills: { price: 144.2, commission: 2, commissionCurrency: 'USD' } });
    tws.setPositions([{ account: ACCOUNT, contract: USDJPY_WIRE, position: 100_000, avgCost: 144.05 }]);
    const { runner, events } = start(configFor(tws, { interfaces: { http: { port: 0, logLevel: 'silent' } } }), join(dir, 'http.db'));
    await runner.ready;
    const http = runner.surfaces()?.http;
    if (http === undefined) throw new Error('no HTTP API');
    const call = (path: string, init: RequestInit = {}) => fetch(`${http.url}${path}`, { ...init, headers: { authorization: `Bearer ${http.token}`, 'content-type': 'application/json' } });

    expect((await fetch(`${http.url}/journal/fills`)).status).toBe(401);
    const bad = await call('/reconcile', { method: 'POST', body: JSON.stringify({ symbol: 'USDJPY' }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'VALIDATION', message: expect.stringContaining('reason') } });
    const resolved = await call('/reconcile', { method: 'POST', body: JSON.stringify({ symbol: 'USDJPY', reason: 'the position opened by hand is the leg\'s' }) });
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toEqual({ symbol: 'USDJPY', brokerQty: 100_000, bookQty: 100_000 });
    expect(ofKind(events, 'reconciled')).toEqual([expect.objectContaining({ symbol: 'USDJPY', qty: 100_000, source: 'http' })]);
    const unknown = await call('/reconcile', { method: 'POST', body: JSON.stringify({ symbol: 'EURUSD', reason: 'x' }) });
    expect(unknown.status).toBe(409);

    // The exit at 09:55 JST trades again: one fill, journaled, read back by event time.
    await until(() => tws?.subscriptions().realTimeBars === 1, 'the subscription');
    for (const bar of toEntry(144.1).map((b) => ({ ...b, time: b.time + Date.parse('2024-01-05T00:55:00Z') / 1000 - Date.parse('2024-01-04T16:00:00Z') / 1000 }))) tws.sendRealTimeBar(bar);
    // (the adjustment was booked as a fill of its own, `reconcile:<seq>`, journaled as a control action)
    const exits = () => ofKind(events, 'fill').filter((f) => !f.execId.startsWith('reconcile:'));
    await until(() => exits().length === 1, 'the exit fill');
    const all = (await (await call('/journal/fills')).json()) as { fills: { fill: { orderId: string; side: string } }[] };
    expect(all.fills.map((f) => [f.fill.orderId, f.fill.side])).toEqual([['long_into_fix.USDJPY.20240105T005500Z.1', 'SELL']]);
    const fillTs = exits()[0].ts;
    expect(((await (await call(`/journal/fills?from=${fillTs + 1}`)).json()) as { fills: unknown[] }).fills).toEqual([]);
    expect(((await (await call(`/journal/fills?from=${new Date(fillTs).toISOString()}`)).json()) as { fills: unknown[] }).fills).toHaveLength(1);
    const badRange = await call('/journal/fills?from=yesterday');
    expect(badRange.status).toBe(400);
    expect(await badRange.json()).toEqual({ error: { code: 'VALIDATION', message: expect.stringContaining('expected ISO 8601') } });
  });
});
