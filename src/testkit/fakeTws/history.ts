import type { WireBar } from './protocol';

/**
 * What the fake TWS makes of a historical-data request's text fields, and the deterministic bars it answers
 * with when a test supplies none.
 */

const BAR_SIZE_SECONDS: Readonly<Record<string, number>> = {
  '1 secs': 1,
  '5 secs': 5,
  '10 secs': 10,
  '15 secs': 15,
  '30 secs': 30,
  '1 min': 60,
  '2 mins': 120,
  '3 mins': 180,
  '5 mins': 300,
  '10 mins': 600,
  '15 mins': 900,
  '20 mins': 1200,
  '30 mins': 1800,
  '1 hour': 3600,
  '2 hours': 7200,
  '3 hours': 10800,
  '4 hours': 14400,
  '8 hours': 28800,
  '1 day': 86400,
};

/** Seconds of a TWS bar size setting ("1 min"), or undefined when TWS would reject it. */
export function barSizeSeconds(setting: string): number | undefined {
  return BAR_SIZE_SECONDS[setting];
}

/**
 * Seconds of a TWS duration ("3600 S", "2 D", "1 W", "1 M", "1 Y"). The fake counts D/W/M/Y in calendar
 * days (TWS counts trading days; a client must not depend on the difference and filter to its own range).
 */
export function durationSeconds(duration: string): number | undefined {
  const m = /^(\d+) ([SDWMY])$/.exec(duration.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { S: 1, D: 86400, W: 7 * 86400, M: 30 * 86400, Y: 365 * 86400 }[m[2] as 'S' | 'D' | 'W' | 'M' | 'Y'];
  return n * unit;
}

/**
 * Epoch ms of an endDateTime: `yyyyMMdd-HH:mm:ss` (UTC), `yyyyMMdd HH:mm:ss UTC`, or empty for "now".
 * Other zones are refused (the fake has no zone database to honour them the way TWS would).
 */
export function parseEndDateTime(text: string, now: number): number | undefined {
  const t = text.trim();
  if (t === '') return now;
  const m = /^(\d{4})(\d{2})(\d{2})(?:-| )(\d{2}):(\d{2}):(\d{2})(?: (UTC|GMT|Etc\/UTC))?$/.exec(t);
  if (!m) return undefined;
  if (t[8] === ' ' && m[7] === undefined) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** `yyyyMMdd HH:mm:ss` in UTC, as TWS formats dates with formatDate=1 when the zone is UTC. */
export function formatTwsDate(ts: number): string {
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export interface GeneratedBar {
  /** Bar start, epoch ms. */
  readonly ts: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * The deterministic price at an instant: a slow sine wave around `base` plus a faster one, rounded to the
 * tick grid. The same instant always has the same price, whatever request asks for it, so overlapping
 * requests agree bar for bar.
 */
export function fakePriceAt(ts: number, base: number, tick: number): number {
  const hours = ts / 3_600_000;
  const p = base * (1 + 0.01 * Math.sin(hours / 24) + 0.002 * Math.sin(hours * 1.7));
  const decimals = Math.max(0, Math.ceil(-Math.log10(tick)));
  return Number((Math.round(p / tick) * tick).toFixed(decimals));
}

/** Bars of `barSec` starting in [startMs, endMs), aligned to multiples of the bar size since the epoch. */
export function generateBars(startMs: number, endMs: number, barSec: number, base = 150, tick = 0.001): GeneratedBar[] {
  const step = barSec * 1000;
  const out: GeneratedBar[] = [];
  for (let ts = Math.ceil(startMs / step) * step; ts < endMs; ts += step) {
    const open = fakePriceAt(ts, base, tick);
    const close = fakePriceAt(ts + step, base, tick);
    const mid = fakePriceAt(ts + step / 2, base, tick);
    out.push({
      ts,
      open,
      high: Math.max(open, close, mid),
      low: Math.min(open, close, mid),
      close,
      volume: 0,
    });
  }
  return out;
}

/** A generated bar as TWS writes it: formatDate 2 → epoch seconds, 1 → `yyyyMMdd HH:mm:ss`. */
export function toWireBar(b: GeneratedBar, formatDate: number, barSec: number): WireBar {
  const date = barSec >= 86400 ? formatTwsDate(b.ts).slice(0, 8) : formatDate === 2 ? String(b.ts / 1000) : formatTwsDate(b.ts);
  // MIDPOINT/BID/ASK bars carry no volume: TWS sends -1.
  return { date, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume || -1, wap: -1, count: -1 };
}
