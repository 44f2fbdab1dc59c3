import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseConfig, readJsonFile } from '../core/configFile';
import { ibConnectionConfigSchema } from '../adapters/ibkr/connection';
import { REAL_TIME_BAR_MS } from '../adapters/ibkr/realtime/sources';
import { barIntervalMs } from '../data/barSpec';
import { runnerConfigSchema, withStrategyModules, type ConfigParseOptions } from '../runner/config';

export { barIntervalMs };

/**
 * A live runner config (`config/live.json`): a runner config (the same account, broker, risk, sizer,
 * strategies, analyzers and interfaces sections replay reads) plus where TWS is (`ib`) and how to run live
 * (`live`):
 *
 * ```json
 * { "account": { "currency": "USD", "initialCash": 1000000 },
 *   "strategies": [ … the same specs as config/gotobi.json … ],
 *   "ib": { "host": "127.0.0.1", "port": 7497, "clientId": 17 },
 *   "live": { "bar": "1m", "source": "realTimeBars", "whatToShow": "MIDPOINT", "cancelWorkingOnExit": true } }
 * ```
 *
 * `ib` fields may all be left out: IB_HOST, IB_PORT, IB_CLIENT_ID and IB_ACCOUNT override them, the host
 * defaults to 127.0.0.1 and the port to the TWS paper port 7497 (see `resolveIbConnectionConfig`). Only
 * `clientId` has no default: it must come from the file or IB_CLIENT_ID.
 */

export const liveSectionSchema = z
  .strictObject({
    /** Bar interval the strategies see. Real-time bars: a multiple of 5 s (TWS sends 5-second bars). */
    bar: z.string().refine((s) => barIntervalMs(s) !== undefined, 'a bar interval such as "5s", "1m", "15m" or "1h"'),
    /** TWS 5-second real-time bars (reqRealTimeBars) or top-of-book quotes (reqMktData) built into bars. */
    source: z.enum(['realTimeBars', 'quotes']).default('realTimeBars'),
    /** Real-time bars only. Default: MIDPOINT for FX (CASH), TRADES otherwise. */
    whatToShow: z.enum(['MIDPOINT', 'TRADES', 'BID', 'ASK']).optional(),
    /**
     * On SIGINT/SIGTERM (shutdown), cancel the orders still working at TWS and wait for the acknowledgements —
     * all but the protective ones (stop-loss, take-profit, trailing stop), which stay to protect the position.
     */
    cancelWorkingOnExit: z.boolean().default(true),
    /**
     * With `cancelWorkingOnExit`, cancel the protective orders too (default false: they stay at TWS and protect the
     * position while the engine is down; the next start re-adopts them).
     */
    cancelProtectiveOnExit: z.boolean().default(false),
    /** Bound on that wait. */
    cancelTimeoutMs: z.number().int().positive().default(5000),
    /** Orders decided while TWS is unreachable: held and sent once it is back, or rejected (DISCONNECTED). */
    whenDisconnected: z.enum(['hold', 'reject']).default('hold'),
    /** How late (behind the feed's newest event) an input may arrive and still make its bar. */
    graceMs: z.number().int().nonnegative().default(2000),
    /** How often the watermark clock checks whether a bar is due (wall ms). */
    clockPeriodMs: z.number().int().positive().default(500),
    /** First connection: give up (exit 1) when TWS has not answered within this time. */
    connectTimeoutMs: z.number().int().positive().default(10_000),
    /** Positions at TWS that differ from the book at start: report and trade on ('warn'), or stop ('stop'). */
    onPositionMismatch: z.enum(['warn', 'stop']).default('warn'),
    /** Wait for an execution's commissionReport before booking its fill with commission 0 (reported). */
    commissionTimeoutMs: z.number().int().positive().default(5000),
    /** History the strategies run through before the first live bar (see `warmup.ts`). */
    warmup: z
      .strictObject({
        /** Local bar files by symbol (Parquet or CSV at the live bar interval), relative to the config file: they win for the bars they hold; IB supplies the rest up to the first live bar. */
        files: z.record(z.string(), z.string().min(1)).default({}),
        /** A strategy whose history is unavailable or too short: benched for the run ('refuse'), traded cold ('trade'), or the run stops ('stop'). */
        onShort: z.enum(['refuse', 'trade', 'stop']).default('refuse'),
      })
      .prefault({}),
  })
  .superRefine((live, ctx) => {
    const ms = barIntervalMs(live.bar);
    if (ms === undefined) return;
    if (live.source === 'realTimeBars' && ms % REAL_TIME_BAR_MS !== 0) {
      ctx.addIssue({ code: 'custom', path: ['bar'], message: `real-time bars come every 5 s: the bar must be a multiple of 5s, got "${live.bar}"` });
    }
    if (live.source !== 'realTimeBars' && live.whatToShow !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['whatToShow'], message: 'applies to source "realTimeBars" only' });
    }
  });

export const liveConfigSchema = runnerConfigSchema
  .extend({
    /** TWS / IB Gateway; every field optional here (environment variables and defaults complete it). */
    ib: ibConnectionConfigSchema.partial().default({}),
    live: liveSectionSchema,
  })
  .superRefine((config, ctx) => {
    if (config.data?.invert === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'invert'],
        message: 'applies to replay files only: live, subscribe to the symbol the strategies trade',
      });
    }
  });

export type LiveConfig = z.output<typeof liveConfigSchema>;
export type LiveSection = LiveConfig['live'];

/** Validates a parsed live config and loads its strategy modules; the error names the source and every offending field (`live.bar: …`). */
export function parseLiveConfig(doc: unknown, source = 'live config', options: ConfigParseOptions = {}): LiveConfig {
  const config = withStrategyModules(parseConfig(liveConfigSchema, doc, source), source, options);
  const { baseDir } = options;
  if (baseDir === undefined) return config;
  // Warm-up files are named relative to the config file, like its strategy modules.
  const files = Object.fromEntries(Object.entries(config.live.warmup.files).map(([symbol, file]) => [symbol, resolve(baseDir, file)]));
  return { ...config, live: { ...config.live, warmup: { ...config.live.warmup, files } } };
}

export function loadLiveConfig(path: string): LiveConfig {
  return parseLiveConfig(readJsonFile(path), path, { baseDir: dirname(resolve(path)) });
}
