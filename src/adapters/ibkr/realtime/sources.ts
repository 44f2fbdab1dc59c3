import { EventName } from '@stoqey/ib/dist/api/data/enum/event-name';
import type { WhatToShow } from '@stoqey/ib/dist/api/historical/what-to-show';
import { EMPTY, merge, Observable, switchMap } from 'rxjs';
import { DataError } from '../../../core/errors';
import type { Bar, QuoteTick } from '../../../core/types';
import type { IbConnection, IbInMessageName, IbSession } from '../connection';
import { ibContractOf, type IbContractSpec } from '../contracts';
import { dropStaleBars } from './dropStaleBars';
import { ibMessageLabel, readIbMessage } from '../messages';
import { quoteTicks, type IbTick } from './quoteTicks';

/**
 * The IB live streamer: TWS market data as the engine's Observables.
 *
 * Both sources are cold: each subscription makes its own TWS request (one per session: after a reconnect or a
 * 1101 the request is made again on the new session, and the old one is cancelled if its socket is still open).
 * They error — and the runner stops cleanly — on a TWS error for their request (no market-data permission,
 * unknown contract…), on a malformed message, and when the connection gives up reconnecting. They complete when
 * the connection is closed.
 */

/** TWS codes for a market-data request that are notices, not failures. */
function isNotice(code: number): boolean {
  return (code >= 2100 && code < 3000) || code === 10167 || code === 10168 || code === 300 || code === 366;
}

export type RealTimeWhatToShow = 'MIDPOINT' | 'TRADES' | 'BID' | 'ASK';

export interface IbkrRealTimeBarsOptions {
  readonly connection: IbConnection;
  readonly contract: IbContractSpec;
  /** Default: MIDPOINT for CASH (FX has no trades), TRADES otherwise. */
  readonly whatToShow?: RealTimeWhatToShow;
  /** Regular trading hours only (default false). */
  readonly useRTH?: boolean;
}

/** Interval of TWS real-time bars; TWS offers no other. */
export const REAL_TIME_BAR_MS = 5000;

/**
 * TWS real-time 5-second bars (reqRealTimeBars) as Bars: `ts` = bar start, `intervalMs` 5000, volume 0 when TWS
 * has none (−1 for MIDPOINT/BID/ASK). The runner feeds them to `barBuilder` with a watermark clock for any
 * interval of 5 s and up. Bars are strictly increasing in time: a resubscription never repeats one.
 */
export function ibkrRealTimeBars(options: IbkrRealTimeBarsOptions): Observable<Bar> {
  const { connection, contract } = options;
  const whatToShow = options.whatToShow ?? (contract.secType === 'CASH' ? 'MIDPOINT' : 'TRADES');
  const ibContract = ibContractOf(contract);
  const label = `reqRealTimeBars ${contract.symbol} ${whatToShow}`;

  const ofSession = (session: IbSession) =>
    new Observable<Bar>((subscriber) => {
      const reqId = connection.nextRequestId();
      const bars = session.on(EventName.realtimeBar).subscribe((args) => {
        if (args[0] !== reqId && Number.isInteger(args[0])) return;
        try {
          const m = readIbMessage('realtimeBar', args);
          if (m.low > Math.min(m.open, m.close) || m.high < Math.max(m.open, m.close)) {
            throw new DataError('low ≤ open, close ≤ high', { file: ibMessageLabel('realtimeBar'), field: 'high' }, `bar ${JSON.stringify(m)}`);
          }
          subscriber.next({
            kind: 'bar',
            symbol: contract.symbol,
            ts: m.time * 1000,
            intervalMs: REAL_TIME_BAR_MS,
            open: m.open,
            high: m.high,
            low: m.low,
            close: m.close,
            volume: m.volume > 0 ? m.volume : 0,
          });
        } catch (e) {
          subscriber.error(e);
        }
      });
      const errors = failOnRequestError(connection, reqId, label, subscriber);
      session.api.reqRealTimeBars(reqId, ibContract, 5, whatToShow as WhatToShow, options.useRTH ?? false);
      return () => {
        bars.unsubscribe();
        errors.unsubscribe();
        if (session.isOpen()) session.api.cancelRealTimeBars(reqId);
      };
    });

  return perSession(connection, ofSession, ['REAL_TIME_BARS']).pipe(dropStaleBars());
}

export interface IbkrQuotesOptions {
  readonly connection: IbConnection;
  readonly contract: IbContractSpec;
  /** Stamps each quote (TWS ticks carry no time). Default Date.now. */
  readonly now?: () => number;
}

/**
 * TWS top-of-book (reqMktData) as QuoteTicks (see {@link quoteTicks} for how bid/ask ticks are paired), ready for
 * `barBuilder`.
 */
export function ibkrQuotes(options: IbkrQuotesOptions): Observable<QuoteTick> {
  const { connection, contract } = options;
  const ibContract = ibContractOf(contract);
  const now = options.now ?? Date.now;
  const label = `reqMktData ${contract.symbol}`;

  const ofSession = (session: IbSession) =>
    new Observable<IbTick>((subscriber) => {
      const reqId = connection.nextRequestId();
      const ours = (id: unknown) => id === reqId || !Number.isInteger(id);
      const prices = session.on(EventName.tickPrice).subscribe((args) => {
        if (!ours(args[0])) return;
        try {
          const m = readIbMessage('tickPrice', args);
          subscriber.next({ kind: 'price', tickType: m.tickType, price: m.price });
        } catch (e) {
          subscriber.error(e);
        }
      });
      const sizes = session.on(EventName.tickSize).subscribe((args) => {
        if (!ours(args[0])) return;
        try {
          const m = readIbMessage('tickSize', args);
          if (m.size !== undefined) subscriber.next({ kind: 'size', tickType: m.tickType, size: m.size });
        } catch (e) {
          subscriber.error(e);
        }
      });
      const errors = failOnRequestError(connection, reqId, label, subscriber);
      session.api.reqMktData(reqId, ibContract, '', false, false);
      return () => {
        prices.unsubscribe();
        sizes.unsubscribe();
        errors.unsubscribe();
        if (session.isOpen()) session.api.cancelMktData(reqId);
      };
    }).pipe(quoteTicks(contract.symbol, now));

  return perSession(connection, ofSession, ['TICK_PRICE', 'TICK_SIZE']);
}

/**
 * Runs `ofSession` on the connection's current session and again on each new one; nothing while there is none.
 * Errors when one of `messages` (the client library's names) arrives malformed, or when the connection gives
 * up; completes when it is closed.
 */
export function perSession<T>(
  connection: IbConnection,
  ofSession: (session: IbSession) => Observable<T>,
  messages: readonly IbInMessageName[],
): Observable<T> {
  const protocolFailure = new Observable<never>((subscriber) =>
    connection.protocolErrors$.subscribe({
      next: (e) => {
        if (e.messageName !== undefined && messages.includes(e.messageName)) subscriber.error(e.error);
      },
      complete: () => subscriber.complete(),
    }),
  );
  return new Observable<T>((subscriber) => {
    const data = connection.session$.pipe(switchMap((session) => (session ? ofSession(session) : EMPTY)));
    return merge(data, protocolFailure).subscribe(subscriber);
  });
}

function failOnRequestError(connection: IbConnection, reqId: number, label: string, subscriber: { error(e: unknown): void }) {
  return connection.errors$.subscribe((e) => {
    if (e.id !== reqId || isNotice(e.code)) return;
    subscriber.error(new Error(`IB ${label} (request ${reqId}) failed: TWS error ${e.code}: ${e.message}`));
  });
}
