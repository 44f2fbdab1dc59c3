/**
 * Prices on a contract's tick grid, in integer arithmetic: a price becomes a whole number of ticks, moves by
 * whole ticks, and comes back as the double nearest the grid price. So EURUSD 1.10000 − 3 ticks of 0.00001 is
 * exactly the double of 1.09997, never 1.0999700000000001 (`1.1 - 3 * 0.00001`).
 */

/** How many ticks make one price unit when that is a whole number (0.001 → 1000); 0 otherwise. */
function ticksPerUnit(tickSize: number): number {
  if (tickSize >= 1) return 0;
  const perUnit = Math.round(1 / tickSize);
  return Math.abs(perUnit * tickSize - 1) < 1e-9 ? perUnit : 0;
}

/** The whole number of ticks nearest `price`. */
export function toTicks(price: number, tickSize: number): number {
  const perUnit = ticksPerUnit(tickSize);
  return perUnit > 0 ? Math.round(price * perUnit) : Math.round(price / tickSize);
}

/** The price of a whole number of ticks (one division: the double nearest the grid price). */
export function fromTicks(ticks: number, tickSize: number): number {
  const perUnit = ticksPerUnit(tickSize);
  return perUnit > 0 ? ticks / perUnit : ticks * tickSize;
}

/** `price` rounded to the grid, moved by `ticks` (signed). */
export function offsetTicks(price: number, ticks: number, tickSize: number): number {
  return fromTicks(toTicks(price, tickSize) + ticks, tickSize);
}

/**
 * `price` moved by `ticks`: a price on the grid (within a millionth of a tick) moves on the grid; one off it
 * (a percent-trailed level) keeps its offset from the grid.
 */
export function addTicks(price: number, ticks: number, tickSize: number): number {
  const perUnit = ticksPerUnit(tickSize);
  if (perUnit > 0) {
    const scaled = price * perUnit;
    const onGrid = Math.round(scaled);
    const base = Math.abs(scaled - onGrid) < 1e-6 ? onGrid : scaled;
    return (base + ticks) / perUnit;
  }
  return price + ticks * tickSize;
}

/** The grid price at or below `price` (`floor`) or at or above it (`ceil`); within a millionth of a tick counts as on it. */
export function roundToGrid(price: number, tickSize: number, direction: 'floor' | 'ceil'): number {
  const perUnit = ticksPerUnit(tickSize);
  const scaled = perUnit > 0 ? price * perUnit : price / tickSize;
  const nearest = Math.round(scaled);
  const ticks = Math.abs(scaled - nearest) < 1e-6 ? nearest : direction === 'floor' ? Math.floor(scaled) : Math.ceil(scaled);
  return fromTicks(ticks, tickSize);
}
