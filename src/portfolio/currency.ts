import { ConfigError } from '../core/errors';
import type { ContractBook, ContractSpec } from '../core/types';

/** The latest close of one symbol, shared by every ledger that prices or converts with it. NaN: none yet. */
export interface PriceCell {
  readonly symbol: string;
  last: number;
}

/**
 * How an amount in an instrument's quote currency becomes the account currency. Resolved once per symbol,
 * so a conversion in the hot path is a switch and one multiplication or division.
 * - `same`: quote == account (EURUSD, USD account): × 1.
 * - `ownInverse`: base == account (USDJPY, USD account): ÷ the instrument's own price — the fill price for
 *   realized amounts, the last close for unrealized ones.
 * - `divide`: a pair ACCOUNT/QUOTE trades on the bars stream (EURJPY, USD account: ÷ USDJPY's last close).
 * - `multiply`: a pair QUOTE/ACCOUNT trades on the bars stream (EURUSD, JPY account: × USDJPY's last close).
 */
export type Conversion =
  | { readonly kind: 'same' }
  | { readonly kind: 'ownInverse' }
  | { readonly kind: 'divide'; readonly rate: PriceCell; readonly from: string; readonly to: string; readonly symbol: string }
  | { readonly kind: 'multiply'; readonly rate: PriceCell; readonly from: string; readonly to: string; readonly symbol: string };

const SAME: Conversion = { kind: 'same' };
const OWN_INVERSE: Conversion = { kind: 'ownInverse' };

/**
 * The conversion of `spec`'s quote currency into `accountCurrency`. A cross needs a pair that links the two
 * currencies directly in the contract book (ACCOUNT/QUOTE preferred, then QUOTE/ACCOUNT); without one this is
 * a ConfigError, raised when the symbol is first used, not a guess.
 */
export function resolveConversion(
  spec: ContractSpec,
  accountCurrency: string,
  contracts: ContractBook,
  cellOf: (symbol: string) => PriceCell,
): Conversion {
  const quote = spec.quoteCurrency;
  if (quote === accountCurrency) return SAME;
  if (spec.baseCurrency === accountCurrency) return OWN_INVERSE;
  const symbols = Object.keys(contracts).sort();
  for (const symbol of symbols) {
    const c = contracts[symbol];
    if (c.baseCurrency === accountCurrency && c.quoteCurrency === quote) {
      return { kind: 'divide', rate: cellOf(symbol), from: quote, to: accountCurrency, symbol: spec.symbol };
    }
  }
  for (const symbol of symbols) {
    const c = contracts[symbol];
    if (c.baseCurrency === quote && c.quoteCurrency === accountCurrency) {
      return { kind: 'multiply', rate: cellOf(symbol), from: quote, to: accountCurrency, symbol: spec.symbol };
    }
  }
  throw new ConfigError(
    `cannot convert ${quote} to the account currency ${accountCurrency} for ${spec.symbol}: ` +
      `the contracts define no ${accountCurrency}/${quote} or ${quote}/${accountCurrency} pair to take the rate from`,
  );
}

/**
 * `amount` (quote currency) in the account currency. `ownPrice` is the instrument's price for `ownInverse`
 * (fill price or last close). Zero converts to zero without a rate, so a commission-free opening fill never
 * needs one. A missing rate is an error naming the pair the bars stream must carry.
 */
export function toAccount(amount: number, conversion: Conversion, ownPrice: number): number {
  if (amount === 0) return 0;
  switch (conversion.kind) {
    case 'same':
      return amount;
    case 'ownInverse':
      return amount / ownPrice;
    case 'divide': {
      const rate = conversion.rate.last;
      if (Number.isNaN(rate)) throw missingRate(conversion);
      return amount / rate;
    }
    case 'multiply': {
      const rate = conversion.rate.last;
      if (Number.isNaN(rate)) throw missingRate(conversion);
      return amount * rate;
    }
  }
}

function missingRate(conversion: Extract<Conversion, { readonly kind: 'divide' | 'multiply' }>): ConfigError {
  return new ConfigError(
    `no ${conversion.rate.symbol} price seen yet to convert ${conversion.from} to ${conversion.to} for ${conversion.symbol}: ` +
      `the bars stream must carry ${conversion.rate.symbol} bars from before the first ${conversion.symbol} trade`,
  );
}
