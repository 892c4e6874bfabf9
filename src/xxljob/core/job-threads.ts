import { MESSAGES } from './wire.js';

/**
 * The Java executor's "job thread" per admin jobId, as a pure machine (no I/O, no time):
 * each jobId has its own run going and its own queue, so block strategies act on that jobId
 * only and different jobs sharing a handler run side by side (xxl-job-core ExecutorBizImpl.run,
 * JobThread, XxlJobExecutor.registJobThread). The executor feeds it triggers, run ends and
 * kills and carries out its effects.
 *
 * Differences from Java, on purpose: SERIAL_EXECUTION's queue is bounded (SERIAL_QUEUE_MAX,
 * refused with a message past it; Java's LinkedBlockingQueue is unbounded), and a covered or
 * replaced run is stopped (its process group) before the next run of the job starts, so two
 * runs of one job never overlap (Java starts the new thread at once and leaves the old
 * script's process running).
 */

/** Triggers of one jobId waiting behind its running run (SERIAL_EXECUTION), at most. */
export const SERIAL_QUEUE_MAX = 1000;

/** JobThread's suffixes on the callbacks of what a stop ended. */
export const NOT_EXECUTED = ' [job not executed, in the job queue, killed.]';

/** Why a job's thread was replaced when a BEAN trigger names another handler (ExecutorBizImpl). */
export const HANDLER_CHANGED = 'change jobhandler or glue type, and terminate the old job thread.';
/** Why a job's thread was replaced when a GLUE trigger brings another source version or type (ExecutorBizImpl). */
export const SOURCE_CHANGED = 'change job source or glue type, and terminate the old job thread.';

export interface JobTrigger {
  jobId: number;
  logId: number;
  /** What runs it (task, and the GLUE source version): a change ends the job's thread, as in Java. */
  handlerKey: string;
  /** executorBlockStrategy as the admin sent it. */
  strategy: string;
  /** A GLUE trigger (its thread change is told as a source change, as Java tells it). */
  glue?: boolean;
}

export type JobEffect =
  /** Start this trigger's run now. */
  | { type: 'start'; logId: number }
  /** Stop this running run (its end is reported with the reason). */
  | { type: 'stop'; logId: number; reason: string }
  /** This queued trigger never runs: report it failed now. */
  | { type: 'drop'; logId: number; reason: string };

export type JobAnswer = { ok: true } | { ok: false; msg: string };

interface JobThread {
  handlerKey: string;
  /** Runs going (more than one only while a stopped one ends), by logId. */
  running: number[];
  /** Of those, the ones asked to stop. */
  stopping: number[];
  queue: number[];
}

export class JobThreads {
  private readonly threads = new Map<number, JobThread>();

  /** A run going or a trigger waiting for this job: what `/idleBeat` answers busy for (JobThread.isRunningOrHasQueue). */
  busy(jobId: number): boolean {
    const t = this.threads.get(jobId);
    return t !== undefined && (t.running.length > 0 || t.queue.length > 0);
  }

  /** The block strategy applied to a trigger that passed validation (ExecutorBizImpl.run). */
  trigger(t: JobTrigger): { answer: JobAnswer; effects: JobEffect[] } {
    const effects: JobEffect[] = [];
    let thread = this.threads.get(t.jobId);
    // A new handler or GLUE version ends the old thread; the block strategy then has nothing to act on.
    const changed = thread !== undefined && thread.handlerKey !== t.handlerKey;
    if (thread && changed) {
      this.end(thread, t.glue ? SOURCE_CHANGED : HANDLER_CHANGED, effects);
      thread.handlerKey = t.handlerKey;
    }
    if (thread && !changed && (thread.running.length > 0 || thread.queue.length > 0)) {
      if (t.strategy === 'DISCARD_LATER') return { answer: { ok: false, msg: MESSAGES.discardLater }, effects };
      if (t.strategy === 'COVER_EARLY') this.end(thread, MESSAGES.coverEarly, effects);
      else if (thread.queue.length >= SERIAL_QUEUE_MAX) {
        return { answer: { ok: false, msg: `block strategy effect：Serial execution refused: ${SERIAL_QUEUE_MAX} triggers of job ${t.jobId} already wait on this executor (jobctl's bound)` }, effects };
      }
    }
    if (!thread) {
      thread = { handlerKey: t.handlerKey, running: [], stopping: [], queue: [] };
      this.threads.set(t.jobId, thread);
    }
    thread.queue.push(t.logId);
    this.pump(thread, effects);
    return { answer: { ok: true }, effects };
  }

  /** A run of this job ended (however): the next trigger of the job starts. */
  ended(jobId: number, logId: number): JobEffect[] {
    const thread = this.threads.get(jobId);
    if (!thread) return [];
    const effects: JobEffect[] = [];
    const wasQueued = thread.queue.includes(logId);
    thread.running = thread.running.filter((x) => x !== logId);
    thread.stopping = thread.stopping.filter((x) => x !== logId);
    thread.queue = thread.queue.filter((x) => x !== logId);
    if (!wasQueued) this.pump(thread, effects);
    if (thread.running.length === 0 && thread.queue.length === 0) this.threads.delete(jobId);
    return effects;
  }

  /** The admin's `/kill`: the running run stops, the queued ones are dropped (XxlJobExecutor.removeJobThread). `had`: there was something. */
  kill(jobId: number): { had: boolean; effects: JobEffect[] } {
    const thread = this.threads.get(jobId);
    if (!thread || (thread.running.length === 0 && thread.queue.length === 0)) return { had: false, effects: [] };
    const effects: JobEffect[] = [];
    this.end(thread, MESSAGES.killedByAdmin, effects);
    return { had: true, effects };
  }

  /** Stop what runs and drop what waits (the Java thread's toStop). */
  private end(thread: JobThread, reason: string, effects: JobEffect[]): void {
    for (const logId of thread.running) {
      if (thread.stopping.includes(logId)) continue;
      thread.stopping.push(logId);
      effects.push({ type: 'stop', logId, reason });
    }
    for (const logId of thread.queue) effects.push({ type: 'drop', logId, reason: `${reason}${NOT_EXECUTED}` });
    thread.queue = [];
  }

  /** Nothing runs: the head of the queue starts. */
  private pump(thread: JobThread, effects: JobEffect[]): void {
    if (thread.running.length > 0) return;
    const next = thread.queue.shift();
    if (next === undefined) return;
    thread.running.push(next);
    effects.push({ type: 'start', logId: next });
  }
}
