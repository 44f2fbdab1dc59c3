import { z } from 'zod';
import { ConfigError } from '../core/errors';

/**
 * Which column holds what, when a file's header says it in words no alias knows: `--columns` on the command
 * line, `data.columns` in a runner config, `columns` in code. A column is named by its header text or by its
 * 1-based position (the only way in a file without a header); `time=Date+Time` joins a date column and a time
 * column.
 *
 * ```
 * --columns time=Zeit,open=Eröffnung,high=Hoch,low=Tief,close=Schluss,volume=Volumen
 * --columns time=1+2,open=3,high=4,low=5,close=6
 * --columns time=timestamp,bid=Bid,ask=Ask          (a tick file)
 * ```
 */

export type ColumnRole = 'time' | 'open' | 'high' | 'low' | 'close' | 'volume' | 'bid' | 'ask' | 'price' | 'size' | 'symbol';
export const COLUMN_ROLES: readonly ColumnRole[] = ['time', 'open', 'high', 'low', 'close', 'volume', 'bid', 'ask', 'price', 'size', 'symbol'];

/** A column by header text or by 1-based position. */
export type ColumnRef = string | number;

export type ColumnMap = Readonly<Partial<Record<Exclude<ColumnRole, 'time'>, ColumnRef>>> & {
  /** One column, or a date column and a time column joined. */
  readonly time?: ColumnRef | readonly [ColumnRef, ColumnRef];
};

function ref(text: string): ColumnRef {
  const trimmed = text.trim();
  return /^[1-9][0-9]*$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** `time=Date+Time,open=3,…` → a ColumnMap; a ConfigError names `label` and what is wrong. */
export function parseColumnMap(spec: string, label = '--columns'): ColumnMap {
  const map: Record<string, ColumnRef | [ColumnRef, ColumnRef]> = {};
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const role = (eq < 0 ? '' : part.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (!(COLUMN_ROLES as readonly string[]).includes(role) || value.trim() === '') {
      throw new ConfigError(`"${part.trim()}" is not role=column; roles: ${COLUMN_ROLES.join(', ')} (e.g. time=Date+Time,open=Open)`, label);
    }
    if (role in map) throw new ConfigError(`${role} is given twice`, label);
    const joined = value.split('+');
    if (joined.length > 2 || (joined.length === 2 && role !== 'time')) {
      throw new ConfigError(`only time may join two columns (time=Date+Time), got ${role}=${value}`, label);
    }
    map[role] = joined.length === 2 ? [ref(joined[0]), ref(joined[1])] : ref(value);
  }
  if (Object.keys(map).length === 0) throw new ConfigError('no columns given (e.g. time=Date+Time,open=Open,high=High,low=Low,close=Close)', label);
  return map as ColumnMap;
}

const refSchema = z.union([z.string().min(1), z.number().int().positive()]);

/** `data.columns` in a config: the command-line text, or an object of role → column (time may be a pair). */
export const columnMapSchema = z.union([
  z.string().min(1),
  z.strictObject({
    time: z.union([refSchema, z.tuple([refSchema, refSchema])]).optional(),
    open: refSchema.optional(),
    high: refSchema.optional(),
    low: refSchema.optional(),
    close: refSchema.optional(),
    volume: refSchema.optional(),
    bid: refSchema.optional(),
    ask: refSchema.optional(),
    price: refSchema.optional(),
    size: refSchema.optional(),
    symbol: refSchema.optional(),
  }),
]);

/** A config's or a caller's column map, text or object, as a ColumnMap. */
export function toColumnMap(value: z.infer<typeof columnMapSchema>, label: string): ColumnMap {
  return typeof value === 'string' ? parseColumnMap(value, label) : value;
}

/** `time=Date+Time,open=3` again (for messages and `inspect`). */
export function formatColumnMap(map: ColumnMap): string {
  return COLUMN_ROLES.filter((role) => map[role] !== undefined)
    .map((role) => {
      const value = map[role];
      return `${role}=${Array.isArray(value) ? value.join('+') : String(value)}`;
    })
    .join(',');
}
