import type { Subscriber } from 'rxjs';
import { DataError } from '../core/errors';
import { isoUtc } from '../core/time';
import type { TickSink } from '../../operators/barBuilder';
import type { Bar } from '../core/types';
import { makeBar } from './bar';
import type { BarBatch, BarColumnNames, RowRejection } from './barBatch';
import { BAR_RULES, BAR_RULE_TEXT, checkOhlcv, type BarRule } from './barRules';
import type { RecordKind } from './layouts';
import type { TickBatch, TickColumnNames } from './tickReader';

export type ValidationPolicy = 'error' | 'skip';

/** One row dropped under the 'skip' policy. */
export interface SkippedRow {
  /** 1-based data row. */
  readonly row: number;
  readonly rule: BarRule;
  /** The column as named in the file (absent for a malformed row). */
  readonly field?: string;
  readonly detail: string;
}

/** What a replay read, emitted and dropped. Handed to `onReport` when the replay completes. */
export interface ValidationReport {
  readonly file: string;
  readonly symbol: string;
  /** What the rows are: bars, or ticks built into bars of `intervalMs`. */
  readonly records: RecordKind;
  readonly policy: ValidationPolicy;
  /** Data rows examined (in the from/to range, plus rows whose time could not be read). */
  readonly rowsRead: number;
  readonly rowsEmitted: number;
  readonly rowsSkipped: number;
  /** Skipped rows by rule (every rule present, zero when clean). */
  readonly skipped: Readonly<Record<BarRule, number>>;
  /** The first `MAX_SKIP_EXAMPLES` skipped rows. */
  readonly examples: readonly SkippedRow[];
  /** `ts` of the first and last emitted bar (tick, for a tick file). */
  readonly firstTs?: number;
  readonly lastTs?: number;
  /** Undefined only when the file had no rows to infer it from. For a tick file: the bars built from it. */
  readonly intervalMs?: number;
  readonly intervalSource: 'option' | 'metadata' | 'inferred' | 'none';
}

/**
 * Counts and examples of dropped rows, or the error of the first one (policy 'error'); and the gate every row
 * passes first: rows the reader rejected, rows without a time, rows outside [from, to).
 */
interface RowTally {
  reject(row: number, rule: BarRule, field: string | undefined, detail: string): void;
  /** Before a batch: its reader rejections, in index order. */
  begin(rejections: readonly RowRejection[]): void;
  /** Whether row `i` (time `t`, file row `row`) goes on to the value checks; it is then counted as read. */
  admit(i: number, t: number, row: number): boolean;
  /** The report's counts, for `emitted` rows from `firstTs` to `lastTs`. */
  counts(symbol: string, records: RecordKind, emitted: number, firstTs: number, lastTs: number): Omit<ValidationReport, 'intervalMs' | 'intervalSource'>;
  readonly skipped: Record<BarRule, number>;
  readonly examples: SkippedRow[];
  rowsSkipped: number;
  rowsRead: number;
}

function rowTally(file: string, policy: ValidationPolicy, timestampColumn: string, from: number, to: number): RowTally {
  let rejections: readonly RowRejection[] = [];
  let next = 0;
  let rejectAt = -1;
  const tally: RowTally = {
    skipped: Object.fromEntries(BAR_RULES.map((r) => [r, 0])) as Record<BarRule, number>,
    examples: [],
    rowsSkipped: 0,
    rowsRead: 0,
    reject: (row, rule, field, detail) => {
      if (policy === 'error') throw new DataError(BAR_RULE_TEXT[rule], { file, row, field }, detail);
      tally.rowsSkipped++;
      tally.skipped[rule]++;
      if (tally.examples.length < MAX_SKIP_EXAMPLES) tally.examples.push(field === undefined ? { row, rule, detail } : { row, rule, field, detail });
    },
    counts: (symbol, records, emitted, firstTs, lastTs) => ({
      file,
      symbol,
      records,
      policy,
      rowsRead: tally.rowsRead,
      rowsEmitted: emitted,
      rowsSkipped: tally.rowsSkipped,
      skipped: { ...tally.skipped },
      examples: [...tally.examples],
      ...(emitted > 0 ? { firstTs, lastTs } : {}),
    }),
    begin: (batchRejections) => {
      rejections = batchRejections;
      next = 0;
      rejectAt = rejections.length > 0 ? rejections[0].index : -1;
    },
    admit: (i, t, row) => {
      if (i === rejectAt) {
        // A row the reader could not read: its time (NaN), or a value (its time is known).
        const rejection = rejections[next++];
        rejectAt = next < rejections.length ? rejections[next].index : -1;
        if (t === t && (t < from || t >= to)) return false;
        tally.rowsRead++;
        tally.reject(row, rejection.rule, rejection.field, rejection.detail);
        return false;
      }
      if (t !== t) {
        tally.rowsRead++;
        tally.reject(row, 'invalid-timestamp', timestampColumn, 'missing or not a time');
        return false;
      }
      if (t < from || t >= to) return false;
      tally.rowsRead++;
      return true;
    },
  };
  return tally;
}

export const MAX_SKIP_EXAMPLES = 10;

export interface BarValidatorOptions {
  readonly file: string;
  readonly symbol: string;
  readonly policy: ValidationPolicy;
  readonly columns: BarColumnNames;
  readonly from: number;
  readonly to: number;
}

export interface BarValidator {
  /**
   * Validates a batch and emits its good rows as bars, synchronously. Returns false as soon as the
   * subscriber is closed (e.g. `take(n)` had enough), so reading can stop.
   */
  emit(batch: BarBatch, intervalMs: number, subscriber: Subscriber<Bar>): boolean;
  report(intervalMs: number | undefined, intervalSource: ValidationReport['intervalSource']): ValidationReport;
}

export function createBarValidator(options: BarValidatorOptions): BarValidator {
  const { file, symbol, policy, columns, from, to } = options;
  const tally = rowTally(file, policy, columns.timestamp, from, to);
  const reject = tally.reject;
  let emitted = 0;
  let firstTs = Number.NaN;
  let lastTs = Number.NEGATIVE_INFINITY;

  return {
    emit: (batch, intervalMs, subscriber) => {
      const { length, rows, ts, open, high, low, close, volume } = batch;
      tally.begin(batch.rejections);
      for (let i = 0; i < length; i++) {
        const t = ts[i];
        if (!tally.admit(i, t, rows[i])) continue;
        const o = open[i];
        const h = high[i];
        const l = low[i];
        const c = close[i];
        const v = volume[i];
        const violation = checkOhlcv(o, h, l, c, v);
        if (violation !== undefined) {
          reject(rows[i], violation.rule, columns[violation.field], violation.detail);
          continue;
        }
        if (t <= lastTs) {
          reject(rows[i], 'timestamp-order', columns.timestamp, `${isoUtc(t)} is not after ${isoUtc(lastTs)}`);
          continue;
        }
        if (emitted === 0) firstTs = t;
        lastTs = t;
        emitted++;
        subscriber.next(makeBar(symbol, t, intervalMs, o, h, l, c, v));
        if (subscriber.closed) return false;
      }
      return true;
    },
    report: (intervalMs, intervalSource) => ({
      ...tally.counts(symbol, 'bars', emitted, firstTs, lastTs),
      ...(intervalMs !== undefined ? { intervalMs } : {}),
      intervalSource,
    }),
  };
}

export interface TickValidatorOptions {
  readonly file: string;
  readonly symbol: string;
  readonly policy: ValidationPolicy;
  readonly columns: TickColumnNames;
  readonly from: number;
  readonly to: number;
  readonly records: 'quotes' | 'trades';
  /** The price a quote tick carries on: both sides (mid), or one side for both. */
  readonly price: 'bid' | 'ask' | 'mid' | 'last';
}

export interface TickValidator {
  /**
   * Validates a batch and hands its good rows to `ticks` (a bar builder: no `Tick` object per row); false as
   * soon as `output` is closed (what `ticks` emitted made the consumer stop), so reading can stop.
   */
  emit(batch: TickBatch, ticks: TickSink, output: { readonly closed: boolean }): boolean;
  /** The report, for bars of `barMs` built from the ticks. */
  report(barMs: number): ValidationReport;
}

/**
 * Tick rows: prices finite and > 0, sizes ≥ 0, times that never go back (ticks may share a millisecond).
 * A crossed quote (ask below bid) is kept: it happens in real feeds and the mid is still a price.
 */
export function createTickValidator(options: TickValidatorOptions): TickValidator {
  const { file, symbol, policy, columns, from, to, records, price } = options;
  const tally = rowTally(file, policy, columns.timestamp, from, to);
  const reject = tally.reject;
  let emitted = 0;
  let firstTs = Number.NaN;
  let lastTs = Number.NEGATIVE_INFINITY;
  const isPrice = (x: number): boolean => x > 0 && x < Infinity;
  return {
    emit: (batch, ticks, output) => {
      const { length, rows, ts, first, second } = batch;
      tally.begin(batch.rejections);
      for (let i = 0; i < length; i++) {
        const t = ts[i];
        if (!tally.admit(i, t, rows[i])) continue;
        const a = first[i];
        const b = second[i];
        if (!isPrice(a)) {
          reject(rows[i], 'invalid-price', columns.first, `got ${a}`);
          continue;
        }
        if (records === 'quotes' ? !isPrice(b) : !(b >= 0 && b < Infinity)) {
          reject(rows[i], records === 'quotes' ? 'invalid-price' : 'invalid-volume', columns.second, `got ${b}`);
          continue;
        }
        if (t < lastTs) {
          reject(rows[i], 'tick-order', columns.timestamp, `${isoUtc(t)} is before ${isoUtc(lastTs)}`);
          continue;
        }
        if (emitted === 0) firstTs = t;
        lastTs = t;
        emitted++;
        if (records === 'trades') ticks.trade(t, a, b);
        else if (price === 'mid') ticks.quote(t, a, b);
        else {
          // One side for both: the quote's mid is then that side, as a Tick { bid: side, ask: side } gave.
          const side = price === 'bid' ? a : b;
          ticks.quote(t, side, side);
        }
        if (output.closed) return false;
      }
      return true;
    },
    report: (barMs) => ({ ...tally.counts(symbol, records, emitted, firstTs, lastTs), intervalMs: barMs, intervalSource: 'option' }),
  };
}

/** One line per rule that dropped rows: `3 × price must be a finite number > 0 (invalid-price)`. */
export function describeSkipped(report: ValidationReport): string[] {
  return BAR_RULES.filter((r) => report.skipped[r] > 0).map((r) => `${report.skipped[r]} × ${BAR_RULE_TEXT[r]} (${r})`);
}
