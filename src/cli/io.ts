import { SingleBar } from 'cli-progress';
import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import { ConfigError, DataError } from '../core/errors';

/**
 * What every `npm run …` command shares about the terminal: where it writes, how it parses its arguments,
 * how an error becomes a message and an exit code, the progress bar, and Ctrl-C. Commands take a `CliIo`
 * (and signals) instead of touching `process`, so tests run them in-process and read what they wrote.
 *
 * Exit codes: 0 ok · 1 bad data (a file row, a feed message) or a failure to reach a server · 2 bad
 * arguments or config · 130 interrupted (Ctrl-C).
 */

export const EXIT_OK = 0;
/** Bad data: a file row, a feed message; or a server that cannot be reached. */
export const EXIT_DATA = 1;
/** Bad arguments or config. */
export const EXIT_USAGE = 2;
/** Stopped by SIGINT/SIGTERM (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** A stream a command writes to: `process.stdout`/`process.stderr`, or a test's capture. */
export interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
}

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Where a command hears SIGINT/SIGTERM (`process` in production, an EventEmitter in tests). */
export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
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

/** A commander parser for one of `choices`; the message lists them. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return value as T;
  };
}

/** Writes `text` as one line. */
export function writeLine(stream: CliStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Prefixes of the messages a person reads, by kind of error. */
export interface ErrorWording {
  /** Before a ConfigError's or a bad argument's message (default `error`). */
  readonly usage?: string;
  /** Before a DataError's message (default `invalid data`). */
  readonly data?: string;
  /** Before any other error's message; unset prints it as an internal error with its stack. */
  readonly other?: string;
}

/**
 * Writes the message a person reads and returns the exit code: arguments and config → 2, bad data → 1, and
 * anything else → 1 (as an internal error with its stack, unless `wording.other` names it, e.g. a server
 * that cannot be reached).
 */
export function reportError(error: unknown, io: CliIo, wording: ErrorWording = {}): number {
  if (error instanceof InvalidArgumentError || error instanceof ConfigError) {
    io.stderr.write(`${wording.usage ?? 'error'}: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof DataError) {
    io.stderr.write(`${wording.data ?? 'invalid data'}: ${error.message}\n`);
    return EXIT_DATA;
  }
  if (wording.other !== undefined) {
    io.stderr.write(`${wording.other}: ${error instanceof Error ? error.message : String(error)}\n`);
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

/**
 * Calls `first` on the first SIGINT/SIGTERM and `again` on any later one, until the returned function is
 * called (always call it: a listener left behind keeps the signal from ending the process).
 */
export function onStopSignals(signals: SignalSource, handlers: { first(signal: StopSignal): void; again(signal: StopSignal): void }): () => void {
  let count = 0;
  const listeners = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const listener = (): void => {
      count++;
      if (count === 1) handlers.first(signal);
      else handlers.again(signal);
    };
    signals.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) signals.off(signal, listener);
  };
}

/** A progress bar on a terminal's stderr. */
export interface Progress {
  /** Sets how much is done (in the unit of the total). */
  update(done: number): void;
  /** Removes the bar's hold on the terminal: cursor shown, line wrap back on. Idempotent. */
  stop(): void;
}

/** Shows the cursor and turns line wrap back on: what a progress bar must undo on every way out. */
export const TERMINAL_RESTORE = '\x1b[?25h\x1b[?7h';

/**
 * A progress bar on `io.stderr` when it is a terminal (undefined otherwise: pipes and logs get no escape
 * codes). `unit` 'bytes' shows MB (a text file, by bytes read from disk); 'rows' shows counts; 'configs' (a
 * sweep) shows counts with one decimal and the rate in configs/s. Until `stop()`, the process's exit writes
 * {@link TERMINAL_RESTORE}, so even an exit nobody planned leaves a usable terminal.
 */
export function startProgress(io: CliIo, options: { readonly label: string; readonly total: number; readonly unit: 'rows' | 'bytes' | 'configs' }): Progress | undefined {
  const stream = io.stderr as NodeJS.WriteStream;
  if (io.stderr.isTTY !== true || !(options.total > 0)) return undefined;
  const bytes = options.unit === 'bytes';
  const scale = bytes ? 1 / 1e6 : 1;
  const rate = options.unit === 'configs' ? ' | {rate} configs/s' : '';
  const format = `${options.label} [{bar}] {percentage}% | {value}/{total} ${bytes ? 'MB' : options.unit}${rate} | {eta_formatted} left`;
  const fractional = bytes || options.unit === 'configs';
  const started = performance.now();
  const bar = new SingleBar({ format, stream, hideCursor: true, linewrap: false, formatValue: (v, _options, type) => (fractional && (type === 'value' || type === 'total') ? Number(v).toFixed(1) : String(v)) });
  const restore = (): void => {
    stream.write(TERMINAL_RESTORE);
  };
  process.once('exit', restore);
  bar.start(Math.round(options.total * scale * 10) / 10, 0, { rate: '0.0' });
  let stopped = false;
  return {
    update: (done) => {
      if (stopped) return;
      const seconds = (performance.now() - started) / 1000;
      bar.update(Math.round(done * scale * 10) / 10, { rate: seconds > 0 ? (done / seconds).toFixed(1) : '0.0' });
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
      // cli-progress skips its own restore when stopped between two of its renders; ours is unconditional.
      restore();
      process.off('exit', restore);
    },
  };
}

/** The process's own I/O and signals, for a command run as the entry point. */
export const PROCESS_IO: CliIo = process;

/**
 * Runs a command as the process's entry point: its promise's value becomes the exit code; a rejection
 * (a bug) prints as an internal error. 130 (a second Ctrl-C) exits at once, without waiting for open handles.
 */
export function runMain(command: () => Promise<number>): void {
  command().then(
    (code) => {
      if (code === EXIT_INTERRUPTED) process.exit(code);
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = reportError(e, PROCESS_IO);
    },
  );
}
