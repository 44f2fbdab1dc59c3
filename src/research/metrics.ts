import { ConfigError } from '../core/errors';
import type { AnalyzerName, AnalyzerResults } from '../runner/analyzers/createAnalyzers';
import type { ReportAnalyzers } from '../runner/report/replayReport';

/**
 * The figures of one config in a sweep: the account's, from the analyzers its config attaches (all of them by
 * default). A figure whose analyzer is not attached is absent; one that does not exist for the run (Sharpe of
 * a single day, profit factor without a loss) is `null`, as in the replay report.
 */
export type Metrics = Readonly<Partial<Record<MetricName, number | null>>>;

export const METRIC_NAMES = [
  'netPnl',
  'finalEquity',
  'totalReturn',
  'annualizedReturn',
  'sharpe',
  'maxDD',
  'maxDDPct',
  'trades',
  'winRate',
  'profitFactor',
  'avgPnlNet',
  'commission',
  'exposure',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

interface MetricSpec {
  /** The analyzer that computes it; none: always there. */
  readonly analyzer?: AnalyzerName;
  /** Which way is better, for ranking. */
  readonly better: 'higher' | 'lower';
  /** Column heading of the terminal table and the CSV. */
  readonly label: string;
  readonly description: string;
}

export const METRICS: Readonly<Record<MetricName, MetricSpec>> = {
  netPnl: { better: 'higher', label: 'Net PnL', description: 'final equity − initial cash, account currency' },
  finalEquity: { better: 'higher', label: 'Final equity', description: 'account currency' },
  totalReturn: { analyzer: 'returns', better: 'higher', label: 'Return', description: 'final / initial equity − 1' },
  annualizedReturn: { analyzer: 'returns', better: 'higher', label: 'Annual', description: 'annualized return (252 days a year)' },
  sharpe: { analyzer: 'sharpe', better: 'higher', label: 'Sharpe', description: 'annualized Sharpe ratio of daily returns' },
  maxDD: { analyzer: 'drawdown', better: 'lower', label: 'Max DD', description: 'largest peak-to-trough fall of equity, account currency' },
  maxDDPct: { analyzer: 'drawdown', better: 'lower', label: 'Max DD %', description: 'largest peak-to-trough fall of equity, % of the peak' },
  trades: { analyzer: 'trades', better: 'higher', label: 'Trades', description: 'closed round trips' },
  winRate: { analyzer: 'winRate', better: 'higher', label: 'Win rate', description: 'share of closed trades with pnlNet > 0' },
  profitFactor: { analyzer: 'profitFactor', better: 'higher', label: 'PF', description: 'gross wins / gross losses' },
  avgPnlNet: { analyzer: 'trades', better: 'higher', label: 'Avg trade', description: 'mean pnlNet of closed trades, quote currency' },
  commission: { analyzer: 'trades', better: 'lower', label: 'Commission', description: 'commission paid, quote currency' },
  exposure: { analyzer: 'exposure', better: 'higher', label: 'Exposure', description: 'share of bars with a position' },
};

/** What the figures are read from: the account of a replay report, or the same from a sweep's runner. */
export interface AccountResult {
  readonly initialCash: number;
  readonly finalEquity: number;
  readonly analyzers: AnalyzerResults | ReportAnalyzers;
}

/** The figures of an account, in `METRIC_NAMES` order; only those whose analyzer ran. */
export function metricsOf(account: AccountResult): Metrics {
  const a = account.analyzers;
  const out: Partial<Record<MetricName, number | null>> = {};
  out.netPnl = account.finalEquity - account.initialCash;
  out.finalEquity = account.finalEquity;
  if (a.returns !== undefined) {
    out.totalReturn = a.returns.totalReturn;
    out.annualizedReturn = a.returns.annualizedReturn;
  }
  if (a.sharpe !== undefined) out.sharpe = a.sharpe.sharpe;
  if (a.drawdown !== undefined) {
    out.maxDD = a.drawdown.maxDrawdown;
    out.maxDDPct = a.drawdown.maxDrawdownPct;
  }
  if (a.trades !== undefined) out.trades = a.trades.count;
  if (a.winRate !== undefined) out.winRate = a.winRate.winRate;
  if (a.profitFactor !== undefined) out.profitFactor = a.profitFactor.profitFactor;
  if (a.trades !== undefined) {
    out.avgPnlNet = a.trades.avgPnlNet;
    out.commission = a.trades.commission;
  }
  if (a.exposure !== undefined) out.exposure = a.exposure.exposure;
  return Object.fromEntries(METRIC_NAMES.filter((name) => name in out).map((name) => [name, out[name] ?? null]));
}

export function isMetricName(name: string): name is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(name);
}

/** Checks `--metric`: a known name whose analyzer the config attaches. */
export function checkMetric(name: string, analyzers: readonly AnalyzerName[]): MetricName {
  if (!isMetricName(name)) throw new ConfigError(`unknown metric "${name}": one of ${METRIC_NAMES.join(', ')}`, '--metric');
  const needs = METRICS[name].analyzer;
  if (needs !== undefined && !analyzers.includes(needs)) {
    throw new ConfigError(`${name} needs the "${needs}" analyzer, which the config's "analyzers" list leaves out`, '--metric');
  }
  return name;
}

/**
 * Orders by a metric, best first; `null` or absent values last; ties keep the lower config index first, so a
 * ranking never depends on the order results arrived in.
 */
export function compareBy(metric: MetricName): (a: { index: number; metrics: Metrics }, b: { index: number; metrics: Metrics }) => number {
  const sign = METRICS[metric].better === 'higher' ? -1 : 1;
  return (a, b) => {
    const x = a.metrics[metric];
    const y = b.metrics[metric];
    const xMissing = x === undefined || x === null || Number.isNaN(x);
    const yMissing = y === undefined || y === null || Number.isNaN(y);
    if (xMissing !== yMissing) return xMissing ? 1 : -1;
    if (!xMissing && !yMissing && x !== y) return sign * (x < y ? -1 : 1);
    return a.index - b.index;
  };
}
