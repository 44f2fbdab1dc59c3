import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Command } from 'commander';
import { ConfigError } from '../core/errors';
import { isoUtc } from '../core/time';
import type { OpenBarReader } from '../data/barBatch';
import { BAR_RULE_TEXT } from '../data/barRules';
import { createGapTracker, type Gap, type GapSummary } from '../data/gaps';
import { formatDuration } from '../data/intervals';
import { readerFor, replayWith } from '../data/replay';
import { describeSkipped, type ValidationReport } from '../data/validation';
import { parseInstant } from '../data/timestamps';
import { EXIT_DATA, EXIT_OK, nonNegativeInteger, parseArgs, positiveInteger, reportError, type CliIo } from './args';

/**
 * `npm run inspect -- <file>`: what a bar file holds — rows, first/last time, interval, gaps (FX weekends
 * apart) and every invalid row. Exit 0 on clean data, 1 on invalid data, 2 on bad arguments.
 */

export interface InspectOptions {
  readonly symbol?: string;
  readonly intervalMs?: number;
  readonly timezone?: string;
  readonly from?: number;
  readonly to?: number;
  /** Gaps listed one by one (default 10). */
  readonly listGaps?: number;
}

export interface InspectSummary {
  readonly file: string;
  readonly report: ValidationReport;
  readonly gaps: GapSummary;
}

/** The file's own symbol when it carries one, else its name (`eurusd_1m.csv` → `EURUSD_1M`). */
function withDefaultSymbol(open: OpenBarReader, file: string): OpenBarReader {
  return async (path, options) => {
    const reader = await open(path, options);
    if (reader.metadata.symbol !== undefined) return reader;
    const symbol = basename(file, extname(file)).toUpperCase();
    return { ...reader, metadata: { ...reader.metadata, symbol } };
  };
}

/** Reads the whole file under the 'skip' policy, so every invalid row is counted, not just the first. */
export function inspectFile(file: string, options: InspectOptions = {}): Promise<InspectSummary> {
  return new Promise((resolve, reject) => {
    let tracker: ReturnType<typeof createGapTracker> | undefined;
    let report: ValidationReport | undefined;
    replayWith(withDefaultSymbol(readerFor(file), file), file, {
      symbol: options.symbol,
      intervalMs: options.intervalMs,
      timezone: options.timezone,
      from: options.from,
      to: options.to,
      policy: 'skip',
      onReport: (r) => {
        report = r;
      },
    }).subscribe({
      next: (bar) => {
        tracker ??= createGapTracker(bar.intervalMs, options.listGaps ?? 10);
        tracker.add(bar.ts);
      },
      error: reject,
      complete: () => {
        const gaps = tracker?.summary() ?? { count: 0, missingBars: 0, listed: [], weekendGaps: 0 };
        resolve({ file, report: report as ValidationReport, gaps });
      },
    });
  });
}

function intervalText(report: ValidationReport): string {
  if (report.intervalMs === undefined) return 'unknown (no rows)';
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
  row('symbol', report.symbol);
  row('rows', `${report.rowsRead} read, ${report.rowsEmitted} valid, ${report.rowsSkipped} invalid`);
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

export type InspectIo = CliIo;

/** The command as a function: argv after the script name; returns the exit code. */
export async function runInspect(argv: readonly string[], io: InspectIo = process): Promise<number> {
  const program = new Command('inspect')
    .description('Summarize a bar file (Parquet or CSV): rows, time range, interval, gaps and invalid rows.')
    .argument('<file>', 'a .parquet or .csv bar file')
    .option('--symbol <symbol>', 'symbol to report (default: the file metadata, else the file name)')
    .option('--interval <ms>', 'bar interval in ms (default: the file metadata, else inferred)', positiveInteger)
    .option('--timezone <zone>', 'IANA zone of timestamps written without one')
    .option('--from <time>', 'first bar time, inclusive (ISO-8601, UTC unless it names a zone)')
    .option('--to <time>', 'end time, exclusive')
    .option('--list <n>', 'gaps to list one by one', nonNegativeInteger, 10);
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const file = program.args[0];
  const opts = program.opts<{ symbol?: string; interval?: number; timezone?: string; from?: string; to?: string; list: number }>();

  try {
    if (!existsSync(file) || !statSync(file).isFile()) throw new ConfigError(`no such file: ${file}`, 'inspect');
    const summary = await inspectFile(file, {
      symbol: opts.symbol,
      intervalMs: opts.interval,
      timezone: opts.timezone,
      from: opts.from === undefined ? undefined : parseInstant('--from', opts.from, opts.timezone),
      to: opts.to === undefined ? undefined : parseInstant('--to', opts.to, opts.timezone),
      listGaps: opts.list,
    });
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

if (require.main === module) {
  void runInspect(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
