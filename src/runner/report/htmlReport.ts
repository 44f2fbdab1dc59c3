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
import type { ReplayReport, ReportAnalyzers, ReportTrade, StrategyReport } from './replayReport';
import { histogramSvg, lineChartSvg, tradeBarsSvg } from './svgCharts';

/** Downsampled equity curves (see `createEquitySampler`) for the charts: the account's and each strategy's by id. */
export interface ReportSeries {
  readonly account?: EquitySeries;
  readonly strategies?: Readonly<Record<string, EquitySeries>>;
}

export interface HtmlReportOptions {
  /** Page title. Default "Replay report — <symbols>". */
  readonly title?: string;
  /** Most trade rows per strategy table (the JSON report has them all). Default 2,000. */
  readonly maxTradeRows?: number;
  /** Up to this many trades the results chart has one bar per trade; above, a histogram. Default 400. */
  readonly maxTradeBars?: number;
}

/**
 * One self-contained HTML page for a replay: no network at all (inline CSS, inline SVG charts, a small inline
 * script for crosshair tooltips and table sorting), so it opens from a file, offline, years later.
 *
 * For the account and each strategy: summary cards, equity curve with the initial cash line, drawdown (% of
 * the running peak) on the same time axis, a chart of trade results (a bar per trade, or a histogram when
 * there are many) and the trade list, wins green and losses red. All times are UTC. Every text from the report
 * (ids, symbols, currencies) is HTML-escaped; the chart data travels as JSON in a `<script type=
 * "application/json">` block with `<` escaped. Deterministic: same report and series → same page.
 */
export function renderHtmlReport(report: ReplayReport, series: ReportSeries = {}, options: HtmlReportOptions = {}): string {
  const maxTradeRows = options.maxTradeRows ?? 2000;
  const maxTradeBars = options.maxTradeBars ?? 400;
  const symbols = [...new Set(report.strategies.map((s) => s.symbol))];
  const title = options.title ?? `Replay report — ${symbols.join(', ') || 'no strategy'}`;
  const currency = report.account.currency;

  const groups: Record<string, { ts: readonly number[]; equity: readonly number[]; peak: readonly number[] }> = {};
  const sections: string[] = [];
  const nav: string[] = [`<a href="#account">Account</a>`];

  if (series.account) groups.account = series.account;
  sections.push(accountSection(report, series.account));
  report.strategies.forEach((strategy, i) => {
    const group = `s${i}`;
    const curve = series.strategies && Object.hasOwn(series.strategies, strategy.id) ? series.strategies[strategy.id] : undefined;
    if (curve) groups[group] = curve;
    nav.push(`<a href="#${group}">${escapeHtml(strategy.id)}</a>`);
    sections.push(strategySection(report, strategy, group, curve, maxTradeRows, maxTradeBars));
  });

  const period = report.period
    ? `${escapeHtml(formatUtc(report.period.firstBarTs))} → ${escapeHtml(formatUtc(report.period.lastBarTs))} UTC`
    : 'no bar';
  const { run } = report;
  const speed = run.barsPerSec === null ? '' : ` · ${formatNumber(run.barsPerSec, 0)} bars/s`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top">
  <div class="wrap">
    <h1>${escapeHtml(title)}</h1>
    <p class="meta"><span>${period}</span><span>${formatNumber(run.bars, 0)} bars</span><span>${report.strategies.length} ${report.strategies.length === 1 ? 'strategy' : 'strategies'}</span><span>account ${escapeHtml(currency)} ${escapeHtml(formatNumber(report.account.initialCash, currencyDecimals(currency)))}</span></p>
    <nav>${nav.join('')}</nav>
  </div>
</header>
<main class="wrap">
${sections.join('\n')}
</main>
<footer class="wrap">Replayed ${formatNumber(run.bars, 0)} bars in ${formatNumber(run.wallMs / 1000, 3)} s${speed}. All times UTC. Figures rounded for display; the JSON report keeps full precision.</footer>
<div id="tip" class="tip" hidden></div>
<script type="application/json" id="report-data">${jsonForScript({ currency, groups })}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function accountSection(report: ReplayReport, curve: EquitySeries | undefined): string {
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
  return `<section id="account" class="panel">
  <div class="head"><h2>Account</h2><span class="chip">${escapeHtml(account.currency)}</span></div>
  <div class="cards">${cards.join('')}</div>
  ${curveCharts('account', curve, account.initialCash, account.currency, 'Account')}
</section>`;
}

function strategySection(
  report: ReplayReport,
  s: StrategyReport,
  group: string,
  curve: EquitySeries | undefined,
  maxTradeRows: number,
  maxTradeBars: number,
): string {
  const currency = report.account.currency;
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

  const cards = [
    card(`Net PnL (${currency})`, formatMoney(s.netPnlAccount, currency, { signed: true }), 'open position included', tone(s.netPnlAccount)),
    card(`Closed trades (${s.quoteCurrency})`, formatMoney(s.totals.netPnl, s.quoteCurrency, { signed: true }), `gross ${formatMoney(s.totals.grossPnl, s.quoteCurrency, { signed: true })}`, tone(s.totals.netPnl)),
    ...tradeCards(s.trades, s.analyzers),
    ...riskCards(s.analyzers, currency),
  ];
  return `<section id="${group}" class="panel">
  <div class="head"><h2>${escapeHtml(s.id)}</h2>${chips.join('')}</div>
  <div class="cards">${cards.join('')}</div>
  ${curveCharts(group, curve, report.account.initialCash, currency, s.id)}
  ${tradeResults(s, maxTradeBars)}
  ${tradeTable(s, currency, maxTradeRows)}
</section>`;
}

function curveCharts(group: string, curve: EquitySeries | undefined, initialCash: number, currency: string, name: string): string {
  if (!curve || curve.ts.length === 0) return `<p class="empty">No equity curve was recorded for ${escapeHtml(name)}.</p>`;
  const digits = currencyDecimals(currency);
  const drawdownPct = curve.equity.map((e, i) => (curve.peak[i] > 0 ? (100 * (e - curve.peak[i])) / curve.peak[i] : 0));
  const equity = lineChartSvg({
    group,
    kind: 'equity',
    ts: curve.ts,
    values: curve.equity,
    height: 260,
    baseline: initialCash,
    formatTick: (v, d) => formatNumber(v, Math.min(d, digits + 2)),
    ariaLabel: `Equity of ${name} in ${currency}`,
  });
  const drawdown = lineChartSvg({
    group,
    kind: 'drawdown',
    ts: curve.ts,
    values: drawdownPct,
    height: 140,
    formatTick: (v, d) => `${formatNumber(v, d)} %`,
    ariaLabel: `Drawdown of ${name} in percent of the running peak`,
  });
  return `<figure class="chart-box"><figcaption>Equity (${escapeHtml(currency)}) <span class="hint">dashed: initial cash · hover for values</span></figcaption>${equity}</figure>
  <figure class="chart-box"><figcaption>Drawdown (% of running peak)</figcaption>${drawdown}</figure>`;
}

function tradeResults(s: StrategyReport, maxTradeBars: number): string {
  if (s.trades.length === 0) return '';
  const format = (v: number): string => formatMoney(v, s.quoteCurrency, { signed: true });
  const digits = currencyDecimals(s.quoteCurrency);
  if (s.trades.length <= maxTradeBars) {
    const bars = s.trades.map((t, i) => ({
      value: t.pnlNet,
      title: `#${i + 1} ${t.side} ${formatUtc(t.entryTs)} → ${formatUtc(t.exitTs)} UTC: ${format(t.pnlNet)}`,
    }));
    return `<figure class="chart-box"><figcaption>Net PnL per trade (${escapeHtml(s.quoteCurrency)}) <span class="hint">hover a bar</span></figcaption>${tradeBarsSvg(bars, 180, (v, d) => formatNumber(v, Math.min(d, digits + 2)), `Net PnL of each trade of ${s.id}`)}</figure>`;
  }
  return `<figure class="chart-box"><figcaption>Distribution of net PnL per trade (${escapeHtml(s.quoteCurrency)}, ${formatNumber(s.trades.length, 0)} trades)</figcaption>${histogramSvg(
    s.trades.map((t) => t.pnlNet),
    180,
    format,
    `Distribution of trade results of ${s.id}`,
  )}</figure>`;
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

const STYLE = `
:root{--bg:#f4f6fa;--panel:#fff;--ink:#1b2333;--muted:#6b7588;--line:#e3e7ef;--blue:#2563eb;--green:#15803d;--green-bg:#e8f6ee;--red:#c2261d;--red-bg:#fdecea;--amber:#b45309}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.wrap{max-width:1180px;margin:0 auto;padding:0 20px}
header.top{background:linear-gradient(135deg,#0f1b3d,#1e3a8a);color:#fff;padding:22px 0 0;margin-bottom:22px}
header.top h1{margin:0 0 6px;font-size:22px;font-weight:650;letter-spacing:.2px}
.meta{margin:0;color:#c7d2fe;font-size:13px;display:flex;flex-wrap:wrap;gap:6px 18px}
nav{display:flex;flex-wrap:wrap;gap:4px;margin-top:16px}
nav a{color:#e0e7ff;text-decoration:none;padding:7px 12px;border-radius:8px 8px 0 0;font-size:13px;background:rgba(255,255,255,.08)}
nav a:hover{background:rgba(255,255,255,.2)}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:14px;padding:18px 20px 20px;margin:0 0 22px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
.head{display:flex;align-items:center;flex-wrap:wrap;gap:8px;margin-bottom:14px}
.head h2{margin:0 6px 0 0;font-size:18px;word-break:break-all}
.chip{display:inline-block;font-size:12px;padding:2px 9px;border-radius:999px;background:#e0e7ff;color:#1e3a8a;font-weight:600}
.chip.muted{background:#eef1f6;color:var(--muted);font-weight:500}
.chip.warn{background:#fef3c7;color:var(--amber)}
.chip.bad{background:var(--red-bg);color:var(--red)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(192px,1fr));gap:10px;margin-bottom:14px}
.card{border:1px solid var(--line);border-radius:10px;padding:10px 12px;background:#fbfcfe;border-top:3px solid #cbd5e1}
.card.good{border-top-color:var(--green)}.card.bad{border-top-color:var(--red)}
.card .label{font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.4px}
.card .value{font-size:17px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.card.good .value{color:var(--green)}.card.bad .value{color:var(--red)}
.card .sub{font-size:11.5px;color:var(--muted);margin-top:2px}
figure.chart-box{margin:0 0 10px;position:relative}
figcaption{font-size:12.5px;font-weight:600;color:#334155;margin:6px 0 2px}
.hint{font-weight:400;color:var(--muted);margin-left:6px}
svg{display:block;width:100%;height:auto;overflow:visible}
svg text{font-size:11.5px;fill:#64748b;font-variant-numeric:tabular-nums}
.grid{stroke:#eef1f6;stroke-width:1}.vgrid{stroke-dasharray:2 4}
.axis{stroke:#cbd5e1;stroke-width:1}.zero{stroke:#475569;stroke-width:1;stroke-dasharray:4 3}
.line{fill:none;stroke-width:1.6;stroke-linejoin:round}
.equity-line{stroke:var(--blue)}
.baseline{stroke:#94a3b8;stroke-width:1;stroke-dasharray:5 4}
.dd-area{fill:rgba(194,38,29,.16)}.dd-line{stroke:var(--red);stroke-width:1.2}
.xhair{stroke:#475569;stroke-width:1;stroke-dasharray:3 3}
.dot{fill:#fff;stroke:var(--blue);stroke-width:2}.drawdown .dot{stroke:var(--red)}
.tbar.win{fill:#22a35a}.tbar.loss{fill:#e0483e}.tbar.even{fill:#94a3b8}.tbar:hover{opacity:.75}
.tip{position:fixed;pointer-events:none;background:#0f172a;color:#f8fafc;font-size:12px;padding:7px 10px;border-radius:8px;box-shadow:0 6px 18px rgba(15,23,42,.25);z-index:10;white-space:nowrap;font-variant-numeric:tabular-nums}
.tip b{display:block;font-weight:600;margin-bottom:2px;color:#c7d2fe}
.tip .neg{color:#fca5a5}
.table-box{overflow:auto;max-height:560px;border:1px solid var(--line);border-radius:10px;margin-top:12px}
table.trades{border-collapse:separate;border-spacing:0;width:100%;font-size:12.5px;font-variant-numeric:tabular-nums}
table.trades caption{text-align:left;font-weight:600;padding:9px 12px;color:#334155}
table.trades th{position:sticky;top:0;background:#f1f5f9;color:#475569;font-weight:600;text-align:right;padding:7px 10px;border-bottom:1px solid var(--line);cursor:pointer;user-select:none;white-space:nowrap}
table.trades th:nth-child(-n+4){text-align:left}
table.trades th.asc::after{content:" ▲";font-size:9px}table.trades th.desc::after{content:" ▼";font-size:9px}
table.trades td{padding:5px 10px;text-align:right;border-bottom:1px solid #f1f3f7;white-space:nowrap}
table.trades td:nth-child(-n+4){text-align:left}
table.trades tr.win td:first-child{box-shadow:inset 3px 0 0 var(--green)}
table.trades tr.loss td:first-child{box-shadow:inset 3px 0 0 var(--red)}
table.trades tbody tr:hover td{background:#f8fafc}
.side{font-size:11px;font-weight:700;padding:1px 7px;border-radius:5px}
.side.long{background:#dbeafe;color:#1d4ed8}.side.short{background:#fae8ff;color:#a21caf}
.pos{color:var(--green)}.neg{color:var(--red)}.zero{color:var(--muted)}
td.net{position:relative;min-width:120px}
td.net .pbar{position:absolute;right:0;top:4px;bottom:4px;border-radius:3px;opacity:.18}
td.net.pos .pbar{background:var(--green)}td.net.neg .pbar{background:var(--red)}
td.net .num{position:relative;font-weight:600}
.empty,.note{color:var(--muted);font-size:13px}
footer{color:var(--muted);font-size:12px;padding:4px 20px 30px}
@media print{header.top{background:#1e3a8a;-webkit-print-color-adjust:exact;print-color-adjust:exact}.table-box{max-height:none}}
`;

/** The page script: crosshair + tooltip over the time charts, sortable trade tables. No network, no eval. */
const SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var tip = document.getElementById('tip');
  function num(v, d) {
    var s = Math.abs(v).toFixed(d), p = s.split('.');
    p[0] = p[0].replace(/\\B(?=(\\d{3})+(?!\\d))/g, ',');
    return (v < 0 && /[1-9]/.test(s) ? '-' : '') + p.join('.');
  }
  function time(t) { var s = new Date(t).toISOString(); return s.slice(0, 10) + ' ' + s.slice(11, 16) + ' UTC'; }
  function nearest(ts, t) {
    var lo = 0, hi = ts.length - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (ts[mid] <= t) lo = mid; else hi = mid; }
    return Math.abs(ts[hi] - t) < Math.abs(t - ts[lo]) ? hi : lo;
  }
  var charts = Array.prototype.slice.call(document.querySelectorAll('svg.chart[data-group]'));
  function attr(el, name) { return parseFloat(el.getAttribute(name)); }
  function line(text, cls) { var div = document.createElement('div'); div.textContent = text; if (cls) div.className = cls; return div; }
  function hide() {
    tip.hidden = true;
    charts.forEach(function (c) {
      c.querySelector('.xhair').setAttribute('visibility', 'hidden');
      c.querySelector('.dot').setAttribute('visibility', 'hidden');
    });
  }
  function show(chart, event) {
    var group = chart.getAttribute('data-group'), s = data.groups[group];
    if (!s || s.ts.length === 0) return;
    var box = chart.getBoundingClientRect(), vb = chart.viewBox.baseVal;
    var vx = (event.clientX - box.left) * (vb.width / box.width);
    var x0 = attr(chart, 'data-x0'), x1 = attr(chart, 'data-x1'), t0 = attr(chart, 'data-t0'), t1 = attr(chart, 'data-t1');
    var t = t1 > t0 ? t0 + ((vx - x0) / (x1 - x0)) * (t1 - t0) : t0;
    var i = nearest(s.ts, t), eq = s.equity[i], pk = s.peak[i];
    var ddPct = pk > 0 ? (100 * (eq - pk)) / pk : 0;
    charts.forEach(function (c) {
      if (c.getAttribute('data-group') !== group) return;
      var cx0 = attr(c, 'data-x0'), cx1 = attr(c, 'data-x1'), lo = attr(c, 'data-lo'), hi = attr(c, 'data-hi');
      var top = attr(c, 'data-top'), bottom = attr(c, 'data-bottom');
      var x = t1 > t0 ? cx0 + ((s.ts[i] - t0) / (t1 - t0)) * (cx1 - cx0) : (cx0 + cx1) / 2;
      var v = c.getAttribute('data-kind') === 'drawdown' ? ddPct : eq;
      var y = top + ((hi - v) / (hi - lo)) * (bottom - top);
      var xh = c.querySelector('.xhair'), dot = c.querySelector('.dot');
      xh.setAttribute('x1', x); xh.setAttribute('x2', x); xh.setAttribute('visibility', 'visible');
      dot.setAttribute('cx', x); dot.setAttribute('cy', y); dot.setAttribute('visibility', 'visible');
    });
    tip.textContent = '';
    var head = document.createElement('b'); head.textContent = time(s.ts[i]); tip.appendChild(head);
    tip.appendChild(line('Equity ' + num(eq, 2) + ' ' + data.currency));
    tip.appendChild(line('Drawdown ' + num(eq - pk, 2) + ' (' + num(ddPct, 2) + ' %)', eq < pk ? 'neg' : ''));
    tip.hidden = false;
    var left = event.clientX + 14, w = tip.offsetWidth;
    if (left + w > window.innerWidth - 8) left = event.clientX - w - 14;
    tip.style.left = left + 'px';
    tip.style.top = (event.clientY + 14) + 'px';
  }
  charts.forEach(function (c) {
    c.addEventListener('mousemove', function (e) { show(c, e); });
    c.addEventListener('mouseleave', hide);
  });
  Array.prototype.forEach.call(document.querySelectorAll('table.trades'), function (table) {
    var heads = table.querySelectorAll('th[data-sort]');
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener('click', function () {
        var asc = !th.classList.contains('asc');
        Array.prototype.forEach.call(heads, function (h) { h.classList.remove('asc', 'desc'); });
        th.classList.add(asc ? 'asc' : 'desc');
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows), numeric = th.getAttribute('data-sort') === 'n';
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
          var d = numeric ? parseFloat(x) - parseFloat(y) : (x < y ? -1 : x > y ? 1 : 0);
          return (asc ? d : -d) || (parseFloat(a.cells[0].getAttribute('data-v')) - parseFloat(b.cells[0].getAttribute('data-v')));
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
`;
