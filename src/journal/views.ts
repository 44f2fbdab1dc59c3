import { contractFor } from '../core/contracts';
import { isoUtc } from '../core/time';
import type { ContractBook, Fill } from '../core/types';
import type { BookView } from '../portfolio/book';
import type { PositionSnapshot } from '../portfolio/types';
import { currencyDecimals, formatNumber, formatPrice, formatSigned, formatUtc, formatUtcDate } from '../runner/report/format';
import type { JournalControlState, JournaledError, JournaledOrder, JournalReader, JournalRun, TimeRange } from './reader';
import { rebuildBook } from './rebuild';

/**
 * What a journal says, as tables a person reads without SQL: `npm run journal` prints them as text, CSV or
 * JSON. Days are UTC days of event time.
 */

/** One column: a stable key (CSV header, JSON field), a header to read, the value and how it reads. */
export interface Column<R> {
  readonly key: string;
  readonly header: string;
  readonly align: 'left' | 'right';
  /** CSV and JSON: full precision, times as ISO-8601 UTC. */
  readonly value: (row: R) => string | number | null;
  /** Text: rounded for reading. Default: the value as it is. */
  readonly text?: (row: R) => string;
}

export interface TableView<R> {
  readonly columns: readonly Column<R>[];
  readonly rows: readonly R[];
}

const left = <R>(key: string, header: string, value: (row: R) => string | null): Column<R> => ({ key, header, align: 'left', value });
const count = <R>(key: string, header: string, value: (row: R) => number): Column<R> => ({ key, header, align: 'right', value, text: (r) => formatNumber(value(r), 0) });
const time = <R>(key: string, header: string, value: (row: R) => number): Column<R> => ({ key, header, align: 'left', value: (r) => isoUtc(value(r)), text: (r) => formatUtc(value(r)) });
const price = <R>(key: string, header: string, value: (row: R) => number): Column<R> => ({ key, header, align: 'right', value, text: (r) => formatPrice(value(r)) });
/** An amount in the currency `currency(row)` names (shown in its minor units; the currency is a column of its own). */
const money = <R>(key: string, header: string, value: (row: R) => number, currency: (row: R) => string, options: { readonly signed: boolean }): Column<R> => ({
  key,
  header,
  align: 'right',
  value,
  text: (r) => (options.signed ? formatSigned : formatNumber)(value(r), currencyDecimals(currency(r))),
});
const SIGNED = { signed: true } as const;
const UNSIGNED = { signed: false } as const;

export interface FillRow {
  readonly fill: Fill;
  readonly quoteCurrency: string;
}

/** Every fill, in the order it was journaled. */
export function fillsView(journal: JournalReader, contracts: ContractBook, range?: TimeRange): TableView<FillRow> {
  const rows = journal.fills(range).map(({ fill }) => ({ fill, quoteCurrency: contractFor(contracts, fill.symbol).quoteCurrency }));
  return {
    columns: [
      time('time', 'Time (UTC)', (r) => r.fill.ts),
      left('strategyId', 'Strategy', (r) => r.fill.strategyId),
      left('symbol', 'Symbol', (r) => r.fill.symbol),
      left('side', 'Side', (r) => r.fill.side),
      count('qty', 'Qty', (r) => r.fill.qty),
      price('price', 'Price', (r) => r.fill.price),
      money('commission', 'Commission', (r) => r.fill.commission, (r) => r.quoteCurrency, UNSIGNED),
      left('quoteCurrency', 'Ccy', (r) => r.quoteCurrency),
      left('reason', 'Reason', (r) => r.fill.reason),
      left('orderId', 'Order', (r) => r.fill.orderId),
      left('execId', 'Exec id', (r) => r.fill.execId),
    ],
    rows,
  };
}

/** A price an order may not have (a market order's limit): empty then. */
const optionalPrice = <R>(key: string, header: string, value: (row: R) => number | undefined): Column<R> => ({
  key,
  header,
  align: 'right',
  value: (r) => value(r) ?? null,
  text: (r) => {
    const v = value(r);
    return v === undefined ? '' : formatPrice(v);
  },
});

/**
 * Every order decided, sent or refused, with what became of it: its reason (entry, exit, stop, takeProfit, …),
 * the order a protective child protects, and why it was refused or cancelled.
 */
export function ordersView(journal: JournalReader, range?: TimeRange): TableView<JournaledOrder> {
  return {
    columns: [
      time('time', 'Decided (UTC)', (r) => r.order.ts),
      left('orderId', 'Order', (r) => r.order.id),
      left('strategyId', 'Strategy', (r) => r.order.strategyId),
      left('symbol', 'Symbol', (r) => r.order.symbol),
      left('side', 'Side', (r) => r.order.side),
      count('qty', 'Qty', (r) => r.order.qty),
      left('type', 'Type', (r) => r.order.type),
      optionalPrice('limitPrice', 'Limit', (r) => r.order.limitPrice),
      optionalPrice('stopPrice', 'Stop', (r) => r.order.stopPrice),
      left('orderReason', 'Order reason', (r) => r.order.reason),
      left('parentId', 'Parent', (r) => r.parentId),
      left('sent', 'Sent', (r) => (r.sent ? 'yes' : 'no')),
      left('status', 'Status', (r) => r.status ?? (r.sent ? 'sent' : null)),
      count('filledQty', 'Filled', (r) => r.filledQty),
      left('reason', 'Status reason', (r) => [r.reason, r.message].filter((x) => x !== null).join(': ') || null),
    ],
    rows: journal.orders(range),
  };
}

/** One strategy's money on one symbol over one UTC day. */
export interface PnlRow {
  readonly day: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly quoteCurrency: string;
  readonly accountCurrency: string;
  readonly fills: number;
  readonly bought: number;
  readonly sold: number;
  /** Signed units at the day's last fill. */
  readonly position: number;
  readonly avgPrice: number;
  readonly realized: number;
  readonly commission: number;
  /** Realized PnL less commission, quote currency. */
  readonly net: number;
  /** The same in the account currency, at the rates the book booked it. */
  readonly netAccount: number;
  readonly tradesClosed: number;
}

/**
 * Realized PnL per UTC day, strategy and symbol, from the book the journal rebuilds (every fill from the
 * first applied, so positions and average prices are right; only days with fills in `range` are listed).
 */
export function pnlRows(journal: JournalReader, contracts: ContractBook, range: TimeRange = {}): PnlRow[] {
  const from = range.from ?? Number.MIN_SAFE_INTEGER;
  const to = range.to ?? Number.MAX_SAFE_INTEGER;
  const dayOf = (ts: number): string => formatUtcDate(ts);
  interface Open {
    readonly day: string;
    readonly start: PositionSnapshot | undefined;
    end: PositionSnapshot;
    fills: number;
    bought: number;
    sold: number;
  }
  const latest = new Map<string, PositionSnapshot>();
  const days = new Map<string, Open>();
  let accountCurrency = '';
  const book = rebuildBook(journal, {
    contracts,
    onBooked: (fill, view: BookView) => {
      accountCurrency = view.accountCurrency;
      const leg = `${fill.strategyId}\u0000${fill.symbol}`;
      const snapshot = view.positions().find((p) => p.strategyId === fill.strategyId && p.symbol === fill.symbol);
      if (snapshot === undefined) return;
      if (fill.ts >= from && fill.ts < to) {
        const key = `${dayOf(fill.ts)}\u0000${leg}`;
        let open = days.get(key);
        if (open === undefined) {
          open = { day: dayOf(fill.ts), start: latest.get(leg), end: snapshot, fills: 0, bought: 0, sold: 0 };
          days.set(key, open);
        }
        open.end = snapshot;
        open.fills++;
        if (fill.side === 'BUY') open.bought += fill.qty;
        else open.sold += fill.qty;
      }
      latest.set(leg, snapshot);
    },
  });
  const closed = new Map<string, number>();
  for (const trade of book.trades()) {
    const key = `${dayOf(trade.exitTs)}\u0000${trade.strategyId}\u0000${trade.symbol}`;
    closed.set(key, (closed.get(key) ?? 0) + 1);
  }
  return [...days.entries()]
    .map(([key, { day, start, end, fills, bought, sold }]): PnlRow => {
      const realized = end.realizedPnl - (start?.realizedPnl ?? 0);
      const commission = end.commission - (start?.commission ?? 0);
      const netAccount = end.realizedPnlAccount - end.commissionAccount - ((start?.realizedPnlAccount ?? 0) - (start?.commissionAccount ?? 0));
      return {
        day,
        strategyId: end.strategyId,
        symbol: end.symbol,
        quoteCurrency: contractFor(contracts, end.symbol).quoteCurrency,
        accountCurrency,
        fills,
        bought,
        sold,
        position: end.qty,
        avgPrice: end.avgPrice,
        realized,
        commission,
        net: realized - commission,
        netAccount,
        tradesClosed: closed.get(key) ?? 0,
      };
    })
    .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.strategyId.localeCompare(b.strategyId) || a.symbol.localeCompare(b.symbol)));
}

export function pnlView(rows: readonly PnlRow[]): TableView<PnlRow> {
  const account = rows[0]?.accountCurrency ?? '';
  return {
    columns: [
      left('day', 'Day (UTC)', (r) => r.day),
      left('strategyId', 'Strategy', (r) => r.strategyId),
      left('symbol', 'Symbol', (r) => r.symbol),
      count('fills', 'Fills', (r) => r.fills),
      count('bought', 'Bought', (r) => r.bought),
      count('sold', 'Sold', (r) => r.sold),
      { ...count('position', 'Position', (r) => r.position), text: (r) => formatSigned(r.position, 0) },
      { ...price('avgPrice', 'Avg price', (r) => r.avgPrice), text: (r) => (r.position === 0 ? '' : formatPrice(r.avgPrice)) },
      money('realized', 'Realized', (r) => r.realized, (r) => r.quoteCurrency, SIGNED),
      money('commission', 'Commission', (r) => r.commission, (r) => r.quoteCurrency, UNSIGNED),
      money('net', 'Net', (r) => r.net, (r) => r.quoteCurrency, SIGNED),
      left('quoteCurrency', 'Ccy', (r) => r.quoteCurrency),
      money('netAccount', `Net (${account})`, (r) => r.netAccount, (r) => r.accountCurrency, SIGNED),
      count('tradesClosed', 'Trades', (r) => r.tradesClosed),
    ],
    rows,
  };
}

/** What each strategy did each day: signals, intents, orders sent and refused, fills, trades and net PnL. */
export interface SummaryRow {
  readonly day: string;
  readonly strategyId: string;
  readonly symbol: string;
  readonly signals: number;
  /** Order intents (place, cancel, modify) the strategy emitted. */
  readonly intents: number;
  readonly ordersSent: number;
  readonly ordersRefused: number;
  readonly fills: number;
  readonly tradesClosed: number;
  readonly net: number;
  readonly quoteCurrency: string;
  readonly netAccount: number;
  readonly accountCurrency: string;
}

export interface JournalSummary {
  readonly file: string;
  readonly schemaVersion: number;
  readonly runs: readonly JournalRun[];
  readonly control: JournalControlState;
  readonly workingOrders: readonly JournaledOrder[];
  /** Errors the runs reported in the range, oldest first. */
  readonly errors: readonly JournaledError[];
  readonly days: readonly SummaryRow[];
}

export function journalSummary(journal: JournalReader, contracts: ContractBook, range: TimeRange = {}): JournalSummary {
  const runs = journal.runs();
  const accountCurrency = runs.at(-1)?.accountCurrency ?? '';
  const rows = new Map<string, { -readonly [K in keyof SummaryRow]: SummaryRow[K] }>();
  const row = (ts: number, strategyId: string, symbol: string) => {
    const day = formatUtcDate(ts);
    const key = `${day}\u0000${strategyId}\u0000${symbol}`;
    let r = rows.get(key);
    if (r === undefined) {
      const quoteCurrency = contractFor(contracts, symbol).quoteCurrency;
      r = { day, strategyId, symbol, signals: 0, intents: 0, ordersSent: 0, ordersRefused: 0, fills: 0, tradesClosed: 0, net: 0, quoteCurrency, netAccount: 0, accountCurrency };
      rows.set(key, r);
    }
    return r;
  };
  for (const { signal } of journal.signals(range)) row(signal.ts, signal.strategyId, signal.symbol).signals++;
  for (const { intent } of journal.intents(range)) row(intent.ts, intent.strategyId, intent.symbol).intents++;
  for (const { order, sent } of journal.orders(range)) {
    const r = row(order.ts, order.strategyId, order.symbol);
    if (sent) r.ordersSent++;
    else r.ordersRefused++;
  }
  for (const p of pnlRows(journal, contracts, range)) {
    const r = row(Date.parse(p.day), p.strategyId, p.symbol);
    r.fills = p.fills;
    r.tradesClosed = p.tradesClosed;
    r.net = p.net;
    r.netAccount = p.netAccount;
  }
  const days = [...rows.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.strategyId.localeCompare(b.strategyId) || a.symbol.localeCompare(b.symbol)));
  return { file: journal.file, schemaVersion: journal.schemaVersion, runs, control: journal.controlState(), workingOrders: journal.workingOrders(), errors: journal.errors(range), days };
}

export function summaryView(summary: JournalSummary): TableView<SummaryRow> {
  const account = summary.runs.at(-1)?.accountCurrency ?? '';
  return {
    columns: [
      left('day', 'Day (UTC)', (r) => r.day),
      left('strategyId', 'Strategy', (r) => r.strategyId),
      left('symbol', 'Symbol', (r) => r.symbol),
      count('signals', 'Signals', (r) => r.signals),
      count('intents', 'Intents', (r) => r.intents),
      count('ordersSent', 'Orders', (r) => r.ordersSent),
      count('ordersRefused', 'Refused', (r) => r.ordersRefused),
      count('fills', 'Fills', (r) => r.fills),
      count('tradesClosed', 'Trades', (r) => r.tradesClosed),
      money('net', 'Net (quote)', (r) => r.net, (r) => r.quoteCurrency, SIGNED),
      left('quoteCurrency', 'Ccy', (r) => r.quoteCurrency),
      money('netAccount', `Net (${account})`, (r) => r.netAccount, (r) => r.accountCurrency, SIGNED),
    ],
    rows: summary.days,
  };
}
