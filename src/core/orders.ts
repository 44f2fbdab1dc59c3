import { ConfigError } from './errors';
import { DAY_MS, isoUtc, parseWallTime, zoneClock, type ZoneClock } from './time';
import { fromTicks, roundToGrid, toTicks } from './ticks';
import type { BracketSpec, Order, OrderReason, Side, StrategyOutput, TargetPosition, TimeInForce, Trail } from './types';

/** Every order reason, in the order reports list them. */
export const ORDER_REASONS = ['entry', 'exit', 'reverse', 'limit', 'stopEntry', 'stop', 'takeProfit', 'trailingStop'] as const satisfies readonly OrderReason[];

// Fails to compile when core adds a reason this list lacks.
const everyOrderReasonListed: Exclude<OrderReason, (typeof ORDER_REASONS)[number]> extends never ? true : false = true;
void everyOrderReasonListed;

/** Reasons of protective orders: they never count as working, and target changes cancel them. */
const PROTECTIVE: ReadonlySet<OrderReason> = new Set<OrderReason>(['stop', 'takeProfit', 'trailingStop']);

export function isProtectiveReason(reason: OrderReason): boolean {
  return PROTECTIVE.has(reason);
}

/** A protective order: an exit that protects a position (stop-loss, take-profit, trailing stop). */
export function isProtective(order: Pick<Order, 'reason'>): boolean {
  return PROTECTIVE.has(order.reason);
}

/** Suffix of a protective child's id after its parent's: `<parent>.sl`, `<parent>.tp`, `<parent>.trail`. */
export const CHILD_SUFFIX = { stop: 'sl', takeProfit: 'tp', trailingStop: 'trail' } as const;

/**
 * The id of the `sequence`-th order (from 1) a strategy decided at `ts` for `symbol`:
 * `long_into_fix.USDJPY.20240105T010000Z.1` (milliseconds kept when not zero: `…T010000.250Z.1`). Nothing of
 * the process or the run is in it, so the same decision after a restart has the same id (and an order already
 * sent is recognised as such).
 */
export function orderIdOf(strategyId: string, symbol: string, ts: number, sequence: number): string {
  return orderIdsOf(strategyId, symbol)(ts, sequence);
}

/**
 * `orderIdOf` for one strategy and symbol, made once: an id is made on every decision, so the text up to the
 * time of day is kept from the last id of the same day and the time is put together from a table.
 */
export function orderIdsOf(strategyId: string, symbol: string): (ts: number, sequence: number) => string {
  let day = Number.NaN;
  let upToTime = '';
  return (ts, sequence) => {
    const ms = Math.trunc(ts); // as Date reads it
    const d = Math.floor(ms / DAY_MS);
    if (d !== day) {
      const iso = isoUtc(d * DAY_MS);
      upToTime = `${strategyId}.${symbol}.${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T`;
      day = d;
    }
    const inDay = ms - d * DAY_MS;
    const seconds = Math.floor(inDay / 1000);
    const milli = inDay - seconds * 1000;
    const time = upToTime + TWO_DIGITS[Math.floor(seconds / 3600)] + TWO_DIGITS[Math.floor(seconds / 60) % 60] + TWO_DIGITS[seconds % 60];
    return milli === 0 ? `${time}Z.${sequence}` : `${time}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z.${sequence}`;
  };
}

/** '00' … '99'. */
const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : `${n}`));

const clocks = new Map<string, ZoneClock>();

/**
 * When an order decided at `ts` with time in force `tif` stops working: DAY at the first `end` wall time in
 * its zone strictly after `ts` (an order decided at 17:00 sharp is for the next session), GTD at `until`;
 * undefined for GTC and IOC. A bad zone or wall time is a ConfigError naming it.
 */
export function expiryOf(tif: TimeInForce | undefined, ts: number): number | undefined {
  if (tif === undefined || typeof tif === 'string') return undefined;
  if (tif.type === 'GTD') return tif.until;
  let clock = clocks.get(tif.zone);
  let minute: number;
  try {
    clock ??= zoneClock(tif.zone);
    minute = parseWallTime(tif.end);
  } catch (error) {
    throw new ConfigError(`time in force DAY: ${(error as Error).message}`);
  }
  clocks.set(tif.zone, clock);
  const day = clock.localDayIndex(ts);
  const today = clock.utcOf(day, minute);
  return today > ts ? today : clock.utcOf(day + 1, minute);
}

/** A readable time in force: `GTC`, `IOC`, `DAY until 17:00 America/New_York`, `GTD until 2024-…Z`. */
export function describeTif(tif: TimeInForce | undefined): string {
  if (tif === undefined || typeof tif === 'string') return tif ?? 'GTC';
  return tif.type === 'DAY' ? `DAY until ${tif.end} ${tif.zone}` : `GTD until ${isoUtc(tif.until)}`;
}

/**
 * A trailing stop `trail` away from `reference`, on the tick grid: a SELL stop (protecting a long) below it, a
 * BUY stop above. Ticks move on the grid exactly; a percent distance rounds away from the price (a sell stop
 * down, a buy stop up), so the stop is never closer than the percent asks.
 */
export function trailingStopFrom(reference: number, side: Side, trail: Trail, tickSize: number): number {
  if ('ticks' in trail) return fromTicks(toTicks(reference, tickSize) + (side === 'SELL' ? -trail.ticks : trail.ticks), tickSize);
  const distance = (reference * trail.percent) / 100;
  return side === 'SELL' ? roundToGrid(reference - distance, tickSize, 'floor') : roundToGrid(reference + distance, tickSize, 'ceil');
}

/** Why `trail` is not a trailing distance; undefined when it is one. */
export function trailProblem(trail: Trail | undefined): string | undefined {
  if (trail === undefined) return 'a TRAILING order needs trail { ticks } or { percent }';
  if ('ticks' in trail) return Number.isInteger(trail.ticks) && trail.ticks > 0 ? undefined : `trail.ticks must be a whole number > 0, got ${trail.ticks}`;
  return Number.isFinite(trail.percent) && trail.percent > 0 && trail.percent < 100 ? undefined : `trail.percent must be > 0 and < 100, got ${trail.percent}`;
}

const positive = (value: number | undefined): boolean => value !== undefined && Number.isFinite(value) && value > 0;

/** Why `order`'s prices do not fit its type; undefined when they do. */
export function orderPriceProblem(order: Order): string | undefined {
  switch (order.type) {
    case 'MARKET':
      return undefined;
    case 'LIMIT':
      return positive(order.limitPrice) ? undefined : 'a LIMIT order needs limitPrice > 0';
    case 'STOP':
      return positive(order.stopPrice) ? undefined : 'a STOP order needs stopPrice > 0';
    case 'STOP_LIMIT':
      return positive(order.stopPrice) && positive(order.limitPrice) ? undefined : 'a STOP_LIMIT order needs stopPrice > 0 and limitPrice > 0';
    case 'TRAILING':
      return positive(order.stopPrice) ? trailProblem(order.trail) : 'a TRAILING order needs its initial stopPrice > 0';
  }
}

/**
 * Why an order moving `held` units (position and working orders, signed) by `delta` exists: `entry` when it
 * opens or adds, `exit` when it reduces or closes, `reverse` when it crosses zero.
 */
export function reasonOfChange(held: number, delta: number): 'entry' | 'exit' | 'reverse' {
  const after = held + delta;
  if (Math.abs(held) < 1e-9 || (Math.sign(after) === Math.sign(held) && Math.abs(after) > Math.abs(held))) return 'entry';
  return Math.abs(after) < 1e-9 || Math.sign(after) === Math.sign(held) ? 'exit' : 'reverse';
}

/** A target position (`kind` absent or 'target') rather than an order intent. */
export function isTarget<T extends StrategyOutput>(output: T): output is Extract<T, TargetPosition> {
  return output.kind === undefined || output.kind === 'target';
}

/** The fields of `bracket` that are given, among `keys`. */
function given(bracket: BracketSpec, keys: readonly (keyof BracketSpec)[]): (keyof BracketSpec)[] {
  return keys.filter((k) => bracket[k] !== undefined);
}

/** Why `bracket` is not one; undefined when it is. */
export function bracketProblem(bracket: BracketSpec): string | undefined {
  const stops = given(bracket, ['stopLossTicks', 'stopLossPrice', 'trailingStopTicks', 'trailingStopPercent']);
  const profits = given(bracket, ['takeProfitTicks', 'takeProfitPrice']);
  if (stops.length + profits.length === 0) return 'a bracket needs a stop-loss, a trailing stop or a take-profit';
  if (stops.length > 1) return `one stop per bracket: ${stops.join(' and ')} given`;
  if (profits.length > 1) return `one take-profit per bracket: ${profits.join(' and ')} given`;
  for (const key of given(bracket, ['stopLossTicks', 'takeProfitTicks', 'trailingStopTicks'])) {
    const ticks = bracket[key] as number;
    if (!Number.isInteger(ticks) || ticks <= 0) return `${key} must be a whole number of ticks > 0, got ${ticks}`;
  }
  for (const key of given(bracket, ['stopLossPrice', 'takeProfitPrice'])) {
    const price = bracket[key] as number;
    if (!Number.isFinite(price) || price <= 0) return `${key} must be a price > 0, got ${price}`;
  }
  const percent = bracket.trailingStopPercent;
  if (percent !== undefined && !(percent > 0 && percent < 100)) return `trailingStopPercent must be > 0 and < 100, got ${percent}`;
  return undefined;
}
