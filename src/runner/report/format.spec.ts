import {
  currencyDecimals,
  escapeHtml,
  formatDuration,
  formatFractionPct,
  formatMoney,
  formatNumber,
  formatPrice,
  formatSigned,
  formatUtc,
  jsonForScript,
} from './format';

describe('report formatting', () => {
  it('groups thousands and fixes decimals', () => {
    expect(formatNumber(1234567.891)).toBe('1,234,567.89');
    expect(formatNumber(-1234.5, 0)).toBe('-1,235');
    expect(formatNumber(999.999)).toBe('1,000.00');
    expect(formatNumber(-0.001)).toBe('0.00');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(formatSigned(12.3)).toBe('+12.30');
    expect(formatSigned(-12.3)).toBe('-12.30');
    expect(formatSigned(0.001)).toBe('0.00');
    expect(formatFractionPct(0.123456)).toBe('12.35 %');
  });

  it('uses the currency minor units', () => {
    expect(currencyDecimals('JPY')).toBe(0);
    expect(currencyDecimals('USD')).toBe(2);
    expect(formatMoney(1234567.5, 'JPY')).toBe('1,234,568 JPY');
    expect(formatMoney(-45.678, 'USD', { signed: true })).toBe('-45.68 USD');
    expect(formatMoney(45.678, 'EUR', { signed: true })).toBe('+45.68 EUR');
  });

  it('formats prices, UTC times and durations', () => {
    expect(formatPrice(150.123)).toBe('150.123');
    expect(formatPrice(150)).toBe('150');
    expect(formatPrice(0.0000001)).toBe('0');
    expect(formatUtc(Date.parse('2024-01-05T01:00:00Z'))).toBe('2024-01-05 01:00');
    expect(formatUtc(Date.parse('2024-01-05T01:00:05Z'))).toBe('2024-01-05 01:00:05');
    expect(formatDuration(8 * 3_600_000 + 55 * 60_000)).toBe('8h 55m');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000)).toBe('3d 4h');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(0)).toBe('0s');
  });

  it('escapes HTML and script-embedded JSON', () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe('&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;');
    const json = jsonForScript({ id: '</script><script>alert(1)</script>' });
    expect(json).not.toMatch(/<\/script/i);
    expect(JSON.parse(json)).toEqual({ id: '</script><script>alert(1)</script>' });
  });
});
