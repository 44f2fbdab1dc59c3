import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Command } from 'commander';
import { tap } from 'rxjs';
import { DEFAULT_CONTRACTS_PATH, loadContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import { isoUtc } from '../core/time';
import type { Bar } from '../core/types';
import { writeBarsCsv } from '../data/csvWriter';
import { writeBarsParquet } from '../data/dataStore';
import { formatDuration } from '../data/intervals';
import { replayFile, type ValidationReport } from '../data/replay';
import { describeSkipped } from '../data/validation';
import { addDataOptions, replayOptionsFrom, type DataFlags } from './dataOptions';
import { EXIT_DATA, EXIT_OK, PROCESS_IO, parseArgs, reportError, runMain, writeLine, type CliIo } from './io';
import { zoneNote } from './layoutText';

interface ConvertCliOptions extends DataFlags {
  readonly contracts: string;
  readonly skipInvalid: boolean;
}

/**
 * `npm run convert -- <any accepted file> <out.parquet|out.csv> [--bar 5m] [--format …] [--columns …]`: reads a
 * bar or tick file once (any layout replay reads; ticks and `--bar` through `barBuilder`) and writes the
 * canonical file: Parquet through the DataStore (symbol and interval in its metadata), or CSV with the header
 * `timestamp,open,high,low,close,volume` and ISO UTC times. Exit 0 ok, 1 bad data, 2 bad arguments.
 */
export async function runConvert(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  const program = addDataOptions(
    new Command('convert')
      .description('Convert any bar or tick file replay reads into the canonical Parquet or CSV file, parsed once.')
      .argument('<input>', 'a bar or tick file (.parquet, .csv, .txt, .csv.gz, …)')
      .argument('<output>', 'the file to write: .parquet or .csv')
      .option('--contracts <path>', 'contract specs (the symbol a file name names)', DEFAULT_CONTRACTS_PATH),
    { symbol: 'symbol of the bars (default: from the input file name, else the file)' },
  ).option('--skip-invalid', 'drop invalid rows (counted per rule) instead of stopping at the first', false);
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const [input, output] = program.args;
  const opts = program.opts<ConvertCliOptions>();

  try {
    if (!existsSync(input) || !statSync(input).isFile()) throw new ConfigError(`no such file: ${input}`, 'convert');
    const kind = extname(output).toLowerCase();
    if (kind !== '.parquet' && kind !== '.csv') throw new ConfigError(`the output must end in .parquet or .csv, got "${output}"`, 'convert');
    const options = replayOptionsFrom(input, opts, loadContracts(opts.contracts));
    let report: ValidationReport | undefined;
    let first: Bar | undefined;
    let last: Bar | undefined;
    const bars$ = replayFile(input, {
      ...options,
      ...(opts.skipInvalid ? { policy: 'skip' } : {}),
      onReport: (r) => (report = r),
      onOpen: (opened) => {
        const note = opened.format.kind === 'text' ? zoneNote(opened.format.layout) : undefined;
        if (note !== undefined) writeLine(io.stderr, `${input}: ${note}`);
      },
    });
    const watched$ = bars$.pipe(
      tap((bar) => {
        first ??= bar;
        last = bar;
      }),
    );
    const written = kind === '.parquet' ? await writeBarsParquet(output, watched$) : await writeBarsCsv(output, watched$);
    if (report !== undefined && report.rowsSkipped > 0) {
      writeLine(io.stderr, `${input}: skipped ${report.rowsSkipped} invalid row(s):\n${describeSkipped(report).map((l) => `  ${l}`).join('\n')}`);
    }
    if (first === undefined || last === undefined) {
      writeLine(io.stderr, `invalid data: ${input}: no bars to convert`);
      return EXIT_DATA;
    }
    const what = report !== undefined && report.records !== 'bars' ? `, built from ${report.rowsEmitted} ${report.records}` : '';
    writeLine(io.stdout, `${written.path}: ${written.rows} ${first.symbol} ${formatDuration(first.intervalMs)} bars, ${isoUtc(first.ts)} … ${isoUtc(last.ts)}${what}`);
    return EXIT_OK;
  } catch (e) {
    return reportError(e, io);
  }
}

if (require.main === module) runMain(() => runConvert(process.argv.slice(2)));
