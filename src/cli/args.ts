import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import { ConfigError, DataError } from '../core/errors';

/** Parsers for commander options and the exit-code convention every command shares. */

export const EXIT_OK = 0;
/** Bad data: a file row, a feed message. */
export const EXIT_DATA = 1;
/** Bad arguments or config. */
export const EXIT_USAGE = 2;

export interface CliIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
}

/**
 * Maps an error to the message a person reads and the exit code: config/argument problems → 2, bad data → 1.
 * Anything else is a bug: its stack is printed and the exit code is 1.
 */
export function reportError(error: unknown, io: CliIo): number {
  if (error instanceof InvalidArgumentError || error instanceof ConfigError) {
    io.stderr.write(`error: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof DataError) {
    io.stderr.write(`invalid data: ${error.message}\n`);
    return EXIT_DATA;
  }
  io.stderr.write(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT_DATA;
}

/**
 * Parses `argv` (after the script name) with `program`, its help and usage errors written to `io`. Returns the
 * exit code when the command must stop there (help shown: 0, bad usage: 2), undefined to go on.
 */
export async function parseArgs(program: Command, argv: readonly string[], io: CliIo): Promise<number | undefined> {
  program.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return undefined;
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
    throw e;
  }
}
