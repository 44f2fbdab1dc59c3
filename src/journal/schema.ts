import type { Database } from 'better-sqlite3';
import { JournalError } from './journalError';

/**
 * The journal's tables and their forward migrations.
 *
 * Every event table has the same shape: `seq` (append order), `run_id` (the run that wrote it), `ts` (the
 * event's time, UTC epoch ms), typed key columns for queries (ids, strategy, symbol, kind), `recorded_at`
 * (wall-clock ms when it was journaled) and `payload`, the whole event as JSON. Queries read the typed
 * columns; readers decode the payload, so a field the order model gains later (brackets, reasons, …) is
 * journaled and read back without a schema change.
 *
 * The schema version is SQLite's `user_version`; `application_id` marks the file as an engine journal.
 * A migration is a numbered step run in one transaction with the version bump, so a journal is always at
 * exactly one version. A journal from an older engine is migrated forward on open; one from a newer engine
 * is refused (it may hold what this engine cannot read).
 */

/** `application_id` of a journal file: "RXJL". */
export const JOURNAL_APPLICATION_ID = 0x52584a4c;

export interface Migration {
  /** 1, 2, 3, …: the `user_version` the journal has after this step. */
  readonly version: number;
  readonly description: string;
  readonly up: (db: Database) => void;
}

/** Columns every event table starts with. */
const EVENT_COLUMNS = `
  seq INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  ts INTEGER NOT NULL`;

const VERSION_1 = `
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  mode TEXT NOT NULL CHECK (mode IN ('live', 'replay')),
  account TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  stopped_at INTEGER,
  stop_reason TEXT,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  engine_version TEXT NOT NULL,
  node_version TEXT NOT NULL,
  payload TEXT NOT NULL
) STRICT;

CREATE TABLE signals (${EVENT_COLUMNS},
  strategy_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  kind TEXT NOT NULL,
  target REAL,
  recorded_at INTEGER NOT NULL,
  payload TEXT NOT NULL
) STRICT;

CREATE TABLE order_intents (${EVENT_COLUMNS},
  order_id TEXT NOT NULL UNIQUE,
  parent_id TEXT,
  strategy_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
  qty REAL NOT NULL,
  kind TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  payload TEXT NOT NULL
) STRICT;

CREATE TABLE order_events (${EVENT_COLUMNS},
  order_id TEXT NOT NULL,
  strategy_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  kind TEXT NOT NULL,
  reason TEXT,
  broker_order_id INTEGER,
  perm_id INTEGER,
  order_ref TEXT,
  recorded_at INTEGER NOT NULL,
  payload TEXT NOT NULL
) STRICT;
CREATE INDEX order_events_by_order ON order_events (order_id);

CREATE TABLE fills (${EVENT_COLUMNS},
  exec_id TEXT NOT NULL UNIQUE,
  order_id TEXT NOT NULL,
  strategy_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
  qty REAL NOT NULL,
  price REAL NOT NULL,
  commission REAL NOT NULL,
  marks TEXT,
  recorded_at INTEGER NOT NULL,
  payload TEXT NOT NULL
) STRICT;
CREATE INDEX fills_by_ts ON fills (ts);
CREATE INDEX fills_by_order ON fills (order_id);

CREATE TABLE trades (${EVENT_COLUMNS},
  strategy_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('LONG', 'SHORT')),
  qty REAL NOT NULL,
  entry_ts INTEGER NOT NULL,
  closing_exec_id TEXT,
  pnl_net REAL NOT NULL,
  pnl_net_account REAL NOT NULL,
  recorded_at INTEGER NOT NULL,
  payload TEXT NOT NULL
) STRICT;

CREATE TABLE position_snapshots (${EVENT_COLUMNS},
  strategy_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  qty REAL NOT NULL,
  avg_price REAL NOT NULL,
  realized_pnl REAL NOT NULL,
  realized_pnl_account REAL NOT NULL,
  recorded_at INTEGER NOT NULL,
  payload TEXT NOT NULL
) STRICT;
CREATE INDEX position_snapshots_by_leg ON position_snapshots (strategy_id, symbol, seq);

CREATE TABLE control_actions (${EVENT_COLUMNS},
  kind TEXT NOT NULL CHECK (kind IN ('kill', 'resume', 'flatten', 'reconcile')),
  strategy_id TEXT,
  symbol TEXT,
  reason TEXT NOT NULL,
  source TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  payload TEXT NOT NULL
) STRICT;

CREATE TABLE errors (${EVENT_COLUMNS},
  source TEXT NOT NULL,
  message TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  payload TEXT NOT NULL
) STRICT;

-- Protective orders (a bracket's stop and take-profit, …) are the order intents that have a parent.
CREATE VIEW protective_orders AS SELECT * FROM order_intents WHERE parent_id IS NOT NULL;
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, signals, order intents and events, fills, trades, position snapshots, control actions, errors',
    up: (db) => {
      db.exec(VERSION_1);
      db.pragma(`application_id = ${JOURNAL_APPLICATION_ID}`);
    },
  },
];

/** The schema version this engine writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** What `migrate` found and did. */
export interface MigrationResult {
  readonly from: number;
  readonly to: number;
}

/**
 * Brings the journal to the last version of `migrations`, one step a transaction. Refuses a journal whose
 * version is newer than the last step. Steps must be numbered 1, 2, 3, … without gaps.
 */
export function migrate(db: Database, file: string, migrations: readonly Migration[] = MIGRATIONS): MigrationResult {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new RangeError(`journal migrations must be numbered 1, 2, 3, …: step ${i} has version ${m.version}`);
  });
  const latest = migrations.length;
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > latest) {
    throw new JournalError(
      'newer-schema',
      file,
      `written by a newer engine (journal schema ${from}; this engine knows schemas up to ${latest}): open it with that engine's version or newer, or use another journal file`,
    );
  }
  for (const step of migrations.slice(from)) {
    db.transaction(() => {
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    }).immediate();
  }
  return { from, to: latest };
}
