import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite, { type Database } from 'better-sqlite3';
import { JournalError, journalFailure, sqliteCode } from './journalError';
import { JOURNAL_APPLICATION_ID } from './schema';

/**
 * Opening a journal file: the lock that keeps a second engine out, and the checks that refuse a file that is
 * not a healthy journal. Every refusal is a JournalError naming the file.
 */

/** The lock beside a journal: `<journal>.lock`. */
export function lockPathOf(file: string): string {
  return `${file}.lock`;
}

/** Holds the journal's lock until `release()` or the process's end, whichever comes first. */
export interface JournalLock {
  release(): void;
}

/**
 * Takes the journal's lock: a small SQLite file beside it opened with `locking_mode=EXCLUSIVE` and written
 * once, so its connection keeps an exclusive file lock for as long as it is open. The lock is the operating
 * system's: it dies with the process that holds it, so an engine killed with SIGKILL never blocks the next
 * start. It lives in its own file (not on the journal itself) so that readers (`npm run journal`, the HTTP
 * API) can read the journal while an engine writes it.
 *
 * Returns undefined when another connection (another engine) holds it.
 */
export function tryLock(file: string): JournalLock | undefined {
  const lockFile = lockPathOf(file);
  let db: Database;
  try {
    db = new Sqlite(lockFile, { timeout: 0 });
  } catch (error) {
    throw journalFailure(file, `creating its lock file ${lockFile}`, error);
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    if (sqliteCode(error) === 'SQLITE_BUSY') return undefined;
    throw journalFailure(file, `taking its lock ${lockFile}`, error);
  }
  return {
    release: () => {
      if (db.open) db.close();
    },
  };
}

/** Creates the journal's directory when it is missing; a clear error when that is not possible. */
export function ensureDirectory(file: string): void {
  const dir = dirname(file);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new JournalError('unwritable', file, `${dir} is not a directory`);
    return;
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new JournalError('unwritable', file, `cannot create its directory ${dir} (${(error as Error).message})`, { cause: error });
  }
}

/**
 * Opens the file with SQLite, to `write` (created when missing) or to `read` (it must exist). A reader opens
 * read-write all the same and only reads: a read-only connection to a WAL database leaves its `-wal` and `-shm`
 * files behind, while a connection that can write removes them when it is the last to close.
 */
export function openSqlite(file: string, purpose: 'read' | 'write'): Database {
  if (purpose === 'read' && !existsSync(file)) throw new JournalError('io', file, 'no such file');
  try {
    return new Sqlite(file, { fileMustExist: purpose === 'read', timeout: 5000 });
  } catch (error) {
    throw journalFailure(file, 'opening it', error);
  }
}

/** What the file turned out to be. */
export type JournalFileState = 'empty' | 'journal';

/**
 * Checks that `db` is an engine journal (or an empty database that becomes one) and that SQLite's integrity
 * check passes. Refuses a file that is not SQLite, a SQLite database of another application, and a damaged
 * journal.
 */
export function checkJournalFile(db: Database, file: string): JournalFileState {
  let applicationId: number;
  let tables: string[];
  try {
    applicationId = db.pragma('application_id', { simple: true }) as number;
    tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  } catch (error) {
    if (sqliteCode(error) === 'SQLITE_NOTADB') {
      throw new JournalError('corrupt', file, 'not a SQLite database (corrupt, or another kind of file); it was left as it is: move it away or use another journal file', { cause: error });
    }
    throw journalFailure(file, 'reading its header', error);
  }
  if (applicationId !== JOURNAL_APPLICATION_ID) {
    if (applicationId === 0 && tables.length === 0) return 'empty';
    throw new JournalError(
      'not-a-journal',
      file,
      `a SQLite database but not an engine journal (application id ${applicationId}, tables ${tables.join(', ') || 'none'}); it was left as it is: use another journal file`,
    );
  }
  let problems: string[];
  try {
    // One row per problem, or 'ok'; a row may hold several lines, under a '*** in database main ***' heading.
    problems = (db.pragma('quick_check') as { quick_check: string }[])
      .flatMap((r) => r.quick_check.split('\n'))
      .filter((line) => line !== 'ok' && !line.startsWith('***'));
  } catch (error) {
    throw new JournalError('corrupt', file, `SQLite's integrity check cannot read it (${(error as Error).message}); it was left as it is`, { cause: error });
  }
  if (problems.length > 0) {
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
    throw new JournalError('corrupt', file, `SQLite's integrity check failed: ${problems.slice(0, 3).join('; ')}${more}; it was left as it is: move it away (a copy may still be read with the sqlite3 shell's .recover) or use another journal file`);
  }
  return 'journal';
}
