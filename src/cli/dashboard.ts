import { Command } from 'commander';
import { lastValueFrom, toArray } from 'rxjs';
import { DEFAULT_CONTRACTS_PATH, loadContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import type { Bar } from '../core/types';
import { createJournalView } from '../control/journalView';
import { createReportView, readReplayReport } from '../control/reportView';
import { startHttpApi, type HttpApi } from '../control/httpApi';
import type { ControlState } from '../control/control';
import { sha256OfFile } from '../data/fileHash';
import { mergeByEventTime } from '../data/merge';
import { replayFile } from '../data/replay';
import { readJournal } from '../journal/reader';
import { EXIT_OK, onStopSignals, parseArgs, PROCESS_IO, reportError, runMain, writeLine, type CliIo, type SignalSource } from './io';
import { parseHttpAddress } from './live';

/** Bars drawn around each fill: from an hour before to an hour after. */
const MARGIN_MS = 3_600_000;

interface DashboardOptions {
  readonly journal?: string;
  readonly report?: string;
  readonly data?: readonly string[];
  readonly http: string;
  readonly contracts: string;
}

export interface DashboardContext {
  readonly io: CliIo;
  readonly signals: SignalSource;
  /** Called once the page is served (tests open it, then stop the command with a signal). */
  readonly onServing?: (api: HttpApi, control: ControlState) => void;
}

/**
 * `npm run dashboard -- --journal data/live.db | --report report.json [--data bars.parquet] [--http 127.0.0.1:8080]`:
 * the live dashboard on a finished day, read-only. From a journal: its fills, orders, refusals, positions, PnL,
 * equity and control actions, the chart from `--data` (bars around the day's fills; without it, the closes the
 * journal kept). From a replay's `--json` report: its fills booked again, the positions, PnL and equity the report
 * gives, the orders it left working, the chart from `--data` (without it, the fills' prices only). Prints the
 * page's URL with its token (read-only routes need it too) and serves it until Ctrl-C. Kill, flatten and resume
 * answer 409: nothing can be changed. Exit codes: 0, 1 bad journal, report or data, 2 bad arguments.
 */
export async function runDashboard(argv: readonly string[], context: DashboardContext): Promise<number> {
  const { io } = context;
  const program = new Command('dashboard')
    .description('Look at a finished day from its journal, or a replay from its --json report, on the live dashboard, read-only.')
    .option('--journal <file>', 'the journal (SQLite) a live or replay run wrote')
    .option('--report <file>', "a replay's --json report")
    .option('--data <files...>', "bars to draw around the fills (Parquet or CSV, as replay reads them; a multi-symbol report's files, its rate pairs among them); without it, the journal's closes or the report's fill prices only")
    .option('--http <[host:]port>', 'where the page listens (default host 127.0.0.1)', '127.0.0.1:0')
    .option('--contracts <path>', 'contract specs', DEFAULT_CONTRACTS_PATH);
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const opts = program.opts<DashboardOptions>();

  let control: ControlState;
  let api: HttpApi;
  let source: string;
  try {
    if ((opts.journal === undefined) === (opts.report === undefined)) throw new ConfigError('give exactly one of --journal <file> and --report <file>');
    const address = parseHttpAddress(opts.http);
    const contracts = loadContracts(opts.contracts);
    if (opts.report !== undefined) {
      source = opts.report;
      const report = readReplayReport(opts.report);
      const fillTimes = report.strategies.flatMap((s) => s.fills.map((f) => f.ts));
      // An open position is marked at the run's last bar at the end: its hour is drawn too.
      const endTimes = report.period !== null && report.strategies.some((s) => s.position !== null) ? [report.period.lastBarTs] : [];
      const bars = opts.data === undefined ? undefined : await barsAround(opts.data, [...fillTimes, ...endTimes]);
      for (const file of opts.data ?? []) {
        const other = await otherThanReplayed(file, [...(report.input === undefined ? [] : [report.input]), ...(report.inputs ?? [])]);
        if (other !== undefined) writeLine(io.stderr, `warning: --data ${file} is not a file this report replayed (${other}): the chart may not show the bars its fills came from`);
      }
      control = createReportView(report, { contracts, bars, source: opts.report });
    } else {
      source = opts.journal as string;
      const journal = readJournal(source);
      try {
        const bars = opts.data === undefined ? undefined : await barsAround(opts.data, journal.fills().map((f) => f.fill.ts));
        control = createJournalView(journal, { contracts, bars });
      } finally {
        journal.close();
      }
    }
    api = await startHttpApi(control, { ...address, logLevel: 'warn' });
  } catch (error) {
    return reportError(error, io, { data: 'invalid data' });
  }
  writeLine(io.stderr, `Dashboard (read-only, ${source}): ${api.dashboardUrl}`);
  writeLine(io.stderr, 'Ctrl-C to stop.');
  context.onServing?.(api, control);
  await new Promise<void>((resolve) => {
    const stopListening = onStopSignals(context.signals, {
      first: () => {
        stopListening();
        resolve();
      },
      again: () => undefined,
    });
  });
  await api.close();
  control.dispose();
  return EXIT_OK;
}

/**
 * Why `file` is not one of the files a report replayed (their names and SHA-256 prefixes), or undefined when it is
 * one of them or the report names none: the report records each input's hash, so a chart drawn from another
 * file (another symbol, another version of the data) is said, not silently shown under the report's fills.
 */
async function otherThanReplayed(file: string, inputs: readonly { readonly file: string; readonly sha256: string }[]): Promise<string | undefined> {
  if (inputs.length === 0) return undefined;
  const { sha256 } = await sha256OfFile(file);
  if (inputs.some((input) => input.sha256 === sha256)) return undefined;
  return inputs.map((input) => `${input.file}, sha256 ${input.sha256.slice(0, 12)}…`).join('; ');
}

/**
 * The bars of `files` within an hour of any of `times` (all of them when none), in the order a replay of the
 * files together has them (merged by event time): each file is read once, from the first window's start to the
 * last one's end, and the hours between windows are left out, so a long replay's page gets the bars around its
 * fills, not every bar of the period.
 */
async function barsAround(files: readonly string[], times: readonly number[]): Promise<Bar[]> {
  const windows: { from: number; to: number }[] = [];
  for (const t of [...times].sort((a, b) => a - b)) {
    const last = windows.at(-1);
    if (last !== undefined && t - MARGIN_MS <= last.to) last.to = t + MARGIN_MS;
    else windows.push({ from: t - MARGIN_MS, to: t + MARGIN_MS });
  }
  const range = windows.length === 0 ? {} : { from: windows[0].from, to: windows[windows.length - 1].to };
  const inputs = files.map((file) => ({ name: file, bars: (pace: () => Promise<void>) => replayFile(file, { ...range, pace }) }));
  const bars = await lastValueFrom(mergeByEventTime(inputs).pipe(toArray()));
  if (windows.length === 0) return bars;
  return bars.filter((bar) => {
    // The last window starting at or before the bar (windows are sorted and disjoint).
    let lo = 0;
    let hi = windows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (windows[mid].from <= bar.ts) lo = mid;
      else hi = mid - 1;
    }
    return bar.ts >= windows[lo].from && bar.ts < windows[lo].to;
  });
}

if (require.main === module) runMain(() => runDashboard(process.argv.slice(2), { io: PROCESS_IO, signals: process }));
