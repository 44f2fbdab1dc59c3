import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_CONTRACTS_PATH, loadContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import { isoUtc } from '../core/time';
import { parseInstant } from '../data/timestamps';
import { JournalError } from '../journal/journalError';
import { readJournal, type JournalReader, type JournalRun, type KillState, type TimeRange } from '../journal/reader';
import { fillsView, journalSummary, ordersView, pnlRows, pnlView, summaryView, type JournalSummary, type TableView } from '../journal/views';
import { formatUtc } from '../runner/report/format';
import { EXIT_DATA, EXIT_OK, PROCESS_IO, parseArgs, reportError, runMain, type CliIo } from './io';

const VIEWS = ['summary', 'fills', 'orders', 'pnl'] as const;
type ViewName = (typeof VIEWS)[number];
type Format = 'text' | 'csv' | 'json';

/** Errors the text summary lists (the latest). */
const RECENT_ERRORS = 5;

interface JournalCliOptions {
  readonly csv: boolean;
  readonly json: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly contracts: string;
}

/**
 * `npm run journal -- <file> [summary|fills|orders|pnl] [--csv|--json] [--from <time>] [--to <time>]`: what a
 * journal (live or replay) holds, per UTC day and strategy, as a table, CSV or JSON. It reads the journal
 * without locking it, so it works while an engine writes it. Returns the exit code: 0 ok, 1 the journal cannot
 * be read (missing, not a journal, damaged, newer), 2 bad arguments.
 */
export async function runJournal(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  const program = new Command('journal')
    .description('Show what a journal holds: a summary per day and strategy, the fills, the orders, or the PnL per day.')
    .argument('<file>', 'a journal written by npm run live or npm run replay -- --journal')
    .argument('[view]', `one of ${VIEWS.join(', ')}`, (value: string) => {
      if (!(VIEWS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${VIEWS.join(', ')}`);
      return value;
    })
    .option('--csv', 'comma-separated values, full precision, times in ISO-8601 UTC', false)
    .option('--json', 'JSON, full precision, times in ISO-8601 UTC', false)
    .option('--from <time>', 'first event time, inclusive (ISO-8601, UTC unless it names a zone)')
    .option('--to <time>', 'end event time, exclusive')
    .option('--contracts <path>', 'contract specs (quote currencies)', DEFAULT_CONTRACTS_PATH);
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const [file, viewArg] = program.processedArgs as [string, string | undefined];
  const view = (viewArg ?? 'summary') as ViewName;
  const opts = program.opts<JournalCliOptions>();

  let journal: JournalReader | undefined;
  try {
    if (opts.csv && opts.json) throw new ConfigError('choose one of --csv and --json');
    const format: Format = opts.csv ? 'csv' : opts.json ? 'json' : 'text';
    const range: TimeRange = {
      ...(opts.from === undefined ? {} : { from: parseInstant('--from', opts.from) }),
      ...(opts.to === undefined ? {} : { to: parseInstant('--to', opts.to) }),
    };
    const contracts = loadContracts(opts.contracts);
    journal = readJournal(file);
    switch (view) {
      case 'summary': {
        const summary = journalSummary(journal, contracts, range);
        io.stdout.write(format === 'json' ? `${JSON.stringify(summaryJson(summary), null, 2)}\n` : format === 'csv' ? csv(summaryView(summary)) : `${summaryText(summary)}\n${text(summaryView(summary))}`);
        break;
      }
      case 'fills':
        io.stdout.write(render(fillsView(journal, contracts, range), format));
        break;
      case 'orders':
        io.stdout.write(render(ordersView(journal, range), format));
        break;
      case 'pnl':
        io.stdout.write(render(pnlView(pnlRows(journal, contracts, range)), format));
        break;
    }
    return EXIT_OK;
  } catch (e) {
    if (e instanceof JournalError) {
      io.stderr.write(`${e.message}\n`);
      return EXIT_DATA;
    }
    return reportError(e, io);
  } finally {
    journal?.close();
  }
}

function render<R>(view: TableView<R>, format: Format): string {
  switch (format) {
    case 'text':
      return text(view);
    case 'csv':
      return csv(view);
    case 'json':
      return `${JSON.stringify(objects(view), null, 2)}\n`;
  }
}

function objects<R>(view: TableView<R>): Record<string, string | number | null>[] {
  return view.rows.map((row) => Object.fromEntries(view.columns.map((c) => [c.key, c.value(row)])));
}

/** An aligned table; `(none)` when it has no rows. */
function text<R>(view: TableView<R>): string {
  if (view.rows.length === 0) return '(none in this journal and time range)\n';
  const cells = view.rows.map((row) => view.columns.map((c) => (c.text ?? ((r: R) => String(c.value(r) ?? '')))(row)));
  const widths = view.columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (view.columns[i].align === 'right' ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return `${[line(view.columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')}\n`;
}

/** RFC 4180: a header of column keys, then one line per row; fields with a comma, quote or line break are quoted. */
function csv<R>(view: TableView<R>): string {
  const field = (value: string | number | null): string => {
    const s = value === null ? '' : String(value);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [view.columns.map((c) => field(c.key)), ...view.rows.map((row) => view.columns.map((c) => field(c.value(row))))].map((r) => `${r.join(',')}\r\n`).join('');
}

function killText(state: KillState): string {
  return state.on ? `ON since ${formatUtc(state.since ?? 0)} (${state.reason}, by ${state.source})` : state.since === null ? 'off' : `off since ${formatUtc(state.since)} (${state.reason}, by ${state.source})`;
}

function runText(run: JournalRun): string {
  const stopped = run.stoppedAt === null ? 'not stopped cleanly (still running, or killed)' : `stopped ${formatUtc(run.stoppedAt)} (${run.stopReason ?? ''})`;
  return `  run ${run.id}  ${run.mode}  account ${run.account}  started ${formatUtc(run.startedAt)}, ${stopped}  pid ${run.pid} on ${run.host}  engine ${run.engineVersion}, node ${run.nodeVersion}`;
}

/** The lines above the summary table: the journal, its runs, the control state, what is still working. */
function summaryText(summary: JournalSummary): string {
  const lines = [`Journal ${summary.file} (schema ${summary.schemaVersion}), ${summary.runs.length} run(s), times in UTC`, ...summary.runs.map(runText)];
  lines.push(`Kill switch: ${killText(summary.control.killSwitch)}`);
  for (const [id, state] of Object.entries(summary.control.strategies)) lines.push(`  ${id}: ${killText(state)}`);
  for (const [id, flatten] of Object.entries(summary.control.flattened)) lines.push(`Flattened ${id} at ${formatUtc(flatten.ts)} (${flatten.reason}, by ${flatten.source})`);
  lines.push(
    summary.workingOrders.length === 0
      ? 'Working orders: none'
      : `Working orders: ${summary.workingOrders.map((o) => `${o.order.id} ${o.order.side} ${o.remaining} ${o.order.symbol}${o.status === null ? '' : ` (${o.status})`}`).join(', ')}`,
  );
  lines.push(`Errors: ${summary.errors.length}`);
  const shown = summary.errors.slice(-RECENT_ERRORS);
  if (shown.length < summary.errors.length) lines.push(`  (the last ${shown.length}; --json lists them all)`);
  for (const e of shown) lines.push(`  ${formatUtc(e.ts)}  ${e.source}: ${e.message}`);
  return `${lines.join('\n')}\n`;
}

function summaryJson(summary: JournalSummary): unknown {
  return {
    file: summary.file,
    schemaVersion: summary.schemaVersion,
    runs: summary.runs.map((r) => ({ ...r, startedAt: isoUtc(r.startedAt), stoppedAt: r.stoppedAt === null ? null : isoUtc(r.stoppedAt) })),
    control: summary.control,
    workingOrders: summary.workingOrders.map((o) => ({ ...o.order, status: o.status, remaining: o.remaining, venue: o.venue })),
    errors: summary.errors.map((e) => ({ time: isoUtc(e.ts), source: e.source, message: e.message, runId: e.runId })),
    days: objects(summaryView(summary)),
  };
}

if (require.main === module) runMain(() => runJournal(process.argv.slice(2)));
