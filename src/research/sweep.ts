import { basename } from 'node:path';
import { ConfigError } from '../core/errors';
import { isoUtc } from '../core/time';
import type { RunnerConfig } from '../runner/config';
import { currencyDecimals, formatFractionPct, formatNumber, formatSigned } from '../runner/report/format';
import type { EquitySeries } from '../runner/report/equitySampler';
import type { Dataset } from './dataset';
import { applyGridPoint, expandGrid, type GridAxis, type GridFilter, type GridParams } from './grid';
import { compareBy, METRICS, type MetricName, type Metrics } from './metrics';
import { describePoolError, type PoolJobError } from '../runner/poolJob';
import { planPasses, type SweepConfig } from './pass';
import { isFailure, type ConfigOutcome, type PassTask } from './sweepWorker';

/**
 * A sweep: the grid's points applied to a base config, planned into passes, run (on the local pool or a
 * cluster), and gathered into one result per point, in grid order.
 */

/** One point of the grid and what it gave. */
export type SweepRow =
  | { readonly index: number; readonly params: GridParams; readonly metrics: Metrics }
  | { readonly index: number; readonly params: GridParams; readonly error: PoolJobError };

export function rowFailed(row: SweepRow): row is Extract<SweepRow, { error: PoolJobError }> {
  return 'error' in row;
}

/** The grid's points (after `--where`), each with its config or why the config is refused. */
export interface SweepPlan {
  readonly points: readonly GridParams[];
  /** Configs that validate, by point index. */
  readonly configs: readonly SweepConfig[];
  /** Points whose config is refused before anything runs. */
  readonly refused: readonly SweepRow[];
}

/** Configs per pass: enough to share the bars' cost, few enough that the passes spread over the workers. */
export const DEFAULT_PASS_SIZE = 8;

export function planSweep(base: RunnerConfig, axes: readonly GridAxis[], where: GridFilter | undefined, source: string): SweepPlan {
  const points = expandGrid(axes).filter((point) => where === undefined || where(point));
  if (points.length === 0) throw new ConfigError(where === undefined ? 'the grid is empty' : 'no point of the grid passes --where', '--grid');
  const configs: SweepConfig[] = [];
  const refused: SweepRow[] = [];
  points.forEach((params, index) => {
    try {
      configs.push({ index, config: applyGridPoint(base, axes, params, source) });
    } catch (error) {
      refused.push({ index, params, error: describePoolError(error) });
    }
  });
  if (configs.length === 0) {
    throw new ConfigError(`no config of the grid is valid; the first: ${refused[0] !== undefined && rowFailed(refused[0]) ? refused[0].error.message : ''}`, '--grid');
  }
  return { points, configs, refused };
}

/** The passes of a plan as tasks for a pool (slot = the pass's place, for progress). */
export function passTasks(configs: readonly SweepConfig[], passSize = DEFAULT_PASS_SIZE, range?: PassTask['range']): PassTask[] {
  return planPasses(configs, passSize).map((pass, slot) => ({ slot, configs: pass, ...(range !== undefined ? { range } : {}) }));
}

/** Rows in grid order from the outcomes (any order) and the refused points; points with neither are left out. */
export function gatherRows(plan: SweepPlan, outcomes: readonly ConfigOutcome[]): SweepRow[] {
  const byIndex = new Map<number, SweepRow>();
  for (const row of plan.refused) byIndex.set(row.index, row);
  for (const outcome of outcomes) {
    const params = plan.points[outcome.index];
    byIndex.set(outcome.index, isFailure(outcome) ? { index: outcome.index, params, error: outcome.error } : { index: outcome.index, params, metrics: outcome.metrics });
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** Successful rows, best first by `metric` (ties: lower index first). */
export function rankRows(rows: readonly SweepRow[], metric: MetricName): Extract<SweepRow, { metrics: Metrics }>[] {
  return rows.filter((row): row is Extract<SweepRow, { metrics: Metrics }> => !rowFailed(row)).sort(compareBy(metric));
}

// ---------------------------------------------------------------------------------------------------------
// Outputs

/** What a sweep's JSON says about its input, so a result can be traced back to its data. */
export interface SweepInput {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly symbol: string;
  readonly bars: number;
  readonly firstBarTime: string | null;
  readonly lastBarTime: string | null;
}

export function sweepInput(dataset: Dataset): SweepInput {
  const { columns, source } = dataset;
  return {
    file: basename(source.path),
    sha256: source.sha256,
    bytes: source.bytes,
    symbol: columns.symbol,
    bars: columns.length,
    firstBarTime: columns.length > 0 ? isoUtc(columns.ts[0]) : null,
    lastBarTime: columns.length > 0 ? isoUtc(columns.ts[columns.length - 1]) : null,
  };
}

export const SWEEP_SCHEMA_VERSION = 1;

/**
 * The `--json` document: deterministic (no timing, rows in grid order, full-precision numbers), so the same
 * sweep gives the same bytes on 1, 2 or N workers and on a cluster.
 */
export function sweepJson(doc: {
  readonly input: SweepInput;
  readonly config: RunnerConfig;
  readonly axes: readonly GridAxis[];
  readonly where: string | undefined;
  readonly metric: MetricName;
  readonly rows: readonly SweepRow[];
  readonly planned: number;
  readonly complete: boolean;
  readonly walkForward?: unknown;
}): string {
  const failed = doc.rows.filter(rowFailed).length;
  return `${JSON.stringify(
    {
      schemaVersion: SWEEP_SCHEMA_VERSION,
      input: doc.input,
      config: doc.config,
      grid: doc.axes.map((axis) => ({ key: axis.key, values: axis.values })),
      where: doc.where ?? null,
      metric: doc.metric,
      configs: doc.planned,
      finished: doc.rows.length,
      failed,
      complete: doc.complete,
      results: doc.rows,
      ...(doc.walkForward !== undefined ? { walkForward: doc.walkForward } : {}),
    },
    null,
    2,
  )}\n`;
}

/** One line per config: index, the grid's keys, every metric, the error; full precision, RFC 4180 quoting. */
export function sweepCsv(axes: readonly GridAxis[], rows: readonly SweepRow[]): string {
  const metricNames = metricColumns(rows);
  const header = ['index', ...axes.map((a) => a.key), ...metricNames, 'error'];
  const lines = rows.map((row) => [
    String(row.index),
    ...axes.map((a) => String(row.params[a.key])),
    ...metricNames.map((m) => (rowFailed(row) ? '' : String(row.metrics[m] ?? ''))),
    rowFailed(row) ? row.error.message : '',
  ]);
  return `${[header, ...lines].map((cells) => cells.map(csvCell).join(',')).join('\n')}\n`;
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The metrics present in any row, in `METRIC_NAMES` order. */
export function metricColumns(rows: readonly SweepRow[]): MetricName[] {
  const present = new Set<string>();
  for (const row of rows) if (!rowFailed(row)) for (const name of Object.keys(row.metrics)) present.add(name);
  return (Object.keys(METRICS) as MetricName[]).filter((name) => present.has(name));
}

/** The metrics the terminal table shows, the ranking one first. */
const TABLE_METRICS: readonly MetricName[] = ['netPnl', 'sharpe', 'maxDD', 'maxDDPct', 'trades', 'winRate', 'profitFactor'];

/** A metric's value for people (the JSON and CSV keep full precision). */
export function formatMetric(name: MetricName, value: number | null | undefined, currency: string): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  switch (name) {
    case 'netPnl':
    case 'avgPnlNet':
      return formatSigned(value, currencyDecimals(currency));
    case 'finalEquity':
    case 'maxDD':
    case 'commission':
      return formatNumber(value, currencyDecimals(currency));
    case 'maxDDPct':
      return `${formatNumber(value, 2)} %`;
    case 'totalReturn':
    case 'annualizedReturn':
    case 'winRate':
    case 'exposure':
      return formatFractionPct(value, 1);
    case 'trades':
      return formatNumber(value, 0);
    case 'sharpe':
    case 'profitFactor':
      return formatNumber(value, 2);
  }
}

/** The terminal table: the best `top` configs by the metric, with their grid values and main figures. */
export function formatTopTable(axes: readonly GridAxis[], rows: readonly SweepRow[], metric: MetricName, top: number, currency: string): string {
  const ranked = rankRows(rows, metric).slice(0, top);
  const shown = [metric, ...TABLE_METRICS.filter((m) => m !== metric && ranked.some((row) => row.metrics[m] !== undefined))];
  const header = ['#', ...axes.map((a) => a.key), ...shown.map((m) => (m === 'netPnl' || m === 'maxDD' ? `${METRICS[m].label} (${currency})` : METRICS[m].label))];
  const body = ranked.map((row, rank) => [String(rank + 1), ...axes.map((a) => String(row.params[a.key])), ...shown.map((m) => formatMetric(m, row.metrics[m], currency))]);
  const table = [header, ...body];
  const widths = header.map((_, c) => Math.max(...table.map((r) => r[c].length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => (c === 0 || c > axes.length ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Equity curves of some configs (the page's chart), by index. */
export type CurvesByIndex = ReadonlyMap<number, EquitySeries>;
