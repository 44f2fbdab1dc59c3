import type { EquitySeries } from '../runner/report/equitySampler';
import { escapeHtml } from '../runner/report/format';
import type { GridAxis } from './grid';
import { METRICS, type MetricName } from './metrics';
import { formatMetric, metricColumns, rankRows, rowFailed, type CurvesByIndex, type SweepInput, type SweepRow } from './sweep';
import type { WalkForwardResult } from './walkForward';

/**
 * The sweep's page (`--html`): one self-contained file with no script at all — the charts are inline SVG drawn
 * here — so it opens offline and is the same bytes for the same sweep.
 *
 * - the ranking (the best configs by the metric, every figure);
 * - a heatmap of the metric when the grid has two axes (rows the first axis, columns the second; a point the
 *   grid left out or that failed is blank), colour from worst (red) to best (green);
 * - the equity curves of the best configs (at most 10), one colour each;
 * - with a walk-forward: its windows (in-sample and out-of-sample side by side) and the stitched
 *   out-of-sample equity;
 * - the configs that failed, with their errors.
 */
export interface SweepPage {
  readonly input: SweepInput;
  readonly axes: readonly GridAxis[];
  readonly rows: readonly SweepRow[];
  readonly metric: MetricName;
  readonly currency: string;
  readonly curves: CurvesByIndex;
  readonly walkForward?: WalkForwardResult;
  /** Rows in the ranking table. Default 50. */
  readonly top?: number;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function renderSweepPage(page: SweepPage): string {
  const { input, axes, rows, metric, currency } = page;
  const ranked = rankRows(rows, metric);
  const columns = metricColumns(rows);
  const label = (m: MetricName): string => (m === 'netPnl' || m === 'maxDD' ? `${METRICS[m].label} (${currency})` : METRICS[m].label);
  const paramsText = (params: SweepRow['params']): string => axes.map((a) => `${a.key}=${String(params[a.key])}`).join(' ');
  const sections: string[] = [];

  if (page.walkForward !== undefined) sections.push(walkForwardSection(page.walkForward, currency, metric));
  if (ranked.length > 0) {
    const head = ['#', ...axes.map((a) => a.key), ...columns.map(label)].map((h) => `<th>${escapeHtml(h)}</th>`).join('');
    const body = ranked
      .slice(0, page.top ?? 50)
      .map(
        (row, rank) =>
          `<tr><td>${rank + 1}</td>${axes.map((a) => `<td>${escapeHtml(String(row.params[a.key]))}</td>`).join('')}${columns
            .map((m) => `<td class="num${m === metric ? ' key' : ''}">${escapeHtml(formatMetric(m, row.metrics[m], currency))}</td>`)
            .join('')}</tr>`,
      )
      .join('\n');
    sections.push(`<h2>Best configs by ${escapeHtml(METRICS[metric].label)}</h2>\n<table>\n<tr>${head}</tr>\n${body}\n</table>`);
  }
  if (axes.length === 2 && ranked.length > 0) sections.push(heatmap(page));
  const curves = ranked.filter((row) => page.curves.has(row.index)).slice(0, PALETTE.length);
  if (curves.length > 0) {
    sections.push(
      `<h2>Equity of the best ${curves.length} (${escapeHtml(currency)})</h2>\n${lineChart(curves.map((row, i) => ({ name: `#${i + 1} ${paramsText(row.params)}`, color: PALETTE[i], series: page.curves.get(row.index)! })))}`,
    );
  }
  const failed = rows.filter(rowFailed);
  if (failed.length > 0) {
    sections.push(
      `<h2>Failed configs (${failed.length})</h2>\n<table>\n<tr><th>#</th><th>params</th><th>error</th></tr>\n${failed
        .map((row) => `<tr><td>${row.index}</td><td>${escapeHtml(paramsText(row.params))}</td><td>${escapeHtml(row.error.message)}</td></tr>`)
        .join('\n')}\n</table>`,
    );
  }
  const title = `Sweep — ${input.symbol}, ${axes.map((a) => a.key).join(' × ')}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 24px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.key{font-weight:600}.heat td{text-align:right;min-width:56px}.note{color:#555}svg{background:#fff;border:1px solid #ddd}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="note">${escapeHtml(input.file)} (SHA-256 ${escapeHtml(input.sha256.slice(0, 16))}…), ${input.bars.toLocaleString('en-US')} bars ${escapeHtml(input.firstBarTime ?? '')} → ${escapeHtml(input.lastBarTime ?? '')}; ${rows.length} configs, ranked by ${escapeHtml(metric)}.</p>
${sections.join('\n')}
</body></html>
`;
}

/** Red (worst) → yellow → green (best) for a value's rank between 0 and 1. */
function heatColour(share: number): string {
  const hue = Math.round(120 * share);
  return `hsl(${hue} 70% 80%)`;
}

function heatmap(page: SweepPage): string {
  const [rowsAxis, colsAxis] = page.axes;
  const cells = new Map<string, number>();
  for (const row of page.rows) {
    const value = rowFailed(row) ? undefined : row.metrics[page.metric];
    if (value !== undefined && value !== null && !Number.isNaN(value)) cells.set(`${String(row.params[rowsAxis.key])}|${String(row.params[colsAxis.key])}`, value);
  }
  const values = [...cells.values()];
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const better = METRICS[page.metric].better;
  const share = (v: number): number => (hi === lo ? 1 : better === 'higher' ? (v - lo) / (hi - lo) : (hi - v) / (hi - lo));
  const head = `<tr><th>${escapeHtml(rowsAxis.key)} \\ ${escapeHtml(colsAxis.key)}</th>${colsAxis.values.map((v) => `<th>${escapeHtml(String(v))}</th>`).join('')}</tr>`;
  const body = rowsAxis.values
    .map((r) => {
      const tds = colsAxis.values.map((c) => {
        const v = cells.get(`${String(r)}|${String(c)}`);
        return v === undefined ? '<td></td>' : `<td style="background:${heatColour(share(v))}">${escapeHtml(formatMetric(page.metric, v, page.currency))}</td>`;
      });
      return `<tr><th>${escapeHtml(String(r))}</th>${tds.join('')}</tr>`;
    })
    .join('\n');
  return `<h2>${escapeHtml(METRICS[page.metric].label)} by ${escapeHtml(rowsAxis.key)} × ${escapeHtml(colsAxis.key)}</h2>\n<table class="heat">\n${head}\n${body}\n</table>`;
}

interface Line {
  readonly name: string;
  readonly color: string;
  readonly series: EquitySeries;
}

/** An SVG line chart of equity curves on one time axis, with the first and last date and the equity range. */
function lineChart(lines: readonly Line[]): string {
  const [width, height, pad] = [960, 360, 48];
  const ts = lines.flatMap((l) => l.series.ts);
  const eq = lines.flatMap((l) => l.series.equity);
  if (ts.length === 0) return '<p class="note">no equity points</p>';
  const [t0, t1, e0, e1] = [Math.min(...ts), Math.max(...ts), Math.min(...eq), Math.max(...eq)];
  const x = (t: number): string => (pad + ((t - t0) / Math.max(1, t1 - t0)) * (width - 2 * pad)).toFixed(1);
  const y = (e: number): string => (height - pad - ((e - e0) / Math.max(1e-9, e1 - e0)) * (height - 2 * pad)).toFixed(1);
  const paths = lines
    .map((l) => `<polyline fill="none" stroke="${l.color}" stroke-width="1.5" points="${l.series.ts.map((t, i) => `${x(t)},${y(l.series.equity[i])}`).join(' ')}"/>`)
    .join('\n');
  const legend = lines.map((l, i) => `<text x="${pad + 8}" y="${pad + 14 + i * 16}" fill="${l.color}">${escapeHtml(l.name)}</text>`).join('\n');
  const axisText = [
    `<text x="${pad}" y="${height - pad + 18}">${new Date(t0).toISOString().slice(0, 10)}</text>`,
    `<text x="${width - pad}" y="${height - pad + 18}" text-anchor="end">${new Date(t1).toISOString().slice(0, 10)}</text>`,
    `<text x="${pad - 4}" y="${y(e1)}" text-anchor="end">${Math.round(e1).toLocaleString('en-US')}</text>`,
    `<text x="${pad - 4}" y="${y(e0)}" text-anchor="end">${Math.round(e0).toLocaleString('en-US')}</text>`,
  ].join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-size="11" font-family="system-ui,sans-serif">
<rect x="${pad}" y="${pad}" width="${width - 2 * pad}" height="${height - 2 * pad}" fill="none" stroke="#ccc"/>
${paths}
${legend}
${axisText}
</svg>`;
}

function walkForwardSection(wf: WalkForwardResult, currency: string, metric: MetricName): string {
  const rows = wf.windows
    .map(
      (w) =>
        `<tr><td>${escapeHtml(w.train.from.slice(0, 10))} → ${escapeHtml(w.train.to.slice(0, 10))}</td><td>${escapeHtml(w.test.from.slice(0, 10))} → ${escapeHtml(w.test.to.slice(0, 10))}</td><td>${
          w.chosen === null ? '(none)' : escapeHtml(Object.entries(w.chosen.params).map(([k, v]) => `${k}=${String(v)}`).join(' '))
        }</td><td class="num">${escapeHtml(formatMetric(metric, w.inSample?.[metric], currency))}</td><td class="num">${escapeHtml(formatMetric(metric, w.outOfSample?.[metric], currency))}</td><td class="num">${escapeHtml(
          formatMetric('netPnl', w.outOfSample?.netPnl, currency),
        )}</td></tr>`,
    )
    .join('\n');
  const s = wf.stitched;
  return `<h2>Walk-forward (${escapeHtml(wf.spec)})</h2>
<p class="note">${escapeHtml(wf.note)}.</p>
<table>
<tr><th>train</th><th>test</th><th>chosen in sample</th><th>${escapeHtml(metric)} IN-SAMPLE</th><th>${escapeHtml(metric)} out-of-sample</th><th>Net PnL out-of-sample (${escapeHtml(currency)})</th></tr>
${rows}
</table>
<p>Stitched out-of-sample: net PnL ${escapeHtml(formatMetric('netPnl', s.netPnl, currency))} ${escapeHtml(currency)}, Sharpe ${escapeHtml(formatMetric('sharpe', s.sharpe, currency))}, max drawdown ${escapeHtml(formatMetric('maxDD', s.maxDD, currency))} (${escapeHtml(formatMetric('maxDDPct', s.maxDDPct, currency))}), ${escapeHtml(formatMetric('trades', s.trades, currency))} trades.</p>
${lineChart([{ name: 'stitched out-of-sample equity', color: PALETTE[0], series: wf.equity }])}`;
}
