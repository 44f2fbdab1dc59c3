import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigError, DataError } from '../../core/errors';
import type { Bar } from '../../core/types';
import { minuteAggs, startFakePolygon, type FakePolygon, type FakePolygonOptions } from '../../../test/support/fakePolygon';
import { aggregatesUrl, parseRetryAfter, polygonBars, PolygonHttpError, type AggregatesRequest, type PolygonClientOptions, type PolygonFetchEvent } from './aggregates';

const JAN2 = Date.UTC(2024, 0, 2);
const request: AggregatesRequest = { ticker: 'C:USDJPY', multiplier: 1, timespan: 'minute', from: '2024-01-02', to: '2024-01-02' };

const fakes: FakePolygon[] = [];
afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.close();
});

async function fake(options: FakePolygonOptions = {}): Promise<FakePolygon> {
  const server = await startFakePolygon({ aggs: { 'C:USDJPY': minuteAggs(JAN2, 25) }, ...options });
  fakes.push(server);
  return server;
}

async function fetchAll(server: FakePolygon, extra: Partial<PolygonClientOptions> = {}, req: AggregatesRequest = request) {
  const events: PolygonFetchEvent[] = [];
  const sleeps: number[] = [];
  const bars: Bar[] = [];
  const options = {
    apiKey: 'test-key',
    baseUrl: server.baseUrl,
    symbol: 'USDJPY',
    retry: { initialDelayMs: 1, maxDelayMs: 4, maxRetries: 3 },
    onEvent: (e: PolygonFetchEvent) => events.push(e),
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    ...extra,
  };
  for await (const bar of polygonBars(req, options)) bars.push(bar);
  return { bars, events, sleeps };
}

describe('polygonBars', () => {
  it('asks for the documented aggregates URL with adjusted, sort=asc, limit and the apiKey', async () => {
    expect(aggregatesUrl(request, 'https://api.polygon.io/').toString()).toBe(
      'https://api.polygon.io/v2/aggs/ticker/C:USDJPY/range/1/minute/2024-01-02/2024-01-02?adjusted=true&sort=asc&limit=50000',
    );
    const server = await fake();
    const { bars } = await fetchAll(server);
    expect(server.requests).toEqual([
      { path: '/v2/aggs/ticker/C:USDJPY/range/1/minute/2024-01-02/2024-01-02', query: { adjusted: 'true', sort: 'asc', limit: '50000', apiKey: 'test-key' } },
    ]);
    expect(bars).toHaveLength(25);
    const [a] = minuteAggs(JAN2, 1);
    expect(bars[0]).toEqual({ kind: 'bar', symbol: 'USDJPY', ts: JAN2, intervalMs: 60_000, open: a.o, high: a.h, low: a.l, close: a.c, volume: a.v });
  });

  it('follows next_url page after page, appending the apiKey again each time', async () => {
    const server = await fake({ pageSize: 10 });
    const { bars, events } = await fetchAll(server);
    expect(bars.map((b) => (b.ts - JAN2) / 60_000)).toEqual([...Array(25).keys()]);
    expect(server.requests.map((r) => [r.query.cursor, r.query.apiKey])).toEqual([
      [undefined, 'test-key'],
      ['10', 'test-key'],
      ['20', 'test-key'],
    ]);
    expect(events).toEqual([
      { type: 'page', page: 1, resultsCount: 10, status: 'OK', hasMore: true },
      { type: 'page', page: 2, resultsCount: 10, status: 'OK', hasMore: true },
      { type: 'page', page: 3, resultsCount: 5, status: 'OK', hasMore: false },
    ]);
  });

  it('backs off on 429, honouring Retry-After when given, then goes on', async () => {
    const server = await fake({ pageSize: 10 });
    const limited = { status: 429, body: { status: 'ERROR', request_id: 'x', error: "You've exceeded the maximum requests per minute" } };
    server.script(limited, { ...limited, headers: { 'retry-after': '0' } });
    const { bars, events, sleeps } = await fetchAll(server);
    expect(bars).toHaveLength(25);
    expect(sleeps).toEqual([1, 0]);
    expect(events.filter((e) => e.type === 'retry')).toEqual([
      { type: 'retry', page: 1, attempt: 1, delayMs: 1, reason: 'HTTP 429' },
      { type: 'retry', page: 1, attempt: 2, delayMs: 0, reason: 'HTTP 429 (Retry-After)' },
    ]);
    expect(server.requests).toHaveLength(5);
  });

  it('gives up after maxRetries, with the status and the message', async () => {
    const server = await fake();
    const limited = { status: 429, body: { status: 'ERROR', request_id: 'x', error: 'slow down' } };
    server.script(limited, limited, limited, limited);
    const error = await fetchAll(server).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolygonHttpError);
    expect((error as Error).message).toMatch(/^Polygon kept rate-limiting the request \(HTTP 429: ERROR: slow down\)/);
    // The first try and maxRetries (3) retries, no more.
    expect(server.requests).toHaveLength(4);
  });

  it('explains a 401 and never shows the key', async () => {
    const server = await fake();
    const error = await fetchAll(server, { apiKey: 'wrong-key' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolygonHttpError);
    expect((error as PolygonHttpError).status).toBe(401);
    expect((error as Error).message).toBe(
      `Polygon rejected the API key (HTTP 401: ERROR: Unknown API Key); check POLYGON_API_KEY (${server.baseUrl}/v2/aggs/ticker/C:USDJPY/range/1/minute/2024-01-02/2024-01-02?adjusted=true&sort=asc&limit=50000&apiKey=***)`,
    );
    expect((error as Error).message).not.toContain('wrong-key');
  });

  it('explains a 403', async () => {
    const server = await fake({ forbidden: ['C:USDJPY'] });
    await expect(fetchAll(server)).rejects.toThrow(
      /^Polygon refused access \(HTTP 403: NOT_AUTHORIZED: You are not entitled to this data\. Please upgrade your plan at https:\/\/polygon\.io\/pricing\); the key's plan may not cover this ticker, timespan or date range/,
    );
  });

  it('reports another non-2xx status with the body, retrying only gateway errors', async () => {
    const server = await fake();
    server.script({ status: 503, body: 'upstream busy' }, { status: 500, body: { status: 'ERROR', error: 'internal' } });
    await expect(fetchAll(server)).rejects.toThrow(/^Polygon answered HTTP 500: ERROR: internal \(/);
    expect(server.requests).toHaveLength(2);
  });

  it('treats an empty range as no bars, not an error', async () => {
    const server = await fake();
    const { bars, events } = await fetchAll(server, {}, { ...request, from: '2024-01-06', to: '2024-01-07' });
    expect(bars).toEqual([]);
    expect(events).toEqual([{ type: 'page', page: 1, resultsCount: 0, status: 'OK', hasMore: false }]);
  });

  it('fails with a DataError on a body that is not JSON', async () => {
    const server = await fake();
    server.script({ status: 200, body: '<html>gateway</html>' });
    const error = await fetchAll(server).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(/^Polygon page 1: response body must be JSON \(/);
  });

  it('fails with a DataError naming the page, row and field of an invalid result', async () => {
    const server = await fake({ pageSize: 10 });
    const [a, b] = minuteAggs(JAN2, 2);
    server.script({ status: 200, body: { status: 'OK', resultsCount: 2, results: [a, { ...b, h: b.l - 0.01 }] } });
    await expect(fetchAll(server)).rejects.toThrow(/^Polygon page 1, row 2, field "results\[1\]\.h": high must not be below open or close \(/);
    server.script({ status: 200, body: { status: 'ERROR', resultsCount: 0 } });
    await expect(fetchAll(server)).rejects.toThrow(/^Polygon page 1, field "status": must be "OK" or "DELAYED"/);
    server.script({ status: 200, body: { status: 'OK', resultsCount: 1, results: [{ ...a, t: '2024-01-02' }] } });
    await expect(fetchAll(server)).rejects.toThrow(/^Polygon page 1, row 1, field "results\[0\]\.t": /);
  });

  it('drops a bar repeated across a page boundary and refuses one out of order', async () => {
    const server = await fake();
    const [a, b, c] = minuteAggs(JAN2, 3);
    server.script({ status: 200, body: { status: 'OK', resultsCount: 2, results: [a, b], next_url: `${server.baseUrl}/v2/aggs/page2` } });
    server.script({ status: 200, body: { status: 'DELAYED', resultsCount: 2, results: [b, c] } });
    const { bars, events } = await fetchAll(server);
    expect(bars.map((x) => x.ts)).toEqual([a.t, b.t, c.t]);
    expect(events).toContainEqual({ type: 'duplicate', page: 2, ts: b.t });
    expect(server.requests[1]).toEqual({ path: '/v2/aggs/page2', query: { apiKey: 'test-key' } });

    server.script({ status: 200, body: { status: 'OK', resultsCount: 2, results: [b, a] } });
    await expect(fetchAll(server)).rejects.toThrow(/^Polygon page 1, row 2, field "results\[1\]\.t": results must be in ascending time \(sort=asc\)/);
  });

  it('never sends the key to another host named by next_url', async () => {
    const server = await fake();
    const [a] = minuteAggs(JAN2, 1);
    server.script({ status: 200, body: { status: 'OK', resultsCount: 1, results: [a], next_url: 'https://elsewhere.example/v2/aggs/x' } });
    await expect(fetchAll(server)).rejects.toThrow(/^Polygon page 1, field "next_url": next_url must stay on the Polygon host/);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses requests it cannot express as bars', async () => {
    const server = await fake();
    await expect(fetchAll(server, {}, { ...request, timespan: 'month' as 'minute' })).rejects.toThrow(ConfigError);
    await expect(fetchAll(server, {}, { ...request, from: '01/02/2024' })).rejects.toThrow('from must be a date YYYY-MM-DD or epoch ms, got "01/02/2024"');
    expect(server.requests).toHaveLength(0);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Fri, 05 Jan 2024 00:00:10 GMT', Date.UTC(2024, 0, 5))).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
