/** Number and time formatting for the pages: fixed locale (en-US grouping), UTC, so every screen reads alike. */

const cache = new Map<number, Intl.NumberFormat>();

function formatter(decimals: number): Intl.NumberFormat {
  let f = cache.get(decimals);
  if (f === undefined) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    cache.set(decimals, f);
  }
  return f;
}

/** Minor units of a currency: JPY, KRW and friends have none. */
export function currencyDecimals(currency: string): number {
  return ['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'HUF'].includes(currency) ? 0 : 2;
}

export function formatNumber(value: number, decimals: number): string {
  return Number.isFinite(value) ? formatter(decimals).format(value === 0 ? 0 : value) : '–';
}

export function formatSigned(value: number, decimals: number): string {
  const text = formatNumber(value, decimals);
  return value > 0 && Number.isFinite(value) ? `+${text}` : text;
}

export function formatMoney(value: number, currency: string, signed = false): string {
  const decimals = currencyDecimals(currency);
  return `${signed ? formatSigned(value, decimals) : formatNumber(value, decimals)} ${currency}`;
}

/** Enough decimals for FX prices (5 under 10, 3 under 1,000, 2 above). */
export function formatPrice(price: number): string {
  const abs = Math.abs(price);
  return formatNumber(price, abs < 10 ? 5 : abs < 1000 ? 3 : 2);
}

/** `2024-01-05 09:55:00` (UTC). */
export function formatUtc(ts: number, seconds = true): string {
  const iso = new Date(ts).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, seconds ? 19 : 16)}`;
}

/** 'pos' / 'neg' / '' for colouring a signed figure. */
export function tone(value: number): string {
  return value > 0 ? 'pos' : value < 0 ? 'neg' : '';
}
