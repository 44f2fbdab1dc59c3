import { Command } from 'commander';
import { lastValueFrom, toArray } from 'rxjs';
import { DEFAULT_CONTRACTS_PATH, loadContracts } from '../core/contracts';
import type { Bar } from '../core/types';
import { createJournalView } from '../control/journalView';
import { startHttpApi, type HttpApi } from '../control/httpApi';
import type { ControlState } from '../control/control';
import { replayFile } from '../data/replay';
import { readJournal } from '../journal/reader';
import { EXIT_OK, onStopSignals, parseArgs, PROCESS_IO, reportError, runMain, writeLine, type CliIo, type SignalSource } from './io';
import { parseHttpAddress } from './live';

/** Bars drawn around the journal's first and last event. */
const MARGIN_MS = 3_600_000;

interface DashboardOptions {
  readonly journal: string;
  readonly data?: string;
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
 * `npm run dashboard -- --journal data/live.db [--data bars.parquet] [--http 127.0.0.1:8080]`: the live dashboard
 * on a finished day, read-only: the journal's fills, orders, refusals, positions, PnL, equity and control actions,
 * and the chart from `--data` (bars around the day's events; without it, the closes the journal kept). Prints the
 * page's URL with its token (read-only routes need it too) and serves it until Ctrl-C. Kill, flatten and resume
 * answer 409: nothing can be changed. Exit codes: 0, 1 bad journal or data, 2 bad arguments.
 */
export async function runDashboard(argv: readonly string[], context: DashboardContext): Promise<number> {
  const { io } = context;
  const program = new Command('dashboard')
    .description('Look at a finished day from its journal on the live dashboard, read-only.')
    .requiredOption('--journal <file>', 'the journal (SQLite) a live or replay run wrote')
    .option('--data <file>', 'bars to draw (Parquet or CSV, as replay reads them)')
    .option('--http <[host:]port>', 'where the page listens (default host 127.0.0.1)', '127.0.0.1:0')
    .option('--contracts <path>', 'contract specs', DEFAULT_CONTRACTS_PATH);
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const opts = program.opts<DashboardOptions>();

  let control: ControlState;
  let api: HttpApi;
  try {
    const address = parseHttpAddress(opts.http);
    const journal = readJournal(opts.journal);
    try {
      const bars = opts.data === undefined ? undefined : await barsAround(opts.data, journal.fills().map((f) => f.fill.ts));
      control = createJournalView(journal, { contracts: loadContracts(opts.contracts), bars });
    } finally {
      journal.close();
    }
    api = await startHttpApi(control, { ...address, logLevel: 'warn' });
  } catch (error) {
    return reportError(error, io, { data: 'invalid data' });
  }
  writeLine(io.stderr, `Dashboard (read-only, ${opts.journal}): ${api.dashboardUrl}`);
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

/** The bars of `file` from an hour before the first of `times` to an hour after the last (all of them when none). */
async function barsAround(file: string, times: readonly number[]): Promise<Bar[]> {
  const range = times.length === 0 ? {} : { from: Math.min(...times) - MARGIN_MS, to: Math.max(...times) + MARGIN_MS };
  return lastValueFrom(replayFile(file, range).pipe(toArray()));
}

if (require.main === module) runMain(() => runDashboard(process.argv.slice(2), { io: PROCESS_IO, signals: process }));
