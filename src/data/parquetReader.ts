import { access } from 'node:fs/promises';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBDoubleVector, DuckDBResult, DuckDBVarCharVector } from '@duckdb/node-api';
import { DataError } from '../core/errors';
import { DAY_MS } from '../core/time';
import { allocateBatch, type BarBatch, type BarBatchReader, type BarColumnNames, type BarFileMetadata, type BarReaderOptions, type OpenBarReader } from './barBatch';
import { resolveColumns, type ResolvedColumn } from './columns';
import { duckdbApi, duckdbReason, openConnection } from './duckdb';
import { MS_PER_EPOCH_UNIT, createTimestampParser, epochUnitOf, wallToUtc, type EpochUnit } from './timestamps';

/**
 * Parquet → columnar bar batches, through DuckDB. SQL does the cheap work: DESCRIBE resolves the columns,
 * the projection turns every timestamp flavour into epoch ms and every price into DOUBLE, and `from`/`to`
 * become predicates on the raw column so row groups outside the range are never decoded. JavaScript only
 * copies vectors into the batch (and parses timestamps stored as text, with the same rules as CSV).
 * DuckDB streams 2048-row chunks, so memory stays flat whatever the file size.
 */

/** How the timestamp column becomes epoch ms. */
type TimestampPlan =
  | { readonly kind: 'instant' } // TIMESTAMPTZ: SQL gives UTC ms
  | { readonly kind: 'wall' } // TIMESTAMP / DATE without zone: SQL gives wall ms, UTC unless a timezone is set
  | { readonly kind: 'epoch'; readonly unit: EpochUnit } // numbers
  | { readonly kind: 'text' }; // VARCHAR: parsed in JavaScript

export interface ParquetProjection {
  readonly file: string;
  readonly columns: BarColumnNames;
  readonly metadata: BarFileMetadata;
  readonly timestamp: TimestampPlan;
  readonly hasVolume: boolean;
  /**
   * `SELECT` list producing, in order: ts (DOUBLE epoch ms, or VARCHAR for text), open, high, low, close
   * [, volume] as DOUBLE. Wall times still need `timezone` applied in JavaScript.
   */
  readonly selectList: string;
  /** `read_parquet(...)` call for the FROM clause. */
  readonly source: string;
  /** The raw timestamp column, quoted. */
  readonly timestampColumn: string;
  /** How the time column is read, for `inspect`. */
  readonly timeDescription: string;
}

const WALL_TYPES = new Set(['TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'DATE']);
const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT']);
const FLOAT_TYPES = new Set(['FLOAT', 'DOUBLE']);

function isNumericType(type: string): boolean {
  return INTEGER_TYPES.has(type) || FLOAT_TYPES.has(type) || type.startsWith('DECIMAL');
}

async function rowsOf(connection: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

/** Resolves the file's columns and types into the SQL that projects them to bar fields. */
export async function planParquetProjection(connection: DuckDBConnection, file: string, withRowNumbers = false): Promise<ParquetProjection> {
  const { quotedIdentifier, quotedString } = duckdbApi();
  try {
    await access(file);
  } catch (e) {
    throw new DataError('cannot open file', { file }, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  const source = `read_parquet(${quotedString(file)}${withRowNumbers ? ', file_row_number = true' : ''})`;
  let described: unknown[][];
  try {
    described = await rowsOf(connection, `DESCRIBE SELECT * FROM read_parquet(${quotedString(file)})`);
  } catch (e) {
    throw new DataError('not a readable Parquet file', { file }, duckdbReason(e));
  }
  const names = described.map((row) => String(row[0]));
  const types = described.map((row) => String(row[1]));
  const resolved = resolveColumns(names, file);
  const typeOf = (c: ResolvedColumn): string => types[c.index];

  const numeric = (c: ResolvedColumn): string => {
    const type = typeOf(c);
    if (isNumericType(type)) return `CAST(${quotedIdentifier(c.name)} AS DOUBLE)`;
    if (type === 'VARCHAR') return `TRY_CAST(${quotedIdentifier(c.name)} AS DOUBLE)`;
    throw new DataError('unsupported column type', { file, field: c.name }, `${type}; expected a number`);
  };

  const tsColumn = resolved.timestamp;
  const tsType = typeOf(tsColumn);
  const tsId = quotedIdentifier(tsColumn.name);
  let timestamp: TimestampPlan;
  let tsExpr: string;
  if (tsType === 'TIMESTAMP WITH TIME ZONE') {
    timestamp = { kind: 'instant' };
    tsExpr = `CAST(epoch_ms(${tsId}) AS DOUBLE)`;
  } else if (WALL_TYPES.has(tsType)) {
    timestamp = { kind: 'wall' };
    tsExpr = `CAST(epoch_ms(CAST(${tsId} AS TIMESTAMP)) AS DOUBLE)`;
  } else if (isNumericType(tsType)) {
    const first = await rowsOf(connection, `SELECT CAST(${tsId} AS DOUBLE) FROM read_parquet(${quotedString(file)}) WHERE ${tsId} IS NOT NULL LIMIT 1`);
    const unit = first.length ? epochUnitOf(Number(first[0][0])) : 'ms';
    timestamp = { kind: 'epoch', unit };
    const scaled = unit === 'ms' ? `CAST(${tsId} AS DOUBLE)` : unit === 's' ? `CAST(${tsId} AS DOUBLE) * 1000` : `CAST(${tsId} AS DOUBLE) / ${unit === 'us' ? '1e3' : '1e6'}`;
    tsExpr = `round(${scaled})`;
  } else if (tsType === 'VARCHAR') {
    timestamp = { kind: 'text' };
    tsExpr = tsId;
  } else {
    throw new DataError('unsupported column type', { file, field: tsColumn.name }, `${tsType}; expected a timestamp, a date, epoch numbers or ISO text`);
  }

  const parts = [tsExpr, numeric(resolved.open), numeric(resolved.high), numeric(resolved.low), numeric(resolved.close)];
  if (resolved.volume) parts.push(numeric(resolved.volume));

  const timeDescription = {
    instant: `${tsType}: UTC instants`,
    wall: `${tsType} without a zone: wall time, read in --timezone (UTC when none is given)`,
    epoch: `${tsType}: epoch ${timestamp.kind === 'epoch' ? timestamp.unit : ''} (by magnitude)`,
    text: 'text, read like a CSV time column',
  }[timestamp.kind];
  return {
    timeDescription: `column "${tsColumn.name}", ${timeDescription}`,
    file,
    columns: {
      timestamp: tsColumn.name,
      open: resolved.open.name,
      high: resolved.high.name,
      low: resolved.low.name,
      close: resolved.close.name,
      volume: resolved.volume?.name ?? 'volume',
    },
    metadata: await readMetadata(connection, file),
    timestamp,
    hasVolume: resolved.volume !== undefined,
    selectList: parts.join(', '),
    source,
    timestampColumn: tsId,
  };
}

async function readMetadata(connection: DuckDBConnection, file: string): Promise<BarFileMetadata> {
  const { quotedString } = duckdbApi();
  const rows = await rowsOf(connection, `SELECT decode(key), decode(value) FROM parquet_kv_metadata(${quotedString(file)})`);
  const map = new Map(rows.map((r) => [String(r[0]), String(r[1])]));
  const symbol = map.get('symbol');
  const interval = Number(map.get('intervalMs'));
  return {
    ...(symbol ? { symbol } : {}),
    ...(Number.isInteger(interval) && interval > 0 ? { intervalMs: interval } : {}),
  };
}

/** SQL predicates on the raw timestamp column: a superset of [from, to) that lets DuckDB skip row groups. */
function rangePredicates(plan: ParquetProjection, from: number | undefined, to: number | undefined, zoned: boolean): string[] {
  const out: string[] = [];
  const bound = (ms: number, op: '>=' | '<'): string | undefined => {
    const column = plan.timestampColumn;
    switch (plan.timestamp.kind) {
      case 'instant':
        return `${column} ${op} make_timestamptz(${Math.ceil(ms) * 1000})`;
      case 'wall': {
        // A zone moves wall time by less than a day either way; the replay filters exactly.
        const margin = zoned ? (op === '>=' ? -DAY_MS : DAY_MS) : 0;
        return `${column} ${op} make_timestamp(${(Math.ceil(ms) + margin) * 1000})`;
      }
      case 'epoch': {
        const widened = op === '>=' ? ms - 1 : ms + 1;
        return `${column} ${op} ${widened / MS_PER_EPOCH_UNIT[plan.timestamp.unit]}`;
      }
      case 'text':
        return undefined;
    }
  };
  if (from !== undefined && Number.isFinite(from)) {
    const p = bound(from, '>=');
    if (p) out.push(p);
  }
  if (to !== undefined && Number.isFinite(to)) {
    const p = bound(to, '<');
    if (p) out.push(p);
  }
  return out;
}

function copyDoubles(chunk: DuckDBDataChunk, column: number, target: Float64Array, offset: number, count: number): void {
  const vector = chunk.getColumnVector(column) as DuckDBDoubleVector;
  for (let i = 0; i < count; i++) {
    const v = vector.getItem(i);
    target[offset + i] = v === null ? Number.NaN : v;
  }
}

export const openParquetReader: OpenBarReader = async (file: string, options: BarReaderOptions): Promise<BarBatchReader> => {
  const connection = await openConnection();
  let closed = false;
  let busy = false;
  let released = false;
  // The chunk after the one being copied, already requested (see `fetchAhead`).
  let ahead: Promise<DuckDBDataChunk | null> | undefined;
  const release = (): void => {
    if (released) return;
    released = true;
    // Closing the connection alone leaves an unfinished streaming query (and its file handles) alive;
    // the next statement on the connection ends it, once the chunk still being fetched has arrived.
    Promise.resolve(ahead)
      .catch(() => undefined)
      .then(() => connection.run('SELECT 1'))
      .catch(() => undefined)
      .finally(() => connection.closeSync());
  };

  try {
    const filtered = options.from !== undefined || options.to !== undefined;
    const plan = await planParquetProjection(connection, file, filtered);
    const zone = options.timezone;
    const wallZone = plan.timestamp.kind === 'wall' && zone !== undefined ? wallToUtc(zone) : undefined;
    const parseText = plan.timestamp.kind === 'text' ? createTimestampParser({ file, column: plan.columns.timestamp, timezone: zone }) : undefined;
    const where = rangePredicates(plan, options.from, options.to, wallZone !== undefined);
    const rowNumberColumn = filtered ? ', CAST(file_row_number AS DOUBLE) + 1' : '';
    const sql = `SELECT ${plan.selectList}${rowNumberColumn} FROM ${plan.source}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;

    let result: DuckDBResult;
    try {
      result = await connection.stream(sql);
    } catch (e) {
      throw new DataError('cannot read Parquet data', { file }, duckdbReason(e));
    }

    const rowColumn = plan.hasVolume ? 6 : 5;
    // Chunks are appended whole, so a batch may run past batchRows by less than one chunk.
    const batch = allocateBatch(options.batchRows + duckdbApi().DuckDBVector.standardSize());
    let nextRow = 1;
    let exhausted = false;
    // Asks for the next chunk before the current one is copied: DuckDB decodes it on a worker thread while
    // JavaScript copies and the replay emits (profiled: without it the main thread idles ~40 % of a decode,
    // waiting for each chunk in turn). A rejection is handled when the promise is awaited.
    const fetchAhead = (): Promise<DuckDBDataChunk | null> => {
      const next = result.fetchChunk();
      next.catch(() => undefined);
      return next;
    };

    const fill = async (): Promise<BarBatch | null> => {
      batch.length = 0;
      batch.rejections.length = 0;
      while (!exhausted && batch.length < options.batchRows && !closed) {
        let chunk: DuckDBDataChunk | null;
        try {
          chunk = await (ahead ?? fetchAhead());
        } catch (e) {
          ahead = undefined;
          throw new DataError('cannot read Parquet data', { file }, duckdbReason(e));
        }
        ahead = undefined;
        if (!chunk || chunk.rowCount === 0) {
          exhausted = true;
          break;
        }
        if (!closed) ahead = fetchAhead();
        const n = chunk.rowCount;
        const at = batch.length;
        if (filtered) copyDoubles(chunk, rowColumn, batch.rows, at, n);
        else for (let i = 0; i < n; i++) batch.rows[at + i] = nextRow + i;
        if (parseText) {
          const texts = chunk.getColumnVector(0) as DuckDBVarCharVector;
          for (let i = 0; i < n; i++) {
            const text = texts.getItem(i);
            const ts = text === null ? Number.NaN : parseText(text, batch.rows[at + i]);
            if (text !== null && ts !== ts) {
              batch.rejections.push({ index: at + i, rule: 'invalid-timestamp', field: plan.columns.timestamp, detail: `got "${text.trim()}"` });
            }
            batch.ts[at + i] = ts;
          }
        } else {
          copyDoubles(chunk, 0, batch.ts, at, n);
          if (wallZone) {
            for (let i = at; i < at + n; i++) {
              const t = batch.ts[i];
              if (t === t) batch.ts[i] = wallZone(t);
            }
          }
        }
        copyDoubles(chunk, 1, batch.open, at, n);
        copyDoubles(chunk, 2, batch.high, at, n);
        copyDoubles(chunk, 3, batch.low, at, n);
        copyDoubles(chunk, 4, batch.close, at, n);
        if (plan.hasVolume) copyDoubles(chunk, 5, batch.volume, at, n);
        else batch.volume.fill(0, at, at + n);
        nextRow += n;
        batch.length = at + n;
      }
      return batch.length > 0 ? batch : null;
    };

    return {
      file,
      columns: plan.columns,
      metadata: plan.metadata,
      format: { kind: 'parquet', time: plan.timeDescription },
      next: async () => {
        if (closed) return null;
        busy = true;
        try {
          return await fill();
        } finally {
          busy = false;
          if (closed) release();
        }
      },
      close: () => {
        closed = true;
        if (!busy) release();
      },
    };
  } catch (e) {
    release();
    throw e;
  }
};
