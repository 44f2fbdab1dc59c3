import { EventName } from '@stoqey/ib/dist/api/data/enum/event-name';
import type { BarSizeSetting } from '@stoqey/ib/dist/api/historical/bar-size-setting';
import { filter, firstValueFrom, Subscription } from 'rxjs';
import { DataError } from '../../../core/errors';
import { isoUtc } from '../../../core/time';
import type { Bar } from '../../../core/types';
import type { IbConnection, IbSession } from '../connection';
import { ibContractKey, ibContractOf, type IbContractSpec } from '../contracts';
import { ibMessageLabel, readIbMessage } from '../messages';
import { durationOf, endDateTimeOf, missingRanges, planChunks, type BarSize, type Chunk } from './chunks';
import { createPacer, IB_PACING, realClock, type PacerClock, type PacingLimits } from './pacer';
import type { HistoryStore } from './store';

/**
 * The IB history service: pulls IB historical bars for a range and writes them through a store.
 *
 * - Resume: what the output already holds (first..last bar of the symbol) is not requested again; only the
 *   ranges before and after it are. Writes append with dedupe by time, so an overlap never duplicates a bar.
 * - Requests: the missing ranges are cut into chunks IB accepts for the bar size (see `chunks.ts`), sent oldest
 *   first, one at a time, through a pacer that keeps IB's pacing rules (see `pacer.ts`).
 * - Errors: a pacing violation (162 "pacing violation") is retried with exponential backoff; "HMDS query
 *   returned no data" (162) is an empty chunk (weekends, holidays); a dropped connection or a request with no
 *   answer in `requestTimeoutMs` is retried; any other TWS error for the request stops the fetch with the code and
 *   text. Bars cross into the engine through zod: a bad one stops the fetch with a DataError naming message 17,
 *   the request, the bar and the field.
 * - Bars are requested with formatDate=2 (epoch seconds; daily bars come as `yyyyMMdd`, read as UTC dates), so no
 *   time-zone text is parsed. TWS reports no volume for MIDPOINT/BID/ASK (−1): those bars get volume 0.
 */

export type HistoricalWhatToShow = 'TRADES' | 'MIDPOINT' | 'BID' | 'ASK' | 'BID_ASK';

export interface RetryPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly maxRetries: number;
}

export const DEFAULT_PACING_RETRY: RetryPolicy = { initialMs: 15_000, maxMs: 300_000, maxRetries: 8 };

export type FetchProgress =
  | { readonly kind: 'plan'; readonly chunks: number; readonly ranges: readonly Chunk[]; readonly existing?: { readonly first: number; readonly last: number; readonly rows: number } }
  | { readonly kind: 'chunk'; readonly index: number; readonly chunks: number; readonly chunk: Chunk; readonly bars: number }
  /** A request sent, at the pacer clock's `sentAt`. */
  | { readonly kind: 'request'; readonly chunk: Chunk; readonly sentAt: number; readonly attempt: number }
  | { readonly kind: 'retry'; readonly chunk: Chunk; readonly reason: string; readonly waitMs: number; readonly attempt: number }
  | { readonly kind: 'write'; readonly bars: number; readonly rows: number | undefined };

export interface IbkrHistoryOptions {
  readonly connection: IbConnection;
  readonly contract: IbContractSpec;
  readonly barSize: BarSize;
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
  readonly whatToShow: HistoricalWhatToShow;
  readonly useRTH?: boolean;
  readonly out: string;
  readonly store: HistoryStore;
  readonly pacing?: PacingLimits;
  readonly clock?: PacerClock;
  /** Cap on one request's span (default: IB's cap for the bar size). */
  readonly maxSpanMs?: number;
  readonly pacingRetry?: RetryPolicy;
  readonly requestTimeoutMs?: number;
  /** Chunks fetched between writes (default 10): what an interruption can cost. */
  readonly flushEvery?: number;
  /** Stops after the chunk in flight; what was fetched is written. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: FetchProgress) => void;
}

export interface FetchResult {
  readonly chunks: number;
  readonly requests: number;
  readonly bars: number;
  /** Rows in the output after the last write (when the store tells). */
  readonly rows: number | undefined;
  readonly aborted: boolean;
}

type Outcome =
  | { readonly kind: 'bars'; readonly bars: Bar[] }
  | { readonly kind: 'pacing'; readonly message: string }
  | { readonly kind: 'retry'; readonly reason: string; readonly timedOut: boolean };

const NOTICE = (code: number) => (code >= 2100 && code < 3000) || code === 366 || code === 165;

export async function fetchIbkrHistory(options: IbkrHistoryOptions): Promise<FetchResult> {
  const { connection, contract, barSize, store, out } = options;
  const clock = options.clock ?? realClock;
  const pacer = createPacer(options.pacing ?? IB_PACING, clock);
  const retry = options.pacingRetry ?? DEFAULT_PACING_RETRY;
  const requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
  const flushEvery = Math.max(1, options.flushEvery ?? 10);
  const ibContract = ibContractOf(contract);
  const contractKey = `${ibContractKey(contract)}|${options.whatToShow}`;
  const progress = options.onProgress ?? (() => undefined);

  const existing = await store.coverage(out);
  if (existing && (existing.symbol !== contract.symbol || existing.intervalMs !== barSize.intervalMs)) {
    throw new DataError(
      'one file holds one symbol and interval',
      { file: out },
      `it holds ${existing.symbol} ${existing.intervalMs} ms bars; this fetch is ${contract.symbol} ${barSize.intervalMs} ms`,
    );
  }
  const ranges = missingRanges(
    options.from,
    options.to,
    existing && existing.rows > 0 ? { first: existing.firstTs, end: existing.lastTs + barSize.intervalMs } : undefined,
  );
  const chunks = planChunks(ranges, barSize, options.maxSpanMs);
  progress({ kind: 'plan', chunks: chunks.length, ranges, ...(existing && existing.rows > 0 ? { existing: { first: existing.firstTs, last: existing.lastTs, rows: existing.rows } } : {}) });

  let requests = 0;
  let total = 0;
  let rows: number | undefined = existing?.rows;
  let buffer: Bar[] = [];
  let sinceFlush = 0;
  let lastTs = -Infinity;

  const flush = async () => {
    if (buffer.length === 0) return;
    const bars = buffer;
    buffer = [];
    sinceFlush = 0;
    const result = await store.append(out, bars);
    rows = result.rows;
    progress({ kind: 'write', bars: bars.length, rows });
  };

  const waitForSession = () => firstValueFrom(connection.session$.pipe(filter((s): s is IbSession => s !== null)));

  const requestOnce = (session: IbSession, chunk: Chunk): Promise<Outcome> =>
    new Promise<Outcome>((resolve, reject) => {
      const reqId = connection.nextRequestId();
      const label = ibMessageLabel('historicalData', `request ${reqId} (${contract.symbol} ${isoUtc(chunk.start)}..${isoUtc(chunk.end)})`);
      const bars: Bar[] = [];
      const sub = new Subscription();
      let settled = false;
      const settle = (o: Outcome | Error) => {
        if (settled) return;
        settled = true;
        sub.unsubscribe();
        clearTimeout(timer);
        if (o instanceof Error) reject(o);
        else resolve(o);
      };
      const timer = setTimeout(() => {
        if (session.isOpen()) session.api.cancelHistoricalData(reqId);
        settle({ kind: 'retry', reason: `no answer within ${requestTimeoutMs} ms`, timedOut: true });
      }, requestTimeoutMs);
      sub.add(
        session.on(EventName.historicalData).subscribe((args) => {
          if (args[0] !== reqId && Number.isInteger(args[0])) return;
          try {
            const m = readIbMessage('historicalData', args);
            if (m.date.startsWith('finished')) return settle({ kind: 'bars', bars });
            bars.push(toBar(m, bars.length + 1, label, contract.symbol, barSize.intervalMs));
          } catch (e) {
            settle(e as Error);
          }
        }),
      );
      sub.add(
        connection.errors$.subscribe((e) => {
          if (e.id !== reqId || NOTICE(e.code)) return;
          if (e.code === 162 && /pacing violation/i.test(e.message)) return settle({ kind: 'pacing', message: e.message });
          if (e.code === 162 && /returned no data/i.test(e.message)) return settle({ kind: 'bars', bars: [] });
          settle(new Error(`IB reqHistoricalData ${contract.symbol} ending ${endDateTimeOf(chunk.end)} (request ${reqId}) failed: TWS error ${e.code}: ${e.message}`));
        }),
      );
      sub.add(
        connection.session$.subscribe((s) => {
          if (s !== session) settle({ kind: 'retry', reason: 'connection lost', timedOut: false });
        }),
      );
      sub.add(
        connection.protocolErrors$.subscribe((e) => {
          if (e.messageName === 'HISTORICAL_DATA') settle(e.error);
        }),
      );
      session.api.reqHistoricalData(
        reqId,
        ibContract,
        endDateTimeOf(chunk.end),
        durationOf(chunk.end - chunk.start),
        barSize.setting as BarSizeSetting,
        options.whatToShow,
        options.useRTH ? 1 : 0,
        2,
        false,
      );
    });

  const fetchChunk = async (chunk: Chunk): Promise<Bar[]> => {
    const paced = {
      key: `${contractKey}|${endDateTimeOf(chunk.end)}|${durationOf(chunk.end - chunk.start)}|${barSize.setting}|${options.useRTH ? 1 : 0}`,
      contract: contractKey,
    };
    let pacingFailures = 0;
    let timeouts = 0;
    for (let attempt = 1; ; attempt++) {
      const session = await waitForSession();
      const sentAt = await pacer.acquire(paced);
      if (!session.isCurrent()) continue;
      requests++;
      progress({ kind: 'request', chunk, sentAt, attempt });
      const outcome = await requestOnce(session, chunk);
      if (outcome.kind === 'bars') return outcome.bars;
      if (outcome.kind === 'pacing') {
        pacingFailures++;
        if (pacingFailures > retry.maxRetries) {
          throw new Error(`IB kept answering pacing violations for ${contract.symbol} ending ${endDateTimeOf(chunk.end)} after ${retry.maxRetries} retries: ${outcome.message}`);
        }
      } else if (outcome.timedOut && ++timeouts > retry.maxRetries) {
        throw new Error(`IB did not answer reqHistoricalData for ${contract.symbol} ending ${endDateTimeOf(chunk.end)} in ${retry.maxRetries + 1} tries`);
      }
      const waitMs = outcome.kind === 'pacing' ? Math.min(retry.maxMs, retry.initialMs * 2 ** (pacingFailures - 1)) : 0;
      progress({ kind: 'retry', chunk, reason: outcome.kind === 'pacing' ? outcome.message : outcome.reason, waitMs, attempt });
      if (waitMs > 0) await clock.sleep(waitMs);
    }
  };

  let aborted = false;
  try {
    for (let i = 0; i < chunks.length; i++) {
      if (options.signal?.aborted) {
        aborted = true;
        break;
      }
      const chunk = chunks[i];
      const bars = await fetchChunk(chunk);
      let kept = 0;
      for (const bar of bars) {
        // IB may answer a day-sized duration with more than the chunk (trading days); keep the chunk only.
        if (bar.ts < chunk.start || bar.ts >= chunk.end || bar.ts <= lastTs) continue;
        buffer.push(bar);
        lastTs = bar.ts;
        kept++;
      }
      total += kept;
      progress({ kind: 'chunk', index: i + 1, chunks: chunks.length, chunk, bars: kept });
      if (++sinceFlush >= flushEvery) await flush();
    }
  } finally {
    // What was fetched is kept even when the fetch fails or stops: a rerun resumes after it.
    await flush();
  }
  return { chunks: chunks.length, requests, bars: total, rows, aborted };
}

function toBar(m: { date: string; open: number; high: number; low: number; close: number; volume?: number }, n: number, label: string, symbol: string, intervalMs: number): Bar {
  let ts: number;
  if (/^\d{8}$/.test(m.date)) {
    ts = Date.UTC(Number(m.date.slice(0, 4)), Number(m.date.slice(4, 6)) - 1, Number(m.date.slice(6, 8)));
  } else if (/^\d{9,}$/.test(m.date)) {
    ts = Number(m.date) * 1000;
  } else {
    throw new DataError('epoch seconds (formatDate=2) or yyyyMMdd', { file: `${label} bar ${n}`, field: 'date' }, `got ${JSON.stringify(m.date)}`);
  }
  for (const field of ['open', 'high', 'low', 'close'] as const) {
    if (!(m[field] > 0) || !Number.isFinite(m[field])) {
      throw new DataError('a finite price > 0', { file: `${label} bar ${n}`, field }, `got ${m[field]}`);
    }
  }
  if (m.low > Math.min(m.open, m.close) || m.high < Math.max(m.open, m.close)) {
    throw new DataError('low ≤ open, close ≤ high', { file: `${label} bar ${n}`, field: 'high' }, `open ${m.open} high ${m.high} low ${m.low} close ${m.close}`);
  }
  const volume = m.volume !== undefined && m.volume > 0 ? m.volume : 0;
  return { kind: 'bar', symbol, ts, intervalMs, open: m.open, high: m.high, low: m.low, close: m.close, volume };
}
