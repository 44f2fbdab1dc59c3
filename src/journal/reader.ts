import Sqlite, { type Database, type Statement } from 'better-sqlite3';
import type { Bar, Fill, Order, OrderEvent, OrderStatus, Position, Signal, StampedIntent, Trade } from '../core/types';
import { checkJournalFile, openSqlite } from './database';
import { JournalError, journalFailure } from './journalError';
import {
  controlPayload,
  decodePayload,
  errorPayload,
  fillPayload,
  intentPayload,
  marksPayload,
  orderEventPayload,
  orderPayload,
  positionPayload,
  runPayload,
  signalPayload,
  TERMINAL_STATUSES,
  tradePayload,
} from './payloads';
import { migrate, SCHEMA_VERSION } from './schema';

/** One engine run that wrote to the journal (a live session, or the one run of a replay journal). */
export interface JournalRun {
  readonly id: number;
  readonly mode: 'live' | 'replay';
  /** The broker account (`replay` for a replay). */
  readonly account: string;
  /** `journalConfigHash` of the config it ran. */
  readonly configHash: string;
  /** Wall-clock ms. */
  readonly startedAt: number;
  /** Wall-clock ms; null while it runs, or when it ended without closing the journal (killed, crashed). */
  readonly stoppedAt: number | null;
  readonly stopReason: string | null;
  readonly pid: number;
  readonly host: string;
  readonly engineVersion: string;
  readonly nodeVersion: string;
  readonly accountCurrency: string;
  readonly initialCash: number;
}

/** Event time bounds: `from` inclusive, `to` exclusive, UTC epoch ms. */
export interface TimeRange {
  readonly from?: number;
  readonly to?: number;
}

/** Where and when a journaled event was written. */
export interface JournalEntry {
  /** Journal-wide append order (one sequence over every event table). */
  readonly seq: number;
  readonly runId: number;
  /** Wall-clock ms when it was journaled. */
  readonly recordedAt: number;
}

/** A bar's close as the book last saw it before a fill: what converts a cross's PnL to the account currency. */
export interface JournaledMark {
  readonly symbol: string;
  readonly ts: number;
  readonly intervalMs: number;
  readonly close: number;
}

export interface JournaledFill extends JournalEntry {
  readonly fill: Fill;
  /** Marks that changed since the previous fill, to apply before this fill when rebuilding a book. */
  readonly marks: readonly JournaledMark[];
}

export interface JournaledSignal extends JournalEntry {
  readonly signal: Signal;
}

export interface JournaledIntent extends JournalEntry {
  readonly intent: StampedIntent;
}

/** Venue identifiers of an order, as its broker reported them. */
export interface VenueOrderIds {
  /** TWS's order id. */
  readonly brokerOrderId?: number;
  /** TWS's permanent id. */
  readonly permId?: number;
  readonly orderRef?: string;
}

export interface JournaledOrderEvent extends JournalEntry {
  readonly event: OrderEvent;
  readonly venue: VenueOrderIds;
}

/** An order the engine decided, with what became of it. */
export interface JournaledOrder extends JournalEntry {
  readonly order: Order;
  /** Journaled as sent to the broker (an intent); false for an order the risk gate refused. */
  readonly sent: boolean;
  /** The order it protects (a bracket's stop or take-profit), null for a parent or a plain order. */
  readonly parentId: string | null;
  /** The last status journaled; null when none was (sent, then nothing heard). */
  readonly status: OrderStatus | null;
  /** Reason and message of the last event, if it had them (a refusal's, or a cancellation's: OCO, TARGET_CHANGED, …). */
  readonly reason: string | null;
  readonly message: string | null;
  /** Units filled, from the journaled fills. */
  readonly filledQty: number;
  /** Units not filled, unless cancelled or rejected (then 0). */
  readonly remaining: number;
  /** The latest venue ids any event reported. */
  readonly venue: VenueOrderIds;
}

export interface JournaledTrade extends JournalEntry {
  readonly trade: Trade;
  /** The fill that closed it. */
  readonly closingExecId: string | null;
}

/** A position snapshot (the book's, when the engine journaled it). */
export interface JournaledPosition extends JournalEntry {
  readonly position: Position;
}

export type ControlActionKind = 'kill' | 'resume' | 'flatten';

/** An operator's action on the running engine. */
export interface ControlAction {
  readonly kind: ControlActionKind;
  /** Wall-clock ms. */
  readonly ts: number;
  /** The strategy it concerns; absent: the whole engine. */
  readonly strategyId?: string;
  readonly symbol?: string;
  readonly reason: string;
  /** Who asked: `http`, `telegram`, `cli`, `engine`, … */
  readonly source: string;
}

/**
 * A position booked by hand to agree with the broker (after a reconcile): `qty` signed units at `price`,
 * for one strategy and symbol. It reaches the book as a fill (`adjustmentFill`).
 */
export interface ReconcileAdjustment {
  readonly ts: number;
  readonly strategyId: string;
  readonly symbol: string;
  readonly qty: number;
  readonly price: number;
  readonly reason: string;
  readonly source: string;
}

export type JournaledControl = JournalEntry & ({ readonly action: ControlAction } | { readonly action: ReconcileAdjustment & { readonly kind: 'reconcile' } });

export interface KillState {
  readonly on: boolean;
  readonly reason: string;
  /** Wall-clock ms of the last change; null when never set. */
  readonly since: number | null;
  readonly source: string | null;
}

/** The control state the last run left, to restore at start (a kill switch survives a restart). */
export interface JournalControlState {
  /** The engine-wide kill switch. */
  readonly killSwitch: KillState;
  /** Kill switches set on single strategies, by strategy id (latest state each). */
  readonly strategies: Readonly<Record<string, KillState>>;
  /** The latest flatten of each strategy flattened at least once. */
  readonly flattened: Readonly<Record<string, { readonly ts: number; readonly reason: string; readonly source: string }>>;
}

export interface JournaledError extends JournalEntry {
  readonly ts: number;
  readonly source: string;
  readonly message: string;
  readonly stack: string | null;
}

/** Reading a journal: what recovery, the journal command and reports need. */
export interface JournalReader {
  readonly file: string;
  readonly schemaVersion: number;
  /** Every run, oldest first. */
  runs(): readonly JournalRun[];
  /** Targets the strategies signalled. */
  signals(range?: TimeRange): readonly JournaledSignal[];
  /** Order intents the strategies emitted (place, cancel, modify one of their orders). */
  intents(range?: TimeRange): readonly JournaledIntent[];
  /** Orders decided (sent or refused) in event-time order. */
  orders(range?: TimeRange): readonly JournaledOrder[];
  orderEvents(range?: TimeRange): readonly JournaledOrderEvent[];
  /** Fills in the order they were journaled: the order the book saw them. */
  fills(range?: TimeRange): readonly JournaledFill[];
  trades(range?: TimeRange): readonly JournaledTrade[];
  /** Event time of the latest fill (for reqExecutions' time filter); undefined when there is none. */
  lastFillTs(): number | undefined;
  /** Orders journaled as sent that are neither filled in full, cancelled nor rejected. */
  workingOrders(): readonly JournaledOrder[];
  /** True when an order with this id was journaled as sent (by any run): it must not be sent again. */
  wasSent(orderId: string): boolean;
  /** The order journaled as sent with this id, with what became of it. */
  sentOrder(orderId: string): JournaledOrder | undefined;
  controlActions(range?: TimeRange): readonly JournaledControl[];
  controlState(): JournalControlState;
  /** The latest snapshot of each (strategy, symbol), sorted by strategy and symbol. */
  lastPositions(): readonly JournaledPosition[];
  errors(range?: TimeRange): readonly JournaledError[];
  close(): void;
}

const MIN_TS = Number.MIN_SAFE_INTEGER;
const MAX_TS = Number.MAX_SAFE_INTEGER;
/** Units closer to zero are float noise of fractional fills. */
const QTY_EPSILON = 1e-9;

const OFF: KillState = Object.freeze({ on: false, reason: '', since: null, source: null });

interface RunRow {
  id: number;
  mode: 'live' | 'replay';
  account: string;
  config_hash: string;
  started_at: number;
  stopped_at: number | null;
  stop_reason: string | null;
  pid: number;
  host: string;
  engine_version: string;
  node_version: string;
  payload: string;
}

interface EntryRow {
  seq: number;
  run_id: number;
  recorded_at: number;
  payload: string;
}

interface OrderRow extends EntryRow {
  sent: number;
  parent_id: string | null;
  status: OrderStatus | null;
  last_event: string | null;
  filled: number;
  broker_order_id: number | null;
  perm_id: number | null;
  order_ref: string | null;
}

/**
 * The queries of a journal on an open connection: shared by the reader and the writer (which reads its own
 * journal for recovery and `wasSent`).
 */
export function journalQueries(db: Database, file: string): Omit<JournalReader, 'close' | 'file'> {
  const schemaVersion = db.pragma('user_version', { simple: true }) as number;
  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let s = statements.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  const all = <R>(sql: string, ...params: unknown[]): R[] => {
    try {
      return prepare(sql).all(...params) as R[];
    } catch (error) {
      throw journalFailure(file, 'reading it', error);
    }
  };
  const bounds = (range: TimeRange = {}): [number, number] => [range.from ?? MIN_TS, range.to ?? MAX_TS];
  const entry = (row: EntryRow): JournalEntry => ({ seq: row.seq, runId: row.run_id, recordedAt: row.recorded_at });
  const at = (table: string, seq: number) => ({ file, table, seq });

  /** Latest event of each order, its venue ids and its filled units, for the intents selected by `where`. */
  const ORDER_COLUMNS = `
    i.seq, i.run_id, i.recorded_at, i.payload, 1 AS sent, i.parent_id,
    (SELECT e.kind FROM order_events e WHERE e.order_id = i.order_id ORDER BY e.seq DESC LIMIT 1) AS status,
    (SELECT e.payload FROM order_events e WHERE e.order_id = i.order_id ORDER BY e.seq DESC LIMIT 1) AS last_event,
    (SELECT TOTAL(f.qty) FROM fills f WHERE f.order_id = i.order_id) AS filled,
    (SELECT e.broker_order_id FROM order_events e WHERE e.order_id = i.order_id AND e.broker_order_id IS NOT NULL ORDER BY e.seq DESC LIMIT 1) AS broker_order_id,
    (SELECT e.perm_id FROM order_events e WHERE e.order_id = i.order_id AND e.perm_id IS NOT NULL ORDER BY e.seq DESC LIMIT 1) AS perm_id,
    (SELECT e.order_ref FROM order_events e WHERE e.order_id = i.order_id AND e.order_ref IS NOT NULL ORDER BY e.seq DESC LIMIT 1) AS order_ref`;

  const toOrder = (row: OrderRow): JournaledOrder => {
    const last = row.last_event === null ? undefined : decodePayload(orderEventPayload, row.last_event, at('order_events', row.seq));
    const order = row.sent === 1 ? decodePayload(orderPayload, row.payload, at('order_intents', row.seq)) : (last?.order ?? decodePayload(orderEventPayload, row.payload, at('order_events', row.seq)).order);
    const finished = row.status !== null && TERMINAL_STATUSES.includes(row.status);
    const remaining = finished || row.sent === 0 ? 0 : Math.max(0, order.qty - row.filled);
    return {
      ...entry(row),
      order,
      sent: row.sent === 1,
      parentId: row.parent_id,
      status: row.status,
      reason: last?.reason ?? last?.cancelReason ?? null,
      message: last?.message ?? null,
      filledQty: row.filled,
      remaining: remaining < QTY_EPSILON ? 0 : remaining,
      venue: venueOf(row.broker_order_id, row.perm_id, row.order_ref),
    };
  };

  const runs = (): JournalRun[] =>
    all<RunRow>('SELECT * FROM runs ORDER BY id').map((row) => {
      const payload = decodePayload(runPayload, row.payload, at('runs', row.id));
      return {
        id: row.id,
        mode: row.mode,
        account: row.account,
        configHash: row.config_hash,
        startedAt: row.started_at,
        stoppedAt: row.stopped_at,
        stopReason: row.stop_reason,
        pid: row.pid,
        host: row.host,
        engineVersion: row.engine_version,
        nodeVersion: row.node_version,
        accountCurrency: payload.accountCurrency,
        initialCash: payload.initialCash,
      };
    });

  const controlActions = (range?: TimeRange): JournaledControl[] =>
    all<EntryRow>('SELECT seq, run_id, recorded_at, payload FROM control_actions WHERE ts >= ? AND ts < ? ORDER BY seq', ...bounds(range)).map((row) => {
      const payload = decodePayload(controlPayload, row.payload, at('control_actions', row.seq));
      if (payload.kind !== 'reconcile') return { ...entry(row), action: { ...payload, kind: payload.kind } };
      if (payload.strategyId === undefined || payload.symbol === undefined || payload.qty === undefined || payload.price === undefined) {
        throw new JournalError('bad-payload', file, `control_actions row ${row.seq}: a reconcile adjustment needs strategyId, symbol, qty and price`);
      }
      return { ...entry(row), action: { ...payload, kind: 'reconcile', strategyId: payload.strategyId, symbol: payload.symbol, qty: payload.qty, price: payload.price } };
    });

  return {
    schemaVersion,
    runs,
    // Targets and intents share the `signals` table (its `kind`: 'target', or the intent's 'place' / 'cancel' / 'modify').
    signals: (range) =>
      all<EntryRow>("SELECT seq, run_id, recorded_at, payload FROM signals WHERE kind = 'target' AND ts >= ? AND ts < ? ORDER BY seq", ...bounds(range)).map((row) => ({
        ...entry(row),
        signal: decodePayload(signalPayload, row.payload, at('signals', row.seq)),
      })),
    intents: (range) =>
      all<EntryRow>("SELECT seq, run_id, recorded_at, payload FROM signals WHERE kind <> 'target' AND ts >= ? AND ts < ? ORDER BY seq", ...bounds(range)).map((row) => ({
        ...entry(row),
        intent: decodePayload(intentPayload, row.payload, at('signals', row.seq)),
      })),
    orders: (range) => {
      const [from, to] = bounds(range);
      const sent = all<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM order_intents i WHERE i.ts >= ? AND i.ts < ?`, from, to);
      // Orders the risk gate refused never became intents: their one event is all there is.
      const refused = all<OrderRow>(
        `SELECT e.seq, e.run_id, e.recorded_at, e.payload, 0 AS sent, NULL AS parent_id, e.kind AS status, e.payload AS last_event, 0 AS filled,
                NULL AS broker_order_id, NULL AS perm_id, NULL AS order_ref
           FROM order_events e
          WHERE e.ts >= ? AND e.ts < ? AND NOT EXISTS (SELECT 1 FROM order_intents i WHERE i.order_id = e.order_id)
            AND e.seq = (SELECT MAX(x.seq) FROM order_events x WHERE x.order_id = e.order_id)`,
        from,
        to,
      );
      return [...sent, ...refused].map(toOrder).sort((a, b) => a.order.ts - b.order.ts || a.seq - b.seq);
    },
    orderEvents: (range) =>
      all<EntryRow & { broker_order_id: number | null; perm_id: number | null; order_ref: string | null }>(
        'SELECT seq, run_id, recorded_at, payload, broker_order_id, perm_id, order_ref FROM order_events WHERE ts >= ? AND ts < ? ORDER BY seq',
        ...bounds(range),
      ).map((row) => ({
        ...entry(row),
        event: decodePayload(orderEventPayload, row.payload, at('order_events', row.seq)),
        venue: venueOf(row.broker_order_id, row.perm_id, row.order_ref),
      })),
    fills: (range) =>
      all<EntryRow & { marks: string | null }>('SELECT seq, run_id, recorded_at, payload, marks FROM fills WHERE ts >= ? AND ts < ? ORDER BY seq', ...bounds(range)).map(
        (row) => ({
          ...entry(row),
          fill: decodePayload(fillPayload, row.payload, at('fills', row.seq)),
          marks: row.marks === null ? [] : decodePayload(marksPayload, row.marks, at('fills', row.seq)),
        }),
      ),
    trades: (range) =>
      all<EntryRow & { closing_exec_id: string | null }>('SELECT seq, run_id, recorded_at, payload, closing_exec_id FROM trades WHERE ts >= ? AND ts < ? ORDER BY seq', ...bounds(range)).map(
        (row) => ({ ...entry(row), trade: decodePayload(tradePayload, row.payload, at('trades', row.seq)), closingExecId: row.closing_exec_id }),
      ),
    lastFillTs: () => all<{ ts: number | null }>('SELECT MAX(ts) AS ts FROM fills')[0].ts ?? undefined,
    workingOrders: () =>
      all<OrderRow>(`SELECT * FROM (SELECT ${ORDER_COLUMNS}, i.qty FROM order_intents i) WHERE (status IS NULL OR status NOT IN (${TERMINAL_STATUSES.map((t) => `'${t}'`).join(', ')})) AND filled < qty - ? ORDER BY seq`, QTY_EPSILON).map(
        toOrder,
      ),
    wasSent: (orderId) => all('SELECT 1 FROM order_intents WHERE order_id = ?', orderId).length > 0,
    sentOrder: (orderId) => all<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM order_intents i WHERE i.order_id = ?`, orderId).map(toOrder)[0],
    controlActions,
    controlState: () => {
      let killSwitch = OFF;
      const strategies: Record<string, KillState> = {};
      const flattened: Record<string, { ts: number; reason: string; source: string }> = {};
      for (const { action } of controlActions()) {
        switch (action.kind) {
          case 'kill':
          case 'resume': {
            const state: KillState = { on: action.kind === 'kill', reason: action.reason, since: action.ts, source: action.source };
            if (action.strategyId === undefined) killSwitch = state;
            else strategies[action.strategyId] = state;
            break;
          }
          case 'flatten':
            if (action.strategyId !== undefined) flattened[action.strategyId] = { ts: action.ts, reason: action.reason, source: action.source };
            break;
          case 'reconcile':
            break;
        }
      }
      return { killSwitch, strategies, flattened };
    },
    lastPositions: () =>
      all<EntryRow>(
        `SELECT p.seq, p.run_id, p.recorded_at, p.payload FROM position_snapshots p
          WHERE p.seq = (SELECT MAX(q.seq) FROM position_snapshots q WHERE q.strategy_id = p.strategy_id AND q.symbol = p.symbol)
          ORDER BY p.strategy_id, p.symbol`,
      ).map((row) => ({ ...entry(row), position: decodePayload(positionPayload, row.payload, at('position_snapshots', row.seq)) })),
    errors: (range) =>
      all<EntryRow & { ts: number; source: string; message: string }>('SELECT seq, run_id, recorded_at, ts, source, message, payload FROM errors WHERE ts >= ? AND ts < ? ORDER BY seq', ...bounds(range)).map(
        (row) => ({ ...entry(row), ts: row.ts, source: row.source, message: row.message, stack: decodePayload(errorPayload, row.payload, at('errors', row.seq)).stack ?? null }),
      ),
  };
}

function venueOf(brokerOrderId: number | null, permId: number | null, orderRef: string | null): VenueOrderIds {
  return {
    ...(brokerOrderId === null ? {} : { brokerOrderId }),
    ...(permId === null ? {} : { permId }),
    ...(orderRef === null ? {} : { orderRef }),
  };
}

/** A mark as the book takes it: a bar with only its close known. */
export function markBar(mark: JournaledMark): Bar {
  const { symbol, ts, intervalMs, close } = mark;
  return { kind: 'bar', symbol, ts, intervalMs, open: close, high: close, low: close, close, volume: 0 };
}

/**
 * Opens a journal to read it, without taking its lock: it may be read while an engine writes it. Refuses
 * what the writer refuses (not SQLite, not a journal, damaged, from a newer engine). A journal from an older
 * engine is migrated in memory (the file is not touched).
 */
export function readJournal(file: string): JournalReader {
  let db = openSqlite(file, 'read');
  try {
    if (checkJournalFile(db, file) === 'empty') throw new JournalError('not-a-journal', file, 'an empty database, not a journal yet');
    if ((db.pragma('user_version', { simple: true }) as number) < SCHEMA_VERSION) {
      const copy = new Sqlite(db.serialize());
      db.close();
      db = copy;
    }
    migrate(db, file);
  } catch (error) {
    db.close();
    throw error;
  }
  return { file, ...journalQueries(db, file), close: () => db.close() };
}
