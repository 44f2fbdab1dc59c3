import type { Fill, Trade } from '../../src/core/types';
import { ANALYZER_NAMES, createAnalyzers, type AnalyzerSet } from '../../src/runner/analyzers/createAnalyzers';
import { createEquitySampler, type EquitySeries } from '../../src/runner/report/equitySampler';
import type { ReportSeries } from '../../src/runner/report/htmlReport';
import { buildReplayReport, type ReplayReport, type StrategyRunResult } from '../../src/runner/report/replayReport';

/**
 * A small, fully deterministic replay result for report specs and for looking at the HTML report: hourly
 * USDJPY on a smooth made-up price path, two legs that hold a position for a few hours each weekday (one
 * long, one short), a 1-unit-per-… commission, all analyzers and equity samplers fed the way the runner
 * feeds them. Not used by the engine.
 */
export interface SampleRun {
  readonly report: ReplayReport;
  readonly series: ReportSeries;
}

export interface SampleRunOptions {
  readonly days?: number;
  /** Strategy ids (they may hold characters that need escaping). */
  readonly ids?: readonly [string, string];
  readonly wallMs?: number;
}

const HOUR = 3_600_000;
const UNITS = 100_000;
const COMMISSION = 250; // JPY per fill
const INITIAL_CASH = 1_000_000;

export function priceAt(hour: number): number {
  return 145 + 2 * Math.sin(hour / 60) + 0.35 * Math.sin(hour / 5.3) + 0.12 * Math.cos(hour / 1.7) + hour * 0.0015;
}

interface Leg {
  readonly id: string;
  readonly direction: 1 | -1;
  readonly entryHour: number;
  readonly exitHour: number;
  readonly analyzers: AnalyzerSet;
  readonly sampler: ReturnType<typeof createEquitySampler>;
  readonly fills: Fill[];
  readonly trades: Trade[];
  realizedAccount: number;
  open: { ts: number; price: number; commission: number } | null;
}

export function buildSampleRun(options: SampleRunOptions = {}): SampleRun {
  const days = options.days ?? 40;
  const [longId, shortId] = options.ids ?? ['long_into_fix', 'short_after_fix'];
  const start = Date.parse('2024-03-04T00:00:00Z'); // a Monday
  const makeLeg = (id: string, direction: 1 | -1, entryHour: number, exitHour: number): Leg => ({
    id,
    direction,
    entryHour,
    exitHour,
    analyzers: createAnalyzers(ANALYZER_NAMES, { initialEquity: INITIAL_CASH }),
    sampler: createEquitySampler({ initialEquity: INITIAL_CASH, minBucketMs: HOUR }),
    fills: [],
    trades: [],
    realizedAccount: 0,
    open: null,
  });
  const legs = [makeLeg(longId, 1, 1, 9), makeLeg(shortId, -1, 10, 14)];
  const account = createAnalyzers(ANALYZER_NAMES, { initialEquity: INITIAL_CASH });
  const accountSampler = createEquitySampler({ initialEquity: INITIAL_CASH, minBucketMs: HOUR });

  let bars = 0;
  let lastTs = start;
  let lastPrice = priceAt(0);
  for (let h = 0; h < days * 24; h++) {
    const ts = start + h * HOUR;
    const weekday = new Date(ts).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    bars++;
    const price = Math.round(priceAt(h) * 1000) / 1000;
    const hourOfDay = new Date(ts).getUTCHours();
    let accountEquity = INITIAL_CASH;
    for (const leg of legs) {
      let seq = leg.fills.length;
      const fill = (side: 'BUY' | 'SELL'): Fill => {
        seq++;
        return { kind: 'fill', execId: `${leg.id}-${seq}-x`, orderId: `${leg.id}-${seq}`, strategyId: leg.id, symbol: 'USDJPY', ts, side, qty: UNITS, price, commission: COMMISSION };
      };
      if (leg.open === null && hourOfDay === leg.entryHour) {
        const f = fill(leg.direction > 0 ? 'BUY' : 'SELL');
        leg.fills.push(f);
        leg.analyzers.onFill(f);
        account.onFill(f);
        leg.open = { ts, price, commission: COMMISSION };
      } else if (leg.open !== null && hourOfDay === leg.exitHour) {
        const f = fill(leg.direction > 0 ? 'SELL' : 'BUY');
        leg.fills.push(f);
        leg.analyzers.onFill(f);
        account.onFill(f);
        const pnl = leg.direction * UNITS * (price - leg.open.price);
        const pnlNet = pnl - leg.open.commission - COMMISSION;
        const trade: Trade = {
          strategyId: leg.id,
          symbol: 'USDJPY',
          side: leg.direction > 0 ? 'LONG' : 'SHORT',
          qty: UNITS,
          entryTs: leg.open.ts,
          exitTs: ts,
          entryPrice: leg.open.price,
          exitPrice: price,
          pnl,
          pnlNet,
          pnlNetAccount: pnlNet / price,
        };
        leg.trades.push(trade);
        leg.analyzers.onTrade(trade);
        account.onTrade(trade);
        leg.realizedAccount += trade.pnlNetAccount;
        leg.open = null;
      }
      const unrealized = leg.open ? (leg.direction * UNITS * (price - leg.open.price) - leg.open.commission) / price : 0;
      const equity = INITIAL_CASH + leg.realizedAccount + unrealized;
      leg.analyzers.onEquity(ts, equity);
      leg.analyzers.onBar(ts, leg.open !== null);
      leg.sampler.onEquity!(ts, equity);
      accountEquity += equity - INITIAL_CASH;
    }
    account.onEquity(ts, accountEquity);
    account.onBar(ts, legs.some((leg) => leg.open !== null));
    accountSampler.onEquity!(ts, accountEquity);
    lastTs = ts;
    lastPrice = price;
  }

  const strategies: StrategyRunResult[] = legs.map((leg) => {
    const unrealized = leg.open ? leg.direction * UNITS * (lastPrice - leg.open.price) : 0;
    return {
      id: leg.id,
      symbol: 'USDJPY',
      quoteCurrency: 'JPY',
      fills: leg.fills,
      trades: leg.trades,
      netPnlAccount: leg.realizedAccount + (leg.open ? (unrealized - leg.open.commission) / lastPrice : 0),
      position: leg.open
        ? {
            strategyId: leg.id,
            symbol: 'USDJPY',
            ts: lastTs,
            qty: leg.direction * UNITS,
            avgPrice: leg.open.price,
            realizedPnl: 0,
            unrealizedPnl: unrealized,
            realizedPnlAccount: 0,
            unrealizedPnlAccount: unrealized / lastPrice,
            commission: leg.open.commission,
          }
        : null,
      rejected: leg.direction < 0 ? { MAX_POSITION: 2 } : {},
      workingOrders: [],
      analyzers: leg.analyzers.results(),
    };
  });
  const finalEquity = INITIAL_CASH + strategies.reduce((sum, s) => sum + s.netPnlAccount, 0);
  const report = buildReplayReport({
    account: { currency: 'USD', initialCash: INITIAL_CASH, finalEquity, analyzers: account.results() },
    period: { firstBarTs: start, lastBarTs: lastTs },
    strategies,
    run: { bars, wallMs: options.wallMs ?? 12.5 },
  });
  const series: ReportSeries = {
    account: accountSampler.result(),
    strategies: Object.fromEntries(legs.map((leg): [string, EquitySeries] => [leg.id, leg.sampler.result()])),
  };
  return { report, series };
}
