import type { HandlerTask, XxlRunOptions } from '../core/trigger.js';
import type { RunRecord } from '../../shared/types.js';
import { FINAL_RUN_STATES } from '../../core/cron-run-machine.js';

/**
 * What the xxl-job executor needs from the task runners, and nothing more. The adapter to
 * the cron runner lives in cron-port.ts; tests can supply their own.
 */
export interface XxlRunPort {
  /** The tasks that opted in with `xxljob:`. */
  handlerTasks(): HandlerTask[];
  /**
   * A run of the task with these per-run options (trigger `xxljob`). The record says what
   * happened: running, queued, or skipped (overlap); a string says why nothing was made.
   */
  trigger(task: string, options: XxlRunOptions): Promise<RunRecord | string>;
  /** End a run: a running one gets stop_signal then SIGKILL; a queued one is dropped. Ends as `killed`/`skipped` with `reason`. */
  kill(task: string, runId: string, reason: string): void;
  /** Why the task takes no run now (stopped, not a cron task, gone, daemon stopping), or undefined when it does. Asked before a trigger is answered and again when its turn comes. */
  refuses(task: string): string | undefined;
  /** Called with every finished run record (any trigger); returns the unsubscribe function. */
  onRunEnd(cb: (record: RunRecord) => void): () => void;
  /** A run by the admin's logId, running or in the kept history. */
  findRun(logId: number): RunRecord | undefined;
  /** The log file of a run. */
  runLog(task: string, runId: string): string;
}

/** `triggeredBy` of the runs an admin triggers. */
export const XXL_TRIGGERED_BY = 'xxl-job';

/** The admin's logId kept on a run record (its opaque `tag`), or undefined for other runs. */
export function logIdOf(r: Pick<RunRecord, 'trigger' | 'tag'>): number | undefined {
  if (r.trigger !== 'xxljob' || r.tag === undefined) return undefined;
  const n = Number(r.tag);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A run that will not change again ("finished" is defined once, by the run machine). */
export const FINISHED_STATES: ReadonlySet<string> = FINAL_RUN_STATES;
