import type { BackoffSpec, RestartPolicy } from '../shared/types.js';

/** How a process ended. `code` is null when a signal ended it. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
  /** The kernel OOM-killed a process of the instance (its cgroup's `limits.memory`). */
  oom?: boolean;
}

export function isCleanExit(exit: Pick<ExitInfo, 'code' | 'signal'>): boolean {
  return exit.code === 0 && exit.signal === null;
}

/**
 * Delay before the n-th consecutive restart (n >= 1): initial * 2^(n-1), capped at max,
 * then jittered down by up to 25% so a fleet of crashing instances does not restart in
 * lock-step. Never above max, never below 75% of the un-jittered delay.
 */
export function backoffDelay(backoff: BackoffSpec, failures: number, random: () => number): number {
  const n = Math.max(1, failures);
  const raw = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(n - 1, 40));
  return Math.round(raw * (1 - 0.25 * random()));
}

export interface RestartConfig {
  restart: RestartPolicy;
  backoff: BackoffSpec;
  /** Failed starts in a row that are retried; one more is fatal (supervisord's startretries). */
  startRetries: number;
  maxRestarts: number;
  restartWindowMs: number;
}

export type RestartDecision =
  | { kind: 'exited' }
  | { kind: 'fatal'; why: 'window'; restartsInWindow: number }
  | { kind: 'fatal'; why: 'start-retries'; failedStarts: number }
  | { kind: 'backoff'; delayMs: number; restartTimes: number[] };

/**
 * What to do after an unplanned exit. `failures` counts consecutive failures including
 * this one; `restartTimes` are the automatic restarts so far (pruned to the window here).
 * `wasHealthy`: the process had been up past start_seconds. Its first failure restarts at
 * once (as PM2 and systemd do); the doubling backoff is for failures that follow failures.
 * `failedStarts`: starts in a row, this one included, that ended before start_seconds.
 * More than start_retries of them is fatal: a process that never stays up is given up on
 * even when the backoff has grown so long that max_restarts per window can never be hit.
 */
export function decideAfterExit(
  cfg: RestartConfig,
  exit: Pick<ExitInfo, 'code' | 'signal'>,
  failures: number,
  restartTimes: readonly number[],
  now: number,
  random: () => number,
  wasHealthy = false,
  failedStarts = 0,
): RestartDecision {
  if (cfg.restart === 'never') return { kind: 'exited' };
  if (cfg.restart === 'on-failure' && isCleanExit(exit)) return { kind: 'exited' };
  if (failedStarts > cfg.startRetries) return { kind: 'fatal', why: 'start-retries', failedStarts };
  const recent = restartTimes.filter((t) => now - t < cfg.restartWindowMs);
  if (recent.length >= cfg.maxRestarts) return { kind: 'fatal', why: 'window', restartsInWindow: recent.length };
  const delayMs = wasHealthy && failures <= 1 ? 0 : backoffDelay(cfg.backoff, failures, random);
  return { kind: 'backoff', delayMs, restartTimes: [...recent, now] };
}
