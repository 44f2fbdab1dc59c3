import type { Subscriber } from 'rxjs';
import { DataError } from '../core/errors';
import { isoUtc } from '../core/time';
import type { Bar } from '../core/types';
import type { BarBatch, BarColumnNames } from './barBatch';
import { BAR_RULES, BAR_RULE_TEXT, checkOhlcv, type BarRule } from './barRules';

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
  readonly policy: ValidationPolicy;
  /** Data rows examined (in the from/to range, plus rows whose time could not be read). */
  readonly rowsRead: number;
  readonly rowsEmitted: number;
  readonly rowsSkipped: number;
  /** Skipped rows by rule (every rule present, zero when clean). */
  readonly skipped: Readonly<Record<BarRule, number>>;
  /** The first `MAX_SKIP_EXAMPLES` skipped rows. */
  readonly examples: readonly SkippedRow[];
  /** `ts` of the first and last emitted bar. */
  readonly firstTs?: number;
  readonly lastTs?: number;
  /** Undefined only when the file had no rows to infer it from. */
  readonly intervalMs?: number;
  readonly intervalSource: 'option' | 'metadata' | 'inferred' | 'none';
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
  const skipped = Object.fromEntries(BAR_RULES.map((r) => [r, 0])) as Record<BarRule, number>;
  const examples: SkippedRow[] = [];
  let rowsRead = 0;
  let rowsSkipped = 0;
  let emitted = 0;
  let firstTs = Number.NaN;
  let lastTs = Number.NEGATIVE_INFINITY;

  const reject = (row: number, rule: BarRule, field: string | undefined, detail: string): void => {
    if (policy === 'error') throw new DataError(BAR_RULE_TEXT[rule], { file, row, field }, detail);
    rowsSkipped++;
    skipped[rule]++;
    if (examples.length < MAX_SKIP_EXAMPLES) examples.push(field === undefined ? { row, rule, detail } : { row, rule, field, detail });
  };

  return {
    emit: (batch, intervalMs, subscriber) => {
      const { length, rows, ts, open, high, low, close, volume, rejections } = batch;
      let nextRejection = 0;
      for (let i = 0; i < length; i++) {
        const t = ts[i];
        if (t !== t) {
          rowsRead++;
          const rejection = rejections[nextRejection];
          if (rejection !== undefined && rejection.index === i) {
            nextRejection++;
            reject(rows[i], rejection.rule, rejection.field, rejection.detail);
          } else {
            reject(rows[i], 'invalid-timestamp', columns.timestamp, 'missing or not a time');
          }
          continue;
        }
        if (t < from || t >= to) continue;
        rowsRead++;
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
        subscriber.next({ kind: 'bar', symbol, ts: t, intervalMs, open: o, high: h, low: l, close: c, volume: v });
        if (subscriber.closed) return false;
      }
      return true;
    },
    report: (intervalMs, intervalSource) => ({
      file,
      symbol,
      policy,
      rowsRead,
      rowsEmitted: emitted,
      rowsSkipped,
      skipped: { ...skipped },
      examples: [...examples],
      ...(emitted > 0 ? { firstTs, lastTs } : {}),
      ...(intervalMs !== undefined ? { intervalMs } : {}),
      intervalSource,
    }),
  };
}

/** One line per rule that dropped rows: `3 × price must be a finite number > 0 (invalid-price)`. */
export function describeSkipped(report: ValidationReport): string[] {
  return BAR_RULES.filter((r) => report.skipped[r] > 0).map((r) => `${report.skipped[r]} × ${BAR_RULE_TEXT[r]} (${r})`);
}
