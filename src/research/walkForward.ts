import { ConfigError } from '../core/errors';
import { isoUtc } from '../core/time';
import type { ContractBook } from '../core/types';
import { createAnalyzers } from '../runner/analyzers/createAnalyzers';
import { createEquitySampler, type EquitySeries } from '../runner/report/equitySampler';
import { indexAtOrAfter, type Dataset } from './dataset';
import type { GridParams } from './grid';
import { compareBy, metricsOf, type MetricName, type Metrics } from './metrics';
import { runPass } from './pass';
import { formatMetric, gatherRows, passTasks, rowFailed, type SweepPlan, type SweepRow } from './sweep';
import type { PassTask } from './sweepWorker';
import type { RunPasses } from './pool';

/**
 * Walk-forward and holdout: choose the best config IN SAMPLE (the training window, by the metric), then run
 * that one config OUT OF SAMPLE (the window after it, data the choice never saw), window after window. Only
 * the out-of-sample figures say how the method would have done; the in-sample figures are the best of many
 * tries on the same data and are labelled as such everywhere.
 *
 * - `--walk-forward train=6mo,test=1mo[,step=1mo]`: windows anchored at 00:00 UTC of the first bar's day; the
 *   k-th trains on [start + k·step, + train) and tests on the `test` that follows (step defaults to test, so
 *   the test windows tile the data). Units: d, w, mo, y (calendar months and years, UTC).
 * - `--split 70/30`: one window by bar count: the first 70 % of the bars in sample, the rest out of sample.
 *
 * Each out-of-sample run starts flat with the config's initial cash; the stitched out-of-sample equity chains
 * them (each window's result added to where the previous one ended), and its figures (return, Sharpe, drawdown)
 * are computed on that chained curve bar by bar.
 */

export type WalkForwardSpec =
  | { readonly kind: 'walk'; readonly text: string; readonly train: Span; readonly test: Span; readonly step: Span }
  | { readonly kind: 'split'; readonly text: string; readonly trainShare: number };

/** A calendar span: `6mo`, `1y`, `2w`, `10d`. */
export interface Span {
  readonly amount: number;
  readonly unit: 'd' | 'w' | 'mo' | 'y';
}

const SPAN = /^(\d+)(d|w|mo|y)$/;

function parseSpan(text: string, field: string): Span {
  const match = SPAN.exec(text.trim());
  if (match === null || Number(match[1]) <= 0) throw new ConfigError(`${field}=${text}: a span such as 6mo, 1y, 2w or 30d`, '--walk-forward');
  return { amount: Number(match[1]), unit: match[2] as Span['unit'] };
}

export function parseWalkForward(text: string): WalkForwardSpec {
  const fields = new Map<string, string>();
  for (const part of text.split(',')) {
    const [name, value, ...rest] = part.split('=');
    if (value === undefined || rest.length > 0 || !['train', 'test', 'step'].includes(name.trim())) {
      throw new ConfigError(`"${part}": expected train=<span>, test=<span> and optionally step=<span> (e.g. train=6mo,test=1mo)`, '--walk-forward');
    }
    fields.set(name.trim(), value.trim());
  }
  const train = fields.get('train');
  const test = fields.get('test');
  if (train === undefined || test === undefined) throw new ConfigError('both train= and test= are needed, e.g. train=6mo,test=1mo', '--walk-forward');
  const testSpan = parseSpan(test, 'test');
  const step = fields.get('step');
  return { kind: 'walk', text, train: parseSpan(train, 'train'), test: testSpan, step: step === undefined ? testSpan : parseSpan(step, 'step') };
}

export function parseSplit(text: string): WalkForwardSpec {
  const match = /^(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(text.trim());
  const [train, test] = match === null ? [Number.NaN, Number.NaN] : [Number(match[1]), Number(match[2])];
  if (!(train > 0 && test > 0)) throw new ConfigError(`"${text}": train/test shares such as 70/30`, '--split');
  return { kind: 'split', text, trainShare: train / (train + test) };
}

/** `ts` moved by `n` spans, in UTC calendar arithmetic. */
export function addSpan(ts: number, span: Span, n = 1): number {
  const d = new Date(ts);
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  const time = ts - Date.UTC(y, m, day);
  switch (span.unit) {
    case 'd':
      return ts + n * span.amount * 86_400_000;
    case 'w':
      return ts + n * span.amount * 7 * 86_400_000;
    case 'mo':
      return Date.UTC(y, m + n * span.amount, day) + time;
    case 'y':
      return Date.UTC(y + n * span.amount, m, day) + time;
  }
}

/** A window's bars: `[start, end)` indices, and their times. */
export interface BarRange {
  readonly start: number;
  readonly end: number;
}

export interface WindowPlan {
  readonly train: BarRange;
  readonly test: BarRange;
}

/** The windows of a spec over the dataset's bars; windows whose training or test part has no bar are left out. */
export function planWindows(dataset: Dataset, spec: WalkForwardSpec): WindowPlan[] {
  const { columns } = dataset;
  const n = columns.length;
  if (spec.kind === 'split') {
    const cut = Math.floor(n * spec.trainShare);
    if (cut <= 0 || cut >= n) throw new ConfigError(`${spec.text} leaves no bar on one side (${n} bars)`, '--split');
    return [{ train: { start: 0, end: cut }, test: { start: cut, end: n } }];
  }
  const first = columns.ts[0];
  const last = columns.ts[n - 1];
  const anchor = Math.floor(first / 86_400_000) * 86_400_000;
  const windows: WindowPlan[] = [];
  for (let k = 0; ; k++) {
    const trainStart = addSpan(anchor, spec.step, k);
    const trainEnd = addSpan(trainStart, spec.train);
    if (trainEnd > last) break;
    const testEnd = addSpan(trainEnd, spec.test);
    const train = { start: indexAtOrAfter(columns, trainStart), end: indexAtOrAfter(columns, trainEnd) };
    const test = { start: train.end, end: indexAtOrAfter(columns, testEnd) };
    if (train.end > train.start && test.end > test.start) windows.push({ train, test });
  }
  if (windows.length === 0) throw new ConfigError(`${spec.text}: the data (${isoUtc(first)} → ${isoUtc(last)}) is shorter than one training window plus its test`, '--walk-forward');
  return windows;
}

/** One window's outcome. */
export interface WindowResult {
  readonly train: { readonly from: string; readonly to: string; readonly bars: number };
  readonly test: { readonly from: string; readonly to: string; readonly bars: number };
  /** The config chosen in sample; null when no config of the window had the metric. */
  readonly chosen: { readonly index: number; readonly params: GridParams } | null;
  /** IN-SAMPLE figures of the chosen config: the best of the grid on the training bars. */
  readonly inSample: Metrics | null;
  /** OUT-OF-SAMPLE figures of the chosen config on the test bars. */
  readonly outOfSample: Metrics | null;
}

export interface WalkForwardResult {
  readonly mode: 'walk' | 'split';
  readonly spec: string;
  readonly metric: MetricName;
  readonly note: string;
  readonly windows: readonly WindowResult[];
  /** Figures of the stitched out-of-sample equity: the windows' test runs chained. */
  readonly stitched: Metrics;
  /** The stitched out-of-sample equity, downsampled. */
  readonly equity: EquitySeries;
}

const NOTE = 'inSample figures are those of the config chosen on the training bars (the best of the grid there: optimistic by construction); outOfSample figures and stitched are on bars the choice never saw';

export async function runWalkForward(options: {
  readonly plan: SweepPlan;
  readonly dataset: Dataset;
  readonly contracts: ContractBook;
  readonly spec: WalkForwardSpec;
  readonly metric: MetricName;
  readonly run: RunPasses;
}): Promise<{ rows: SweepRow[]; stopped: boolean; walkForward: WalkForwardResult }> {
  const { plan, dataset, contracts, spec, metric } = options;
  const { columns } = dataset;
  const windows = planWindows(dataset, spec);
  // Every window's in-sample sweep in one run of the pool, so the workers stay busy across windows.
  const perWindow: PassTask[][] = [];
  const tasks: PassTask[] = [];
  for (const window of windows) {
    const own = passTasks(plan.configs, undefined, window.train).map((task) => ({ ...task, slot: tasks.length + task.slot }));
    perWindow.push(own);
    tasks.push(...own);
  }
  const { byTask, stopped } = await options.run(tasks, 'walk-forward (in sample)');
  let at = 0;
  const outcomesOf = perWindow.map((own) => own.flatMap(() => byTask[at++] ?? []));

  const first = plan.configs[0].config;
  const initialCash = first.account.initialCash;
  const stitchedAnalyzers = createAnalyzers(['returns', 'sharpe', 'drawdown'], { initialEquity: initialCash });
  const sampler = createEquitySampler({ initialEquity: initialCash });
  let offset = 0;
  let trades = 0;
  const results: WindowResult[] = [];
  const failed = new Map<number, SweepRow>();
  for (let w = 0; w < windows.length; w++) {
    const { train, test } = windows[w];
    const rows = gatherRows({ ...plan, refused: [] }, outcomesOf[w]);
    for (const row of rows) if (rowFailed(row) && !failed.has(row.index)) failed.set(row.index, row);
    const best = rows
      .filter((row): row is Extract<SweepRow, { metrics: Metrics }> => !rowFailed(row) && row.metrics[metric] !== null && row.metrics[metric] !== undefined)
      .sort(compareBy(metric))[0];
    const range = (r: { start: number; end: number }): WindowResult['train'] => ({ from: isoUtc(columns.ts[r.start]), to: isoUtc(columns.ts[r.end - 1]), bars: r.end - r.start });
    if (best === undefined || stopped) {
      results.push({ train: range(train), test: range(test), chosen: null, inSample: null, outOfSample: null });
      continue;
    }
    const chosen = plan.configs.find((c) => c.index === best.index)!;
    let lastEquity = initialCash;
    const [oos] = await runPass({
      columns,
      contracts,
      configs: [chosen],
      range: test,
      onAccount: (_index, ts, equity, exposed) => {
        stitchedAnalyzers.onEquity(ts, offset + equity);
        stitchedAnalyzers.onBar(ts, exposed);
        sampler.onEquity?.(ts, offset + equity);
        lastEquity = equity;
      },
    });
    offset += lastEquity - initialCash;
    trades += oos.metrics.trades ?? 0;
    results.push({ train: range(train), test: range(test), chosen: { index: best.index, params: best.params }, inSample: best.metrics, outOfSample: oos.metrics });
  }
  const stitchedFigures = metricsOf({ initialCash, finalEquity: initialCash + offset, analyzers: stitchedAnalyzers.results() });
  return {
    rows: [...plan.refused, ...failed.values()].sort((a, b) => a.index - b.index),
    stopped,
    walkForward: {
      mode: spec.kind,
      spec: spec.text,
      metric,
      note: NOTE,
      windows: results,
      stitched: { ...stitchedFigures, trades },
      equity: sampler.result(),
    },
  };
}

/** The terminal table: one line per window, in-sample and out-of-sample side by side, then the stitched line. */
export function formatWalkForward(result: WalkForwardResult, currency: string, metric: MetricName): string {
  const header = ['Window (test)', 'Chosen in sample', `${metric} IN-SAMPLE`, `${metric} out-of-sample`, `Net PnL OOS (${currency})`, 'Trades OOS'];
  const body = result.windows.map((w) => [
    `${w.test.from.slice(0, 10)} → ${w.test.to.slice(0, 10)}`,
    w.chosen === null ? '(none)' : Object.entries(w.chosen.params).map(([k, v]) => `${k}=${String(v)}`).join(' '),
    formatMetric(metric, w.inSample?.[metric], currency),
    formatMetric(metric, w.outOfSample?.[metric], currency),
    formatMetric('netPnl', w.outOfSample?.netPnl, currency),
    formatMetric('trades', w.outOfSample?.trades, currency),
  ]);
  const s = result.stitched;
  const stitched = ['Stitched out-of-sample', '', '', formatMetric(metric, s[metric], currency), formatMetric('netPnl', s.netPnl, currency), formatMetric('trades', s.trades, currency)];
  const table = [header, ...body, stitched];
  const widths = header.map((_, c) => Math.max(...table.map((r) => r[c].length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const figures = `Stitched out-of-sample: net PnL ${formatMetric('netPnl', s.netPnl, currency)} ${currency}, return ${formatMetric('totalReturn', s.totalReturn, currency)}, Sharpe ${formatMetric('sharpe', s.sharpe, currency)}, max DD ${formatMetric('maxDD', s.maxDD, currency)} (${formatMetric('maxDDPct', s.maxDDPct, currency)})`;
  return [line(header), rule, ...body.map(line), rule, line(stitched), '', figures, `IN-SAMPLE = the best of the grid on the training bars (optimistic by construction); out-of-sample = the chosen config on the next, unseen bars.`].join('\n');
}

