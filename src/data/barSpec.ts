/** `5s`, `30s`, `1m`, `15m`, `1h`, `4h`, `1d`: a bar interval as people write it (`--bar`, `live.bar`). */
const BAR_PATTERN = /^([1-9][0-9]*)(s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a bar spec such as `1m`; undefined when it is not one. */
export function barIntervalMs(spec: string): number | undefined {
  const m = BAR_PATTERN.exec(spec.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return Number.isSafeInteger(ms) ? ms : undefined;
}
