import { ConfigError } from '../core/errors';
import { isoUtc } from '../core/time';
import type { ContractBook, ContractSpec } from '../core/types';

/**
 * The latest close of one symbol, shared by every ledger that prices or converts with it. NaN: none yet.
 * A symbol other instruments convert through also keeps its recent closes (`history`), so a fill is converted
 * at the rate of its own time, never at a close that came after it.
 */
export interface PriceCell {
  readonly symbol: string;
  last: number;
  /** Close time of `last` (epoch ms); NaN before the first mark. */
  lastTs: number;
  /** The close before `last` and its time, until the cell keeps a `history`: what a history starts from. */
  previous: number;
  previousTs: number;
  history: RateHistory | undefined;
}

/**
 * Recent closes of a rate symbol, oldest first, from `head` on: every close within the longest bar interval
 * seen of the latest one, and the last close before that window. A fill is never older than the start of the
 * bar being settled, and bars come in close-time order, so the close a fill needs is always kept.
 */
export interface RateHistory {
  readonly ts: number[];
  readonly price: number[];
  head: number;
  /** Closes were dropped from the front: a fill older than every kept close takes the oldest kept one. */
  trimmed: boolean;
}

/** Dropped closes are spliced off in chunks, not one by one. */
const HISTORY_COMPACT_AT = 4096;

/**
 * One step of a conversion: an amount in one currency becomes another through `pair`, × its price (the
 * amount is in the pair's base currency) or ÷ it (in its quote currency). `cell` undefined: the pair is the
 * instrument itself, whose own price is used (the fill price for realized amounts, the last close for
 * unrealized ones).
 */
export interface ConversionLeg {
  readonly pair: string;
  readonly cell: PriceCell | undefined;
  readonly divide: boolean;
}

/**
 * How an amount in an instrument's quote currency becomes the account currency. Resolved once per symbol,
 * so a conversion in the hot path is a switch and one or two multiplications or divisions.
 * - `same`: quote == account (EURUSD, USD account): × 1.
 * - `ownInverse`: base == account (USDJPY, USD account): ÷ the instrument's own price.
 * - `legs`: through other pairs' closes, the fewest steps the symbols at hand allow (EURJPY, USD account:
 *   ÷ USDJPY; USDJPY, EUR account with EURUSD loaded: ÷ USDJPY's own price, then ÷ EURUSD).
 */
export type Conversion =
  | { readonly kind: 'same' }
  | { readonly kind: 'ownInverse' }
  | { readonly kind: 'legs'; readonly legs: readonly ConversionLeg[]; readonly from: string; readonly to: string; readonly symbol: string };

const SAME: Conversion = { kind: 'same' };
const OWN_INVERSE: Conversion = { kind: 'ownInverse' };

/** A fresh cell for `symbol`: no price yet. */
export function newPriceCell(symbol: string): PriceCell {
  return { symbol, last: Number.NaN, lastTs: Number.NaN, previous: Number.NaN, previousTs: Number.NaN, history: undefined };
}

/**
 * The conversion of `spec`'s quote currency into `accountCurrency`: the shortest chain of pairs from the quote
 * currency to the account currency (ties broken by the pairs' names, so the choice is fixed). `priced` is the
 * set of symbols whose bars the stream carries: only their closes can be rates. Without it every contract may
 * be a rate (live, or a stream not known in advance), and a rate never seen is an error at its first use.
 * No chain is a ConfigError, raised when the symbol is first tracked (the start of a run), not a guess.
 */
export function resolveConversion(
  spec: ContractSpec,
  accountCurrency: string,
  contracts: ContractBook,
  cellOf: (symbol: string) => PriceCell,
  priced?: ReadonlySet<string>,
): Conversion {
  const quote = spec.quoteCurrency;
  if (quote === accountCurrency) return SAME;
  if (spec.baseCurrency === accountCurrency) return OWN_INVERSE;
  const path = conversionPath(spec, accountCurrency, contracts, priced);
  if (path === undefined) throw noConversion(spec, accountCurrency, contracts, priced);
  const legs = path.map(({ pair, divide }): ConversionLeg => {
    if (pair === spec.symbol) return { pair, cell: undefined, divide };
    const cell = cellOf(pair);
    if (cell.history === undefined) {
      // A cell that becomes a rate after its first marks (a book rebuilt from a journal) starts from the two
      // closes it kept: what came before them is unknown, so an older fill takes the oldest of them (a journal
      // written before fills were converted at their own time holds only the latest mark).
      const history: RateHistory = { ts: [], price: [], head: 0, trimmed: !Number.isNaN(cell.last) };
      for (const [ts, price] of [[cell.previousTs, cell.previous], [cell.lastTs, cell.last]] as const) {
        if (Number.isNaN(price)) continue;
        history.ts.push(ts);
        history.price.push(price);
      }
      cell.history = history;
    }
    return { pair, cell, divide };
  });
  return { kind: 'legs', legs, from: quote, to: accountCurrency, symbol: spec.symbol };
}

/** In words, for a run's notes: `JPY → USD for EURJPY: ÷ USDJPY`. */
export function describeConversion(spec: ContractSpec, accountCurrency: string, contracts: ContractBook, priced?: ReadonlySet<string>): string {
  const head = `${spec.quoteCurrency} → ${accountCurrency} for ${spec.symbol}`;
  if (spec.quoteCurrency === accountCurrency) return `${head}: none (quoted in ${accountCurrency})`;
  if (spec.baseCurrency === accountCurrency) return `${head}: ÷ its own price`;
  const path = conversionPath(spec, accountCurrency, contracts, priced);
  if (path === undefined) throw noConversion(spec, accountCurrency, contracts, priced);
  return `${head}: ${path.map(({ pair, divide }) => `${divide ? '÷' : '×'} ${pair === spec.symbol ? 'its own price' : pair}`).join(', then ')}`;
}

interface PathStep {
  readonly pair: string;
  readonly divide: boolean;
}

/** Breadth-first over currencies, the pairs (sorted by name) as edges: the fewest legs, always the same ones. */
function conversionPath(spec: ContractSpec, accountCurrency: string, contracts: ContractBook, priced: ReadonlySet<string> | undefined): PathStep[] | undefined {
  const pairs = [...new Set([spec.symbol, ...(priced ?? Object.keys(contracts))])]
    .filter((symbol) => contracts[symbol] !== undefined)
    .sort();
  const via = new Map<string, { readonly from: string; readonly step: PathStep } | null>([[spec.quoteCurrency, null]]);
  let frontier = [spec.quoteCurrency];
  while (frontier.length > 0 && !via.has(accountCurrency)) {
    const next: string[] = [];
    for (const currency of frontier) {
      for (const pair of pairs) {
        const c = contracts[pair];
        // An amount in the quote currency is ÷ price in the base currency; in the base currency × price in the quote.
        const to = c.quoteCurrency === currency ? c.baseCurrency : c.baseCurrency === currency ? c.quoteCurrency : undefined;
        if (to === undefined || via.has(to)) continue;
        via.set(to, { from: currency, step: { pair, divide: c.quoteCurrency === currency } });
        next.push(to);
      }
    }
    frontier = next;
  }
  if (!via.has(accountCurrency)) return undefined;
  const steps: PathStep[] = [];
  for (let at = via.get(accountCurrency); at !== null && at !== undefined; at = via.get(at.from)) steps.unshift(at.step);
  return steps;
}

function noConversion(spec: ContractSpec, accountCurrency: string, contracts: ContractBook, priced: ReadonlySet<string> | undefined): ConfigError {
  const quote = spec.quoteCurrency;
  if (priced === undefined) {
    return new ConfigError(
      `cannot convert ${quote} to the account currency ${accountCurrency} for ${spec.symbol}: ` +
        `the contracts define no ${accountCurrency}/${quote} or ${quote}/${accountCurrency} pair to take the rate from`,
    );
  }
  const direct = Object.keys(contracts)
    .filter((s) => {
      const c = contracts[s];
      return (c.baseCurrency === accountCurrency && c.quoteCurrency === quote) || (c.baseCurrency === quote && c.quoteCurrency === accountCurrency);
    })
    .sort();
  const hint = direct.length > 0 ? `load ${direct.join(' or ')} bars beside it` : `load bars of pairs linking ${quote} to ${accountCurrency}`;
  return new ConfigError(
    `cannot convert ${quote} to the account currency ${accountCurrency} for ${spec.symbol}: ` +
      `no rate can be derived from the symbols loaded (${[...priced].sort().join(', ')}); ${hint}`,
  );
}

/**
 * Records a rate symbol's close (`ts` its close time); `windowMs` is the longest bar interval seen, the
 * furthest back a fill on a later bar can be.
 */
export function recordRate(history: RateHistory, ts: number, price: number, windowMs: number): void {
  history.ts.push(ts);
  history.price.push(price);
  const keepFrom = ts - windowMs;
  const times = history.ts;
  while (history.head + 1 < times.length && times[history.head + 1] <= keepFrom) {
    history.head++;
    history.trimmed = true;
  }
  if (history.head >= HISTORY_COMPACT_AT) {
    times.splice(0, history.head);
    history.price.splice(0, history.head);
    history.head = 0;
  }
}

/**
 * `amount` (quote currency) in the account currency. `ownPrice` is the instrument's price (fill price or last
 * close). `atTs`: a fill's time, whose amounts take each rate's last close at or before it; NaN (a mark, a
 * valuation now): each rate's latest close. Zero converts to zero without a rate, so a commission-free opening
 * fill never needs one. A missing rate is an error naming the pair the bars stream must carry.
 */
export function toAccount(amount: number, conversion: Conversion, ownPrice: number, atTs = Number.NaN): number {
  if (amount === 0) return 0;
  switch (conversion.kind) {
    case 'same':
      return amount;
    case 'ownInverse':
      return amount / ownPrice;
    case 'legs': {
      let value = amount;
      const legs = conversion.legs;
      for (let i = 0; i < legs.length; i++) {
        const leg = legs[i];
        const rate = leg.cell === undefined ? ownPrice : Number.isNaN(atTs) ? leg.cell.last : rateAt(leg.cell, atTs);
        if (Number.isNaN(rate)) throw missingRate(conversion, leg.pair, leg.cell, atTs);
        value = leg.divide ? value / rate : value * rate;
      }
      return value;
    }
  }
}

/** The cell's last close at or before `ts`: NaN when it has none (unless older ones were dropped: the oldest kept). */
function rateAt(cell: PriceCell, ts: number): number {
  const history = cell.history;
  if (history === undefined) return cell.last;
  const times = history.ts;
  for (let i = times.length - 1; i >= history.head; i--) if (times[i] <= ts) return history.price[i];
  return history.trimmed && times.length > history.head ? history.price[history.head] : Number.NaN;
}

function missingRate(conversion: Extract<Conversion, { readonly kind: 'legs' }>, pair: string, cell: PriceCell | undefined, atTs: number): ConfigError {
  const what = `to convert ${conversion.from} to ${conversion.to} for ${conversion.symbol}`;
  if (cell !== undefined && !Number.isNaN(cell.last) && !Number.isNaN(atTs)) {
    return new ConfigError(
      `no ${pair} price at or before ${isoUtc(atTs)} ${what}: its first bar closed at ${isoUtc(cell.history?.ts[0] ?? cell.lastTs)}; ` +
        `a fill is never converted at a later rate, so the ${pair} bars must start before the first ${conversion.symbol} trade`,
    );
  }
  return new ConfigError(`no ${pair} price seen yet ${what}: the bars stream must carry ${pair} bars from before the first ${conversion.symbol} trade`);
}
