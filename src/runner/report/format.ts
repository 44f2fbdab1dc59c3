/**
 * Display formatting for reports: deterministic (no host locale or time zone), rounding only for display.
 * Times are shown in UTC.
 */

/** `1234567.891` → `1,234,567.89` (decimals fixed, comma thousands, `−` only when the shown value is not 0). */
export function formatNumber(value: number, decimals = 2): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '∞' : '-∞';
  const fixed = Math.abs(value).toFixed(decimals);
  const [whole, fraction] = fixed.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const negative = value < 0 && /[1-9]/.test(fixed);
  return `${negative ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** Like `formatNumber`, with an explicit `+` on positive values. */
export function formatSigned(value: number, decimals = 2): string {
  const text = formatNumber(value, decimals);
  return value > 0 && /[1-9]/.test(text) ? `+${text}` : text;
}

/** A fraction as a percentage: `0.1234` → `12.34 %`. */
export function formatFractionPct(fraction: number, decimals = 2): string {
  return `${formatNumber(fraction * 100, decimals)} %`;
}

const decimalsCache = new Map<string, number>();

/** Minor-unit digits of an ISO currency (JPY 0, USD 2), from the runtime's ICU data; 2 when unknown. */
export function currencyDecimals(currency: string): number {
  let digits = decimalsCache.get(currency);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    decimalsCache.set(currency, digits);
  }
  return digits;
}

/** An amount with its currency's minor units: `-1,234.50 USD`, `125,000 JPY`. */
export function formatMoney(value: number, currency: string, options: { signed?: boolean } = {}): string {
  const digits = currencyDecimals(currency);
  return `${options.signed ? formatSigned(value, digits) : formatNumber(value, digits)} ${currency}`;
}

/** A price without trailing zeros, up to 6 decimals: `150.1230` → `150.123`. */
export function formatPrice(value: number): string {
  if (!Number.isFinite(value)) return formatNumber(value);
  const text = value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return text === '-0' ? '0' : text;
}

/** `2024-01-05 01:00` (UTC, minutes; seconds when not zero). */
export function formatUtc(ts: number): string {
  const iso = new Date(ts).toISOString();
  const seconds = iso.slice(17, 23);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${seconds === '00.000' ? '' : `:${seconds.replace(/\.000$/, '')}`}`;
}

/** `2024-01-05` (UTC). */
export function formatUtcDate(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

/** A duration: `8h 55m`, `3d 4h`, `45s`, `0s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.round(Math.abs(ms) / 1000);
  const days = Math.floor(rest / 86_400);
  rest -= days * 86_400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest - minutes * 60;
  const parts: string[] = [];
  if (days > 0) parts.push(`${days}d`);
  if (hours > 0) parts.push(`${hours}h`);
  if (minutes > 0 && days === 0) parts.push(`${minutes}m`);
  if (seconds > 0 && days === 0 && hours === 0) parts.push(`${seconds}s`);
  return `${sign}${parts.length > 0 ? parts.join(' ') : '0s'}`;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** JSON that is safe inside `<script type="application/json">` (no `</script>`, no `<!--`). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
