import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Polygon.io REST server on 127.0.0.1 for tests, serving the documented aggregates JSON
 * (`/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}`):
 *
 * - the bars given for a ticker, filtered to [from 00:00Z, to 24:00Z), `pageSize` (or `limit`, if smaller) per
 *   page, with `next_url` (an opaque `cursor`, no apiKey, as Polygon sends it) while more remain; an empty range
 *   has `resultsCount: 0` and no `results`, as Polygon answers;
 * - 401 `{"status":"ERROR","error":"Unknown API Key"}` for a missing or wrong apiKey; 403 NOT_AUTHORIZED for the
 *   tickers listed in `forbidden`;
 * - scripted answers first, in order: e.g. a 429 with or without Retry-After, a 500, a malformed body.
 *
 * Every request is recorded (path and query, apiKey included, so tests can check it was re-appended).
 */

export interface FakeAgg {
  readonly t: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
  readonly vw?: number;
  readonly n?: number;
}

export interface ScriptedAnswer {
  readonly status: number;
  /** An object is sent as JSON, a string as is (e.g. a malformed body). */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface FakePolygonOptions {
  readonly apiKey?: string;
  /** Ticker → its aggregates, in ascending `t`. */
  readonly aggs?: Readonly<Record<string, readonly FakeAgg[]>>;
  readonly pageSize?: number;
  readonly forbidden?: readonly string[];
}

export interface RecordedRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
}

export interface FakePolygon {
  readonly baseUrl: string;
  readonly requests: readonly RecordedRequest[];
  /** Answers the next requests with these, in order, before serving data again. */
  script(...answers: readonly ScriptedAnswer[]): void;
  close(): Promise<void>;
}

const AGGS_PATH = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/(\d+)\/([a-z]+)\/([^/]+)\/([^/]+)$/;

export async function startFakePolygon(options: FakePolygonOptions = {}): Promise<FakePolygon> {
  const apiKey = options.apiKey ?? 'test-key';
  const pageSize = options.pageSize ?? 50_000;
  const requests: RecordedRequest[] = [];
  const scripted: ScriptedAnswer[] = [];
  let requestSeq = 0;
  let baseUrl = '';

  const send = (res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', baseUrl);
    const query = Object.fromEntries(url.searchParams.entries());
    requests.push({ path: decodeURIComponent(url.pathname), query });
    const requestId = `req-${++requestSeq}`;
    const answer = scripted.shift();
    if (answer !== undefined) {
      send(res, answer.status, answer.body ?? '', answer.headers);
      return;
    }
    if (query.apiKey !== apiKey) {
      send(res, 401, { status: 'ERROR', request_id: requestId, error: 'Unknown API Key' });
      return;
    }
    const match = AGGS_PATH.exec(url.pathname);
    if (match === null) {
      send(res, 404, { status: 'NOT_FOUND', request_id: requestId, message: 'Not found' });
      return;
    }
    const [, rawTicker, multiplier, timespan, from, to] = match;
    const ticker = decodeURIComponent(rawTicker);
    if (options.forbidden?.includes(ticker)) {
      send(res, 403, {
        status: 'NOT_AUTHORIZED',
        request_id: requestId,
        message: 'You are not entitled to this data. Please upgrade your plan at https://polygon.io/pricing',
      });
      return;
    }
    const start = toMs(from);
    const end = /^\d+$/.test(to) ? Number(to) + 1 : toMs(to) + 86_400_000;
    const inRange = (options.aggs?.[ticker] ?? []).filter((a) => a.t >= start && a.t < end);
    const cursor = Number(query.cursor ?? '0');
    const size = Math.min(pageSize, Number(query.limit ?? '50000'));
    const results = inRange.slice(cursor, cursor + size);
    const more = cursor + size < inRange.length;
    const next = new URL(`/v2/aggs/ticker/${rawTicker}/range/${multiplier}/${timespan}/${from}/${to}`, baseUrl);
    next.searchParams.set('cursor', String(cursor + size));
    send(res, 200, {
      ticker,
      queryCount: results.length,
      resultsCount: results.length,
      adjusted: query.adjusted !== 'false',
      ...(results.length > 0 ? { results } : {}),
      status: 'OK',
      request_id: requestId,
      count: results.length,
      ...(more ? { next_url: next.toString() } : {}),
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | undefined;

  return {
    baseUrl,
    requests,
    script: (...answers) => {
      scripted.push(...answers);
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function toMs(date: string): number {
  return /^\d+$/.test(date) ? Number(date) : Date.parse(`${date}T00:00:00Z`);
}

/**
 * Deterministic minute aggregates: a walk of ±0.01 around `startPrice`, one bar a minute from `startMs`
 * (forex-style: v = ticks, vw, n). Every bar satisfies low ≤ open, close ≤ high.
 */
export function minuteAggs(startMs: number, count: number, startPrice = 150): FakeAgg[] {
  const out: FakeAgg[] = [];
  let price = startPrice;
  for (let i = 0; i < count; i++) {
    const step = ((i * 7919) % 5) - 2; // −2 … +2 hundredths
    const open = price;
    const close = Math.round((price + step / 100) * 1000) / 1000;
    const high = Math.round((Math.max(open, close) + 0.005) * 1000) / 1000;
    const low = Math.round((Math.min(open, close) - 0.005) * 1000) / 1000;
    out.push({ t: startMs + i * 60_000, o: open, h: high, l: low, c: close, v: 10 + (i % 7), vw: Math.round(((open + close) / 2) * 10000) / 10000, n: 10 + (i % 7) });
    price = close;
  }
  return out;
}
