/**
 * WEBHOOK_RETRY_SCHEDULE: comma-separated delays, one per attempt, each relative to the attempt
 * before (the first to the event): `0s,5s,5m,30m,2h,5h,10h,10h` is eight attempts over ~27.6 h.
 */
export const DEFAULT_RETRY_SCHEDULE = '0s,5s,5m,30m,2h,5h,10h,10h';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_ATTEMPTS = 20;
const MAX_DELAY_MS = 7 * 86_400_000;

/** Delays in ms, or an error message naming what is wrong (never the value itself beyond its position). */
export function parseRetrySchedule(raw: string): number[] | string {
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.length > MAX_ATTEMPTS) return `must list 1 to ${MAX_ATTEMPTS} delays`;
  const delays: number[] = [];
  for (const [i, part] of parts.entries()) {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(part);
    if (!match) return `delay ${i + 1} is not a number with a unit (ms, s, m, h, d), e.g. 30s`;
    const ms = Math.round(Number(match[1]) * UNITS_MS[match[2]!]!);
    if (ms > MAX_DELAY_MS) return `delay ${i + 1} is longer than 7 days`;
    delays.push(ms);
  }
  return delays;
}
