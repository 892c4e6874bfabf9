import { compileSchedule } from '../shared/cron.js';

/**
 * Schedule math, pure: time comes in as an argument. DST follows croner (Vixie cron):
 * a fixed-time job in a skipped hour runs at the first valid time after the gap; in a
 * repeated hour it runs once, at the first occurrence; interval jobs run in both passes
 * of a repeated hour and skip the gap.
 */

export interface ScheduleRef {
  schedule: string;
  timezone?: string;
}

/** The first firing strictly after `after` (epoch ms), or undefined when there is none. */
export function nextRunAt(spec: ScheduleRef, after: number): number | undefined {
  return compileSchedule(spec.schedule, spec.timezone).nextRun(new Date(after))?.getTime();
}

/** The next `n` firings strictly after `after`. */
export function nextRuns(spec: ScheduleRef, after: number, n: number): number[] {
  return compileSchedule(spec.schedule, spec.timezone).nextRuns(n, new Date(after)).map((d) => d.getTime());
}

/**
 * Firings in (from, to], oldest first, at most `cap` of them; `total` counts all of them
 * (up to `countLimit`) and `last` is the newest, for catch-up after downtime.
 */
export function firingsBetween(
  spec: ScheduleRef, from: number, to: number, cap: number, countLimit = 1_000_000,
): { times: number[]; total: number; last?: number } {
  const cron = compileSchedule(spec.schedule, spec.timezone);
  const times: number[] = [];
  let total = 0;
  let last: number | undefined;
  let cursor = new Date(from);
  while (total < countLimit) {
    const next = cron.nextRun(cursor);
    if (!next || next.getTime() > to) break;
    total++;
    last = next.getTime();
    if (times.length < cap) times.push(last);
    cursor = next;
  }
  return last === undefined ? { times, total } : { times, total, last };
}

/** A random delay in [0, jitterMs]; `random` is injected for tests. */
export function jitterDelay(jitterMs: number, random: () => number): number {
  return jitterMs > 0 ? Math.floor(random() * (jitterMs + 1)) : 0;
}
