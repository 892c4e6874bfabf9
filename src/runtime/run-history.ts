import type { RunRecord } from '../shared/types.js';

/**
 * Where cron run records live (DESIGN.md "Runtime directory"). The cron runner is the only
 * writer; `history`/`logs --run` read through it. Implementations: an append-only file per
 * task (the daemon's), and an in-memory one for tests. The cost of a write follows the
 * runs, never the size of what is kept.
 */
export interface RunHistory {
  /**
   * Persist a new or changed run record. The newest version of an id wins; a record is
   * written when it is created (queued/running) and again when it ends.
   */
  write(record: RunRecord): void;
  /** The task's kept runs, oldest first; only the newest `limit` when given (a copy; may read disk). */
  list(task: string, limit?: number): RunRecord[];
  /** What status and the runner need without reading history; kept in memory. */
  summary(task: string): HistorySummary;
  /**
   * Keep the newest `keep` finished runs of the task; older records and their run logs go.
   * Implementations may do it lazily (e.g. when the file holds more than 2 × keep).
   */
  retain(task: string, keep: number): void;
  /**
   * The task was removed from the task files: drop its records and run logs, so a task later
   * added under the same name starts with no history (it is another task).
   */
  forget(task: string): void;
  /** Written to disk. */
  flush(): Promise<void>;
  /** Flush and stop writing. Safe to call twice. */
  close(): Promise<void>;
}

export interface HistorySummary {
  /** The newest run that has started. */
  last?: RunRecord;
  /** The newest run that ended as succeeded, failed, timed-out or killed. */
  lastFinished?: RunRecord;
  /** Runs still `running` or `queued` as recorded (after a daemon crash: to be closed). */
  unfinished: RunRecord[];
  /** Attempts with trigger `retry` among the kept runs. */
  retries: number;
  /** Kept runs. */
  total: number;
}
