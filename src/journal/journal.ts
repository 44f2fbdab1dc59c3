import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import { isoUtc } from '../core/time';
import { reasonOfChange } from '../core/orders';
import type { Bar, Fill, Order, OrderEvent, Position, Signal, StampedIntent, Trade } from '../core/types';
import { checkJournalFile, ensureDirectory, lockPathOf, openSqlite, tryLock, type JournalLock } from './database';
import { describeError, JournalError, journalFailure } from './journalError';
import {
  journalQueries,
  readJournal,
  type ControlAction,
  type JournaledMark,
  type JournaledOrder,
  type JournalReader,
  type JournalRun,
  type ReconcileAdjustment,
  type VenueOrderIds,
} from './reader';
import { migrate } from './schema';

/**
 * The durable journal of a run: an append-only SQLite file (WAL mode, `synchronous=FULL`) that records what
 * the engine decided, sent, heard and was told, so a restart can rebuild the book, recognise orders already
 * sent and restore the kill switch.
 *
 * Durability. Live (`mode: 'live'`), three writes commit before they return, each with an fsync of the WAL:
 * the order intent (`beforeSend`, before the order may be sent), the fill (`recordFill`, before the book may
 * see it) and control actions (`recordControl`, `recordReconcile`), with errors and the run's start and stop.
 * Everything else (signals, order events, trades, position snapshots) is batched: written into an open
 * transaction that commits every `batch.maxEvents` events or `batch.maxDelayMs` after its first, or with the
 * next write-ahead commit, whichever comes first; a crash loses at most that batch, never a committed write.
 * A replay (`mode: 'replay'`) sends nothing anywhere, so it batches everything.
 *
 * Failure. A write that fails (disk full, I/O error) rolls back the open transaction (nothing is
 * half-written), throws a JournalError, calls `onFailure`, and leaves the journal refusing every later write:
 * a live engine whose journal fails must stop trading.
 */
export interface JournalOptions {
  readonly mode: 'live' | 'replay';
  /** The broker account the engine trades (`replay` for a replay); a journal serves one account. */
  readonly account: string;
  /** `journalConfigHash(config)`: a journal serves one config. */
  readonly configHash: string;
  readonly accountCurrency: string;
  readonly initialCash: number;
  /** Accept a config hash other than the last run's (the new hash is journaled with the run). */
  readonly allowConfigChange?: boolean;
  readonly batch?: {
    /** Commit the open batch at this many events. Default 1000. */
    readonly maxEvents?: number;
    /** Commit the open batch this long after its first event (wall ms). Default 200. */
    readonly maxDelayMs?: number;
  };
  /** Refuse to grow the file beyond this size: writes past it fail as a full disk does. */
  readonly maxBytes?: number;
  /** Wall clock (ms) for `recorded_at` and the run's start and stop. Default Date.now. */
  readonly now?: () => number;
  /** Called once when the journal fails, also when a timed batch commit fails with no caller to throw to. */
  readonly onFailure?: (error: JournalError) => void;
}

/** What `beforeSend` decided. */
export type SendDecision =
  /** Committed: send it now. */
  | { readonly send: true }
  /** An order with this id was journaled as sent before (by this run or an earlier one): do not send it again. */
  | { readonly send: false; readonly previous: JournaledOrder };

export interface Journal extends Omit<JournalReader, 'close'> {
  /** This run, as journaled at open. */
  readonly run: JournalRun;
  /** The run before this one; `stoppedAt === null` means it ended without closing the journal (killed, crashed). */
  readonly previousRun: JournalRun | undefined;
  /**
   * Journals the intent to send `order`, with the protective `children` sent with it (each `parentId` =
   * `order.id`), and returns only once all of them are committed together (live: fsynced). The caller sends
   * the order and its children only on `{ send: true }`; `writeAheadBroker` is the broker that does exactly
   * that. An order journaled as sent before comes back `{ send: false }` with its children unsent too.
   */
  beforeSend(order: Order, children?: readonly Order[]): SendDecision;
  /**
   * Journals a fill (live: committed before it returns), before the book sees it. A fill whose execId is
   * journaled already is `duplicate`: a broker replaying executions after a reconnect or a restart; it must
   * not be booked again.
   */
  recordFill(fill: Fill): 'recorded' | 'duplicate';
  recordSignal(signal: Signal): void;
  /** A strategy's explicit order intent (place, cancel or modify one of its orders). */
  recordIntent(intent: StampedIntent): void;
  /** An order's status change (risk decision, broker ack, fill status, cancel), with the venue's ids if known. */
  recordOrderEvent(event: OrderEvent, venue?: VenueOrderIds): void;
  /** A closed round trip and the fill that closed it. */
  recordTrade(trade: Trade, closingExecId?: string): void;
  /** The book marked `bar`: kept in memory, journaled with the next fill (what converts a cross's PnL). */
  noteMark(bar: Bar): void;
  recordPositions(positions: readonly Position[]): void;
  recordControl(action: ControlAction): void;
  /**
   * Journals a reconcile adjustment and returns the fill that books it (apply it to the book). `heldBefore`:
   * the strategy's signed units in the symbol before it, which make the fill an entry, exit or reversal.
   */
  recordReconcile(adjustment: ReconcileAdjustment, heldBefore: number): Fill;
  recordError(source: string, error: unknown, ts?: number): void;
  /** Commits the open batch now. */
  flush(): void;
  /** Commits, marks the run stopped with `reason`, closes the file and releases the lock. Idempotent. */
  close(reason: string): void;
}

const DEFAULT_MAX_EVENTS = 1000;
const DEFAULT_MAX_DELAY_MS = 200;

/** Tables whose `seq` shares the journal-wide sequence. */
const EVENT_TABLES = ['signals', 'order_intents', 'order_events', 'fills', 'trades', 'position_snapshots', 'control_actions', 'errors'] as const;

/**
 * Opens (creating when missing) the journal at `file` for a run, or refuses with a JournalError: locked by
 * another running engine (naming its pid and start), not SQLite or damaged, not a journal, from a newer
 * engine, written for another account or config, a replay into a journal that holds runs, unwritable or full.
 * A journal from an older engine is migrated. The lock is held until `close()` or the process's end.
 */
export function openJournal(path: string, options: JournalOptions): Journal {
  const file = resolve(path);
  const now = options.now ?? Date.now;
  ensureDirectory(file);
  const lock = tryLock(file);
  if (lock === undefined) throw lockedError(file);
  let db: Database | undefined;
  try {
    db = openSqlite(file, 'write');
    checkJournalFile(db, file);
    configure(db, file, options.maxBytes);
    migrate(db, file);
    return createJournal(db, file, lock, options, now);
  } catch (error) {
    db?.close();
    lock.release();
    throw journalFailure(file, 'opening it', error);
  }
}

function configure(db: Database, file: string, maxBytes: number | undefined): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new JournalError('io', file, `cannot switch it to WAL mode (SQLite answered "${String(mode)}")`);
  // FULL: a commit returns once the WAL is fsynced, so a committed intent or fill survives a power cut too.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  if (maxBytes !== undefined) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
  }
}

/** The refusal of a locked journal, naming the engine that holds it when its run can be read. */
function lockedError(file: string): JournalError {
  let holder = '';
  try {
    const reader = readJournal(file);
    try {
      const last = reader.runs().at(-1);
      if (last !== undefined && last.stoppedAt === null) {
        holder = `: pid ${last.pid} on ${last.host}, ${last.mode} run ${last.id} started ${isoUtc(last.startedAt)}`;
      }
    } finally {
      reader.close();
    }
  } catch {
    // The holder is still creating the journal: its run is not readable yet.
  }
  return new JournalError('locked', file, `in use by another running engine${holder} (its lock ${lockPathOf(file)} is held); stop that engine first, or use another journal file`);
}

function engineVersion(): string {
  const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

function checkIdentity(file: string, options: JournalOptions, runs: readonly JournalRun[]): void {
  const last = runs.at(-1);
  if (last === undefined) return;
  if (options.mode === 'replay') {
    throw new JournalError('not-empty', file, `already holds ${runs.length} run(s); a replay writes a new journal: remove the file or choose another`);
  }
  if (last.mode === 'replay') {
    throw new JournalError('other-config', file, 'was written by a replay; a live engine keeps its own journal: choose another file');
  }
  if (last.account !== options.account) {
    throw new JournalError('other-account', file, `was written for account ${last.account}, not ${options.account}: each broker account keeps its own journal`);
  }
  if (last.configHash !== options.configHash && options.allowConfigChange !== true) {
    throw new JournalError(
      'other-config',
      file,
      `was written for another config (config hash ${last.configHash.slice(0, 12)}…, run ${last.id} started ${isoUtc(last.startedAt)}; this config hashes to ${options.configHash.slice(0, 12)}…): ` +
        'its positions and kill switch belong to that config; run that config, or start a new journal file',
    );
  }
}

function createJournal(db: Database, file: string, lock: JournalLock, options: JournalOptions, now: () => number): Journal {
  const queries = journalQueries(db, file);
  const runsBefore = queries.runs();
  checkIdentity(file, options, runsBefore);
  const writeAhead = options.mode === 'live';
  const maxEvents = options.batch?.maxEvents ?? DEFAULT_MAX_EVENTS;
  const maxDelayMs = options.batch?.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;

  /** `INSERT INTO table (columns) VALUES (?, …)`: columns named, so a later migration may add more. */
  const insertInto = (table: string, columns: string, verb = 'INSERT'): Statement =>
    db.prepare(`${verb} INTO ${table} (${columns}) VALUES (${columns.split(',').map(() => '?').join(', ')})`);
  const insertRun = insertInto('runs', 'mode, account, config_hash, started_at, pid, host, engine_version, node_version, payload');
  const stopRun = db.prepare('UPDATE runs SET stopped_at = ?, stop_reason = ? WHERE id = ?');
  const insertSignal = insertInto('signals', 'seq, run_id, ts, strategy_id, symbol, kind, target, recorded_at, payload');
  const intentColumns = 'seq, run_id, ts, order_id, parent_id, strategy_id, symbol, side, qty, kind, recorded_at, payload';
  const insertIntent = insertInto('order_intents', intentColumns, 'INSERT OR IGNORE');
  // A child's id is its parent's and a suffix: journaled before while its parent was not is a broken journal, refused loudly.
  const insertChildIntent = insertInto('order_intents', intentColumns);
  const insertOrderEvent = insertInto('order_events', 'seq, run_id, ts, order_id, strategy_id, symbol, kind, reason, broker_order_id, perm_id, order_ref, recorded_at, payload');
  const insertFill = insertInto('fills', 'seq, run_id, ts, exec_id, order_id, strategy_id, symbol, side, qty, price, commission, marks, recorded_at, payload', 'INSERT OR IGNORE');
  const insertTrade = insertInto('trades', 'seq, run_id, ts, strategy_id, symbol, kind, qty, entry_ts, closing_exec_id, pnl_net, pnl_net_account, recorded_at, payload');
  const insertPosition = insertInto('position_snapshots', 'seq, run_id, ts, strategy_id, symbol, qty, avg_price, realized_pnl, realized_pnl_account, recorded_at, payload');
  const insertControl = insertInto('control_actions', 'seq, run_id, ts, kind, strategy_id, symbol, reason, source, recorded_at, payload');
  const insertError = insertInto('errors', 'seq, run_id, ts, source, message, recorded_at, payload');
  const maxSeq = db.prepare(`SELECT MAX(m) AS m FROM (${EVENT_TABLES.map((t) => `SELECT MAX(seq) AS m FROM ${t}`).join(' UNION ALL ')})`);
  let seq = ((maxSeq.get() as { m: number | null }).m ?? 0) + 1;

  const startedAt = now();
  const runId = Number(
    insertRun.run(
      options.mode,
      options.account,
      options.configHash,
      startedAt,
      process.pid,
      hostname(),
      engineVersion(),
      process.version,
      JSON.stringify({ accountCurrency: options.accountCurrency, initialCash: options.initialCash, sqliteVersion: db.prepare('SELECT sqlite_version()').pluck().get() }),
    ).lastInsertRowid,
  );
  const runs = queries.runs();
  const run = runs[runs.length - 1];

  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  let failure: JournalError | undefined;
  let closed = false;
  /**
   * Per symbol, its last marked bar and the one before, and the start of the last one journaled: a fill is
   * converted at a rate's last close at or before its time, which may be the mark before the latest.
   */
  const marks = new Map<string, { bar: Bar; previous: Bar | undefined; journaledTs: number }>();

  const commit = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (db.inTransaction) db.exec('COMMIT');
    pending = 0;
  };
  const fail = (error: unknown, doing: string): JournalError => {
    if (failure !== undefined) return failure;
    const lost = pending;
    try {
      if (db.inTransaction) db.exec('ROLLBACK');
    } catch {
      // SQLite rolled it back already (it does on a full disk and on some I/O errors).
    }
    pending = 0;
    const cause = journalFailure(file, lost > 0 ? `${doing} (with ${lost} batched event(s) since the last commit, not kept either)` : doing, error);
    failure = cause;
    options.onFailure?.(cause);
    return cause;
  };
  const usable = (): void => {
    if (closed) throw new JournalError('failed', file, 'is closed');
    if (failure !== undefined) throw new JournalError('failed', file, `failed earlier and takes no more writes (${failure.message})`, { cause: failure });
  };
  /** Runs `work` in the open transaction; commits now when `durable` (live) or the batch is full. */
  const write = <T>(doing: string, durable: boolean, work: () => T): T => {
    usable();
    try {
      if (!db.inTransaction) db.exec('BEGIN');
      const result = work();
      pending++;
      if ((durable && writeAhead) || pending >= maxEvents) commit();
      else if (timer === undefined) timer = setTimeout(commitLater, maxDelayMs).unref();
      return result;
    } catch (error) {
      throw fail(error, doing);
    }
  };
  function commitLater(): void {
    timer = undefined;
    if (failure !== undefined || closed) return;
    try {
      commit();
    } catch (error) {
      fail(error, 'committing a batch');
    }
  }
  const recordedAt = (): number => now();

  /** Marks not journaled yet, as a JSON array (null when none): they go with the fill they precede. */
  const takeMarks = (): string | null => {
    let out: JournaledMark[] | undefined;
    for (const entry of marks.values()) {
      if (entry.bar.ts === entry.journaledTs) continue;
      const { previous } = entry;
      // NaN (nothing journaled yet) compares false: the previous mark goes too.
      if (previous !== undefined && !(previous.ts <= entry.journaledTs)) (out ??= []).push(journaledMark(previous));
      (out ??= []).push(journaledMark(entry.bar));
    }
    return out === undefined ? null : JSON.stringify(out);
  };

  const journal: Journal = {
    file,
    ...queries,
    run,
    previousRun: runsBefore.at(-1),
    beforeSend(order, children = []) {
      const intent = (o: Order): unknown[] => [seq, runId, o.ts, o.id, o.parentId ?? null, o.strategyId, o.symbol, o.side, o.qty, o.type, recordedAt(), JSON.stringify(o)];
      const doing = `journaling the intent of order ${order.id}${children.length === 0 ? '' : ` and its ${children.length} protective order(s)`}`;
      const inserted = write(doing, true, () => {
        if (insertIntent.run(...intent(order)).changes === 0) return false;
        seq++;
        for (const child of children) {
          insertChildIntent.run(...intent(child));
          seq++;
        }
        return true;
      });
      if (inserted) return { send: true };
      const previous = queries.sentOrder(order.id);
      if (previous === undefined) throw new JournalError('io', file, `order ${order.id} is journaled as sent but cannot be read back`);
      return { send: false, previous };
    },
    recordFill(fill) {
      const inserted = write(`journaling fill ${fill.execId}`, true, () => {
        const markJson = takeMarks();
        const changes = insertFill.run(
          seq,
          runId,
          fill.ts,
          fill.execId,
          fill.orderId,
          fill.strategyId,
          fill.symbol,
          fill.side,
          fill.qty,
          fill.price,
          fill.commission,
          markJson,
          recordedAt(),
          JSON.stringify(fill),
        ).changes;
        if (changes === 1) {
          seq++;
          if (markJson !== null) for (const entry of marks.values()) entry.journaledTs = entry.bar.ts;
        }
        return changes === 1;
      });
      return inserted ? 'recorded' : 'duplicate';
    },
    recordSignal(signal) {
      write('journaling a signal', false, () => insertSignal.run(seq++, runId, signal.ts, signal.strategyId, signal.symbol, 'target', signal.target, recordedAt(), JSON.stringify(signal)));
    },
    recordIntent(intent) {
      write(`journaling a ${intent.kind} intent`, false, () => insertSignal.run(seq++, runId, intent.ts, intent.strategyId, intent.symbol, intent.kind, null, recordedAt(), JSON.stringify(intent)));
    },
    recordOrderEvent(event, venue = {}) {
      const { order } = event;
      write(`journaling ${event.status} of order ${order.id}`, false, () =>
        insertOrderEvent.run(
          seq++,
          runId,
          event.ts,
          order.id,
          order.strategyId,
          order.symbol,
          event.status,
          event.reason ?? null,
          venue.brokerOrderId ?? null,
          venue.permId ?? null,
          venue.orderRef ?? null,
          recordedAt(),
          JSON.stringify(event),
        ),
      );
    },
    recordTrade(trade, closingExecId) {
      write('journaling a trade', false, () =>
        insertTrade.run(seq++, runId, trade.exitTs, trade.strategyId, trade.symbol, trade.side, trade.qty, trade.entryTs, closingExecId ?? null, trade.pnlNet, trade.pnlNetAccount, recordedAt(), JSON.stringify(trade)),
      );
    },
    noteMark(bar) {
      const entry = marks.get(bar.symbol);
      if (entry === undefined) marks.set(bar.symbol, { bar, previous: undefined, journaledTs: Number.NaN });
      else {
        entry.previous = entry.bar;
        entry.bar = bar;
      }
    },
    recordPositions(positions) {
      for (const p of positions) {
        write('journaling a position snapshot', false, () =>
          insertPosition.run(seq++, runId, p.ts, p.strategyId, p.symbol, p.qty, p.avgPrice, p.realizedPnl, p.realizedPnlAccount, recordedAt(), JSON.stringify(p)),
        );
      }
    },
    recordControl(action) {
      write(`journaling a ${action.kind} action`, true, () =>
        insertControl.run(seq++, runId, action.ts, action.kind, action.strategyId ?? null, action.symbol ?? null, action.reason, action.source, recordedAt(), JSON.stringify(action)),
      );
    },
    recordReconcile(adjustment, heldBefore) {
      if (!Number.isFinite(adjustment.qty) || adjustment.qty === 0) throw new RangeError(`a reconcile adjustment books a non-zero number of units, got ${adjustment.qty}`);
      if (!Number.isFinite(adjustment.price) || adjustment.price <= 0) throw new RangeError(`a reconcile adjustment books at a positive price, got ${adjustment.price}`);
      const action = { ...adjustment, kind: 'reconcile' as const };
      const at = write(`journaling a reconcile adjustment of ${adjustment.strategyId} ${adjustment.symbol}`, true, () => {
        insertControl.run(seq, runId, action.ts, action.kind, action.strategyId, action.symbol, action.reason, action.source, recordedAt(), JSON.stringify(action));
        return seq++;
      });
      return adjustmentFill(action, at, heldBefore);
    },
    recordError(source, error, ts = now()) {
      const e = describeError(error);
      write('journaling an error', true, () => insertError.run(seq++, runId, ts, source, e.message, recordedAt(), JSON.stringify(e)));
    },
    flush() {
      usable();
      try {
        commit();
      } catch (error) {
        throw fail(error, 'committing a batch');
      }
    },
    close(reason) {
      if (closed) return;
      try {
        if (failure === undefined) {
          if (!db.inTransaction) db.exec('BEGIN');
          stopRun.run(now(), reason, runId);
          commit();
        }
      } catch (error) {
        throw fail(error, 'closing it');
      } finally {
        closed = true;
        if (timer !== undefined) clearTimeout(timer);
        db.close();
        lock.release();
      }
    },
  };
  return journal;
}

/**
 * The fill that books a reconcile adjustment: the same for the live book (from `recordReconcile`) and for a
 * book rebuilt from the journal, so both agree. `seq` is the adjustment's place in the journal; `heldBefore`
 * the strategy's signed units in the symbol before it (its reason: entry, exit or reverse, as an order's).
 */
export function adjustmentFill(adjustment: ReconcileAdjustment, seq: number, heldBefore: number): Fill {
  const id = `reconcile:${seq}`;
  return {
    kind: 'fill',
    execId: id,
    orderId: id,
    strategyId: adjustment.strategyId,
    symbol: adjustment.symbol,
    ts: adjustment.ts,
    side: adjustment.qty > 0 ? 'BUY' : 'SELL',
    qty: Math.abs(adjustment.qty),
    price: adjustment.price,
    commission: 0,
    reason: reasonOfChange(heldBefore, adjustment.qty),
  };
}

function journaledMark(bar: Bar): JournaledMark {
  const { symbol, ts, intervalMs, close } = bar;
  return { symbol, ts, intervalMs, close };
}
