import { InvalidArgumentError, type Command } from 'commander';
import type { ContractBook } from '../core/types';
import { barIntervalMs } from '../data/barSpec';
import { parseColumnMap, toColumnMap, type ColumnMap } from '../data/columnMap';
import { FORMATS, type FormatName } from '../data/layouts';
import type { ReplayOptions, TickPrice } from '../data/replay';
import type { DateOrder } from '../data/textTime';
import { parseInstant } from '../data/timestamps';
import type { RunnerConfig } from '../runner/config';
import { oneOf } from './io';
import { normalizeSymbolFlag, symbolFromFileName } from './symbol';

/**
 * The options every command that reads a bar or tick file takes (replay, inspect, convert), parsed one way:
 * which file layout, which columns, which zone, which bars.
 */

export interface DataFlags {
  readonly symbol?: string;
  readonly from?: string;
  readonly to?: string;
  readonly timezone?: string;
  readonly format?: FormatName;
  readonly columns?: ColumnMap;
  readonly dateOrder?: DateOrder;
  readonly bar?: number;
  readonly price?: TickPrice;
}

function barFlag(value: string): number {
  const ms = barIntervalMs(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a bar interval such as 1m, 5m, 15m, 1h, 4h or 1d');
  return ms;
}

function columnsFlag(value: string): ColumnMap {
  try {
    return parseColumnMap(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--columns: /, ''));
  }
}

export function addDataOptions(program: Command, what: { readonly symbol: string }): Command {
  return program
    .option('--symbol <symbol>', what.symbol)
    .option('--from <time>', 'first bar time, inclusive (ISO-8601, UTC unless it names a zone)')
    .option('--to <time>', 'end time, exclusive')
    .option('--timezone <zone>', 'zone of times written without one: IANA (Asia/Tokyo), fixed (UTC-5) or zone plus hours (America/New_York+7)')
    .option('--format <name>', `the file's layout when detection cannot tell: ${FORMATS.join(', ')}`, oneOf(FORMATS))
    .option('--columns <map>', 'which column holds what: time=Date+Time,open=Open,… (header names, or 1-based positions)', columnsFlag)
    .option('--date-order <order>', 'dates with the year last: dmy (31.01.2024) or mdy (01/31/2024)', oneOf(['dmy', 'mdy'] as const))
    .option('--bar <interval>', 'bars to build from ticks or resample to: 1m, 5m, 15m, 1h, 4h, 1d (daily on the FX 17:00 New York day)', barFlag)
    .option('--price <side>', 'ticks: the price bars are built from (mid by default for bid/ask, last for trades)', oneOf(['bid', 'ask', 'mid', 'last'] as const));
}

/**
 * Replay options from the flags, the config's `data` section (flags win) and the file name: the symbol is
 * `--symbol` (upper-cased), else the contract the file name names.
 */
export function replayOptionsFrom(file: string, flags: DataFlags, contracts: ContractBook, config?: RunnerConfig): ReplayOptions & { readonly symbol?: string } {
  const data = config?.data;
  const timezone = flags.timezone ?? data?.timezone;
  const columns = flags.columns ?? (data?.columns === undefined ? undefined : toColumnMap(data.columns, 'data.columns'));
  const symbol = normalizeSymbolFlag(flags.symbol) ?? symbolFromFileName(file, contracts);
  return {
    ...(symbol !== undefined ? { symbol } : {}),
    ...(timezone !== undefined ? { timezone } : {}),
    ...(flags.from !== undefined ? { from: parseInstant('--from', flags.from, timezone) } : {}),
    ...(flags.to !== undefined ? { to: parseInstant('--to', flags.to, timezone) } : {}),
    ...((flags.format ?? data?.format) !== undefined ? { format: flags.format ?? data?.format } : {}),
    ...(columns !== undefined ? { columns } : {}),
    ...((flags.dateOrder ?? data?.dateOrder) !== undefined ? { dateOrder: flags.dateOrder ?? data?.dateOrder } : {}),
    ...(flags.bar !== undefined ? { barMs: flags.bar } : {}),
    ...(flags.price !== undefined ? { price: flags.price } : {}),
    ...(data?.policy !== undefined ? { policy: data.policy } : {}),
  };
}
