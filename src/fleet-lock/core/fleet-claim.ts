/**
 * Once-per-fleet claims (DESIGN.md "Once per fleet"): each scheduled firing of an
 * `on_one_host` task is one Redis key made of the task and its scheduled instant, so every
 * daemon that fires it asks for the same key and exactly one gets it.
 */

/** The key of one firing: `jobctl:once:<task>:<ISO instant>`. */
export function claimKey(task: string, scheduledAt: number, prefix = 'jobctl:once'): string {
  return `${prefix}:${task}:${new Date(scheduledAt).toISOString()}`;
}

const MIN_TTL_MS = 10 * 60_000;
const MAX_TTL_MS = 7 * 24 * 3_600_000;

/**
 * How long a claim is kept: long enough that a daemon catching up missed firings later
 * (at most `catchupCap` of them) still finds the key of a firing another host ran, so it
 * is not run twice; at least 10 minutes (clock skew, slow hosts), at most 7 days.
 */
export function claimTtlMs(intervalMs: number, catchupCap: number): number {
  const wanted = Number.isFinite(intervalMs) && intervalMs > 0 ? intervalMs * (catchupCap + 1) : MAX_TTL_MS;
  return Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, wanted));
}
