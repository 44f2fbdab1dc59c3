import { AreaSeries, createSeriesMarkers, HistogramSeries, LineSeries, LineStyle, type SeriesMarker, type Time } from 'lightweight-charts';
import { addCandles, baseChart, COLOURS, pricePrecisionFor, reasonColour, toTime, type Candle } from './lib/charts';
import { formatPrice } from './lib/format';
import type { EncodedBars, EncodedCurve, ReportMarker, ReportPageData } from './reportData';

/**
 * The replay report's script: draws the charts from the page's JSON (no network), switches the price chart
 * between the overview and the bars around the trades, zooms there when a trade row is clicked, and sorts
 * the trade tables.
 */

const data = JSON.parse(document.getElementById('report-data')?.textContent ?? 'null') as ReportPageData;

function decodeBars(bars: EncodedBars): Candle[] {
  const out: Candle[] = [];
  let ts = bars.t0;
  let close = 0;
  const p = (q: number): number => Number((q * bars.tick).toFixed(10));
  for (let i = 0; i < bars.dt.length; i++) {
    ts += bars.dt[i] * bars.step;
    const open = close + bars.o[i];
    const c = open + bars.c[i];
    out.push({ time: toTime(ts), open: p(open), high: p(open + bars.h[i]), low: p(open - bars.l[i]), close: p(c) });
    close = c;
  }
  return out;
}

function decodeCurve(curve: EncodedCurve): { t: number[]; equity: number[]; peak: number[] } {
  const t: number[] = [];
  const equity: number[] = [];
  const peak: number[] = [];
  let ts = curve.t0;
  let e = 0;
  let pk = 0;
  for (let i = 0; i < curve.dt.length; i++) {
    ts += curve.dt[i] * 1000;
    e += curve.e[i];
    pk += curve.p[i];
    t.push(ts);
    equity.push(e / 100);
    peak.push(pk / 100);
  }
  return { t, equity, peak };
}

/** One point per chart time unit (a second): the last of several wins. */
function lastPerTime<T extends { time: Time }>(points: T[]): T[] {
  return points.filter((p, i) => i === points.length - 1 || points[i + 1].time !== p.time);
}

// ---------------------------------------------------------------------------------------------------------
// The price chart with the fills.

let showDetail: ((from: number, to: number) => void) | null = null;

function drawPrice(): void {
  const box = document.getElementById('price-chart');
  const price = data.price;
  if (box === null || price === null) return;
  const views = { overview: decodeBars(price.overview), detail: decodeBars(price.detail) };
  const sizes = { overview: price.overviewMs, detail: price.detailMs };
  // A small minimum spacing lets "fit" show the whole range (thousands of bars) at once.
  const chart = baseChart(box, 420, { timeScale: { timeVisible: true, secondsVisible: false, borderVisible: false, minBarSpacing: 0.05 } });
  const last = views.overview[views.overview.length - 1];
  const candles = addCandles(chart, pricePrecisionFor(last?.close ?? 1));
  const markersApi = createSeriesMarkers(candles, []);
  const markerOf = (m: ReportMarker, size: number, times: ReadonlySet<number>): SeriesMarker<Time> | undefined => {
    const time = toTime(Math.floor(m.t / size) * size);
    if (!times.has(time)) return undefined;
    const exit = m.role === 'exit';
    return {
      time,
      position: m.side === 'BUY' ? 'belowBar' : 'aboveBar',
      shape: m.side === 'BUY' ? 'arrowUp' : 'arrowDown',
      color: exit ? reasonColour(m.reason) : m.side === 'BUY' ? COLOURS.buy : COLOURS.sell,
      // Labels only where there is room for them: on the bars around the trades.
      text: size !== price.detailMs ? '' : `${data.strategies.length > 1 ? `${data.strategies[m.s]} ` : ''}${exit ? `exit (${m.reason})` : 'entry'}`,
    };
  };
  const show = (view: 'overview' | 'detail'): void => {
    const bars = views[view];
    candles.setData(bars);
    const times = new Set<number>(bars.map((b) => b.time));
    const marks = data.markers.map((m) => markerOf(m, sizes[view], times)).filter((m): m is SeriesMarker<Time> => m !== undefined);
    marks.sort((a, b) => Number(a.time) - Number(b.time));
    markersApi.setMarkers(marks);
    box.dataset.view = view;
    box.dataset.bars = String(bars.length);
    box.dataset.markers = String(markersApi.markers().length);
    chart.applyOptions({ timeScale: { secondsVisible: sizes[view] < 60_000 } });
    for (const button of document.querySelectorAll<HTMLButtonElement>('.res button')) button.setAttribute('aria-pressed', String(button.dataset.res === view));
  };
  show('overview');
  chart.timeScale().fitContent();
  for (const button of document.querySelectorAll<HTMLButtonElement>('.res button')) {
    button.addEventListener('click', () => {
      show(button.dataset.res === 'detail' ? 'detail' : 'overview');
      chart.timeScale().fitContent();
    });
  }
  showDetail = (from: number, to: number) => {
    show('detail');
    const pad = 30 * sizes.detail;
    chart.timeScale().setVisibleRange({ from: toTime(from - pad), to: toTime(to + pad) });
    box.scrollIntoView({ behavior: 'smooth', block: 'center' });
  };
  const legend = document.getElementById('marker-legend');
  const reasons = [...new Set(data.markers.filter((m) => m.role === 'exit').map((m) => m.reason))].sort();
  legend?.replaceChildren(
    ...[
      ['buy (entry)', COLOURS.buy],
      ['sell (entry)', COLOURS.sell],
      ...reasons.map((r) => [`exit: ${r}`, reasonColour(r)]),
    ].map(([label, colour]) => {
      const span = document.createElement('span');
      const swatch = document.createElement('i');
      swatch.style.background = colour;
      span.append(swatch, label);
      return span;
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Equity, drawdown, trade results.

function drawCurves(): void {
  for (const [group, encoded] of Object.entries(data.curves)) {
    const curve = decodeCurve(encoded);
    const equityBox = document.getElementById(`${group}-equity`);
    const drawdownBox = document.getElementById(`${group}-drawdown`);
    if (equityBox === null || drawdownBox === null) continue;
    const equityChart = baseChart(equityBox, 240);
    const line = equityChart.addSeries(LineSeries, { color: COLOURS.line, lineWidth: 2, priceLineVisible: false });
    line.setData(lastPerTime(curve.t.map((t, i) => ({ time: toTime(t), value: curve.equity[i] }))));
    line.createPriceLine({ price: data.initialCash, color: '#94a3b8', lineStyle: LineStyle.Dashed, lineWidth: 1, axisLabelVisible: false, title: '' });
    equityChart.timeScale().fitContent();
    const ddChart = baseChart(drawdownBox, 150);
    const area = ddChart.addSeries(AreaSeries, {
      lineColor: COLOURS.drawdown,
      topColor: 'rgba(194, 38, 29, 0.05)',
      bottomColor: 'rgba(194, 38, 29, 0.3)',
      lineWidth: 1,
      invertFilledArea: true,
      priceLineVisible: false,
    });
    area.setData(lastPerTime(curve.t.map((t, i) => ({ time: toTime(t), value: curve.equity[i] - curve.peak[i] }))));
    ddChart.timeScale().fitContent();
    // The two charts of a group scroll and zoom together.
    equityChart.timeScale().subscribeVisibleLogicalRangeChange((range) => range !== null && ddChart.timeScale().setVisibleLogicalRange(range));
    equityBox.dataset.points = String(curve.t.length);
  }
  for (const [group, trades] of Object.entries(data.trades)) {
    const box = document.getElementById(`${group}-trades`);
    if (box === null || trades.t.length === 0) continue;
    const chart = baseChart(box, 150);
    const bars = chart.addSeries(HistogramSeries, { priceLineVisible: false });
    const byTime = new Map<number, number>();
    trades.t.forEach((t, i) => byTime.set(toTime(t), (byTime.get(toTime(t)) ?? 0) + trades.v[i]));
    bars.setData([...byTime.entries()].map(([time, value]) => ({ time: time as Time, value, color: value >= 0 ? COLOURS.up : COLOURS.down })));
    chart.timeScale().fitContent();
    box.dataset.points = String(trades.t.length);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Trade tables: sort by a column; a click on a row zooms the price chart to that trade.

function wireTables(): void {
  for (const table of document.querySelectorAll<HTMLTableElement>('table.trades')) {
    const heads = [...table.querySelectorAll<HTMLTableCellElement>('th[data-sort]')];
    heads.forEach((th, col) => {
      th.addEventListener('click', () => {
        const asc = !th.classList.contains('asc');
        for (const h of heads) h.classList.remove('asc', 'desc');
        th.classList.add(asc ? 'asc' : 'desc');
        const body = table.tBodies[0];
        const numeric = th.dataset.sort === 'n';
        const rows = [...body.rows];
        const v = (r: HTMLTableRowElement, c: number): string => r.cells[c].dataset.v ?? '';
        rows.sort((a, b) => {
          const d = numeric ? Number(v(a, col)) - Number(v(b, col)) : v(a, col) < v(b, col) ? -1 : v(a, col) > v(b, col) ? 1 : 0;
          return (asc ? d : -d) || Number(v(a, 0)) - Number(v(b, 0));
        });
        body.append(...rows);
      });
    });
    table.tBodies[0].addEventListener('click', (event) => {
      const row = (event.target as HTMLElement).closest('tr');
      if (row === null || showDetail === null) return;
      showDetail(Number(row.cells[2].dataset.v), Number(row.cells[3].dataset.v));
      row.title = `zoomed to this trade (${formatPrice(Number(row.cells[6].dataset.v))} → ${formatPrice(Number(row.cells[7].dataset.v))})`;
    });
  }
}

drawPrice();
drawCurves();
wireTables();
