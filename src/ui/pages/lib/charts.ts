import {
  CandlestickSeries,
  ColorType,
  createChart,
  CrosshairMode,
  type CandlestickData,
  type DeepPartial,
  type IChartApi,
  type ChartOptions,
  type UTCTimestamp,
} from 'lightweight-charts';

/** One look for every chart of the dashboard and the report (lightweight-charts, time axis in UTC). */
export const COLOURS = {
  up: '#15803d',
  down: '#c2261d',
  buy: '#2563eb',
  sell: '#c2410c',
  line: '#1d4ed8',
  drawdown: '#c2261d',
  grid: '#eef0f4',
  text: '#3b4252',
} as const;

/**
 * The colour of an exit marker by the reason of the order that filled (the engine's order reasons): a target
 * change (`exit`, `reverse`) grey, a stop-loss red, a take-profit green, a trailing stop amber, a strategy's own
 * limit or stop order teal or purple; an unknown reason gets the neutral colour.
 */
const REASON_COLOURS: Readonly<Record<string, string>> = {
  exit: '#6b7280',
  reverse: '#6b7280',
  stop: '#c2261d',
  takeProfit: '#15803d',
  trailingStop: '#b45309',
  limit: '#0f766e',
  stopEntry: '#7c3aed',
};

export function reasonColour(reason: string): string {
  return REASON_COLOURS[reason] ?? '#475569';
}

export function toTime(ms: number): UTCTimestamp {
  return Math.floor(ms / 1000) as UTCTimestamp;
}

export function baseChart(container: HTMLElement, height: number, options: DeepPartial<ChartOptions> = {}): IChartApi {
  return createChart(container, {
    height,
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: '#ffffff' }, textColor: COLOURS.text, fontSize: 11, attributionLogo: true },
    grid: { vertLines: { color: COLOURS.grid }, horzLines: { color: COLOURS.grid } },
    crosshair: { mode: CrosshairMode.Normal },
    rightPriceScale: { borderVisible: false },
    timeScale: { borderVisible: false, timeVisible: true, secondsVisible: false },
    localization: { locale: 'en-US', dateFormat: 'yyyy-MM-dd' },
    ...options,
  });
}

export function addCandles(chart: IChartApi, pricePrecision: number) {
  return chart.addSeries(CandlestickSeries, {
    upColor: COLOURS.up,
    downColor: COLOURS.down,
    borderVisible: false,
    wickUpColor: COLOURS.up,
    wickDownColor: COLOURS.down,
    priceFormat: { type: 'price', precision: pricePrecision, minMove: 1 / 10 ** pricePrecision },
  });
}

export type Candle = CandlestickData<UTCTimestamp>;

/** Decimals that show a price series exactly enough (5 under 10, 3 under 1,000, 2 above). */
export function pricePrecisionFor(price: number): number {
  const abs = Math.abs(price);
  return abs < 10 ? 5 : abs < 1000 ? 3 : 2;
}
