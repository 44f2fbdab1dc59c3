import { DataError } from '../core/errors';
import type { BarField } from './barRules';

/**
 * Which column of a file holds which bar field. Vendors spell headers many ways (`timestamp`, `Date`,
 * `Gmt time`, `o`, `Open`, `tick_volume`); a header matches a field when its lower-case letters and digits
 * equal one of the field's aliases. Volume is optional (a missing volume column reads as 0).
 */

export const COLUMN_ALIASES: Readonly<Record<BarField, readonly string[]>> = {
  timestamp: ['timestamp', 'datetime', 'date', 'time', 'ts', 't', 'gmttime', 'utctime', 'opentime'],
  open: ['open', 'o'],
  high: ['high', 'h'],
  low: ['low', 'l'],
  close: ['close', 'c'],
  volume: ['volume', 'vol', 'v', 'tickvolume', 'tickvol'],
};

export interface ResolvedColumn {
  readonly index: number;
  /** The header as written in the file (errors name it). */
  readonly name: string;
}

export interface ResolvedColumns {
  readonly timestamp: ResolvedColumn;
  readonly open: ResolvedColumn;
  readonly high: ResolvedColumn;
  readonly low: ResolvedColumn;
  readonly close: ResolvedColumn;
  readonly volume?: ResolvedColumn;
}

const REQUIRED: readonly BarField[] = ['timestamp', 'open', 'high', 'low', 'close'];
const FIELDS: readonly BarField[] = [...REQUIRED, 'volume'];

function normalize(header: string): string {
  return header.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Maps headers to fields; a DataError names the file and the field when one is missing or ambiguous. */
export function resolveColumns(headers: readonly string[], file: string): ResolvedColumns {
  const found = new Map<BarField, ResolvedColumn>();
  headers.forEach((name, index) => {
    const key = normalize(name);
    for (const field of FIELDS) {
      if (!COLUMN_ALIASES[field].includes(key)) continue;
      const earlier = found.get(field);
      if (earlier) {
        throw new DataError('ambiguous columns', { file, field }, `"${earlier.name}" and "${name}" both name the ${field}; keep one`);
      }
      found.set(field, { index, name });
    }
  });
  for (const field of REQUIRED) {
    if (!found.has(field)) {
      const listed = headers.length ? headers.map((h) => `"${h}"`).join(', ') : 'none';
      throw new DataError('missing column', { file, field }, `no column named ${COLUMN_ALIASES[field].join('/')}; columns found: ${listed}`);
    }
  }
  const get = (field: BarField): ResolvedColumn => found.get(field) as ResolvedColumn;
  return {
    timestamp: get('timestamp'),
    open: get('open'),
    high: get('high'),
    low: get('low'),
    close: get('close'),
    volume: found.get('volume'),
  };
}
