import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_CONTRACTS_PATH, loadContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import { isoUtc } from '../core/time';
import type { FileFormat } from '../data/barBatch';
import { BAR_RULE_TEXT } from '../data/barRules';
import { createGapTracker, type Gap, type GapSummary } from '../data/gaps';
import { formatDuration } from '../data/intervals';
import { replayFile, type ReplayOptions } from '../data/replay';
import { describeSkipped, type ValidationReport } from '../data/validation';
import { addDataOptions, replayOptionsFrom, type DataFlags } from './dataOptions';
import { EXIT_DATA, EXIT_OK, PROCESS_IO, nonNegativeInteger, parseArgs, positiveInteger, reportError, runMain, type CliIo } from './io';
import { describeFormat } from './layoutText';

/**
 * `npm run inspect -- <file>`: what a bar or tick file holds and how it is read — the layout detected (format,
 * delimiter, encoding, time unit and zone, columns), rows, first/last bar in UTC, interval, gaps (FX weekends
 * apart) and every invalid row. Exit 0 on clean data, 1 on invalid data, 2 on bad arguments.
 */

export interface InspectOptions extends ReplayOptions {
  /** Gaps listed one by one (default 10). */
  readonly listGaps?: number;
}

export interface InspectSummary {
  readonly file: string;
  readonly format: FileFormat | undefined;
  readonly report: ValidationReport;
  readonly gaps: GapSummary;
}

/** Reads the whole file under the 'skip' policy, so every invalid row is counted, not just the first. */
export function inspectFile(file: string, options: InspectOptions = {}): Promise<InspectSummary> {
  const { listGaps, ...replay } = options;
  return new Promise((resolve, reject) => {
    let tracker: ReturnType<typeof createGapTracker> | undefined;
    let report: ValidationReport | undefined;
    let format: FileFormat | undefined;
    replayFile(file, {
      defaultSymbol: basename(file).replace(/(\.[A-Za-z0-9]+)+$/, '').toUpperCase(),
      ...replay,
      policy: 'skip',
      onOpen: (opened) => (format = opened.format),
      onReport: (r) => (report = r),
    }).subscribe({
      next: (bar) => {
        tracker ??= createGapTracker(bar.intervalMs, listGaps ?? 10);
        tracker.add(bar.ts);
      },
      error: reject,
      complete: () => {
        const gaps = tracker?.summary() ?? { count: 0, missingBars: 0, listed: [], weekendGaps: 0 };
        resolve({ file, format, report: report as ValidationReport, gaps });
      },
    });
  });
}

function intervalText(report: ValidationReport): string {
  if (report.intervalMs === undefined) return 'unknown (no rows)';
  if (report.records !== 'bars') return `${formatDuration(report.intervalMs)} bars built from the ticks (--bar)`;
  const source = { option: 'as given', metadata: 'from the file metadata', inferred: 'inferred from the data', none: '' }[report.intervalSource];
  return `${formatDuration(report.intervalMs)} (${report.intervalMs} ms, ${source})`;
}

function gapLine(gap: Gap, intervalMs: number): string {
  return `${isoUtc(gap.from)} → ${isoUtc(gap.to)}  ${formatDuration(gap.missingBars * intervalMs)} (${gap.missingBars} bar${gap.missingBars === 1 ? '' : 's'})`;
}

/** The human summary `npm run inspect` prints. */
export function formatInspect(summary: InspectSummary): string {
  const { report, gaps } = summary;
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(`${label.padEnd(10)} ${value}`);
  };
  const indent = (value: string): void => {
    lines.push(`${''.padEnd(10)}   ${value}`);
  };
  row('file', summary.file);
  if (summary.format !== undefined) for (const [label, value] of describeFormat(summary.format)) row(label, value);
  row('symbol', report.symbol);
  const what = report.records === 'bars' ? 'rows' : report.records === 'quotes' ? 'quotes' : 'trades';
  row(what, `${report.rowsRead} read, ${report.rowsEmitted} valid, ${report.rowsSkipped} invalid`);
  row('first', report.firstTs === undefined ? '-' : isoUtc(report.firstTs));
  row('last', report.lastTs === undefined ? '-' : isoUtc(report.lastTs));
  row('interval', intervalText(report));
  const interval = report.intervalMs ?? 0;
  if (gaps.count === 0) row('gaps', 'none');
  else {
    const largest = gaps.largest ? `; largest ${gapLine(gaps.largest, interval)}` : '';
    row('gaps', `${gaps.count} (${gaps.missingBars} missing bars${largest})`);
    for (const gap of gaps.listed) indent(gapLine(gap, interval));
    if (gaps.count > gaps.listed.length) indent(`… ${gaps.count - gaps.listed.length} more`);
  }
  row('weekends', `${gaps.weekendGaps} FX weekend closes (Fri ~22:00 → Sun ~22:00 UTC), not counted as gaps`);
  if (report.rowsSkipped === 0) row('valid', 'yes');
  else {
    row('valid', `no: ${report.rowsSkipped} invalid row${report.rowsSkipped === 1 ? '' : 's'}`);
    for (const line of describeSkipped(report)) indent(line);
    for (const example of report.examples) {
      const field = example.field ? `, field "${example.field}"` : '';
      indent(`row ${example.row}${field}: ${BAR_RULE_TEXT[example.rule]} (${example.detail})`);
    }
  }
  return `${lines.join('\n')}\n`;
}

interface InspectCliOptions extends DataFlags {
  readonly contracts: string;
  readonly interval?: number;
  readonly list: number;
}

/** The command as a function: argv after the script name; returns the exit code. */
export async function runInspect(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  const program = addDataOptions(
    new Command('inspect')
      .description('Say how a bar or tick file is read (layout, delimiter, encoding, time unit and zone, columns) and what it holds: rows, time range, interval, gaps, invalid rows.')
      .argument('<file>', 'a bar or tick file: .parquet, .csv, .txt, .csv.gz, …')
      .option('--contracts <path>', 'contract specs (the symbol a file name names)', DEFAULT_CONTRACTS_PATH),
    { symbol: 'symbol to report (default: from the file name, else the file, else the file name itself)' },
  )
    .option('--interval <ms>', 'bar interval in ms (default: the file metadata, else inferred)', positiveInteger)
    .option('--list <n>', 'gaps to list one by one', nonNegativeInteger, 10);
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const file = program.args[0];
  const opts = program.opts<InspectCliOptions>();

  try {
    if (!existsSync(file) || !statSync(file).isFile()) throw new ConfigError(`no such file: ${file}`, 'inspect');
    const options = replayOptionsFrom(file, opts, loadContracts(opts.contracts));
    const summary = await inspectFile(file, { ...options, ...(opts.interval !== undefined ? { intervalMs: opts.interval } : {}), listGaps: opts.list });
    io.stdout.write(formatInspect(summary));
    if (summary.report.rowsSkipped > 0) {
      const first = summary.report.examples[0];
      const where = first.field ? `row ${first.row}, field "${first.field}"` : `row ${first.row}`;
      io.stderr.write(`${file}: invalid data: ${summary.report.rowsSkipped} invalid row(s); first at ${where}: ${BAR_RULE_TEXT[first.rule]} (${first.detail})\n`);
      return EXIT_DATA;
    }
    return EXIT_OK;
  } catch (e) {
    return reportError(e, io);
  }
}

if (require.main === module) runMain(() => runInspect(process.argv.slice(2)));
