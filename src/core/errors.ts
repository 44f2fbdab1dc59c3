/**
 * Errors people read. Each one names where the problem is (file, row, field, message) and the rule broken,
 * so the CLI can print `message` alone, without a stack trace.
 */

export interface DataErrorLocation {
  readonly file?: string;
  /** 1-based data row (header not counted). */
  readonly row?: number;
  readonly field?: string;
}

/** Bad input data (a file, a feed message). CLI exit code 1. */
export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(
    readonly rule: string,
    readonly location: DataErrorLocation = {},
    detail?: string,
  ) {
    super(formatDataError(rule, location, detail));
  }
}

/** Bad configuration or arguments. CLI exit code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly source?: string,
  ) {
    super(source ? `${source}: ${message}` : message);
  }
}

function formatDataError(rule: string, at: DataErrorLocation, detail?: string): string {
  const where = [at.file, at.row !== undefined ? `row ${at.row}` : undefined, at.field ? `field "${at.field}"` : undefined]
    .filter((x): x is string => x !== undefined)
    .join(', ');
  return `${where ? `${where}: ` : ''}${rule}${detail ? ` (${detail})` : ''}`;
}
