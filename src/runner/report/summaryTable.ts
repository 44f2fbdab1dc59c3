import { formatDuration, formatFractionPct, formatMoney, formatNumber, formatSigned, currencyDecimals } from './format';
import { ORDER_REASONS } from '../../core/orders';
import type { ReplayReport, ReportAnalyzers, StrategyReport } from './replayReport';

const MISSING = '—';

/**
 * The per-strategy table `npm run replay` prints, then the account line and the run's speed:
 *
 * ```
 * Strategy         Symbol  Trades  Win rate  Net PnL (quote)  Net PnL (USD)  Sharpe  Max DD (USD)  Max DD
 * long_into_fix    USDJPY     241    55.2 %    1,234,567 JPY      +8,234.12    1.23      2,345.67  0.23 %
 * ```
 *
 * - Win rate: closed trades with pnlNet > 0 / closed trades (the `winRate` analyzer's definition).
 * - Net PnL (quote): closed trades' pnlNet in the instrument's quote currency; marked `*` when a position is
 *   still open at the end (its PnL is only in the account column). Net PnL (account): the strategy's whole
 *   result from the book, open position included. The account row: final equity − initial cash.
 * - Sharpe and Max DD come from the `sharpe` / `drawdown` analyzers (`—` when not attached or undefined).
 * Numbers are rounded for display only (the JSON keeps full precision). Below the table, closed trades are
 * counted by the reason of their exit (`exit`, `stop`, `takeProfit`, …: the reasons any strategy has).
 */
export function formatSummaryTable(report: ReplayReport): string {
  const currency = report.account.currency;
  const header = ['Strategy', 'Symbol', 'Trades', 'Win rate', 'Net PnL (quote)', `Net PnL (${currency})`, 'Sharpe', `Max DD (${currency})`, 'Max DD'];
  const rightAligned = [false, false, true, true, true, true, true, true, true];
  const digits = currencyDecimals(currency);

  const rows = report.strategies.map((s) => [
    s.id,
    s.symbol,
    String(s.trades.length),
    winRateText(s),
    `${formatMoney(s.totals.netPnl, s.quoteCurrency, { signed: true })}${s.position ? '*' : ' '}`,
    formatSigned(s.netPnlAccount, digits),
    ...riskCells(s.analyzers, digits),
  ]);

  const allTrades = report.strategies.flatMap((s) => s.trades);
  const quoteCurrencies = new Set(report.strategies.map((s) => s.quoteCurrency));
  const accountQuote =
    quoteCurrencies.size === 1 && report.strategies.length > 0
      ? `${formatMoney(
          report.strategies.reduce((sum, s) => sum + s.totals.netPnl, 0),
          report.strategies[0].quoteCurrency,
          { signed: true },
        )}${report.strategies.some((s) => s.position) ? '*' : ' '}`
      : MISSING;
  const accountRow = [
    'Account',
    '',
    String(allTrades.length),
    allTrades.length > 0 ? formatFractionPct(allTrades.filter((t) => t.pnlNet > 0).length / allTrades.length, 1) : MISSING,
    accountQuote,
    formatSigned(report.account.netPnl, digits),
    ...riskCells(report.account.analyzers, digits),
  ];

  const table = [header, ...rows, accountRow];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');

  const out = [line(header), rule, ...rows.map(line), rule, line(accountRow), ''];
  if (allTrades.length > 0) out.push(exitsTable(report), '');
  const { account } = report;
  const totalReturn = account.initialCash !== 0 ? ` (${formatSigned((account.netPnl / account.initialCash) * 100, 2)} %)` : '';
  out.push(`Equity: ${formatMoney(account.initialCash, currency)} → ${formatMoney(account.finalEquity, currency)}${totalReturn}`);
  if (report.strategies.some((s) => s.position)) out.push('* closed trades only: a position is still open at the end (its PnL is in the account column).');
  for (const s of report.strategies) {
    if (s.position) {
      out.push(`  ${s.id}: open ${formatSigned(s.position.qty, 0)} units @ ${s.position.avgPrice}, unrealized ${formatMoney(s.position.unrealizedPnl, s.quoteCurrency, { signed: true })}`);
    }
  }
  for (const s of report.strategies) {
    if (s.rejected.total > 0) {
      const reasons = Object.entries(s.rejected.byReason)
        .filter(([, n]) => n > 0)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ');
      out.push(`Rejected orders, ${s.id}: ${s.rejected.total} (${reasons})`);
    }
    if (s.workingOrders.length > 0) out.push(`Working orders left, ${s.id}: ${s.workingOrders.length} (never filled)`);
  }
  const { run } = report;
  const speed = run.barsPerSec === null ? '' : ` · ${formatNumber(run.barsPerSec, 0)} bars/s`;
  out.push(`${formatNumber(run.bars, 0)} bars in ${wallTime(run.wallMs)}${speed}`);
  return `${out.join('\n')}\n`;
}

/** Closed trades by exit reason, one row per strategy, a column per reason some strategy has. */
function exitsTable(report: ReplayReport): string {
  const reasons = ORDER_REASONS.filter((r) => report.strategies.some((s) => s.totals.exitsByReason[r] > 0));
  const header = ['Exits by reason', ...reasons];
  const rows = report.strategies.map((s) => [s.id, ...reasons.map((r) => String(s.totals.exitsByReason[r]))]);
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((row) => row[c].length)));
  return [header, ...rows].map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

function winRateText(s: StrategyReport): string {
  if (s.trades.length === 0) return MISSING;
  let wins = 0;
  for (const t of s.trades) if (t.pnlNet > 0) wins++;
  return formatFractionPct(wins / s.trades.length, 1);
}

function riskCells(analyzers: ReportAnalyzers, digits: number): [string, string, string] {
  const sharpe = analyzers.sharpe?.sharpe;
  const dd = analyzers.drawdown;
  return [
    sharpe === undefined || sharpe === null ? MISSING : formatNumber(sharpe, 2),
    dd ? formatNumber(dd.maxDrawdown, digits) : MISSING,
    dd ? `${formatNumber(dd.maxDrawdownPct, 2)} %` : MISSING,
  ];
}

function wallTime(ms: number): string {
  return ms < 60_000 ? `${formatNumber(ms / 1000, 3)} s` : formatDuration(ms);
}
