import type { z } from 'zod';
import { DataError, type DataErrorLocation } from '../../core/errors';

/**
 * A zod failure on a feed message as a `DataError` people can act on: the first issue's path becomes the field,
 * its message the rule, and the offending value (shortened) the detail. The other issues follow in the detail, so
 * nothing zod found is hidden.
 */
export function zodDataError(
  error: z.ZodError,
  where: Omit<DataErrorLocation, 'field'>,
  input: unknown,
  /** Where `input` sits in the message, e.g. `payload`: the field is then named as it appears on the wire. */
  fieldPrefix?: string,
): DataError {
  const [first, ...rest] = error.issues;
  const path = [...(fieldPrefix !== undefined ? [fieldPrefix] : []), ...first.path.map(String)];
  const field = path.length > 0 ? path.join('.') : undefined;
  const got = valueAt(input, first.path);
  const details = [`got ${preview(got)}`, ...rest.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)];
  return new DataError(first.message, { ...where, field }, details.join('; '));
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** JSON of a value cut to 80 characters: enough to recognise it in a log line. */
export function preview(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
