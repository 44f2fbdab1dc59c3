import { zoneOffsetAt } from '../../core/time';
import type { Bar } from '../../core/types';
import type { EncodedBars, EncodedCurve, ReportMarker, ReportPageData } from '../../ui/pages/reportData';
import { reportPageParts } from '../../ui/bundle';
import type { EquitySeries } from './equitySampler';
import {
  currencyDecimals,
  escapeHtml,
  formatDuration,
  formatFractionPct,
  formatMoney,
  formatNumber,
  formatPrice,
  formatSigned,
  formatUtc,
  jsonForScript,
} from './format';
import type { PriceSeries } from './priceSampler';
import type { ReplayReport, ReportAnalyzers, ReportFill, ReportTrade, StrategyReport } from './replayReport';

/** Downsampled curves (see `createEquitySampler`, `createPriceSampler`) for the charts. */
export interface ReportSeries {
  readonly account?: EquitySeries;
  readonly strategies?: Readonly<Record<string, EquitySeries>>;
  /** The replayed symbol's prices: an overview and the bars around every fill. */
  readonly price?: PriceSeries;
}

export interface HtmlReportOptions {
  /** Page title. Default "Replay report — <symbols>". */
  readonly title?: string;
  /** Most trade rows per strategy table (the JSON report has them all). Default 2,000. */
  readonly maxTradeRows?: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * One self-contained HTML page for a replay, the page a trader would share: no network at all (the chart
 * library, lightweight-charts, is inlined with the page script), so it opens from a file, offline, years later.
 *
 * - a candlestick chart of the replayed symbol at a bar size that fits the range, with every fill as a marker
 *   (entries by side, exits coloured by their reason: a target change, a stop-loss, a take-profit, …), and the bars around each
 *   trade at the replay's own resolution (a click on a trade zooms there);
 * - equity and drawdown in the account currency, the account's and each strategy's;
 * - monthly returns (rows years, columns months; the cells add up to the net PnL), per-weekday and per-hour
 *   results of the trades in the strategy's own time zone (calendar strategies such as Gotobi);
 * - per strategy: its parameters, figures, trade results and the trade list (with each trade's exit reason);
 * - the run: the input file (name, SHA-256, first and last bar), the config with its defaults, the contracts.
 *
 * Every text from the report is HTML-escaped; the data travels as JSON in a `<script type="application/json">`
 * block with `<` escaped. Deterministic: same report and series → same page.
 */
export async function renderHtmlReport(report: ReplayReport, series: ReportSeries = {}, options: HtmlReportOptions = {}): Promise<string> {
  const { css, js } = await reportPageParts();
  const maxTradeRows = options.maxTradeRows ?? 2000;
  const symbols = [...new Set(report.strategies.map((s) => s.symbol))];
  const title = options.title ?? `Replay report — ${symbols.join(', ') || 'no strategy'}`;
  const currency = report.account.currency;
  const nav: string[] = [`<a href="#account">Account</a>`];
  const sections: string[] = [accountSection(report, series)];
  report.strategies.forEach((strategy, i) => {
    nav.push(`<a href="#s${i}">${escapeHtml(strategy.id)}</a>`);
    sections.push(strategySection(report, strategy, i, series.strategies?.[strategy.id], maxTradeRows));
  });
  nav.push(`<a href="#run">Run</a>`);
  sections.push(runSection(report));

  const period = report.period
    ? `${escapeHtml(formatUtc(report.period.firstBarTs))} → ${escapeHtml(formatUtc(report.period.lastBarTs))} UTC`
    : 'no bar';
  const { run } = report;
  const speed = run.barsPerSec === null ? '' : ` · ${formatNumber(run.barsPerSec, 0)} bars/s`;
  const files = report.inputs ?? (report.input === undefined ? [] : [report.input]);
  const input = files.length === 0 ? '' : `<span>${escapeHtml(files.map((f) => f.file).join(', '))}</span>`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body>
<header class="top">
  <div class="wrap">
    <h1>${escapeHtml(title)}</h1>
    <p class="meta">${input}<span>${period}</span><span>${formatNumber(run.bars, 0)} bars</span><span>${report.strategies.length} ${report.strategies.length === 1 ? 'strategy' : 'strategies'}</span><span>account ${escapeHtml(currency)} ${escapeHtml(formatNumber(report.account.initialCash, currencyDecimals(currency)))}</span></p>
    <nav>${nav.join('')}</nav>
  </div>
</header>
<main class="wrap">
${sections.join('\n')}
</main>
<footer class="wrap">Replayed ${formatNumber(run.bars, 0)} bars in ${formatNumber(run.wallMs / 1000, 3)} s${speed}. All times UTC unless a table names its zone. Figures rounded for display; the JSON report keeps full precision. Charts: TradingView lightweight-charts.</footer>
<script type="application/json" id="report-data">${jsonForScript(pageData(report, series))}</script>
<script>${js.replaceAll('</script', '<\\/script')}</script>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------------------
// Sections.

function accountSection(report: ReplayReport, series: ReportSeries): string {
  const { account } = report;
  const digits = currencyDecimals(account.currency);
  const trades = report.strategies.flatMap((s) => s.trades);
  const totalReturn = account.initialCash !== 0 ? account.netPnl / account.initialCash : null;
  const cards = [
    card('Final equity', formatMoney(account.finalEquity, account.currency), `from ${formatNumber(account.initialCash, digits)}`),
    card('Net PnL', formatMoney(account.netPnl, account.currency, { signed: true }), totalReturn === null ? '' : `${formatSigned(totalReturn * 100, 2)} %`, tone(account.netPnl)),
    ...riskCards(account.analyzers, account.currency),
    ...tradeCards(trades, account.analyzers),
  ];
  const price = series.price;
  const priceChart =
    price === undefined || price.overview.length === 0
      ? '<p class="empty">No price series was recorded.</p>'
      : `<figure class="chart-box"><figcaption>${escapeHtml(price.symbol)} <span class="hint">${escapeHtml(barSizeName(price.overviewMs))} bars; markers are fills (▲ buy, ▼ sell; exits coloured by reason) · click a trade to zoom to the minute</span></figcaption>
  <div class="res" role="group" aria-label="Bar size"><button type="button" data-res="overview" aria-pressed="true">${escapeHtml(barSizeName(price.overviewMs))} bars</button><button type="button" data-res="detail" aria-pressed="false">${escapeHtml(barSizeName(price.detailMs))} bars around trades</button></div>
  <div id="price-chart" class="chart price" role="img" aria-label="Candlestick chart of ${escapeHtml(price.symbol)} with the fills drawn on it"></div>
  <div class="legend" id="marker-legend"></div></figure>`;
  return `<section id="account" class="panel">
  <div class="head"><h2>Account</h2><span class="chip">${escapeHtml(account.currency)}</span></div>
  <div class="cards">${cards.join('')}</div>
  ${priceChart}
  ${curveCharts('account', series.account, account.currency, 'the account')}
  ${monthlyTable(series.account, report.account.initialCash, account.currency, 'account')}
</section>`;
}

function strategySection(report: ReplayReport, s: StrategyReport, index: number, curve: EquitySeries | undefined, maxTradeRows: number): string {
  const currency = report.account.currency;
  const group = `s${index}`;
  const chips = [`<span class="chip">${escapeHtml(s.symbol)}</span>`, `<span class="chip muted">quote ${escapeHtml(s.quoteCurrency)}</span>`];
  if (s.position) {
    chips.push(`<span class="chip warn">open ${escapeHtml(formatSigned(s.position.qty, 0))} @ ${escapeHtml(formatPrice(s.position.avgPrice))}</span>`);
  }
  if (s.rejected.total > 0) {
    const reasons = Object.entries(s.rejected.byReason)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    chips.push(`<span class="chip bad" title="${escapeHtml(reasons)}">${s.rejected.total} rejected</span>`);
  }
  if (s.workingOrders.length > 0) chips.push(`<span class="chip warn">${s.workingOrders.length} working at end</span>`);
  const spec = report.config?.strategies.find((c) => c.id === s.id);
  const zone = spec !== undefined && 'timezone' in spec && typeof spec.timezone === 'string' ? spec.timezone : 'UTC';

  const cards = [
    card(`Net PnL (${currency})`, formatMoney(s.netPnlAccount, currency, { signed: true }), 'open position included', tone(s.netPnlAccount)),
    card(`Closed trades (${s.quoteCurrency})`, formatMoney(s.totals.netPnl, s.quoteCurrency, { signed: true }), `gross ${formatMoney(s.totals.grossPnl, s.quoteCurrency, { signed: true })}`, tone(s.totals.netPnl)),
    ...tradeCards(s.trades, s.analyzers),
    ...riskCards(s.analyzers, currency),
  ];
  const tradeChart =
    s.trades.length === 0
      ? ''
      : `<figure class="chart-box"><figcaption>Net PnL per trade (${escapeHtml(currency)}) <span class="hint">at each exit</span></figcaption><div id="${group}-trades" class="chart small" role="img" aria-label="Net PnL of each trade of ${escapeHtml(s.id)}"></div></figure>`;
  return `<section id="${group}" class="panel">
  <div class="head"><h2>${escapeHtml(s.id)}</h2>${chips.join('')}</div>
  ${spec === undefined ? '' : paramsTable(spec)}
  <div class="cards">${cards.join('')}</div>
  ${curveCharts(group, curve, currency, s.id)}
  ${tradeChart}
  ${monthlyTable(curve, report.account.initialCash, currency, group)}
  ${calendarTables(s, zone, currency, group)}
  ${tradeTable(s, currency, maxTradeRows)}
</section>`;
}

function runSection(report: ReplayReport): string {
  const rows: string[] = [];
  for (const input of report.inputs ?? (report.input === undefined ? [] : [report.input])) {
    rows.push(kv('Input file', input.file));
    rows.push(kv('SHA-256', input.sha256));
    rows.push(kv('Size', `${formatNumber(input.bytes, 0)} bytes`));
    if (input.symbol !== null) rows.push(kv('Symbol', input.symbol));
    if (input.from !== null) rows.push(kv('--from', `${formatUtc(input.from)} UTC`));
    if (input.to !== null) rows.push(kv('--to', `${formatUtc(input.to)} UTC`));
    if (input.timezone !== null) rows.push(kv('Zone of naive timestamps', input.timezone));
  }
  if (report.period) {
    rows.push(kv('First bar', `${formatUtc(report.period.firstBarTs)} UTC`));
    rows.push(kv('Last bar', `${formatUtc(report.period.lastBarTs)} UTC`));
  }
  const config = report.config === undefined ? '' : `<details><summary>Config (defaults filled in)</summary><pre>${escapeHtml(JSON.stringify(report.config, null, 2))}</pre></details>`;
  const contracts = report.contracts === undefined ? '' : `<details><summary>Contracts</summary><pre>${escapeHtml(JSON.stringify(report.contracts, null, 2))}</pre></details>`;
  return `<section id="run" class="panel">
  <div class="head"><h2>Run</h2><span class="hint">what to repeat it: the same file (same SHA-256), this config and these contracts</span></div>
  <table class="kv"><tbody>${rows.join('')}</tbody></table>
  ${config}
  ${contracts}
</section>`;
}

function kv(key: string, value: string): string {
  return `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`;
}

function paramsTable(spec: object): string {
  const rows = Object.entries(spec)
    .filter(([key, value]) => key !== 'id' && value !== undefined)
    .map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(typeof value === 'string' ? value : JSON.stringify(value))}</td></tr>`);
  return `<table class="kv params" aria-label="Parameters"><caption>Parameters</caption><tbody>${rows.join('')}</tbody></table>`;
}

function curveCharts(group: string, curve: EquitySeries | undefined, currency: string, name: string): string {
  if (!curve || curve.ts.length === 0) return `<p class="empty">No equity curve was recorded for ${escapeHtml(name)}.</p>`;
  return `<figure class="chart-box"><figcaption>Equity (${escapeHtml(currency)}) <span class="hint">dashed: initial cash</span></figcaption><div id="${group}-equity" class="chart equity" role="img" aria-label="Equity of ${escapeHtml(name)} in ${escapeHtml(currency)}"></div></figure>
  <figure class="chart-box"><figcaption>Drawdown (${escapeHtml(currency)}, below the running peak)</figcaption><div id="${group}-drawdown" class="chart small" role="img" aria-label="Drawdown of ${escapeHtml(name)} in ${escapeHtml(currency)}"></div></figure>`;
}

/** Rows years, columns months: PnL in the account currency (the cells add up to the net PnL) and the return. */
function monthlyTable(curve: EquitySeries | undefined, initialCash: number, currency: string, group: string): string {
  if (!curve || curve.months.ts.length === 0) return '';
  const digits = currencyDecimals(currency);
  const byYear = new Map<number, { pnl: number; ret: number | null }[]>();
  let previous = initialCash;
  curve.months.ts.forEach((ts, i) => {
    const equity = curve.months.equity[i];
    const date = new Date(ts);
    const year = date.getUTCFullYear();
    const cells = byYear.get(year) ?? Array.from({ length: 12 }, () => ({ pnl: Number.NaN, ret: null }));
    cells[date.getUTCMonth()] = { pnl: equity - previous, ret: previous !== 0 ? (equity - previous) / previous : null };
    byYear.set(year, cells);
    previous = equity;
  });
  const rows = [...byYear.entries()].map(([year, cells]) => {
    const yearPnl = cells.reduce((sum, c) => (Number.isNaN(c.pnl) ? sum : sum + c.pnl), 0);
    const tds = cells.map((c) =>
      Number.isNaN(c.pnl)
        ? '<td class="none"></td>'
        : `<td class="month ${toneClass(c.pnl)}" data-v="${c.pnl}"><span>${escapeHtml(formatSigned(c.pnl, digits))}</span><small>${c.ret === null ? '' : `${escapeHtml(formatSigned(c.ret * 100, 2))} %`}</small></td>`,
    );
    return `<tr><th>${year}</th>${tds.join('')}<td class="year ${toneClass(yearPnl)}" data-v="${yearPnl}">${escapeHtml(formatSigned(yearPnl, digits))}</td></tr>`;
  });
  return `<div class="table-box"><table class="monthly" id="${group}-monthly"><caption>Monthly returns (${escapeHtml(currency)}; % of the month's opening equity)</caption>
<thead><tr><th>Year</th>${MONTHS.map((m) => `<th>${m}</th>`).join('')}<th>Year</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** Trades by the weekday and the hour of their entry, in the strategy's zone: what a calendar strategy is about. */
function calendarTables(s: StrategyReport, zone: string, currency: string, group: string): string {
  if (s.trades.length === 0) return '';
  const digits = currencyDecimals(currency);
  const byDay = Array.from({ length: 7 }, () => ({ n: 0, wins: 0, pnl: 0 }));
  const byHour = Array.from({ length: 24 }, () => ({ n: 0, wins: 0, pnl: 0 }));
  for (const t of s.trades) {
    const local = t.entryTs + zoneOffsetAt(zone, t.entryTs);
    const d = new Date(local);
    for (const bucket of [byDay[(d.getUTCDay() + 6) % 7], byHour[d.getUTCHours()]]) {
      bucket.n += 1;
      if (t.pnlNetAccount > 0) bucket.wins += 1;
      bucket.pnl += t.pnlNetAccount;
    }
  }
  const table = (id: string, caption: string, names: readonly string[], rows: readonly { n: number; wins: number; pnl: number }[]): string => {
    const body = rows
      .map((r, i) => ({ r, name: names[i] }))
      .filter(({ r }) => r.n > 0)
      .map(
        ({ r, name }) =>
          `<tr><th>${escapeHtml(name)}</th><td data-v="${r.n}">${r.n}</td><td>${escapeHtml(formatFractionPct(r.wins / r.n, 0))}</td><td class="${toneClass(r.pnl)}" data-v="${r.pnl}">${escapeHtml(formatSigned(r.pnl, digits))}</td><td class="${toneClass(r.pnl)}">${escapeHtml(formatSigned(r.pnl / r.n, digits))}</td></tr>`,
      )
      .join('');
    return `<table class="calendar" id="${id}"><caption>${escapeHtml(caption)}</caption><thead><tr><th></th><th>Trades</th><th>Won</th><th>Net (${escapeHtml(currency)})</th><th>Per trade</th></tr></thead><tbody>${body}</tbody></table>`;
  };
  const hours = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`);
  return `<div class="calendars">${table(`${group}-weekday`, `By weekday of entry (${zone})`, WEEKDAYS, byDay)}${table(`${group}-hour`, `By hour of entry (${zone})`, hours, byHour)}</div>`;
}

// ---------------------------------------------------------------------------------------------------------
// The page's data.

function pageData(report: ReplayReport, series: ReportSeries): ReportPageData {
  const price = series.price;
  const tick = price === undefined ? 0 : (report.contracts?.[price.symbol]?.tickSize ?? 0.00001);
  const curves: Record<string, EncodedCurve> = {};
  if (series.account !== undefined) curves.account = encodeCurve(series.account);
  const trades: Record<string, { t: number[]; v: number[] }> = {};
  const markers: ReportMarker[] = [];
  report.strategies.forEach((s, i) => {
    const curve = series.strategies?.[s.id];
    if (curve !== undefined) curves[`s${i}`] = encodeCurve(curve);
    const ordered = [...s.trades].sort((a, b) => a.exitTs - b.exitTs);
    trades[`s${i}`] = { t: ordered.map((t) => t.exitTs), v: ordered.map((t) => t.pnlNetAccount) };
    if (price !== undefined && s.symbol === price.symbol) markers.push(...fillMarkers(s.fills, i));
  });
  return {
    currency: report.account.currency,
    initialCash: report.account.initialCash,
    strategies: report.strategies.map((s) => s.id),
    price:
      price === undefined
        ? null
        : {
            symbol: price.symbol,
            overviewMs: price.overviewMs,
            detailMs: price.detailMs,
            overview: encodeBars(price.overview, price.overviewMs, tick),
            detail: encodeBars(price.detail, price.detailMs, tick),
            detailComplete: price.detailComplete,
          },
    markers,
    curves,
    trades,
  };
}

/** One marker per fill: an exit when it reduces the position (a reversal counts as an exit), with the reason of its order. */
function fillMarkers(fills: readonly ReportFill[], strategy: number): ReportMarker[] {
  let position = 0;
  return fills.map((f) => {
    const signed = f.side === 'BUY' ? f.qty : -f.qty;
    const role = position !== 0 && Math.sign(signed) !== Math.sign(position) ? 'exit' : 'entry';
    position += signed;
    return { s: strategy, t: f.ts, side: f.side, price: f.price, qty: f.qty, role, reason: f.reason };
  });
}

function encodeBars(bars: readonly Bar[], step: number, tick: number): EncodedBars {
  const t0 = bars.length > 0 ? bars[0].ts : 0;
  const dt: number[] = [];
  const o: number[] = [];
  const h: number[] = [];
  const l: number[] = [];
  const c: number[] = [];
  let lastTs = t0;
  let lastClose = 0;
  const q = (p: number): number => Math.round(p / tick);
  for (const bar of bars) {
    dt.push(Math.round((bar.ts - lastTs) / step));
    lastTs = bar.ts;
    const open = q(bar.open);
    o.push(open - lastClose);
    h.push(q(bar.high) - open);
    l.push(open - q(bar.low));
    c.push(q(bar.close) - open);
    lastClose = q(bar.close);
  }
  return { t0, step, dt, tick, o, h, l, c };
}

function encodeCurve(curve: EquitySeries): EncodedCurve {
  const t0 = curve.ts[0] ?? 0;
  const dt: number[] = [];
  const e: number[] = [];
  const p: number[] = [];
  let lastT = t0;
  let lastE = 0;
  let lastP = 0;
  curve.ts.forEach((ts, i) => {
    dt.push(Math.round((ts - lastT) / 1000));
    lastT = ts;
    const cents = Math.round(curve.equity[i] * 100);
    const peak = Math.round(curve.peak[i] * 100);
    e.push(cents - lastE);
    p.push(peak - lastP);
    lastE = cents;
    lastP = peak;
  });
  return { t0, dt, e, p };
}

function barSizeName(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}-day`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}-hour`;
  if (ms % 60_000 === 0) return `${ms / 60_000}-minute`;
  return `${ms / 1000}-second`;
}

function tradeTable(s: StrategyReport, accountCurrency: string, maxRows: number): string {
  if (s.trades.length === 0) return `<p class="empty">No closed trade.</p>`;
  const quoteDigits = currencyDecimals(s.quoteCurrency);
  const accountDigits = currencyDecimals(accountCurrency);
  let largest = 0;
  for (const t of s.trades) largest = Math.max(largest, Math.abs(t.pnlNet));
  const shown = s.trades.slice(0, maxRows);
  const rows = shown.map((t, i) => tradeRow(t, i, largest, quoteDigits, accountDigits)).join('');
  const note =
    shown.length < s.trades.length
      ? `<p class="note">Showing the first ${formatNumber(shown.length, 0)} of ${formatNumber(s.trades.length, 0)} trades; the JSON report lists them all.</p>`
      : '';
  return `<div class="table-box"><table class="trades">
<caption>Trades (${formatNumber(s.trades.length, 0)}) <span class="hint">click a column to sort</span></caption>
<thead><tr><th data-sort="n">#</th><th data-sort="s">Side</th><th data-sort="n">Entry (UTC)</th><th data-sort="n">Exit (UTC)</th><th data-sort="n">Held</th><th data-sort="n">Qty</th><th data-sort="n">Entry</th><th data-sort="n">Exit</th><th data-sort="s">Exit reason</th><th data-sort="n">PnL (${escapeHtml(s.quoteCurrency)})</th><th data-sort="n">Net (${escapeHtml(s.quoteCurrency)})</th><th data-sort="n">Net (${escapeHtml(accountCurrency)})</th></tr></thead>
<tbody>${rows}</tbody>
</table>${note}</div>`;
}

function tradeRow(t: ReportTrade, i: number, largest: number, quoteDigits: number, accountDigits: number): string {
  const outcome = t.pnlNet > 0 ? 'win' : t.pnlNet < 0 ? 'loss' : 'even';
  const width = largest > 0 ? Math.max(1, Math.round((Math.abs(t.pnlNet) / largest) * 100)) : 0;
  return (
    `<tr class="${outcome}">` +
    `<td data-v="${i + 1}">${i + 1}</td>` +
    `<td data-v="${t.side}"><span class="side ${t.side === 'LONG' ? 'long' : 'short'}">${t.side}</span></td>` +
    `<td data-v="${t.entryTs}">${escapeHtml(formatUtc(t.entryTs))}</td>` +
    `<td data-v="${t.exitTs}">${escapeHtml(formatUtc(t.exitTs))}</td>` +
    `<td data-v="${t.exitTs - t.entryTs}">${formatDuration(t.exitTs - t.entryTs)}</td>` +
    `<td data-v="${t.qty}">${formatNumber(t.qty, 0)}</td>` +
    `<td data-v="${t.entryPrice}">${formatPrice(t.entryPrice)}</td>` +
    `<td data-v="${t.exitPrice}">${formatPrice(t.exitPrice)}</td>` +
    `<td data-v="${t.exitReason}">${escapeHtml(t.exitReason)}</td>` +
    `<td data-v="${t.pnl}" class="${toneClass(t.pnl)}">${formatSigned(t.pnl, quoteDigits)}</td>` +
    `<td data-v="${t.pnlNet}" class="net ${toneClass(t.pnlNet)}"><span class="pbar" style="width:${width}%"></span><span class="num">${formatSigned(t.pnlNet, quoteDigits)}</span></td>` +
    `<td data-v="${t.pnlNetAccount}" class="${toneClass(t.pnlNetAccount)}">${formatSigned(t.pnlNetAccount, accountDigits)}</td>` +
    `</tr>`
  );
}

function tradeCards(trades: readonly ReportTrade[], analyzers: ReportAnalyzers): string[] {
  let wins = 0;
  let losses = 0;
  let grossWins = 0;
  let grossLosses = 0;
  for (const t of trades) {
    if (t.pnlNet > 0) {
      wins++;
      grossWins += t.pnlNet;
    } else if (t.pnlNet < 0) {
      losses++;
      grossLosses -= t.pnlNet;
    }
  }
  const winRate = trades.length > 0 ? wins / trades.length : null;
  const profitFactor = analyzers.profitFactor
    ? analyzers.profitFactor.profitFactor
    : grossLosses > 0
      ? grossWins / grossLosses
      : null;
  const pfNote = analyzers.profitFactor?.reason ?? (profitFactor === null ? (trades.length === 0 ? 'no closed trade' : 'no losing trade') : 'gross wins / gross losses');
  const cards = [
    card('Trades', formatNumber(trades.length, 0), `${wins} won · ${losses} lost`),
    card('Win rate', winRate === null ? '—' : formatFractionPct(winRate, 1), 'trades with net PnL > 0'),
    card('Profit factor', profitFactor === null ? (grossWins > 0 ? '∞' : '—') : formatNumber(profitFactor, 2), pfNote, profitFactor === null ? '' : profitFactor >= 1 ? 'good' : 'bad'),
  ];
  if (analyzers.exposure) {
    const e = analyzers.exposure;
    cards.push(card('Exposure', e.exposure === null ? '—' : formatFractionPct(e.exposure, 1), `${formatNumber(e.exposedBars, 0)} of ${formatNumber(e.bars, 0)} bars`));
  }
  return cards;
}

function riskCards(analyzers: ReportAnalyzers, currency: string): string[] {
  const cards: string[] = [];
  const sharpe = analyzers.sharpe;
  if (sharpe) {
    cards.push(
      card(
        'Sharpe',
        sharpe.sharpe === null ? '—' : formatNumber(sharpe.sharpe, 2),
        sharpe.sharpe === null ? (sharpe.reason ?? '') : `daily, ×√${sharpe.periodsPerYear}, ${sharpe.days} days`,
        sharpe.sharpe === null ? '' : tone(sharpe.sharpe),
      ),
    );
  }
  const dd = analyzers.drawdown;
  if (dd) {
    cards.push(
      card(
        'Max drawdown',
        formatMoney(dd.maxDrawdown, currency),
        `${formatNumber(dd.maxDrawdownPct, 2)} % · longest ${formatDuration(dd.longestDurationMs)}${dd.longestBars > 0 && !dd.longestRecovered ? ' (open)' : ''}`,
        dd.maxDrawdown > 0 ? 'bad' : '',
      ),
    );
  }
  const returns = analyzers.returns;
  if (returns && returns.annualizedReturn !== null) {
    cards.push(card('Annualized', `${formatSigned(returns.annualizedReturn * 100, 2)} %`, `over ${returns.days} days`, tone(returns.annualizedReturn)));
  }
  return cards;
}

function card(label: string, value: string, sub = '', toneName = ''): string {
  return `<div class="card${toneName ? ` ${toneName}` : ''}"><div class="label">${escapeHtml(label)}</div><div class="value">${escapeHtml(value)}</div>${sub ? `<div class="sub">${escapeHtml(sub)}</div>` : ''}</div>`;
}

function tone(value: number): string {
  return value > 0 ? 'good' : value < 0 ? 'bad' : '';
}

function toneClass(value: number): string {
  return value > 0 ? 'pos' : value < 0 ? 'neg' : 'zero';
}

