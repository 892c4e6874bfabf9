import path from 'node:path';
import { callbackFor } from '../core/callback.js';
import { JobThreads, NOT_EXECUTED, type JobEffect } from '../core/job-threads.js';
import { planTrigger, type XxlRunOptions } from '../core/trigger.js';
import { FAIL_CODE, MESSAGES, SUCCESS_CODE, type CallbackItem, type LogParam, type LogResult, type TriggerParam } from '../core/wire.js';
import { tailLines } from '../../runtime/log-read.js';
import { readLogPage } from '../runtime/log-page.js';
import { OutstandingFile, type Outstanding } from '../runtime/outstanding-file.js';
import type { Answer, ExecutorEndpoints } from '../runtime/executor-server.js';
import { errorMessage } from '../../shared/errors.js';
import type { RunRecord } from '../../shared/types.js';
import { RunFiles } from './run-files.js';
import { FINISHED_STATES, logIdOf, type XxlRunPort } from './run-port.js';
import { StartQueue } from './start-queue.js';

/** What a queued trigger needs to start (memory only: after a restart it is reported as not run). */
interface Pending {
  options: XxlRunOptions;
  /** Asked to stop before its run existed. */
  stopReason?: string;
}

export interface ExecutorOptions {
  port: XxlRunPort;
  /** Where a finished run's callback goes (the callback sender). */
  report: (item: CallbackItem) => void;
  /** File that keeps the outstanding runs across a daemon restart. */
  outstandingFile: string;
  /** Where GLUE sources are written before they run. */
  glueDir: string;
  /** Where params too large for an argument are written. @default `params/` beside outstandingFile */
  paramsDir?: string;
  /** Lines of output sent in handleMsg. @default 20 */
  tailLines?: number;
}

/** What `/log` adds when a run's log is gone: jobctl keeps logs as long as the run is in its task's history. */
export const LOG_FOLLOWS_HISTORY = 'jobctl keeps the log of a run as long as the run is in its task\'s history (the task\'s `history:`, 50 runs by default)';

/**
 * The executor's behaviour for each endpoint, over the run port. Block strategies act per
 * admin jobId (xxljob/core/job-threads.ts); `/run` answers once the trigger is validated and
 * queued, and runs start afterwards, one per event-loop turn (StartQueue). Every accepted
 * trigger gets a callback: from its run's end, or at once when it is dropped or cannot start.
 * Triggers the admin waits for are kept in a small file, so a daemon that stopped mid-run
 * (or with triggers queued) still reports them when it comes back.
 *
 * `/idleBeat` and runs started on this host: a job is busy only with the runs the admin
 * triggered for that jobId. A run started here (`jobctl run`, the task's schedule) belongs to
 * no job: it makes no job busy and holds no trigger back (see docs/xxl-job.md).
 */
export class XxlExecutor implements ExecutorEndpoints {
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly pending = new Map<number, Pending>();
  /** Run ends seen while their trigger was still on its way into the runner. */
  private readonly early = new Map<number, RunRecord>();
  private readonly threads = new JobThreads();
  private readonly starts = new StartQueue();
  private readonly files: RunFiles;
  private readonly store: OutstandingFile;
  private readonly offRunEnd: () => void;
  /** apply() calls in progress: the outstanding file is written once when the outermost ends. */
  private applying = 0;
  private unsaved = false;

  constructor(private readonly opts: ExecutorOptions) {
    this.store = new OutstandingFile(opts.outstandingFile);
    this.files = new RunFiles(opts.glueDir, opts.paramsDir ?? path.join(path.dirname(opts.outstandingFile), 'params'));
    this.offRunEnd = opts.port.onRunEnd((r) => this.runEnded(r));
    this.recover();
  }

  beat(): Answer {
    return { code: SUCCESS_CODE, msg: null };
  }

  idleBeat(jobId: number): Answer {
    return this.threads.busy(jobId) ? { code: FAIL_CODE, msg: MESSAGES.busy } : { code: SUCCESS_CODE, msg: null };
  }

  run(param: TriggerParam): Answer {
    const plan = planTrigger(param, this.opts.port.handlerTasks(), (logId) => this.outstanding.has(logId));
    if (!plan.ok) return { code: FAIL_CODE, msg: plan.msg };
    const refusal = this.opts.port.refuses(plan.task);
    if (refusal !== undefined) return { code: FAIL_CODE, msg: `refused: task "${plan.task}": ${refusal}` };
    const { answer, effects } = this.threads.trigger({ jobId: param.jobId, logId: param.logId, handlerKey: plan.handlerKey, strategy: param.executorBlockStrategy, glue: plan.options.glue !== undefined });
    if (!answer.ok) {
      this.apply(effects);
      return { code: FAIL_CODE, msg: answer.msg };
    }
    const options = plan.options;
    try {
      if (options.glue) options.command = this.files.glue(param.jobId, options.glue);
      if (options.largeParams !== undefined) options.env.JOBCTL_PARAMS_FILE = this.files.params(param.logId, options.largeParams);
    } catch (e) {
      // Nothing was queued for the admin: take the trigger back out of its job.
      this.apply([...effects.filter((x) => x.type !== 'start'), ...this.threads.ended(param.jobId, param.logId)]);
      return { code: FAIL_CODE, msg: `could not write the trigger's files: ${errorMessage(e)}` };
    }
    delete options.largeParams;
    delete options.glue;
    const o: Outstanding = { logId: param.logId, logDateTime: param.logDateTime, jobId: param.jobId, task: plan.task };
    this.outstanding.set(param.logId, o);
    this.pending.set(param.logId, { options });
    this.store.put(o);
    this.save();
    this.apply(effects);
    return { code: SUCCESS_CODE, msg: null };
  }

  kill(jobId: number): Answer {
    const { had, effects } = this.threads.kill(jobId);
    this.apply(effects);
    return { code: SUCCESS_CODE, msg: had ? null : MESSAGES.alreadyKilled };
  }

  async log(param: LogParam): Promise<Answer<LogResult>> {
    const o = this.outstanding.get(param.logId);
    if (o && o.runId === undefined) {
      return { code: SUCCESS_CODE, msg: null, payload: { fromLineNum: param.fromLineNum, toLineNum: param.fromLineNum - 1, logContent: '', isEnd: false } };
    }
    const record = this.opts.port.findRun(param.logId);
    const task = o?.task ?? record?.task;
    const runId = o?.runId ?? record?.id;
    const page = task && runId ? await readLogPage(this.opts.port.runLog(task, runId), param.fromLineNum) : undefined;
    if (!page) {
      return { code: SUCCESS_CODE, msg: null, payload: { fromLineNum: param.fromLineNum, toLineNum: 0, logContent: `${MESSAGES.logNotFound} (${LOG_FOLLOWS_HISTORY})`, isEnd: true } };
    }
    const ended = !o && record !== undefined && FINISHED_STATES.has(record.state);
    return { code: SUCCESS_CODE, msg: null, payload: { fromLineNum: param.fromLineNum, toLineNum: page.toLineNum, logContent: page.content, isEnd: ended && page.complete } };
  }

  /** Triggers the admin still waits for (queued or running). */
  get waiting(): number {
    return this.outstanding.size;
  }

  /** Carry out a job's effects; however many triggers they end, the outstanding file is written once. */
  private apply(effects: readonly JobEffect[]): void {
    this.applying++;
    try {
      this.applyEach(effects);
    } finally {
      if (--this.applying === 0 && this.unsaved) this.save();
    }
  }

  private applyEach(effects: readonly JobEffect[]): void {
    for (const e of effects) {
      const o = this.outstanding.get(e.logId);
      switch (e.type) {
        case 'start':
          this.starts.push(() => void this.start(e.logId));
          break;
        case 'stop':
          if (o?.runId !== undefined) this.opts.port.kill(o.task, o.runId, e.reason);
          else {
            const p = this.pending.get(e.logId);
            if (p) p.stopReason = e.reason;
          }
          break;
        case 'drop':
          if (o) this.finish(o, { code: FAIL_CODE, msg: e.reason }, false);
          break;
      }
    }
  }

  /** The trigger's turn came: its run goes to the runner. */
  private async start(logId: number): Promise<void> {
    const o = this.outstanding.get(logId);
    const p = this.pending.get(logId);
    if (!o || !p) return;
    if (p.stopReason !== undefined) {
      this.finish(o, { code: FAIL_CODE, msg: `${p.stopReason} [job not executed, stopped before it started]` });
      return;
    }
    // What changed while it waited (the daemon stopping, the task stopped or removed) is said as such.
    const refusal = this.opts.port.refuses(o.task);
    if (refusal !== undefined) {
      this.finish(o, { code: FAIL_CODE, msg: `task "${o.task}": ${refusal}${NOT_EXECUTED}` });
      return;
    }
    const result = await this.opts.port.trigger(o.task, p.options).catch((e: unknown) => `could not start: ${errorMessage(e)}`);
    if (typeof result === 'string') {
      this.finish(o, { code: FAIL_CODE, msg: `jobctl could not run task ${o.task}: ${result}` });
      return;
    }
    this.pending.delete(logId);
    o.runId = result.id;
    this.store.put(o);
    this.save();
    const early = this.early.get(logId);
    this.early.delete(logId);
    if (early?.id === result.id) this.finish(o, early);
    else if (FINISHED_STATES.has(result.state)) this.finish(o, result);
    else if (p.stopReason !== undefined) this.opts.port.kill(o.task, result.id, p.stopReason);
  }

  private runEnded(record: RunRecord): void {
    const logId = logIdOf(record);
    if (logId === undefined || !FINISHED_STATES.has(record.state)) return;
    const o = this.outstanding.get(logId);
    if (!o) return;
    if (o.runId === undefined) this.early.set(logId, record);
    else if (o.runId === record.id) this.finish(o, record);
  }

  /** Report the trigger and let the next one of its job start. */
  private finish(o: Outstanding, outcome: RunRecord | { code: number; msg: string }, next = true): void {
    if (this.outstanding.get(o.logId) !== o) return;
    this.outstanding.delete(o.logId);
    this.pending.delete(o.logId);
    this.files.dropParams(o.logId);
    this.store.remove(o.logId);
    this.save();
    if ('id' in outcome) this.report(outcome, o);
    else this.opts.report({ logId: o.logId, logDateTim: o.logDateTime, handleCode: outcome.code, handleMsg: outcome.msg });
    if (next) this.apply(this.threads.ended(o.jobId, o.logId));
  }

  private report(record: RunRecord, o: Outstanding): void {
    const tail = tailLines(this.opts.port.runLog(record.task, record.id), this.opts.tailLines ?? 20);
    this.opts.report(callbackFor(record, o, tail));
  }

  /** After a restart: report what ended (or was lost, or never started) while the daemon was down. */
  private recover(): void {
    for (const o of this.store.load()) {
      const r = o.runId !== undefined ? this.opts.port.findRun(o.logId) : undefined;
      if (r && r.id === o.runId && FINISHED_STATES.has(r.state)) this.report(r, o);
      else {
        const msg = o.runId !== undefined
          ? `jobctl run ${o.runId} on task ${o.task}: lost (the jobctl daemon stopped before it ended)`
          : `job not executed: it waited in the job's queue on task ${o.task} when the jobctl daemon stopped`;
        this.opts.report({ logId: o.logId, logDateTim: o.logDateTime, handleCode: FAIL_CODE, handleMsg: msg });
      }
    }
    this.files.clearParams();
    this.store.clear();
  }

  private save(): void {
    this.unsaved = this.applying > 0;
    if (!this.unsaved) this.store.flush(() => this.outstanding.values(), this.outstanding.size);
  }

  /** Stop listening to runs and start nothing more; the outstanding ones stay on disk. Safe to call twice. */
  close(): void {
    this.starts.close();
    this.offRunEnd();
  }
}
