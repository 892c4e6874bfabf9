import type { CatchupPolicy, RunState } from '../shared/types.js';
import { firingsBetween, type ScheduleRef } from './schedule.js';

/** Decisions of the cron scheduler, pure: time and randomness come in as arguments. */

/** Delay before retry number `retry` (1 = first retry): retry_delay doubling each time. */
export function retryDelay(retryDelayMs: number, retry: number): number {
  return retryDelayMs * 2 ** Math.max(0, Math.min(retry - 1, 30));
}

/** Whether a run that ended in `state` on attempt `attempt` (1-based) gets another attempt. */
export function shouldRetry(state: RunState, attempt: number, retries: number): boolean {
  return isFailedRunState(state) && attempt <= retries;
}

/** A run that ended badly: failed or timed out (a stopped, replaced or skipped run is neither good nor bad). */
export function isFailedRunState(state: RunState): boolean {
  return state === 'failed' || state === 'timed-out';
}

/**
 * The notices a finished run gives (failure, timeout, recovered: the first success after a
 * failure) and what the task's last outcome is now. `lastFailed`: undefined before any
 * success or failure.
 */
export function runNotices(lastFailed: boolean | undefined, state: RunState): { notices: Array<{ event: 'failure' | 'timeout' | 'recovered'; message: string }>; lastFailed: boolean | undefined } {
  const notices: Array<{ event: 'failure' | 'timeout' | 'recovered'; message: string }> = [];
  if (state === 'failed') notices.push({ event: 'failure', message: 'failed' });
  if (state === 'timed-out') notices.push({ event: 'timeout', message: 'timed out' });
  if (state === 'succeeded' && lastFailed) notices.push({ event: 'recovered', message: 'succeeded again' });
  return { notices, lastFailed: state === 'succeeded' || isFailedRunState(state) ? isFailedRunState(state) : lastFailed };
}

export interface RunEnd {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  killed: boolean;
}

/** A finished run's state, as execa's result flags map to our record. */
export function runOutcome(end: RunEnd): RunState {
  if (end.timedOut) return 'timed-out';
  if (end.killed) return 'killed';
  return end.code === 0 && end.signal === null ? 'succeeded' : 'failed';
}

export interface CatchupPlan {
  /** Missed firings to run now, oldest first. */
  run: number[];
  /** Missed firings that will not run. */
  skipped: number;
  /** The newest missed firing (the new "last scheduled" time), if any. */
  latest?: number;
}

/**
 * After downtime, from the persisted last scheduled time: `none` runs nothing, `latest`
 * runs the newest missed firing once, `all` runs each missed firing in order up to `cap`
 * (the rest are skipped).
 */
export function catchupPlan(spec: ScheduleRef, policy: CatchupPolicy, lastScheduled: number | undefined, now: number, cap: number): CatchupPlan {
  if (lastScheduled === undefined || lastScheduled >= now) return { run: [], skipped: 0 };
  const { times, total, last: latest } = firingsBetween(spec, lastScheduled, now, policy === 'all' ? cap : 1);
  if (total === 0 || latest === undefined) return { run: [], skipped: 0 };
  const base = { latest };
  switch (policy) {
    case 'none':
      return { run: [], skipped: total, ...base };
    case 'latest':
      return { run: [latest], skipped: total - 1, ...base };
    case 'all':
      return { run: times, skipped: total - times.length, ...base };
  }
}

/**
 * Firings the scheduler could not handle in time (the daemon was frozen, the clock jumped):
 * they follow the task's `catchup` policy like firings missed while the daemon was down.
 * `missed` are the missed times, oldest first (at most `cap`), `total` counts them all;
 * `onTime` says whether a firing that is still on time comes with them (it then stands
 * for `latest`).
 */
export function missedPlan(policy: CatchupPolicy, missed: MissedFirings, onTime: boolean, cap: number): { run: number[]; skipped: number } {
  const { times, total, last } = missed;
  if (total === 0 || last === undefined) return { run: [], skipped: 0 };
  switch (policy) {
    case 'none':
      return { run: [], skipped: total };
    case 'latest':
      return onTime ? { run: [], skipped: total } : { run: [last], skipped: total - 1 };
    case 'all': {
      const run = times.slice(0, cap);
      return { run, skipped: total - run.length };
    }
  }
}

/** Firings that were not handled in time: the first ones (capped), how many, and the newest. */
export interface MissedFirings {
  times: number[];
  total: number;
  last?: number;
}

/** A sortable, file-name-safe run id: `20261121T081200Z-3fa9`. */
export function makeRunId(now: number, random: () => number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const tail = Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  return `${stamp}-${tail}`;
}
