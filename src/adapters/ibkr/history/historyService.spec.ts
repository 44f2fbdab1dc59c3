import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { IN_MSG_ID } from '@stoqey/ib/dist/core/io/enum/in-msg-id';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contractFor } from '../../../core/contracts';
import type { Bar } from '../../../core/types';
import { readBarsParquet } from '../../../data/dataStore';
import { createIbConnection, type IbConnection } from '../connection';
import { generateBars, startFakeTws, type FakePacingRules, type FakeTws, type FakeTwsOptions, type LoggedRequest } from '../../../testkit/fakeTws';
import { loadIbContracts } from '../contracts';
import { barSizeOf } from './chunks';
import { fetchIbkrHistory, type FetchProgress, type IbkrHistoryOptions } from './historyService';
import { parquetHistoryStore, type HistoryStore } from './store';

/** Bars kept in memory by path, so most cases need no Parquet file. */
function memoryHistoryStore(initial: Readonly<Record<string, readonly Bar[]>> = {}): HistoryStore & { bars(path: string): Bar[] } {
  const files = new Map<string, Map<number, Bar>>();
  for (const [path, bars] of Object.entries(initial)) files.set(path, new Map(bars.map((b) => [b.ts, b])));
  const sorted = (path: string) => [...(files.get(path)?.values() ?? [])].sort((a, b) => a.ts - b.ts);
  return {
    async coverage(path) {
      const bars = sorted(path);
      if (bars.length === 0) return undefined;
      return { symbol: bars[0].symbol, intervalMs: bars[0].intervalMs, firstTs: bars[0].ts, lastTs: bars[bars.length - 1].ts, rows: bars.length };
    },
    async append(path, bars) {
      const file = files.get(path) ?? new Map<number, Bar>();
      for (const b of bars) file.set(b.ts, b);
      files.set(path, file);
      return { rows: file.size };
    },
    bars: sorted,
  };
}

const contracts = loadIbContracts();
const USDJPY = contractFor(contracts, 'USDJPY');
const HOUR = 3_600_000;
const FROM = Date.UTC(2024, 0, 3);
const TO = FROM + 24 * HOUR;
/** IB's rules scaled down a thousandfold, enforced by the fake and kept by the fetcher. */
const tiny = { windowMs: 300, maxPerWindow: 3, identicalMs: 150, perContractWindowMs: 60, perContractMax: 2 };
/** No pacing, for the tests about something else. */
const unpaced = { windowMs: 1, maxPerWindow: 1000, identicalMs: 0, perContractWindowMs: 1, perContractMax: 1000 };
const fastRetry = { initialMs: 10, maxMs: 40, maxRetries: 3 };

let tws: FakeTws | undefined;
let conn: IbConnection | undefined;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ibkr-history-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await conn?.close();
  await tws?.close();
  conn = undefined;
  tws = undefined;
});

async function setup(fake: FakeTwsOptions = {}) {
  tws = await startFakeTws(fake);
  conn = createIbConnection({ host: tws.host, port: tws.port, clientId: 31, reconnect: { initialMs: 10, maxMs: 40, factor: 2 } });
  return { tws, conn };
}

function options(connection: IbConnection, overrides: Partial<IbkrHistoryOptions> = {}): IbkrHistoryOptions {
  return {
    connection,
    contract: USDJPY,
    barSize: barSizeOf('1h'),
    from: FROM,
    to: TO,
    whatToShow: 'MIDPOINT',
    out: 'usdjpy.parquet',
    store: memoryHistoryStore(),
    maxSpanMs: 4 * HOUR,
    pacing: unpaced,
    pacingRetry: fastRetry,
    ...overrides,
  };
}

const historicalRequests = (t: FakeTws) =>
  t.requestsOf('reqHistoricalData').map((r: LoggedRequest) => (r.request?.type === 'reqHistoricalData' ? { at: r.at, ...r.request.request } : (undefined as never)));

/** The bars the fake serves for [from, to), as the fetcher must store them. */
const expected = (from = FROM, to = TO): Bar[] =>
  generateBars(from, to, 3600).map((b) => ({ kind: 'bar', symbol: 'USDJPY', ts: b.ts, intervalMs: HOUR, open: b.open, high: b.high, low: b.low, close: b.close, volume: 0 }));

describe('fetchIbkrHistory against the fake TWS', () => {
  it('splits the range into requests, keeps the pacing rules (request log) and stores every bar once', async () => {
    const { tws, conn } = await setup({ pacing: { ...tiny, jitterMs: 40 } satisfies FakePacingRules });
    const store = memoryHistoryStore();
    const progress: FetchProgress[] = [];
    const result = await fetchIbkrHistory(options(conn, { store, pacing: { ...tiny, marginMs: 5 }, onProgress: (p) => progress.push(p) }));

    expect(result).toEqual({ chunks: 6, requests: 6, bars: 24, rows: 24, aborted: false });
    expect(store.bars('usdjpy.parquet')).toEqual(expected());
    const reqs = historicalRequests(tws);
    // The rules hold on the fetcher's own send times (the fake, judging arrival times with some jitter allowed,
    // found no violation either: no retry).
    const sent = progress.flatMap((p) => (p.kind === 'request' ? [p.sentAt] : []));
    expect(sent).toHaveLength(6);
    for (let i = tiny.maxPerWindow; i < sent.length; i++) expect(sent[i] - sent[i - tiny.maxPerWindow]).toBeGreaterThanOrEqual(tiny.windowMs);
    for (let i = tiny.perContractMax; i < sent.length; i++) {
      expect(sent[i] - sent[i - tiny.perContractMax]).toBeGreaterThanOrEqual(tiny.perContractWindowMs);
    }
    expect(reqs.map((r) => [r.endDateTime, r.duration, r.barSize, r.whatToShow, r.formatDate, r.useRTH])).toEqual(
      ['20240103-04:00:00', '20240103-08:00:00', '20240103-12:00:00', '20240103-16:00:00', '20240103-20:00:00', '20240104-00:00:00'].map((end) => [
        end,
        '14400 S',
        '1 hour',
        'MIDPOINT',
        2,
        false,
      ]),
    );
    expect(reqs[0].contract).toMatchObject({ symbol: 'USD', secType: 'CASH', exchange: 'IDEALPRO', currency: 'JPY', localSymbol: 'USD.JPY' });
    expect(progress.filter((p) => p.kind === 'retry')).toEqual([]);
    expect(progress.filter((p) => p.kind === 'chunk').map((p) => (p.kind === 'chunk' ? p.bars : 0))).toEqual([4, 4, 4, 4, 4, 4]);
    expect(tws.protocolErrors).toEqual([]);
  });

  it('retries a pacing violation (162) with growing backoff, then goes on', async () => {
    let calls = 0;
    const { tws, conn } = await setup({
      historical: (_req, ctx) =>
        ++calls <= 2 ? { error: { code: 162, message: 'Historical Market Data Service error message:Pacing violation' } } : { bars: ctx.defaultBars() },
    });
    const store = memoryHistoryStore();
    const progress: FetchProgress[] = [];
    const result = await fetchIbkrHistory(options(conn, { store, onProgress: (p) => progress.push(p) }));
    expect(result.bars).toBe(24);
    expect(result.requests).toBe(8);
    expect(progress.filter((p) => p.kind === 'retry').map((p) => (p.kind === 'retry' ? p.waitMs : 0))).toEqual([10, 20]);
    const reqs = historicalRequests(tws);
    expect(reqs[0].endDateTime).toBe(reqs[2].endDateTime); // the same chunk, asked three times
    expect(store.bars('usdjpy.parquet')).toEqual(expected());
  });

  it('gives up after the retries, naming the contract and the end of the chunk', async () => {
    const { conn } = await setup({ historical: () => ({ error: { code: 162, message: 'Historical Market Data Service error message:Pacing violation' } }) });
    await expect(fetchIbkrHistory(options(conn))).rejects.toThrow(
      'IB kept answering pacing violations for USDJPY ending 20240103-04:00:00 after 3 retries: Historical Market Data Service error message:Pacing violation',
    );
  });

  it('treats "HMDS query returned no data" as an empty chunk (a weekend)', async () => {
    const { conn } = await setup({
      historical: (_req, ctx) => ({ bars: ctx.endMs <= FROM + 8 * HOUR ? [] : ctx.defaultBars() }),
    });
    const store = memoryHistoryStore();
    const result = await fetchIbkrHistory(options(conn, { store }));
    expect(result.bars).toBe(16);
    expect(store.bars('usdjpy.parquet')).toEqual(expected(FROM + 8 * HOUR));
  });

  it('resumes after what the output holds, requesting only the rest, without duplicates', async () => {
    const { tws, conn } = await setup();
    const store = memoryHistoryStore({ 'usdjpy.parquet': expected(FROM, FROM + 10 * HOUR) });
    const progress: FetchProgress[] = [];
    const result = await fetchIbkrHistory(options(conn, { store, onProgress: (p) => progress.push(p) }));
    expect(progress[0]).toEqual({
      kind: 'plan',
      chunks: 4,
      ranges: [{ start: FROM + 10 * HOUR, end: TO }],
      existing: { first: FROM, last: FROM + 9 * HOUR, rows: 10 },
    });
    expect(historicalRequests(tws).map((r) => [r.endDateTime, r.duration])).toEqual([
      ['20240103-14:00:00', '14400 S'],
      ['20240103-18:00:00', '14400 S'],
      ['20240103-22:00:00', '14400 S'],
      ['20240104-00:00:00', '7200 S'],
    ]);
    expect(result.bars).toBe(14);
    expect(store.bars('usdjpy.parquet')).toEqual(expected());
  });

  it('an interrupted fetch keeps what it got; the rerun completes it (Parquet DataStore, no duplicate rows)', async () => {
    const { tws, conn } = await setup();
    const out = join(dir, 'resume.parquet');
    const stop = new AbortController();
    const first = await fetchIbkrHistory(
      options(conn, {
        store: parquetHistoryStore,
        out,
        flushEvery: 2,
        onProgress: (p) => {
          if (p.kind === 'chunk' && p.index === 3) stop.abort();
        },
        signal: stop.signal,
      }),
    );
    expect(first).toMatchObject({ aborted: true, bars: 12, rows: 12 });
    const before = historicalRequests(tws).length;
    const second = await fetchIbkrHistory(options(conn, { store: parquetHistoryStore, out }));
    expect(second).toMatchObject({ aborted: false, chunks: 3, bars: 12, rows: 24 });
    expect(historicalRequests(tws).length - before).toBe(3);
    const stored = await readBarsParquet(out);
    expect(stored).toEqual(expected());
    // A third run finds nothing missing and asks TWS for nothing.
    const third = await fetchIbkrHistory(options(conn, { store: parquetHistoryStore, out }));
    expect(third).toMatchObject({ chunks: 0, requests: 0, rows: 24 });
  });

  it('refuses to mix another symbol or interval into an existing output', async () => {
    const { conn } = await setup();
    const store = memoryHistoryStore({ 'usdjpy.parquet': expected().map((b) => ({ ...b, symbol: 'EURUSD' })) });
    await expect(fetchIbkrHistory(options(conn, { store }))).rejects.toThrow(
      'usdjpy.parquet: one file holds one symbol and interval (it holds EURUSD 3600000 ms bars; this fetch is USDJPY 3600000 ms)',
    );
  });

  it('retries a request lost on the way (timeout) and one cut by a dropped connection', async () => {
    let calls = 0;
    const { tws, conn } = await setup({ historical: (_req, ctx) => (++calls <= 2 ? { silent: true } : { bars: ctx.defaultBars() }) });
    const store = memoryHistoryStore();
    const progress: FetchProgress[] = [];
    const run = fetchIbkrHistory(options(conn, { store, to: FROM + 4 * HOUR, requestTimeoutMs: 150, onProgress: (p) => progress.push(p) }));
    await tws.waitForRequest((r) => r.request?.type === 'reqHistoricalData');
    tws.dropConnections();
    const result = await run;
    expect(result).toMatchObject({ bars: 4, requests: 3 });
    expect(progress.filter((p) => p.kind === 'retry').map((p) => (p.kind === 'retry' ? p.reason : ''))).toEqual(['connection lost', 'no answer within 150 ms']);
    expect(tws.requestsOf('cancelHistoricalData')).toHaveLength(1);
    expect(store.bars('usdjpy.parquet')).toEqual(expected(FROM, FROM + 4 * HOUR));
  });

  it('stops on another TWS error for the request, with its code and text', async () => {
    const { conn } = await setup({ historical: () => ({ error: { code: 200, message: 'No security definition has been found for the request' } }) });
    await expect(fetchIbkrHistory(options(conn))).rejects.toThrow(
      /^IB reqHistoricalData USDJPY ending 20240103-04:00:00 \(request \d+\) failed: TWS error 200: No security definition has been found for the request$/,
    );
  });

  it('stops with the message id, request, bar and field on a malformed bar, keeping the bars before it', async () => {
    const { tws, conn } = await setup({ historical: (req, ctx) => (ctx.endMs > FROM + 4 * HOUR ? { silent: true } : { bars: ctx.defaultBars() }) });
    const store = memoryHistoryStore();
    const run = fetchIbkrHistory(options(conn, { store }));
    const second = await tws.waitForRequest((r) => r.request?.type === 'reqHistoricalData' && r.request.request.endDateTime === '20240103-08:00:00');
    const reqId = second.request?.type === 'reqHistoricalData' ? second.request.request.reqId : -1;
    tws.sendRaw([IN_MSG_ID.HISTORICAL_DATA, reqId, '1704254400', '1704268800', 2, '1704254400', 150.1, 150.2, 150.0, 150.1, -1, -1, -1, '1704258000', 150.1, 149.9, 150.0, 150.05, -1, -1, -1]);
    await expect(run).rejects.toThrow(
      `IB historicalData (message 17) request ${reqId} (USDJPY 2024-01-03T04:00:00.000Z..2024-01-03T08:00:00.000Z) bar 2, field "high": low ≤ open, close ≤ high (open 150.1 high 149.9 low 150 close 150.05)`,
    );
    expect(store.bars('usdjpy.parquet')).toEqual(expected(FROM, FROM + 4 * HOUR));
  });
});
