/**
 * Writes the test and demo fixtures: `npm run fixtures [-- <outDir>]`.
 *
 * fixtures/usdjpy.parquet — synthetic 1-minute USDJPY bars, 2024-01-01T00:00Z to 2024-07-01T00:00Z:
 * - PRNG: mulberry32 seeded with SEED = 20240101 (below); normals by Box–Muller. Same seed → same bytes.
 * - FX week only: a minute is traded from Sunday 22:00 UTC to Friday 22:00 UTC.
 * - Geometric Brownian motion, ~8 % a year: σ per minute = 0.08 / √(5 × 1440 × 52). Each minute is four
 *   15-second steps; high/low are the extremes of that path, open is the previous close.
 * - Every price (open, high, low, close) on the 0.001 grid. Rounding is monotonic, so low ≤ open/close ≤ high
 *   still holds after it.
 * - Gotobi days (src/strategy/gotobiDays.ts, JST calendar): from 09:00 to 09:55 JST an upward drift of
 *   GOTOBI_DRIFT in total (log return), the pre-fix dollar buying the demo strategy looks for.
 * - A minute is missing with probability MISSING_MINUTE_P (the walk goes on underneath), a weekend opens
 *   with a small gap.
 * - Volume: integer tick counts, busier in the London and New York sessions.
 *
 * fixtures/eurusd.parquet, fixtures/eurjpy.parquet — the two other legs of the USDJPY triangle for January 2024
 * (multi-symbol replays): EURUSD its own seeded walk (EUR_SEED), EURJPY = EURUSD × USDJPY of the same minute
 * within a few ticks (CROSS_NOISE_TICKS), each with gaps of its own (see `eurBars`).
 *
 * fixtures/bad/ — small files each breaking one rule, for the data layer's error tests (see fixtures/README.md).
 *
 * fixtures/samples/ — one canonical set of bars and the same bars as each vendor writes them (vendorSamples.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quotedString } from '@duckdb/node-api';
import { Command } from 'commander';
import { EXIT_OK, PROCESS_IO, parseArgs, reportError, runMain, writeLine, type CliIo } from '../src/cli/io';
import type { Bar } from '../src/core/types';
import { DAY_MS, HOUR_MS, MINUTE_MS, zoneClock } from '../src/core/time';
import { makeBar } from '../src/data/bar';
import { writeBarsParquet } from '../src/data/dataStore';
import { withConnection } from '../src/data/duckdb';
import { isGotobiDay } from '../src/strategy/gotobiDays';
import { mulberry32 } from './random';
import { writeSamples } from './vendorSamples';

export { mulberry32 };

export const SEED = 20240101;
export const START = Date.UTC(2024, 0, 1);
export const END = Date.UTC(2024, 6, 1);
export const START_PRICE = 141.0;
export const ANNUAL_VOLATILITY = 0.08;
export const SIGMA_PER_MINUTE = ANNUAL_VOLATILITY / Math.sqrt(5 * 1440 * 52);
export const GOTOBI_DRIFT = 0.0006;
export const MISSING_MINUTE_P = 1 / 5000;
/** The 0.001 price grid, as ticks per yen (dividing by an integer gives the closest double to k/1000). */
const TICKS_PER_YEN = 1000;
const STEPS_PER_MINUTE = 4;
const GOTOBI_FROM_MINUTE = 9 * 60;
const GOTOBI_TO_MINUTE = 9 * 60 + 55;

function normals(uniform: () => number): () => number {
  let spare = Number.NaN;
  return () => {
    if (spare === spare) {
      const z = spare;
      spare = Number.NaN;
      return z;
    }
    const u = 1 - uniform(); // (0, 1]: log stays finite
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Sunday 22:00 UTC to Friday 22:00 UTC. */
export function isFxOpen(ts: number): boolean {
  const weekday = (Math.floor(ts / DAY_MS) + 4) % 7; // 1970-01-01 was a Thursday
  const hour = Math.floor((ts % DAY_MS) / HOUR_MS);
  if (weekday === 6) return false;
  if (weekday === 0) return hour >= 22;
  if (weekday === 5) return hour < 22;
  return true;
}

/** Relative activity by UTC hour: Tokyo, London, the London/New York overlap, the late lull. */
function activity(ts: number): number {
  const hour = Math.floor((ts % DAY_MS) / HOUR_MS);
  if (hour < 7) return 0.8;
  if (hour < 12) return 1.2;
  if (hour < 16) return 1.5;
  if (hour < 21) return 0.9;
  return 0.4;
}

function onGrid(price: number): number {
  return Math.round(price * TICKS_PER_YEN) / TICKS_PER_YEN;
}

/** The PRNG seed of the vendor samples' walk (its own, so the demo series is not disturbed). */
export const SAMPLE_SEED = 20240310;

/** Two windows around the 2024 US daylight-saving changes (10 March, 3 November): a Friday close, a Sunday open. */
export const SAMPLE_WINDOWS: readonly (readonly [number, number])[] = [
  [Date.UTC(2024, 2, 8, 20), Date.UTC(2024, 2, 11, 2)],
  [Date.UTC(2024, 10, 1, 20), Date.UTC(2024, 10, 4, 2)],
];

/** The canonical bars of fixtures/samples/: every vendor sample holds these. */
export function sampleBars(): Bar[] {
  return SAMPLE_WINDOWS.flatMap(([start, end], i) => [...walkBars(SAMPLE_SEED + i, start, end, 147 + i * 5)]);
}

/** The demo series, deterministic for a seed. */
export function usdJpyBars(seed = SEED): Generator<Bar> {
  return walkBars(seed, START, END, START_PRICE);
}

/** The demo series' walk (see the file comment) from `start` to `end`, for any seed and window. */
export function* walkBars(seed: number, start: number, end: number, startPrice: number): Generator<Bar> {
  const uniform = mulberry32(seed);
  const normal = normals(uniform);
  const tokyo = zoneClock('Asia/Tokyo');
  const stepSigma = SIGMA_PER_MINUTE / Math.sqrt(STEPS_PER_MINUTE);
  let price = startPrice;
  let wasOpen = true;
  for (let ts = start; ts < end; ts += MINUTE_MS) {
    if (!isFxOpen(ts)) {
      wasOpen = false;
      continue;
    }
    if (!wasOpen) {
      price *= Math.exp(SIGMA_PER_MINUTE * 10 * normal()); // the weekend's news
      wasOpen = true;
    }
    const minute = tokyo.localMinuteOfDay(ts);
    const gotobi = minute >= GOTOBI_FROM_MINUTE && minute < GOTOBI_TO_MINUTE && isGotobiDay(tokyo.localDayIndex(ts));
    const drift = gotobi ? GOTOBI_DRIFT / (GOTOBI_TO_MINUTE - GOTOBI_FROM_MINUTE) / STEPS_PER_MINUTE : 0;
    const open = price;
    let high = price;
    let low = price;
    for (let s = 0; s < STEPS_PER_MINUTE; s++) {
      price *= Math.exp(drift - (stepSigma * stepSigma) / 2 + stepSigma * normal());
      if (price > high) high = price;
      if (price < low) low = price;
    }
    const volume = Math.max(1, Math.round(120 * activity(ts) * Math.exp(0.35 * normal())));
    if (uniform() < MISSING_MINUTE_P) continue;
    yield makeBar('USDJPY', ts, MINUTE_MS, onGrid(open), onGrid(high), onGrid(low), onGrid(price), volume);
  }
}

/** The seed of the EUR legs' walk and noise (their own, so the USDJPY series is not disturbed). */
export const EUR_SEED = 20240102;
/** The EUR legs cover January 2024: small, and enough for crosses, gaps and weekends. */
export const EUR_END = Date.UTC(2024, 1, 1);
export const EURUSD_START_PRICE = 1.104;
export const EURUSD_ANNUAL_VOLATILITY = 0.07;
/** EURJPY's close is EURUSD × USDJPY of the same minute, moved by up to this many 0.001 ticks (its own quotes). */
export const CROSS_NOISE_TICKS = 2;
/** Each leg misses minutes of its own: EURUSD rarely, EURJPY more often, and EURJPY pauses 21:00–21:05 UTC daily. */
export const EURUSD_MISSING_MINUTE_P = 1 / 3000;
export const EURJPY_MISSING_MINUTE_P = 1 / 400;
const EURJPY_PAUSE_FROM_MINUTE = 21 * 60;
const EURJPY_PAUSE_TO_MINUTE = 21 * 60 + 5;
const EURUSD_TICKS = 100_000;

/**
 * EURUSD and EURJPY 1-minute bars from 2024-01-01 to `EUR_END`, consistent with the USDJPY demo series:
 * - EURUSD: geometric Brownian motion (EURUSD_ANNUAL_VOLATILITY), four steps a minute, on the 0.00001 grid,
 *   in the same FX week as USDJPY;
 * - EURJPY: open/high/low/close = EURUSD's × USDJPY's of the same minute (USDJPY's last close where its minute is
 *   missing), each moved by up to CROSS_NOISE_TICKS, on the 0.001 grid (low ≤ open/close ≤ high kept);
 * - gaps: each leg drops minutes with its own probability, EURJPY also pauses 21:00–21:05 UTC every day, so the
 *   three files never have the same minutes (a replay of all three must not line them up on a master clock).
 */
export function eurBars(seed = EUR_SEED): { readonly eurusd: Bar[]; readonly eurjpy: Bar[] } {
  const uniform = mulberry32(seed);
  const normal = normals(uniform);
  const sigma = EURUSD_ANNUAL_VOLATILITY / Math.sqrt(5 * 1440 * 52);
  const stepSigma = sigma / Math.sqrt(STEPS_PER_MINUTE);
  const usdjpy = new Map<number, Bar>();
  for (const bar of usdJpyBars()) {
    if (bar.ts >= EUR_END) break;
    usdjpy.set(bar.ts, bar);
  }
  const eurusd: Bar[] = [];
  const eurjpy: Bar[] = [];
  let price = EURUSD_START_PRICE;
  let lastUsdJpy: Bar | undefined;
  const onEurUsdGrid = (p: number): number => Math.round(p * EURUSD_TICKS) / EURUSD_TICKS;
  const noisy = (p: number): number => onGrid(p + (Math.floor(uniform() * (2 * CROSS_NOISE_TICKS + 1)) - CROSS_NOISE_TICKS) / TICKS_PER_YEN);
  for (let ts = START; ts < EUR_END; ts += MINUTE_MS) {
    if (!isFxOpen(ts)) continue;
    const open = price;
    let high = price;
    let low = price;
    for (let s = 0; s < STEPS_PER_MINUTE; s++) {
      price *= Math.exp(-(stepSigma * stepSigma) / 2 + stepSigma * normal());
      if (price > high) high = price;
      if (price < low) low = price;
    }
    const volume = Math.max(1, Math.round(100 * activity(ts) * Math.exp(0.35 * normal())));
    if (uniform() >= EURUSD_MISSING_MINUTE_P) {
      eurusd.push(makeBar('EURUSD', ts, MINUTE_MS, onEurUsdGrid(open), onEurUsdGrid(high), onEurUsdGrid(low), onEurUsdGrid(price), volume));
    }
    const uj = usdjpy.get(ts) ?? flatBar(lastUsdJpy, ts);
    if (usdjpy.has(ts)) lastUsdJpy = uj;
    const minute = Math.floor((ts % DAY_MS) / MINUTE_MS);
    const paused = minute >= EURJPY_PAUSE_FROM_MINUTE && minute < EURJPY_PAUSE_TO_MINUTE;
    if (uj === undefined || paused || uniform() < EURJPY_MISSING_MINUTE_P) continue;
    const o = noisy(open * uj.open);
    const c = noisy(price * uj.close);
    const h = Math.max(noisy(high * uj.high), o, c);
    const l = Math.min(noisy(low * uj.low), o, c);
    eurjpy.push(makeBar('EURJPY', ts, MINUTE_MS, o, h, l, c, Math.max(1, Math.round(volume * 0.6))));
  }
  return { eurusd, eurjpy };
}

/** A minute without a USDJPY bar: its last close, flat (undefined before the first). */
function flatBar(last: Bar | undefined, ts: number): Bar | undefined {
  return last === undefined ? undefined : makeBar('USDJPY', ts, MINUTE_MS, last.close, last.close, last.close, last.close, 0);
}

const HEADER = 'timestamp,open,high,low,close,volume';

/** Small CSV files, each breaking one rule (or, for the vendor file, none). */
export const BAD_CSV: Readonly<Record<string, string>> = {
  'non_increasing.csv': [
    HEADER,
    '2024-01-02T00:00:00Z,141.000,141.020,140.990,141.010,120',
    '2024-01-02T00:01:00Z,141.010,141.030,141.000,141.020,98',
    '2024-01-02T00:01:00Z,141.020,141.040,141.010,141.030,77',
  ].join('\n'),
  'high_below_low.csv': [
    HEADER,
    '2024-01-02T00:00:00Z,141.000,141.020,140.990,141.010,120',
    '2024-01-02T00:01:00Z,141.010,140.980,141.000,141.020,98',
  ].join('\n'),
  'negative_price.csv': [
    HEADER,
    '2024-01-02T00:00:00Z,141.000,141.020,140.990,141.010,120',
    '2024-01-02T00:01:00Z,-141.010,141.030,141.000,141.020,98',
  ].join('\n'),
  'nan_price.csv': [
    HEADER,
    '2024-01-02T00:00:00Z,141.000,141.020,140.990,141.010,120',
    '2024-01-02T00:01:00Z,141.010,141.030,141.000,141.020,98',
    '2024-01-02T00:02:00Z,141.020,141.040,141.010,NaN,77',
  ].join('\n'),
  'missing_value.csv': [
    HEADER,
    '2024-01-02T00:00:00Z,141.000,141.020,140.990,141.010,120',
    '2024-01-02T00:01:00Z,141.010,,141.000,141.020,98',
  ].join('\n'),
  'negative_volume.csv': [
    HEADER,
    '2024-01-02T00:00:00Z,141.000,141.020,140.990,141.010,120',
    '2024-01-02T00:01:00Z,141.010,141.030,141.000,141.020,-5',
  ].join('\n'),
  'missing_column.csv': [
    'timestamp,open,high,low,volume',
    '2024-01-02T00:00:00Z,141.000,141.020,140.990,120',
  ].join('\n'),
  'naive_timestamp.csv': [
    HEADER,
    '2024-01-02 09:00:00,141.000,141.020,140.990,141.010,120',
    '2024-01-02 09:01:00,141.010,141.030,141.000,141.020,98',
  ].join('\n'),
  'unparseable_timestamp.csv': [
    HEADER,
    '2024-01-02T00:00:00Z,141.000,141.020,140.990,141.010,120',
    '2024-13-02 25:00,141.010,141.030,141.000,141.020,98',
    '2024-01-02T00:02:00Z,141.020,141.040,141.010,141.030,77',
  ].join('\n'),
  'malformed_row.csv': [
    HEADER,
    '2024-01-02T00:00:00Z,141.000,141.020,140.990,141.010,120',
    '2024-01-02T00:01:00Z,141.010,141.030,141.000',
    '2024-01-02T00:02:00Z,141.020,141.040,141.010,141.030,77',
  ].join('\n'),
  'mixed_bad.csv': [
    HEADER,
    '2024-01-02T00:00:00Z,141.000,141.020,140.990,141.010,120', // 1 good
    '2024-01-02T00:01:00Z,141.010,140.980,141.000,141.020,98', // 2 high < low
    '2024-01-02T00:02:00Z,141.020,141.040,141.010,141.030,77', // 3 good
    '2024-01-02T00:02:00Z,141.030,141.050,141.020,141.040,60', // 4 repeats row 3's time
    '2024-01-02T00:03:00Z,141.040,141.060,141.030,141.050,-1', // 5 negative volume
    'yesterday,141.050,141.070,141.040,141.060,55', // 6 not a time
    '2024-01-02T00:05:00Z,141.060', // 7 malformed
    '2024-01-02T00:06:00Z,141.060,141.080,141.050,141.070,50', // 8 good
  ].join('\n'),
  // A vendor export (pandas to_csv of a tz-aware index): valid, with CRLF line ends.
  'vendor_valid.csv': [
    'date,Open,High,Low,Close,Volume',
    '2024-01-02 00:00:00+00:00,141.000,141.020,140.990,141.010,120',
    '2024-01-02 00:01:00+00:00,141.010,141.030,141.000,141.020,98',
    '2024-01-02 00:02:00+00:00,141.020,141.040,141.010,141.030,77',
    '',
  ].join('\r\n'),
};

const GOOD_ROWS = [
  ["'2024-01-02 00:00:00+00'", 141.0, 141.02, 140.99, 141.01, 120],
  ["'2024-01-02 00:01:00+00'", 141.01, 141.03, 141.0, 141.02, 98],
  ["'2024-01-02 00:02:00+00'", 141.02, 141.04, 141.01, 141.03, 77],
] as const;

function valuesSql(rows: readonly (readonly (string | number | null)[])[]): string {
  return rows.map((r) => `(${r.map((v) => (v === null ? 'NULL' : String(v))).join(', ')})`).join(', ');
}

/** Small Parquet files, each breaking one rule: SELECT statements, typed as a vendor would write them. */
export const BAD_PARQUET: Readonly<Record<string, string>> = {
  'non_increasing.parquet': `SELECT CAST(t AS TIMESTAMPTZ) AS timestamp, o AS open, h AS high, l AS low, c AS close, v AS volume
    FROM (VALUES ${valuesSql([GOOD_ROWS[0], GOOD_ROWS[2], GOOD_ROWS[1]])}) AS r(t, o, h, l, c, v)`,
  'high_below_low.parquet': `SELECT CAST(t AS TIMESTAMPTZ) AS timestamp, o AS open, h AS high, l AS low, c AS close, v AS volume
    FROM (VALUES ${valuesSql([GOOD_ROWS[0], ["'2024-01-02 00:01:00+00'", 141.01, 140.98, 141.0, 141.02, 98]])}) AS r(t, o, h, l, c, v)`,
  'null_close.parquet': `SELECT CAST(t AS TIMESTAMPTZ) AS timestamp, o AS open, h AS high, l AS low, CAST(c AS DOUBLE) AS close, v AS volume
    FROM (VALUES ${valuesSql([GOOD_ROWS[0], ["'2024-01-02 00:01:00+00'", 141.01, 141.03, 141.0, null, 98]])}) AS r(t, o, h, l, c, v)`,
  'missing_column.parquet': `SELECT CAST(t AS TIMESTAMPTZ) AS timestamp, o AS open, h AS high, l AS low, v AS volume
    FROM (VALUES ${valuesSql(GOOD_ROWS)}) AS r(t, o, h, l, c, v)`,
  'naive_strings.parquet': `SELECT strftime(CAST(t AS TIMESTAMPTZ), '%Y-%m-%d %H:%M:%S') AS datetime, o AS Open, h AS High, l AS Low, c AS Close, v AS Volume
    FROM (VALUES ${valuesSql(GOOD_ROWS)}) AS r(t, o, h, l, c, v)`,
};

export async function writeFixtures(outDir: string, io: CliIo = PROCESS_IO): Promise<void> {
  const badDir = join(outDir, 'bad');
  mkdirSync(badDir, { recursive: true });
  const usdjpy = join(outDir, 'usdjpy.parquet');
  const { rows } = await writeBarsParquet(usdjpy, usdJpyBars());
  writeLine(io.stdout, `${usdjpy}: ${rows} bars`);
  const legs = eurBars();
  for (const [name, bars] of [['eurusd.parquet', legs.eurusd], ['eurjpy.parquet', legs.eurjpy]] as const) {
    const written = await writeBarsParquet(join(outDir, name), bars);
    writeLine(io.stdout, `${join(outDir, name)}: ${written.rows} bars`);
  }
  for (const [name, text] of Object.entries(BAD_CSV)) {
    writeFileSync(join(badDir, name), text.endsWith('\n') ? text : `${text}\n`);
  }
  await withConnection(async (connection) => {
    for (const [name, select] of Object.entries(BAD_PARQUET)) {
      await connection.run(`COPY (${select}) TO ${quotedString(join(badDir, name))} (FORMAT parquet, COMPRESSION zstd)`);
    }
  });
  writeLine(io.stdout, `${badDir}: ${Object.keys(BAD_CSV).length + Object.keys(BAD_PARQUET).length} files`);
  const samples = join(outDir, 'samples');
  writeLine(io.stdout, `${samples}: ${await writeSamples(samples, sampleBars())} files`);
}

/** `npm run fixtures [-- <outDir>]`: writes every fixture; exit 0, or 2 on bad arguments. */
export async function runFixtures(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  const program = new Command('fixtures')
    .description('Write the demo series, the bad-input files and the vendor samples (deterministic: same bytes every run).')
    .argument('[outDir]', 'where to write them', 'fixtures');
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  try {
    await writeFixtures(program.processedArgs[0] as string, io);
    return EXIT_OK;
  } catch (e) {
    return reportError(e, io);
  }
}

if (require.main === module) runMain(() => runFixtures(process.argv.slice(2)));
