/**
 * IB's historical-data pacing rules (TWS API, "Historical Data Limitations" → "Pacing Violations"):
 *
 * 1. no identical historical data requests within 15 seconds;
 * 2. no six or more requests for the same contract, exchange and tick type within two seconds — so at most
 *    five (the wording, "no more than 6", would allow the sixth that IB counts as a violation);
 * 3. no more than 60 requests within any ten-minute period.
 *
 * The pacer keeps the send times of recent requests and answers the earliest time a request may go without
 * breaking a rule. It is pure bookkeeping on a clock it is given, so tests drive it in virtual time; `acquire`
 * waits with the clock's `sleep`.
 */

export interface PacingLimits {
  readonly windowMs: number;
  readonly maxPerWindow: number;
  readonly identicalMs: number;
  readonly perContractWindowMs: number;
  readonly perContractMax: number;
  /**
   * Added to every wait: the rules are judged by IB on arrival, and two requests sent exactly a window apart can
   * arrive a little closer together.
   */
  readonly marginMs?: number;
}

export const IB_PACING: PacingLimits = {
  windowMs: 10 * 60_000,
  maxPerWindow: 60,
  identicalMs: 15_000,
  perContractWindowMs: 2_000,
  perContractMax: 5,
  marginMs: 250,
};

/** A request as the rules see it. */
export interface PacedRequest {
  /** Everything that makes two requests identical (contract, end, duration, bar size, what, RTH). */
  readonly key: string;
  /** Contract + exchange + what to show. */
  readonly contract: string;
}

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface Pacer {
  /** Earliest time ≥ `now` at which `request` may be sent. */
  earliest(request: PacedRequest, now: number): number;
  /** Notes that `request` was sent at `at`. */
  record(request: PacedRequest, at: number): void;
  /** Waits until `request` may be sent, records it, and resolves with the send time. */
  acquire(request: PacedRequest): Promise<number>;
}

interface Sent {
  readonly at: number;
  readonly key: string;
  readonly contract: string;
}

export function createPacer(limits: PacingLimits = IB_PACING, clock: PacerClock = realClock): Pacer {
  const sent: Sent[] = [];
  const horizon = Math.max(limits.windowMs, limits.identicalMs, limits.perContractWindowMs) + (limits.marginMs ?? 0);

  /** The time at which fewer than `max` of `times` (ascending) lie within `windowMs` before it. */
  const margin = limits.marginMs ?? 0;
  const freeAt = (times: readonly number[], max: number, windowMs: number): number =>
    times.length < max ? -Infinity : times[times.length - max] + windowMs + margin;

  const pacer: Pacer = {
    earliest(request, now) {
      while (sent.length > 0 && now - sent[0].at >= horizon) sent.shift();
      const inWindow = sent.filter((s) => now - s.at < limits.windowMs + margin).map((s) => s.at);
      const sameContract = sent.filter((s) => s.contract === request.contract && now - s.at < limits.perContractWindowMs + margin).map((s) => s.at);
      let identical = -Infinity;
      for (const s of sent) {
        if (s.key === request.key && now - s.at < limits.identicalMs + margin) identical = Math.max(identical, s.at + limits.identicalMs + margin);
      }
      return Math.max(
        now,
        freeAt(inWindow, limits.maxPerWindow, limits.windowMs),
        freeAt(sameContract, limits.perContractMax, limits.perContractWindowMs),
        identical,
      );
    },
    record(request, at) {
      sent.push({ at, key: request.key, contract: request.contract });
    },
    async acquire(request) {
      // Re-check after each sleep: a timer may fire a little early by the clock's reading.
      for (;;) {
        const now = clock.now();
        const at = pacer.earliest(request, now);
        if (at <= now) {
          pacer.record(request, now);
          return now;
        }
        await clock.sleep(at - now);
      }
    },
  };
  return pacer;
}
