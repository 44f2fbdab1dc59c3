/**
 * The rules a bar row must satisfy, shared by every reader and by the Parquet writer. A broken rule is
 * reported by id (for counts in a skip report) and by its text (the `rule` of a `DataError`).
 */

export type BarRule =
  | 'malformed-row'
  | 'invalid-timestamp'
  | 'invalid-price'
  | 'price-range'
  | 'invalid-volume'
  | 'timestamp-order'
  | 'tick-order';

export const BAR_RULES: readonly BarRule[] = [
  'malformed-row',
  'invalid-timestamp',
  'invalid-price',
  'price-range',
  'invalid-volume',
  'timestamp-order',
  'tick-order',
];

export const BAR_RULE_TEXT: Readonly<Record<BarRule, string>> = {
  'malformed-row': 'a row must have as many fields as the header',
  'invalid-timestamp': 'timestamp must be a valid time',
  'invalid-price': 'price must be a finite number > 0',
  'price-range': 'low ≤ open, close ≤ high',
  'invalid-volume': 'volume must be a finite number ≥ 0',
  'timestamp-order': 'timestamps must be strictly increasing',
  'tick-order': 'tick times must not go back',
};

/** Which OHLCV field broke a rule (the validator maps it to the file's own column name). */
export type BarField = 'timestamp' | 'open' | 'high' | 'low' | 'close' | 'volume';

export interface BarViolation {
  readonly rule: BarRule;
  readonly field: BarField;
  readonly detail: string;
}

function isPrice(x: number): boolean {
  return x > 0 && x < Infinity;
}

function shown(x: number): string {
  return Number.isNaN(x) ? 'NaN or missing' : String(x);
}

/**
 * The first rule that prices and volume break, or undefined when they are fine. Called once per row in
 * the hot path: the clean case is a few comparisons and allocates nothing.
 */
export function checkOhlcv(open: number, high: number, low: number, close: number, volume: number): BarViolation | undefined {
  if (isPrice(open) && isPrice(high) && isPrice(low) && isPrice(close) && low <= high && low <= open && open <= high && low <= close && close <= high) {
    return volume >= 0 && volume < Infinity ? undefined : { rule: 'invalid-volume', field: 'volume', detail: `got ${shown(volume)}` };
  }
  if (!isPrice(open)) return { rule: 'invalid-price', field: 'open', detail: `got ${shown(open)}` };
  if (!isPrice(high)) return { rule: 'invalid-price', field: 'high', detail: `got ${shown(high)}` };
  if (!isPrice(low)) return { rule: 'invalid-price', field: 'low', detail: `got ${shown(low)}` };
  if (!isPrice(close)) return { rule: 'invalid-price', field: 'close', detail: `got ${shown(close)}` };
  if (high < low) return { rule: 'price-range', field: 'high', detail: `high ${high} < low ${low}` };
  if (open < low) return { rule: 'price-range', field: 'open', detail: `open ${open} < low ${low}` };
  if (open > high) return { rule: 'price-range', field: 'open', detail: `open ${open} > high ${high}` };
  if (close < low) return { rule: 'price-range', field: 'close', detail: `close ${close} < low ${low}` };
  return { rule: 'price-range', field: 'close', detail: `close ${close} > high ${high}` };
}
