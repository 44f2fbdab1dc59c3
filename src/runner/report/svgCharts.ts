import { escapeHtml, formatNumber, formatUtc } from './format';

/**
 * Inline SVG charts for the HTML report: plain strings, no DOM, no library. Every chart draws in a fixed
 * `viewBox` (width {@link CHART_WIDTH}) and scales to its container; coordinates are rounded to 0.1 for size
 * only. Time axes are UTC.
 */

export const CHART_WIDTH = 1000;
const LEFT = 84;
const RIGHT = 16;
const TOP = 12;
const BOTTOM = 26;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const FIXED_STEPS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY];
const MONTH_STEPS = [1, 2, 3, 6, 12, 24, 60, 120, 240, 600];
/** 1970-01-05 was a Monday: weekly ticks fall on Mondays. */
const MONDAY_OFFSET = 4 * DAY;

export interface TimeTicks {
  readonly ticks: readonly number[];
  readonly labels: readonly string[];
}

/** At most `maxTicks` round UTC instants in [t0, t1] (minutes … years), labelled for their step. */
export function timeTicks(t0: number, t1: number, maxTicks = 7): TimeTicks {
  if (!(t1 > t0)) return { ticks: [t0], labels: [formatUtc(t0)] };
  for (const step of FIXED_STEPS) {
    const offset = step === 7 * DAY || step === 14 * DAY ? MONDAY_OFFSET : 0;
    const first = Math.ceil((t0 - offset) / step) * step + offset;
    if ((t1 - first) / step + 1 <= maxTicks) {
      const ticks: number[] = [];
      for (let t = first; t <= t1; t += step) ticks.push(t);
      const sameDay = Math.floor(t0 / DAY) === Math.floor(t1 / DAY);
      const label = (t: number): string => {
        const iso = new Date(t).toISOString();
        if (step >= DAY) return iso.slice(0, 10);
        return sameDay ? iso.slice(11, 16) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
      };
      return { ticks, labels: ticks.map(label) };
    }
  }
  const start = new Date(t0);
  const startMonth = start.getUTCFullYear() * 12 + start.getUTCMonth();
  for (const months of MONTH_STEPS) {
    const ticks: number[] = [];
    let m = Math.ceil(startMonth / months) * months;
    for (let t = monthStart(m); t <= t1; m += months, t = monthStart(m)) if (t >= t0) ticks.push(t);
    if (ticks.length <= maxTicks) {
      return { ticks, labels: ticks.map((t) => new Date(t).toISOString().slice(0, months >= 12 ? 4 : 7)) };
    }
  }
  return { ticks: [t0, t1], labels: [formatUtc(t0), formatUtc(t1)] };
}

function monthStart(monthIndex: number): number {
  return Date.UTC(Math.floor(monthIndex / 12), monthIndex % 12, 1);
}

export interface ValueTicks {
  readonly ticks: readonly number[];
  readonly decimals: number;
}

/** Round values (1, 2, 2.5, 5 × 10^k apart) in [min, max], about `count` of them, and the decimals they need. */
export function valueTicks(min: number, max: number, count = 5): ValueTicks {
  if (!(max > min)) return { ticks: [min], decimals: 2 };
  const raw = (max - min) / count;
  const exponent = Math.floor(Math.log10(raw));
  const magnitude = Math.pow(10, exponent);
  const multiplier = [1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10;
  const step = multiplier * magnitude;
  const ticks: number[] = [];
  for (let k = Math.ceil(min / step); k * step <= max + step * 1e-9; k++) ticks.push(k === 0 ? 0 : k * step);
  const decimals = Math.min(6, Math.max(0, -exponent + (multiplier === 2.5 ? 1 : 0) - (multiplier === 10 ? 1 : 0)));
  return { ticks, decimals };
}

const r = (v: number): string => (Math.round(v * 10) / 10).toString();

export interface LineChartSpec {
  /** Which tooltip group the chart belongs to (charts of one group share a crosshair). */
  readonly group: string;
  readonly kind: 'equity' | 'drawdown';
  readonly ts: readonly number[];
  readonly values: readonly number[];
  readonly height: number;
  /** A dashed reference line (initial equity). */
  readonly baseline?: number;
  /** Y label text for a tick value. */
  readonly formatTick: (value: number, decimals: number) => string;
  readonly ariaLabel: string;
}

/**
 * A time-series chart: line (equity) or area under zero (drawdown), with grid, axis labels in UTC and the
 * crosshair elements the page script moves.
 */
export function lineChartSvg(spec: LineChartSpec): string {
  const { ts, values, height } = spec;
  const n = ts.length;
  const plotBottom = height - BOTTOM;
  const t0 = ts[0];
  const t1 = ts[n - 1];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (spec.baseline !== undefined) {
    lo = Math.min(lo, spec.baseline);
    hi = Math.max(hi, spec.baseline);
  }
  if (spec.kind === 'drawdown') hi = 0;
  if (!(hi > lo)) {
    const pad = Math.abs(hi) * 0.01 || 1;
    lo -= spec.kind === 'drawdown' ? 1 : pad;
    hi += spec.kind === 'drawdown' ? 0 : pad;
  } else {
    const pad = (hi - lo) * 0.06;
    lo -= pad;
    if (spec.kind === 'equity') hi += pad;
  }
  const x = (t: number): number => (t1 > t0 ? LEFT + ((t - t0) / (t1 - t0)) * (CHART_WIDTH - LEFT - RIGHT) : (LEFT + CHART_WIDTH - RIGHT) / 2);
  const y = (v: number): number => TOP + ((hi - v) / (hi - lo)) * (plotBottom - TOP);

  const parts: string[] = [];
  const yTicks = valueTicks(lo, hi, spec.kind === 'drawdown' ? 3 : 5);
  for (const v of yTicks.ticks) {
    const yy = r(y(v));
    parts.push(`<line class="grid" x1="${LEFT}" x2="${CHART_WIDTH - RIGHT}" y1="${yy}" y2="${yy}"/>`);
    parts.push(`<text class="ylabel" x="${LEFT - 8}" y="${yy}" dy="0.32em" text-anchor="end">${escapeHtml(spec.formatTick(v, yTicks.decimals))}</text>`);
  }
  const xTicks = timeTicks(t0, t1);
  xTicks.ticks.forEach((t, i) => {
    const xx = r(x(t));
    parts.push(`<line class="grid vgrid" x1="${xx}" x2="${xx}" y1="${TOP}" y2="${plotBottom}"/>`);
    parts.push(`<text class="xlabel" x="${xx}" y="${height - 8}" text-anchor="middle">${escapeHtml(xTicks.labels[i])}</text>`);
  });
  parts.push(`<line class="axis" x1="${LEFT}" x2="${CHART_WIDTH - RIGHT}" y1="${plotBottom}" y2="${plotBottom}"/>`);

  let line = '';
  for (let i = 0; i < n; i++) line += `${i === 0 ? 'M' : 'L'}${r(x(ts[i]))} ${r(y(values[i]))}`;
  if (n === 1) line += `L${r(x(ts[0]) + 1)} ${r(y(values[0]))}`;
  const xFirst = r(x(t0));
  const xLast = r(n === 1 ? x(t0) + 1 : x(t1));
  if (spec.kind === 'equity') {
    const gradient = `fill-${spec.group}`;
    parts.unshift(
      `<defs><linearGradient id="${gradient}" x1="0" x2="0" y1="0" y2="1"><stop offset="0" stop-color="#2563eb" stop-opacity="0.22"/><stop offset="1" stop-color="#2563eb" stop-opacity="0.02"/></linearGradient></defs>`,
    );
    parts.push(`<path class="area" fill="url(#${gradient})" d="${line}L${xLast} ${r(plotBottom)}L${xFirst} ${r(plotBottom)}Z"/>`);
    if (spec.baseline !== undefined) {
      const yb = r(y(spec.baseline));
      parts.push(`<line class="baseline" x1="${LEFT}" x2="${CHART_WIDTH - RIGHT}" y1="${yb}" y2="${yb}"/>`);
    }
    parts.push(`<path class="line equity-line" d="${line}"/>`);
  } else {
    const y0 = r(y(0));
    parts.push(`<path class="dd-area" d="${line}L${xLast} ${y0}L${xFirst} ${y0}Z"/>`);
    parts.push(`<path class="line dd-line" d="${line}"/>`);
  }
  parts.push(`<line class="xhair" x1="0" x2="0" y1="${TOP}" y2="${plotBottom}" visibility="hidden"/>`);
  parts.push(`<circle class="dot" r="4" cx="0" cy="0" visibility="hidden"/>`);

  const data = [
    `data-group="${escapeHtml(spec.group)}"`,
    `data-kind="${spec.kind}"`,
    `data-t0="${t0}"`,
    `data-t1="${t1}"`,
    `data-x0="${LEFT}"`,
    `data-x1="${CHART_WIDTH - RIGHT}"`,
    `data-top="${TOP}"`,
    `data-bottom="${plotBottom}"`,
    `data-lo="${lo}"`,
    `data-hi="${hi}"`,
  ].join(' ');
  return `<svg class="chart ${spec.kind}" viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-label="${escapeHtml(spec.ariaLabel)}" ${data}>${parts.join('')}</svg>`;
}

export interface TradeBar {
  readonly value: number;
  readonly title: string;
}

/** One bar per trade (green above zero, red below), each with a native tooltip. */
export function tradeBarsSvg(bars: readonly TradeBar[], height: number, formatTick: (value: number, decimals: number) => string, ariaLabel: string): string {
  let lo = 0;
  let hi = 0;
  for (const b of bars) {
    if (b.value < lo) lo = b.value;
    if (b.value > hi) hi = b.value;
  }
  if (!(hi > lo)) hi = lo + 1;
  const pad = (hi - lo) * 0.06;
  lo -= lo < 0 ? pad : 0;
  hi += hi > 0 ? pad : 0;
  const plotBottom = height - BOTTOM;
  const y = (v: number): number => TOP + ((hi - v) / (hi - lo)) * (plotBottom - TOP);
  const slot = (CHART_WIDTH - LEFT - RIGHT) / Math.max(1, bars.length);
  const gap = slot > 4 ? Math.min(slot * 0.25, 4) : 0;
  const parts: string[] = [];
  const yTicks = valueTicks(lo, hi, 4);
  for (const v of yTicks.ticks) {
    const yy = r(y(v));
    parts.push(`<line class="grid" x1="${LEFT}" x2="${CHART_WIDTH - RIGHT}" y1="${yy}" y2="${yy}"/>`);
    parts.push(`<text class="ylabel" x="${LEFT - 8}" y="${yy}" dy="0.32em" text-anchor="end">${escapeHtml(formatTick(v, yTicks.decimals))}</text>`);
  }
  const y0 = y(0);
  bars.forEach((b, i) => {
    const top = Math.min(y(b.value), y0);
    const h = Math.max(Math.abs(y(b.value) - y0), 0.8);
    const cls = b.value > 0 ? 'win' : b.value < 0 ? 'loss' : 'even';
    parts.push(
      `<rect class="tbar ${cls}" x="${r(LEFT + i * slot + gap / 2)}" y="${r(top)}" width="${r(Math.max(slot - gap, 0.6))}" height="${r(h)}"><title>${escapeHtml(b.title)}</title></rect>`,
    );
  });
  parts.push(`<line class="axis" x1="${LEFT}" x2="${CHART_WIDTH - RIGHT}" y1="${r(y0)}" y2="${r(y0)}"/>`);
  const step = Math.max(1, Math.ceil(bars.length / 10));
  for (let i = 0; i < bars.length; i += step) {
    parts.push(`<text class="xlabel" x="${r(LEFT + (i + 0.5) * slot)}" y="${height - 8}" text-anchor="middle">#${i + 1}</text>`);
  }
  return `<svg class="chart-static trade-bars" viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-label="${escapeHtml(ariaLabel)}">${parts.join('')}</svg>`;
}

/** A histogram of trade results: how many trades fell in each PnL bin, losses red and wins green. */
export function histogramSvg(values: readonly number[], height: number, formatValue: (value: number) => string, ariaLabel: string): string {
  const binCount = 30;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const width = (hi - lo) / binCount;
  const counts = new Array<number>(binCount).fill(0);
  for (const v of values) counts[Math.min(binCount - 1, Math.floor((v - lo) / width))]++;
  const maxCount = counts.reduce((a, b) => Math.max(a, b), 1);
  const plotBottom = height - BOTTOM;
  const slot = (CHART_WIDTH - LEFT - RIGHT) / binCount;
  const y = (c: number): number => TOP + (1 - c / maxCount) * (plotBottom - TOP);
  const parts: string[] = [];
  const yTicks = valueTicks(0, maxCount, 4);
  for (const c of yTicks.ticks) {
    if (c !== Math.round(c)) continue;
    const yy = r(y(c));
    parts.push(`<line class="grid" x1="${LEFT}" x2="${CHART_WIDTH - RIGHT}" y1="${yy}" y2="${yy}"/>`);
    parts.push(`<text class="ylabel" x="${LEFT - 8}" y="${yy}" dy="0.32em" text-anchor="end">${formatNumber(c, 0)}</text>`);
  }
  counts.forEach((c, i) => {
    const from = lo + i * width;
    const to = from + width;
    const cls = to <= 0 ? 'loss' : from >= 0 ? 'win' : from + to > 0 ? 'win' : 'loss';
    const top = y(c);
    parts.push(
      `<rect class="tbar ${cls}" x="${r(LEFT + i * slot + 1)}" y="${r(top)}" width="${r(slot - 2)}" height="${r(plotBottom - top)}"><title>${escapeHtml(`${c} trades from ${formatValue(from)} to ${formatValue(to)}`)}</title></rect>`,
    );
  });
  parts.push(`<line class="axis" x1="${LEFT}" x2="${CHART_WIDTH - RIGHT}" y1="${plotBottom}" y2="${plotBottom}"/>`);
  const labelY = height - 8;
  parts.push(`<text class="xlabel" x="${LEFT}" y="${labelY}" text-anchor="start">${escapeHtml(formatValue(lo))}</text>`);
  parts.push(`<text class="xlabel" x="${CHART_WIDTH - RIGHT}" y="${labelY}" text-anchor="end">${escapeHtml(formatValue(hi))}</text>`);
  if (lo < 0 && hi > 0) {
    const zeroX = LEFT + ((0 - lo) / (hi - lo)) * (CHART_WIDTH - LEFT - RIGHT);
    parts.push(`<line class="zero" x1="${r(zeroX)}" x2="${r(zeroX)}" y1="${TOP}" y2="${plotBottom}"/>`);
    parts.push(`<text class="xlabel" x="${r(zeroX)}" y="${labelY}" text-anchor="middle">0</text>`);
  }
  return `<svg class="chart-static histogram" viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-label="${escapeHtml(ariaLabel)}">${parts.join('')}</svg>`;
}
