/**
 * Why a journal refused to open, or stopped taking writes. A live engine must never start fresh silently,
 * so each of these stops it with a message naming the file and what to do.
 */
export type JournalErrorReason =
  /** Another running engine holds the journal. */
  | 'locked'
  /** The file is not a SQLite database, or the integrity check failed. */
  | 'corrupt'
  /** A SQLite database, but not an engine journal. */
  | 'not-a-journal'
  /** Written by a newer engine (a schema this one does not know). */
  | 'newer-schema'
  /** Written for another broker account. */
  | 'other-account'
  /** Written for another config (another config hash). */
  | 'other-config'
  /** A replay writes a new journal; this one already holds runs. */
  | 'not-empty'
  /** The file or its directory cannot be created or written. */
  | 'unwritable'
  /** The disk, or the journal's own size limit, is full. */
  | 'full'
  /** Any other I/O or SQLite failure. */
  | 'io'
  /** The journal failed earlier; it takes no more writes. */
  | 'failed'
  /** A payload read back does not have the shape it was written with. */
  | 'bad-payload';

export class JournalError extends Error {
  override readonly name = 'JournalError';
  constructor(
    readonly reason: JournalErrorReason,
    /** The journal file. */
    readonly file: string,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(`journal ${file}: ${message}`, options);
  }
}

/**
 * The SQLite result code of an error thrown by better-sqlite3 (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`, …). Read by
 * shape, not `instanceof`: the native module's error class belongs to the realm that first loaded it.
 */
export function sqliteCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** Name, message and stack of anything thrown, read by shape (an error of another realm is an error too). */
export function describeError(error: unknown): { readonly name: string; readonly message: string; readonly stack?: string } {
  if (typeof error !== 'object' || error === null) return { name: 'Error', message: String(error) };
  const text = (key: 'name' | 'message' | 'stack'): string | undefined => {
    const value: unknown = key in error ? (error as Record<typeof key, unknown>)[key] : undefined;
    return typeof value === 'string' ? value : undefined;
  };
  const stack = text('stack');
  return { name: text('name') ?? 'Error', message: text('message') ?? String(error), ...(stack === undefined ? {} : { stack }) };
}

/**
 * A SQLite failure while `doing` something, as a JournalError a person can act on. A JournalError passes
 * through unchanged.
 */
export function journalFailure(file: string, doing: string, error: unknown): JournalError {
  if (error instanceof JournalError) return error;
  const code = sqliteCode(error) ?? '';
  const detail = describeError(error).message;
  if (code === 'SQLITE_FULL') {
    return new JournalError('full', file, `the disk or the journal's size limit is full while ${doing} (${detail}); nothing of that write was kept`, { cause: error });
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') {
    return new JournalError('unwritable', file, `cannot write while ${doing} (${detail}): check that the file and its directory are writable`, { cause: error });
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new JournalError('corrupt', file, `the file is not a readable SQLite database (${detail}) while ${doing}; it was left as it is`, { cause: error });
  }
  return new JournalError('io', file, `${doing} failed (${detail})`, { cause: error });
}
