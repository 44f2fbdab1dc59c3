import Sqlite from 'better-sqlite3';
import { liveOptions, tempJournal, testFill, testOrder } from '../../test/support/journalFixtures';
import { openJournal } from './journal';
import { JournalError } from './journalError';
import { migrate, MIGRATIONS, SCHEMA_VERSION, type Migration } from './schema';

/** The real schema plus a second step, as a later engine would ship it. */
const WITH_VERSION_2: readonly Migration[] = [
  ...MIGRATIONS,
  {
    version: 2,
    description: 'fills get a venue column, filled from the payload',
    up: (db) => {
      db.exec("ALTER TABLE fills ADD COLUMN venue TEXT NOT NULL DEFAULT 'unknown'");
      db.exec("UPDATE fills SET venue = COALESCE(json_extract(payload, '$.venue'), 'sim')");
    },
  },
];

describe('journal schema: numbered forward migrations', () => {
  it('creates a new journal at the current version, marked as a journal', () => {
    const { file } = tempJournal();
    openJournal(file, liveOptions()).close('done');
    const db = new Sqlite(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(0x52584a4c);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const objects = db.prepare("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();
    expect(objects).toEqual(
      expect.arrayContaining([
        { type: 'table', name: 'runs' },
        { type: 'table', name: 'signals' },
        { type: 'table', name: 'order_intents' },
        { type: 'table', name: 'order_events' },
        { type: 'table', name: 'fills' },
        { type: 'table', name: 'trades' },
        { type: 'table', name: 'position_snapshots' },
        { type: 'table', name: 'control_actions' },
        { type: 'table', name: 'errors' },
        { type: 'view', name: 'protective_orders' },
      ]),
    );
    db.close();
  });

  it('migrates a journal of an older schema forward, keeping what it holds', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    journal.recordFill(testFill(testOrder(1)));
    journal.close('done');

    const db = new Sqlite(file);
    expect(migrate(db, file, WITH_VERSION_2)).toEqual({ from: 1, to: 2 });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare('SELECT exec_id, venue FROM fills').all()).toEqual([{ exec_id: 'fix-1.1', venue: 'sim' }]);
    // Nothing left to do the second time.
    expect(migrate(db, file, WITH_VERSION_2)).toEqual({ from: 2, to: 2 });
    db.close();
  });

  it('runs each step in one transaction: a step that fails leaves the journal at the version before it', () => {
    const { file } = tempJournal();
    openJournal(file, liveOptions()).close('done');
    const failing: readonly Migration[] = [
      ...MIGRATIONS,
      {
        version: 2,
        description: 'fails half way',
        up: (db) => {
          db.exec('CREATE TABLE half_done (x INTEGER)');
          throw new Error('disk hiccup');
        },
      },
    ];
    const db = new Sqlite(file);
    expect(() => migrate(db, file, failing)).toThrow('disk hiccup');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'half_done'").all()).toEqual([]);
    db.close();
  });

  it('refuses a newer journal, and steps that are not numbered 1, 2, 3, …', () => {
    const { file } = tempJournal();
    openJournal(file, liveOptions()).close('done');
    const db = new Sqlite(file);
    migrate(db, file, WITH_VERSION_2);
    expect(() => migrate(db, file, MIGRATIONS)).toThrow(JournalError);
    expect(() => migrate(db, file, MIGRATIONS)).toThrow(/journal schema 2; this engine knows schemas up to 1/);
    expect(() => migrate(db, file, [MIGRATIONS[0], { ...WITH_VERSION_2[1], version: 3 }])).toThrow(/numbered 1, 2, 3, …: step 1 has version 3/);
    db.close();
  });
});
