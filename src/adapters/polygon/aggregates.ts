import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError, DataError } from '../../core/errors';
import type { Bar } from '../../core/types';
import { aggregatesResponseSchema, errorBodyMessage, type AggregatesResponse, type PolygonAggregate } from './schema';

/**
 * Polygon.io aggregates over HTTP: builds the request, follows `next_url` page after page (appending the apiKey
 * again, and only to the same origin), retries rate limits and gateway errors with bounded backoff, validates
 * every response with zod, and turns the results into the graph's `Bar`s in ascending time.
 */

export const POLYGON_BASE_URL = 'https://api.polygon.io';

/** Timespans with a fixed length; month, quarter and year vary and cannot be a `Bar.intervalMs`. */
export const TIMESPAN_MS = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
} as const;

export type Timespan = keyof typeof TIMESPAN_MS;

export interface AggregatesRequest {
  /** Polygon ticker: `C:USDJPY` (forex), `X:BTCUSD` (crypto), `AAPL` (stocks), … */
  readonly ticker: string;
  readonly multiplier: number;
  readonly timespan: Timespan;
  /** `YYYY-MM-DD` (or epoch ms as text), inclusive. */
  readonly from: string;
  readonly to: string;
  /** Default true. */
  readonly adjusted?: boolean;
  /** Results per page, 1…50 000 (the maximum, default). */
  readonly limit?: number;
}

export interface RetryOptions {
  /** Retries of one request after a 429, a 502/503/504 or a network failure; default 5. */
  readonly maxRetries?: number;
  /** Backoff when the server gives no Retry-After: this, doubling per retry; default 1 000 ms. */
  readonly initialDelayMs?: number;
  /** Cap of that backoff; default 60 000 ms. */
  readonly maxDelayMs?: number;
}

export interface PolygonClientOptions {
  readonly apiKey: string;
  /** Default https://api.polygon.io (POLYGON_BASE_URL in the CLI). */
  readonly baseUrl?: string;
  readonly retry?: RetryOptions;
  /** Per request; default 60 000 ms. */
  readonly timeoutMs?: number;
  /** Told about every page fetched and every retry (the CLI prints these on stderr). */
  readonly onEvent?: (event: PolygonFetchEvent) => void;
  /** Default `setTimeout` from node:timers/promises; tests may pass their own. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export type PolygonFetchEvent =
  | { readonly type: 'page'; readonly page: number; readonly resultsCount: number; readonly status: 'OK' | 'DELAYED'; readonly hasMore: boolean }
  | { readonly type: 'retry'; readonly page: number; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'duplicate'; readonly page: number; readonly ts: number };

/** A non-2xx answer, with the status and Polygon's own message; the apiKey is never part of it. */
export class PolygonHttpError extends Error {
  override readonly name = 'PolygonHttpError';
  constructor(
    readonly status: number,
    readonly bodyMessage: string,
    readonly url: string,
  ) {
    super(describeStatus(status, bodyMessage, url));
  }
}

function describeStatus(status: number, bodyMessage: string, url: string): string {
  if (status === 401) {
    return `Polygon rejected the API key (HTTP 401: ${bodyMessage}); check POLYGON_API_KEY (${url})`;
  }
  if (status === 403) {
    return `Polygon refused access (HTTP 403: ${bodyMessage}); the key's plan may not cover this ticker, timespan or date range (${url})`;
  }
  if (status === 429) return `Polygon kept rate-limiting the request (HTTP 429: ${bodyMessage}) (${url})`;
  return `Polygon answered HTTP ${status}: ${bodyMessage} (${url})`;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** The first page's URL, without the apiKey. */
export function aggregatesUrl(request: AggregatesRequest, baseUrl: string = POLYGON_BASE_URL): URL {
  const ticker = encodeURIComponent(request.ticker).replace(/%3A/gi, ':');
  const base = baseUrl.replace(/\/+$/, '');
  const url = new URL(`${base}/v2/aggs/ticker/${ticker}/range/${request.multiplier}/${request.timespan}/${request.from}/${request.to}`);
  url.searchParams.set('adjusted', String(request.adjusted ?? true));
  url.searchParams.set('sort', 'asc');
  url.searchParams.set('limit', String(request.limit ?? 50_000));
  return url;
}

/** The URL as it may be shown: the apiKey replaced. */
export function redact(url: URL | string): string {
  const copy = new URL(String(url));
  if (copy.searchParams.has('apiKey')) copy.searchParams.set('apiKey', '***');
  return copy.toString();
}

export interface AggregatesPage {
  readonly page: number;
  /** Where it came from, apiKey redacted. */
  readonly url: string;
  readonly response: AggregatesResponse;
}

/** Every page of the range, in order. */
export async function* aggregatePages(request: AggregatesRequest, options: PolygonClientOptions): AsyncGenerator<AggregatesPage> {
  validateRequest(request);
  if (options.apiKey.length === 0) throw new ConfigError('the Polygon API key is empty', 'POLYGON_API_KEY');
  const first = aggregatesUrl(request, options.baseUrl);
  const origin = first.origin;
  let next: URL | undefined = first;
  for (let page = 1; next !== undefined; page++) {
    next.searchParams.set('apiKey', options.apiKey);
    const body = await fetchWithRetry(next, page, options);
    const shown = redact(next);
    const response = parseResponse(body, page, shown);
    options.onEvent?.({ type: 'page', page, resultsCount: response.resultsCount, status: response.status, hasMore: response.next_url !== undefined });
    yield { page, url: shown, response };
    if (response.next_url === undefined) break;
    next = new URL(response.next_url);
    if (next.origin !== origin) {
      // Appending the key to another host would hand it to that host.
      throw new DataError('next_url must stay on the Polygon host', { file: `Polygon page ${page}`, field: 'next_url' }, `${next.origin} is not ${origin}`);
    }
  }
}

/**
 * The range as `Bar`s of `symbol` in ascending `ts`. A bar repeated across a page boundary is dropped (and
 * reported); a bar earlier than the one before it is a `DataError`, as `sort=asc` was asked for.
 */
export async function* polygonBars(request: AggregatesRequest, options: PolygonClientOptions & { readonly symbol: string }): AsyncGenerator<Bar> {
  const intervalMs = request.multiplier * TIMESPAN_MS[request.timespan];
  let lastTs = Number.NEGATIVE_INFINITY;
  for await (const { page, response } of aggregatePages(request, options)) {
    const results: readonly PolygonAggregate[] = response.results ?? [];
    for (let i = 0; i < results.length; i++) {
      const a = results[i];
      if (a.t === lastTs) {
        options.onEvent?.({ type: 'duplicate', page, ts: a.t });
        continue;
      }
      if (a.t < lastTs) {
        throw new DataError(
          'results must be in ascending time (sort=asc)',
          { file: `Polygon page ${page}`, row: i + 1, field: `results[${i}].t` },
          `${new Date(a.t).toISOString()} after ${new Date(lastTs).toISOString()}`,
        );
      }
      lastTs = a.t;
      yield { kind: 'bar', symbol: options.symbol, ts: a.t, intervalMs, open: a.o, high: a.h, low: a.l, close: a.c, volume: a.v };
    }
  }
}

function validateRequest(request: AggregatesRequest): void {
  if (request.ticker.trim().length === 0) throw new ConfigError('ticker must not be empty', 'polygon');
  if (!Number.isSafeInteger(request.multiplier) || request.multiplier < 1) {
    throw new ConfigError(`multiplier must be a whole number ≥ 1, got ${request.multiplier}`, 'polygon');
  }
  if (!Object.prototype.hasOwnProperty.call(TIMESPAN_MS, request.timespan)) {
    throw new ConfigError(`timespan must be one of ${Object.keys(TIMESPAN_MS).join(', ')} (month, quarter and year have no fixed length), got "${request.timespan}"`, 'polygon');
  }
  for (const [name, value] of [['from', request.from], ['to', request.to]] as const) {
    if (!/^(\d{4}-\d{2}-\d{2}|\d+)$/.test(value)) throw new ConfigError(`${name} must be a date YYYY-MM-DD or epoch ms, got "${value}"`, 'polygon');
  }
  const limit = request.limit ?? 50_000;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 50_000) throw new ConfigError(`limit must be 1…50000, got ${limit}`, 'polygon');
}

async function fetchWithRetry(url: URL, page: number, options: PolygonClientOptions): Promise<string> {
  const maxRetries = options.retry?.maxRetries ?? 5;
  const initialDelayMs = options.retry?.initialDelayMs ?? 1_000;
  const maxDelayMs = options.retry?.maxDelayMs ?? 60_000;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const shown = redact(url);
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 60_000), headers: { accept: 'application/json' } });
    } catch (error) {
      const reason = `network error: ${(error as Error).message}`;
      if (attempt >= maxRetries) throw new Error(`Polygon request failed after ${maxRetries} retries: ${reason} (${shown})`);
      const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt);
      options.onEvent?.({ type: 'retry', page, attempt: attempt + 1, delayMs, reason });
      await sleep(delayMs);
      continue;
    }
    const body = await response.text();
    if (response.ok) return body;
    if (!RETRYABLE_STATUS.has(response.status) || attempt >= maxRetries) {
      throw new PolygonHttpError(response.status, errorBodyMessage(body), shown);
    }
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    const delayMs = retryAfterMs ?? Math.min(maxDelayMs, initialDelayMs * 2 ** attempt);
    options.onEvent?.({ type: 'retry', page, attempt: attempt + 1, delayMs, reason: `HTTP ${response.status}${retryAfterMs !== undefined ? ' (Retry-After)' : ''}` });
    await sleep(delayMs);
  }
}

/** Retry-After as seconds or an HTTP date → ms to wait; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function parseResponse(body: string, page: number, url: string): AggregatesResponse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new DataError('response body must be JSON', { file: `Polygon page ${page}` }, `${(error as Error).message}; ${url}`);
  }
  const parsed = aggregatesResponseSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
    const row = issue.path[0] === 'results' && typeof issue.path[1] === 'number' ? issue.path[1] + 1 : undefined;
    const more = parsed.error.issues.length > 1 ? `; and ${parsed.error.issues.length - 1} more issue(s)` : '';
    throw new DataError(issue.message, { file: `Polygon page ${page}`, ...(row !== undefined ? { row } : {}), field: field || undefined }, `${url}${more}`);
  }
  return parsed.data;
}
