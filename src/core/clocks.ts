import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import { ConfigError } from './errors';

/**
 * Clocks that close bars on time in a live graph (`barBuilder(..., { clock$ })`). A clock emits event time
 * (UTC epoch ms): "every bucket ending at or before this instant is complete". Time is read from the
 * scheduler (`scheduler.now()`), never `Date.now()`, so marble tests run them in virtual time.
 */

export interface WatermarkClockOptions {
  /** How often to emit, in ms of scheduler time. */
  readonly periodMs: number;
  /** Defaults to `asyncScheduler` (real time; virtual time inside `TestScheduler.run`). */
  readonly scheduler?: SchedulerLike;
  /**
   * Held back from the watermark, in ms: how late an event may reach us behind its feed's newest one
   * (delivery jitter) and still make its bucket. Default 0.
   */
  readonly graceMs?: number;
}

/**
 * The feed's own clock: the newest event time seen on `feedTs$`, advanced by the scheduler time elapsed
 * since that event arrived, minus `graceMs`, emitted every `periodMs` once the feed has spoken.
 *
 * Only elapsed durations of the local clock are used, never its absolute reading: a skewed local clock, or
 * a feed replaying history, cannot close a bucket before the feed itself could have. The output never goes
 * backwards (a feed that falls behind its extrapolation holds the watermark until it catches up). It
 * completes when the feed completes and errors when the feed errors.
 *
 * ```
 * periodMs 3, graceMs 0; feed a = 100 at frame 1, b = 200 at frame 5 (virtual ms)
 * feedTs$: -a---b-----|
 * result:  ---x--y--z-|      x = 100 + 2, y = 200 + 1, z = 200 + 4
 * ```
 */
export function watermarkClock(feedTs$: Observable<number>, options: WatermarkClockOptions): Observable<number> {
  const periodMs = checkPeriod(options.periodMs, 'watermarkClock');
  const graceMs = options.graceMs ?? 0;
  if (!Number.isFinite(graceMs) || graceMs < 0) {
    throw new ConfigError(`graceMs must be a finite number ≥ 0, got ${String(graceMs)}`, 'watermarkClock');
  }
  const scheduler = options.scheduler ?? asyncScheduler;

  return new Observable<number>((subscriber) => {
    let newestTs = -Infinity;
    let seenAt = 0;
    let emitted = -Infinity;

    subscriber.add(
      scheduler.schedule(function tick() {
        if (newestTs > -Infinity) {
          const watermark = newestTs + (scheduler.now() - seenAt) - graceMs;
          if (watermark > emitted) {
            emitted = watermark;
            subscriber.next(watermark);
          }
        }
        this.schedule(undefined, periodMs);
      }, periodMs),
    );
    subscriber.add(
      feedTs$.subscribe({
        next: (ts) => {
          if (ts > newestTs) {
            newestTs = ts;
            seenAt = scheduler.now();
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
  });
}

/**
 * The local clock itself: `scheduler.now()` every `periodMs`. Right only for feeds stamped by a clock in
 * step with this machine's (e.g. broker-stamped real-time bars on an NTP-synced host); prefer
 * {@link watermarkClock}, which trusts the feed's own time.
 *
 * ```
 * periodMs 3, scheduler time starting at 0
 * result:  ---a--b--c--…     a = 3, b = 6, c = 9
 * ```
 */
export function wallClock(periodMs: number, scheduler: SchedulerLike = asyncScheduler): Observable<number> {
  const period = checkPeriod(periodMs, 'wallClock');
  return new Observable<number>((subscriber) =>
    scheduler.schedule(function tick() {
      subscriber.next(scheduler.now());
      this.schedule(undefined, period);
    }, period),
  );
}

function checkPeriod(periodMs: number, source: string): number {
  if (!Number.isFinite(periodMs) || periodMs <= 0) {
    throw new ConfigError(`periodMs must be a finite number > 0, got ${String(periodMs)}`, source);
  }
  return periodMs;
}
